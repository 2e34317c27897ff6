//! Negotiation parameters a ClientHello lists: groups, signature schemes, point
//! formats and compression methods.

wire_enum! {
    /// Key-exchange group (IANA "TLS Supported Groups").
    NamedGroup(u16) as "named group", code "{}";
    SECT163K1 = 1 => "sect163k1",
    SECT163R1 = 2 => "sect163r1",
    SECT163R2 = 3 => "sect163r2",
    SECT193R1 = 4 => "sect193r1",
    SECT193R2 = 5 => "sect193r2",
    SECT233K1 = 6 => "sect233k1",
    SECT233R1 = 7 => "sect233r1",
    SECT239K1 = 8 => "sect239k1",
    SECT283K1 = 9 => "sect283k1",
    SECT283R1 = 10 => "sect283r1",
    SECT409K1 = 11 => "sect409k1",
    SECT409R1 = 12 => "sect409r1",
    SECT571K1 = 13 => "sect571k1",
    SECT571R1 = 14 => "sect571r1",
    SECP160K1 = 15 => "secp160k1",
    SECP160R1 = 16 => "secp160r1",
    SECP160R2 = 17 => "secp160r2",
    SECP192K1 = 18 => "secp192k1",
    SECP192R1 = 19 => "secp192r1",
    SECP224K1 = 20 => "secp224k1",
    SECP224R1 = 21 => "secp224r1",
    SECP256K1 = 22 => "secp256k1",
    SECP256R1 = 23 => "secp256r1",
    SECP384R1 = 24 => "secp384r1",
    SECP521R1 = 25 => "secp521r1",
    BRAINPOOLP256R1 = 26 => "brainpoolP256r1",
    BRAINPOOLP384R1 = 27 => "brainpoolP384r1",
    BRAINPOOLP512R1 = 28 => "brainpoolP512r1",
    X25519 = 29 => "x25519",
    X448 = 30 => "x448",
    BRAINPOOLP256R1TLS13 = 31 => "brainpoolP256r1tls13",
    BRAINPOOLP384R1TLS13 = 32 => "brainpoolP384r1tls13",
    BRAINPOOLP512R1TLS13 = 33 => "brainpoolP512r1tls13",
    CURVE_SM2 = 41 => "curveSM2",
    FFDHE2048 = 256 => "ffdhe2048",
    FFDHE3072 = 257 => "ffdhe3072",
    FFDHE4096 = 258 => "ffdhe4096",
    FFDHE6144 = 259 => "ffdhe6144",
    FFDHE8192 = 260 => "ffdhe8192",
    MLKEM512 = 512 => "MLKEM512",
    MLKEM768 = 513 => "MLKEM768",
    MLKEM1024 = 514 => "MLKEM1024",
    SECP256R1MLKEM768 = 4587 => "SecP256r1MLKEM768",
    X25519MLKEM768 = 4588 => "X25519MLKEM768",
    SECP384R1MLKEM1024 = 4589 => "SecP384r1MLKEM1024",
    X25519KYBER768DRAFT00 = 25497 => "X25519Kyber768Draft00",
    ARBITRARY_EXPLICIT_PRIME_CURVES = 65281 => "arbitrary_explicit_prime_curves",
    ARBITRARY_EXPLICIT_CHAR2_CURVES = 65282 => "arbitrary_explicit_char2_curves",
}

