#!/bin/sh
# Known answers for src/engine/scripted/crypto/prf.rs, computed by OpenSSL's own
# TLS1-PRF (`openssl kdf`, OpenSSL 3), independent of the code under test.
# Usage: sh tests/vectors/prf.sh   (prints the hex the tests paste)
set -eu

hexstr() { printf '%s' "$1" | od -An -tx1 | tr -d ' \n'; }
seq_hex() { # seq_hex START COUNT: bytes START, START+1, ... as hex
    i=0; while [ "$i" -lt "$2" ]; do printf '%02x' $(( ($1 + i) % 256 )); i=$((i + 1)); done
}
prf() { # prf DIGEST HEXSECRET LABEL HEXSEED LEN
    openssl kdf -keylen "$5" -kdfopt digest:"$1" -kdfopt hexsecret:"$2" \
        -kdfopt hexseed:"$(hexstr "$3")$4" TLS1-PRF | tr -d ':\n' | tr 'A-F' 'a-f'
    echo
}

echo "# IETF TLS list vectors (msg03416), reproduced"
prf SHA256 9bbe436ba940f017b17652849a71db35 "test label" a0ba9f936cda311827a6f796ffd5198c 100
prf SHA384 b80b733d6ceefcdc71566ea48e5567df "test label" cd665cf6a8447dd6ff8b27555edb7465 148
echo "# TLS 1.0: PRF(\"secret\", \"label\", \"seed\")[0..20]"
prf MD5-SHA1 "$(hexstr secret)" label "$(hexstr seed)" 20
echo "# TLS 1.0, 47-byte secret 00..2e"
prf MD5-SHA1 "$(seq_hex 0 47)" "test label" a0ba9f936cda311827a6f796ffd5198c 100

PM="0303$(seq_hex 165 46)"   # 03 03 a5 a6 ...
CR="$(seq_hex 0 32)"         # 00 .. 1f
SR="$(seq_hex 32 32)"        # 20 .. 3f
for d in MD5-SHA1:36 SHA256:32 SHA384:48; do
    digest=${d%:*}; hlen=${d#*:}
    echo "# $digest: master, extended master (session hash 40.. of $hlen bytes), key block (136), client/server verify_data (handshake hash 80..)"
    MS=$(prf "$digest" "$PM" "master secret" "$CR$SR" 48)
    echo "$MS"
    prf "$digest" "$PM" "extended master secret" "$(seq_hex 64 "$hlen")" 48
    prf "$digest" "$MS" "key expansion" "$SR$CR" 136
    prf "$digest" "$MS" "client finished" "$(seq_hex 128 "$hlen")" 12
    prf "$digest" "$MS" "server finished" "$(seq_hex 128 "$hlen")" 12
done
