#!/usr/bin/env bash
# Issue 13: a brainpoolP256r1 consumer card end to end over ES10. An SGP.22 PKI made on brainpool
# (`rsp ci init --curve brainpool`), a card from it (`rsp eum make --sgp22`), CERT.DPauth and CERT.DPpb
# on the CI's curve, the TLS certificate on P-256 (SGP22.md: a Debian libcurl/OpenSSL client offers no
# brainpool group; rsp_pki22_issue puts TLS keys on P-256 whatever the CI); `rsp lpa profile download`
# through `rsp smdpp run` as a separate process installs one TS.48 profile (AuthenticateServer,
# PrepareDownload with the card's one-time key on brainpool, ECDH and the BPP), the PIR reaches the
# SM-DP+ (order installed), then the profile is enabled. Outside facts: openssl reads the card's
# CERT.EUICC, the SM-DP+'s CERT.DPauth and CERT.DPpb as brainpoolP256r1 and its TLS certificate as
# prime256v1, and checks the card's chain (CERT.EUICC <- CERT.EUM <- CI) itself.
set -u
BIN=${RSP_BIN:?}
PKG=${RSP_SHARED_DIR:?}/profiles/TS48v7_SAIP2.3_NoBERTLV.der
tmp=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null && wait "$p" 2>/dev/null; done; rm -rf "$tmp"; }
trap cleanup EXIT
fail=0
ok() { echo "ok - $*"; }
bad() { echo "FAIL - $*"; fail=1; }
rc_of() { "$@" >"$tmp/out" 2>"$tmp/err"; echo $?; }

cd "$tmp" || exit 1
{ "$BIN" ci init --sgp22 --dir ci --curve brainpool &&
  "$BIN" ci issue --sgp22 --dir ci --role eum --id EUM --org 'RSP Test EUM' --eid-prefix 89049032 --out eum &&
  "$BIN" eum make --sgp22 --ci ci --eum eum --count 1 --out cards && mkdir smdpp &&
  "$BIN" ci issue --sgp22 --dir ci --role dpauth --id DPauth --oid 2.999.10 --out smdpp/dpauth &&
  "$BIN" ci issue --sgp22 --dir ci --role dppb --id DPpb --oid 2.999.10 --out smdpp/dppb &&
  "$BIN" ci issue --sgp22 --dir ci --role dptls --id DPtls --dns localhost --oid 2.999.10 --out smdpp/dptls &&
  "$BIN" smdp import package --dir smdpp --operator MNO --type T48 "$PKG" &&
  "$BIN" smdp import generate --dir smdpp --operator MNO --type T48 --count 1 --iccid-prefix 8944502; } \
  >/dev/null 2>"$tmp/setup.err" || { echo "FAIL - setup: $(tail -3 "$tmp/setup.err")"; exit 1; }
E1=$(ls cards)
C1="--card cards/$E1"
CA=ci/ci.crt.pem

# The curves, read by openssl (an outside tool): RSP keys on brainpool, the TLS key on P-256.
curve_of() { openssl x509 -in "$1" -inform "$2" -noout -text 2>/dev/null | sed -n 's/.*ASN1 OID: \([A-Za-z0-9]*\).*/\1/p' | head -1; }
c_euicc=$(curve_of "cards/$E1/cert_euicc.der" der) c_eum=$(curve_of "cards/$E1/cert_eum.der" der)
c_auth=$(curve_of smdpp/dpauth/cert.pem pem) c_pb=$(curve_of smdpp/dppb/cert.pem pem) c_tls=$(curve_of smdpp/dptls/cert.pem pem)
[ "$c_euicc/$c_eum/$c_auth/$c_pb" = brainpoolP256r1/brainpoolP256r1/brainpoolP256r1/brainpoolP256r1 ] && [ "$c_tls" = prime256v1 ] \
  && ok "openssl: CERT.EUICC, CERT.EUM, CERT.DPauth, CERT.DPpb on brainpoolP256r1, the TLS certificate on prime256v1" \
  || bad "curves: euicc $c_euicc eum $c_eum dpauth $c_auth dppb $c_pb tls $c_tls"
