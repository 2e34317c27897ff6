//! What each engine can play. Validation checks a scenario against this, so a new engine
//! is a new arm in each match below.

use rustls::SupportedCipherSuite;

use super::{EngineKind, TlsVersion};

/// A cipher suite an engine can negotiate.
pub(super) struct Suite {
    /// IANA name, e.g. `TLS_AES_128_GCM_SHA256`.
    pub iana: String,
    /// The protocol versions it works with.
    pub versions: Vec<TlsVersion>,
}

impl EngineKind {
    /// Name as written in scenario files.
    pub(super) fn name(self) -> &'static str {
        match self {
            Self::Rustls => "rustls",
            Self::Scripted => "scripted",
        }
    }

    /// Protocol versions the engine plays.
    pub(super) fn versions(self) -> &'static [TlsVersion] {
        match self {
            Self::Rustls => &[TlsVersion::Tls12, TlsVersion::Tls13],
            Self::Scripted => &[
                TlsVersion::Tls10,
                TlsVersion::Tls11,
                TlsVersion::Tls12,
                TlsVersion::Tls13,
            ],
        }
    }

    /// Protocol versions a scenario that lists none enables: scripted leaves TLS 1.3
    /// to scenarios that ask for it, so its TLS 1.0–1.2 quirks meet modern clients.
    pub(super) fn default_versions(self) -> &'static [TlsVersion] {
        match self {
            Self::Rustls => self.versions(),
            Self::Scripted => &self.versions()[..3],
        }
    }

    /// Hint for a version the engine cannot play.
    pub(super) fn version_hint(self) -> &'static str {
        match self {
            Self::Rustls => {
                "engine rustls plays tls1.2 and tls1.3; older versions need engine scripted"
            }
            Self::Scripted => "engine scripted plays tls1.0 to tls1.3",
        }
    }

    /// Whether the engine can inject message-level faults (`faults:`).
    pub(super) fn can_misbehave(self) -> bool {
        self == Self::Scripted
    }

    /// Whether the engine can renegotiate (`renegotiate:`).
    pub(super) fn can_renegotiate(self) -> bool {
        self == Self::Scripted
    }

    /// Whether `secure_renegotiation` and `extended_master_secret` can be turned off.
    pub(super) fn can_disable_extensions(self) -> bool {
        self == Self::Scripted
    }

    /// IANA names of the cipher suites the engine can negotiate, each with the versions
    /// it works at (what `tls.cipher_suites` accepts).
    pub fn cipher_suites(self) -> Vec<(String, Vec<TlsVersion>)> {
        self.suites()
            .into_iter()
            .map(|s| (s.iana, s.versions))
            .collect()
    }

    /// Cipher suites the engine can negotiate, in its preference order.
    pub(super) fn suites(self) -> Vec<Suite> {
        match self {
            Self::Rustls => rustls::crypto::aws_lc_rs::ALL_CIPHER_SUITES
                .iter()
                .filter_map(|suite| {
                    let version = match suite {
                        SupportedCipherSuite::Tls12(_) => TlsVersion::Tls12,
                        SupportedCipherSuite::Tls13(_) => TlsVersion::Tls13,
                    };
                    let iana = iana_suite_name(suite.suite().as_str()?);
                    Some(Suite {
                        iana,
                        versions: vec![version],
                    })
                })
                .collect(),
            Self::Scripted => crate::engine::scripted_suites()
                .map(|(iana, oldest, newest)| Suite {
                    iana: iana.to_owned(),
                    versions: Self::Scripted
                        .versions()
                        .iter()
                        .copied()
                        .filter(|v| (oldest..=newest).contains(v))
                        .collect(),
                })
                .collect(),
        }
    }
}

/// The IANA spelling of a cipher suite name, also accepting rustls' `TLS13_` prefix and
/// any letter case.
pub(crate) fn iana_suite_name(name: &str) -> String {
    let upper = name.to_ascii_uppercase();
    match upper.strip_prefix("TLS13_") {
        Some(rest) => format!("TLS_{rest}"),
        None => upper,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rustls_spelling_and_case_map_to_iana() {
        assert_eq!(
            iana_suite_name("TLS13_AES_128_GCM_SHA256"),
            "TLS_AES_128_GCM_SHA256"
        );
        assert_eq!(
            iana_suite_name("tls_aes_128_gcm_sha256"),
            "TLS_AES_128_GCM_SHA256"
        );
        assert_eq!(
            iana_suite_name("TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384"),
            "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384"
        );
    }

    /// The versions `engine` plays `iana` at, if it plays it at all.
    fn versions_of(engine: EngineKind, iana: &str) -> Option<Vec<TlsVersion>> {
        engine
            .cipher_suites()
            .into_iter()
            .find(|(name, _)| name == iana)
            .map(|(_, versions)| versions)
    }

    #[test]
    fn rustls_suites_carry_iana_names_and_versions() {
        let find = |iana: &str| versions_of(EngineKind::Rustls, iana);
        assert_eq!(
            find("TLS_AES_128_GCM_SHA256"),
            Some(vec![TlsVersion::Tls13])
        );
        assert_eq!(
            find("TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384"),
            Some(vec![TlsVersion::Tls12])
        );
        assert_eq!(find("TLS_RSA_WITH_AES_128_CBC_SHA"), None);
    }

    #[test]
    fn scripted_suites_span_the_versions_they_are_defined_for() {
        let find = |iana: &str| versions_of(EngineKind::Scripted, iana);
        use TlsVersion::*;
        assert_eq!(
            find("TLS_RSA_WITH_AES_128_CBC_SHA"),
            Some(vec![Tls10, Tls11, Tls12])
        );
        assert_eq!(find("TLS_RSA_WITH_AES_128_GCM_SHA256"), Some(vec![Tls12]));
        assert_eq!(
            find("TLS_RSA_WITH_RC4_128_MD5"),
            Some(vec![Tls10, Tls11, Tls12])
        );
        assert_eq!(find("TLS_AES_128_GCM_SHA256"), Some(vec![Tls13]));
        assert_eq!(find("TLS_CHACHA20_POLY1305_SHA256"), Some(vec![Tls13]));
    }
}