wire_enum! {
    /// Signature scheme (IANA "TLS SignatureScheme"). TLS 1.2 clients also send
    /// RFC 5246 hash/signature pairs TLS 1.3 left unnamed; those are named in the
    /// same `signature_hash` style.
    SignatureScheme(u16) as "signature scheme", code "0x{:04x}";
    RSA_PKCS1_MD5 = 0x0101 => "rsa_pkcs1_md5",
    DSA_MD5 = 0x0102 => "dsa_md5",
    ECDSA_MD5 = 0x0103 => "ecdsa_md5",
    RSA_PKCS1_SHA1 = 0x0201 => "rsa_pkcs1_sha1",
    DSA_SHA1 = 0x0202 => "dsa_sha1",
    ECDSA_SHA1 = 0x0203 => "ecdsa_sha1",
    RSA_PKCS1_SHA224 = 0x0301 => "rsa_pkcs1_sha224",
    DSA_SHA224 = 0x0302 => "dsa_sha224",
    ECDSA_SHA224 = 0x0303 => "ecdsa_sha224",
    RSA_PKCS1_SHA256 = 0x0401 => "rsa_pkcs1_sha256",
    DSA_SHA256 = 0x0402 => "dsa_sha256",
    ECDSA_SECP256R1_SHA256 = 0x0403 => "ecdsa_secp256r1_sha256",
    RSA_PKCS1_SHA384 = 0x0501 => "rsa_pkcs1_sha384",
    DSA_SHA384 = 0x0502 => "dsa_sha384",
    ECDSA_SECP384R1_SHA384 = 0x0503 => "ecdsa_secp384r1_sha384",
    RSA_PKCS1_SHA512 = 0x0601 => "rsa_pkcs1_sha512",
    DSA_SHA512 = 0x0602 => "dsa_sha512",
    ECDSA_SECP521R1_SHA512 = 0x0603 => "ecdsa_secp521r1_sha512",
    SM2SIG_SM3 = 0x0708 => "sm2sig_sm3",
    RSA_PSS_RSAE_SHA256 = 0x0804 => "rsa_pss_rsae_sha256",
    RSA_PSS_RSAE_SHA384 = 0x0805 => "rsa_pss_rsae_sha384",
    RSA_PSS_RSAE_SHA512 = 0x0806 => "rsa_pss_rsae_sha512",
    ED25519 = 0x0807 => "ed25519",
    ED448 = 0x0808 => "ed448",
    RSA_PSS_PSS_SHA256 = 0x0809 => "rsa_pss_pss_sha256",
    RSA_PSS_PSS_SHA384 = 0x080a => "rsa_pss_pss_sha384",
    RSA_PSS_PSS_SHA512 = 0x080b => "rsa_pss_pss_sha512",
    ECDSA_BRAINPOOLP256R1TLS13_SHA256 = 0x081a => "ecdsa_brainpoolP256r1tls13_sha256",
    ECDSA_BRAINPOOLP384R1TLS13_SHA384 = 0x081b => "ecdsa_brainpoolP384r1tls13_sha384",
    ECDSA_BRAINPOOLP512R1TLS13_SHA512 = 0x081c => "ecdsa_brainpoolP512r1tls13_sha512",
    MLDSA44 = 0x0904 => "mldsa44",
    MLDSA65 = 0x0905 => "mldsa65",
    MLDSA87 = 0x0906 => "mldsa87",
}

wire_enum! {
    /// EC point format (RFC 8422 §5.1.2).
    ECPointFormat(u8) as "ec point format", code "{}";
    UNCOMPRESSED = 0 => "uncompressed",
    ANSIX962_COMPRESSED_PRIME = 1 => "ansiX962_compressed_prime",
    ANSIX962_COMPRESSED_CHAR2 = 2 => "ansiX962_compressed_char2",
}

wire_enum! {
    /// Compression method (IANA "TLS Compression Method Identifiers").
    Compression(u8) as "compression method", code "{}";
    NULL = 0 => "null",
    DEFLATE = 1 => "deflate",
    LZS = 64 => "lzs",
}

impl_grease!(NamedGroup, SignatureScheme);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::macros::check_registry;

    #[test]
    fn registries_round_trip() {
        check_registry(NamedGroup::KNOWN, NamedGroup::name, NamedGroup::from_name);
        check_registry(
            SignatureScheme::KNOWN,
            SignatureScheme::name,
            SignatureScheme::from_name,
        );
        check_registry(
            ECPointFormat::KNOWN,
            ECPointFormat::name,
            ECPointFormat::from_name,
        );
        check_registry(
            Compression::KNOWN,
            Compression::name,
            Compression::from_name,
        );
    }

    #[test]
    fn display_uses_the_registry_number_style() {
        assert_eq!(
            NamedGroup::X25519MLKEM768.to_string(),
            "X25519MLKEM768(4588)"
        );
        assert_eq!(NamedGroup(0x3a3a).to_string(), "GREASE(14906)");
        assert_eq!(
            SignatureScheme::RSA_PSS_RSAE_SHA256.to_string(),
            "rsa_pss_rsae_sha256(0x0804)"
        );
        assert_eq!(Compression(9).to_string(), "unknown(9)");
    }
}