# The card's chain by openssl: CERT.EUM <- CI with `openssl verify`; CERT.EUICC <- CERT.EUM by its
# signature over the TBS (openssl dgst), because `openssl verify` refuses the EUM's name constraint:
# it compares the permitted DirectoryName's serialNumber (the 8-digit IIN) with the EID as a whole
# RDN, where SGP.22 means a prefix ("permitted subtree violation").
openssl x509 -in "cards/$E1/cert_eum.der" -inform der -out eum.pem 2>/dev/null &&
  openssl x509 -in "cards/$E1/cert_euicc.der" -inform der -out euicc.pem 2>/dev/null &&
  openssl verify -CAfile $CA eum.pem >"$tmp/verify.out" 2>&1 && openssl x509 -in eum.pem -noout -pubkey >eumpub.pem &&
  tbs=$(openssl asn1parse -in euicc.pem | sed -n 2p | cut -d: -f1 | tr -d ' ') &&
  sig=$(openssl asn1parse -in euicc.pem | grep 'BIT STRING' | tail -1 | cut -d: -f1 | tr -d ' ') &&
  openssl asn1parse -in euicc.pem -strparse "$tbs" -out tbs.der -noout && openssl asn1parse -in euicc.pem -strparse "$sig" -out sig.der -noout &&
  openssl dgst -sha256 -verify eumpub.pem -signature sig.der tbs.der >>"$tmp/verify.out" 2>&1 \
  && ok "openssl: CERT.EUM verifies to the brainpool CI, CERT.EUICC's signature to CERT.EUM's key" \
  || bad "openssl check of the card chain: $(cat "$tmp/verify.out")"

"$BIN" smdpp run --dir smdpp --address localhost --listen 127.0.0.1:0 --port-file port >smdpp.log 2>&1 &
pids+=($!)
for _ in $(seq 600); do [ -s port ] && break; sleep 0.1; done
P=$(tr -dc 0-9 <port)
[ -n "$P" ] || { echo "FAIL - smdpp did not start: $(tail -3 smdpp.log)"; exit 1; }
AC=$("$BIN" smdpp order --dir smdpp --address "localhost:$P" --operator MNO --type T48 --matching-id BP-1 --json 2>"$tmp/order.err" \
  | jq -r .activationCode)
state() { "$BIN" smdpp show --dir smdpp --address localhost --matching-id "$1" --json 2>/dev/null | jq -r .state; }

rc=$(rc_of "$BIN" lpa $C1 --json profile download --activation-code "$AC" --ca $CA)
ICCID=$(jq -r .iccid out 2>/dev/null)
[ "$rc" = 0 ] && [ "$(jq -r .installed out)" = true ] && [ -n "$ICCID" ] && [ "$ICCID" != null ] \
  && ok "brainpool card: profile $ICCID downloaded over ES10 and installed" || bad "download rc $rc $(cat out err | tail -5)"
[ "$(state BP-1)" = installed ] && ok "SM-DP+: order BP-1 installed (the card's brainpool PIR signature accepted)" \
  || bad "order state $(state BP-1) $(tail -3 smdpp.log)"
[ "$(rc_of "$BIN" lpa $C1 profile enable "$ICCID")" = 0 ] && ok "enable $ICCID" || bad "enable $(cat out err)"
rc=$(rc_of "$BIN" lpa $C1 --json profile list)
[ "$rc" = 0 ] && [ "$(jq length out)" = 1 ] && [ "$(jq -r '.[0].iccid' out)" = "$ICCID" ] && [ "$(jq -r '.[0].state' out)" = enabled ] \
  && ok "profile list: $ICCID enabled, the only profile" || bad "list rc $rc $(cat out err)"
# The enable notification, signed by the brainpool SK.EUICC, accepted by the SM-DP+.
rc=$(rc_of "$BIN" lpa $C1 --json notification process --ca $CA)
[ "$rc" = 0 ] && [ "$(jq -r '[.[] | select(.sent)] | length' out)" = 1 ] && [ "$(grep -c 'es9+ notification.*events=2$' smdpp.log)" = 1 ] \
  && ok "enable notification (brainpool signature) delivered once" || bad "notification rc $rc $(cat out err)"
exit "$fail"
