#!/usr/bin/env bash
# rsp eum make --sgp22: consumer cards from an SGP.22 PKI (brainpool, so the curve rule shows): the card
# folders (key mode 0600, CERT.EUICC with the EID as subject serialNumber and the EUM's O, AKI = the
# EUM's SKI, policy .1, no expiry), each chain verified by `rsp ci verify --sgp22` and read by openssl;
# EIDs with valid check digits counting up; an --eid-start outside the EUM's range refused; the
# SGP.26 CI added with --trust lands in the card's trust list; usage errors exit 2.
set -u
BIN=${RSP_BIN:?}
SRC=${RSP_SOURCE_DIR:?}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0
ok() { echo "ok - $*"; }
bad() { echo "FAIL - $*"; fail=1; }
rc_of() { "$@" >"$tmp/out" 2>"$tmp/err"; echo $?; }

"$BIN" ci init --sgp22 --dir "$tmp/ci" --curve brainpool >/dev/null &&
  "$BIN" ci issue --sgp22 --dir "$tmp/ci" --role eum --id "EUM Test" --org "RSP Test EUM" --eid-prefix 89049032 \
    --out "$tmp/eum" >/dev/null || { echo "FAIL - PKI setup"; exit 1; }

rc=$(rc_of "$BIN" eum make --sgp22 --ci "$tmp/ci" --eum "$tmp/eum" --count 3 --out "$tmp/cards" \
       --trust "$SRC/tests/data/sgp26/CERT_CI_ECDSA_NIST.der" --json)
[ "$rc" = 0 ] || { bad "make: rc $rc $(cat "$tmp/err")"; exit 1; }
[ "$(jq -r .cards "$tmp/out")" = 3 ] && [ "$(jq -r .curve "$tmp/out")" = brainpoolp256r1 ] && [ "$(jq -r .trusted_cis "$tmp/out")" = 2 ] \
  && ok "3 cards, brainpool, 2 trusted CIs" || bad "summary $(cat "$tmp/out")"
first=$(jq -r .first_eid "$tmp/out")
n=0
ski=$(jq -r .ski "$tmp/eum/info.json")
for d in "$tmp"/cards/*/; do
  eid=$(basename "$d")
  n=$((n + 1))
  [ "$("$BIN" eid check "$eid" >/dev/null 2>&1; echo $?)" = 0 ] || bad "$eid: check digits"
  [ "$(stat -c %a "$d/sk_euicc.pem")" = 600 ] || bad "$eid: key mode"
  for f in cert_euicc.der cert_eum.der ci_0.der ci_1.der; do [ -s "$d/$f" ] || bad "$eid: missing $f"; done
  rc=$(rc_of "$BIN" ci verify --sgp22 --role euicc --ci "$tmp/ci" --eum "$d/cert_eum.der" "$d/cert_euicc.der" --json)
  [ "$rc" = 0 ] && [ "$(jq -r .eid "$tmp/out")" = "$eid" ] && [ "$(jq -r .aki "$tmp/out")" = "$ski" ] \
    || bad "$eid: chain rc $rc $(cat "$tmp/out" "$tmp/err")"
  openssl x509 -inform der -in "$d/cert_euicc.der" -noout -text >"$tmp/c.txt"
  grep -q "serialNumber = $eid" "$tmp/c.txt" && grep -q "O = RSP Test EUM" "$tmp/c.txt" && grep -q "Policy: 2.23.146.1.2.1.1" "$tmp/c.txt" \
    && grep -q "Not After : Dec 31 23:59:59 9999 GMT" "$tmp/c.txt" && grep -q "ASN1 OID: brainpoolP256r1" "$tmp/c.txt" \
    || bad "$eid: CERT.EUICC profile"
  # The public key in the certificate is the card's own key.
  a=$(openssl pkey -in "$d/sk_euicc.pem" -pubout 2>/dev/null | openssl pkey -pubin -outform der 2>/dev/null | sha256sum)
  b=$(openssl x509 -inform der -in "$d/cert_euicc.der" -noout -pubkey | openssl pkey -pubin -outform der | sha256sum)
  [ "$a" = "$b" ] || bad "$eid: certificate key is not the card key"
  # The second trusted CI is the SGP.26 one, byte for byte.
  cmp -s "$d/ci_1.der" "$SRC/tests/data/sgp26/CERT_CI_ECDSA_NIST.der" || bad "$eid: --trust CI"
done
[ "$n" = 3 ] && ok "3 card folders: EIDs valid, chains verify, CERT.EUICC profile, key, trust list" || bad "cards: $n"
[ "$first" = "$(ls "$tmp/cards" | sort | head -1)" ] && ok "EIDs count up from --eid-start" || bad "first EID $first"

# An EID range the EUM may not use: the issuer refuses (exit 2), no card left behind.
rc=$(rc_of "$BIN" eum make --sgp22 --ci "$tmp/ci" --eum "$tmp/eum" --eid-start 890440450000000000000000000001 --out "$tmp/bad")
[ "$rc" = 2 ] && grep -q "outside the EUM" "$tmp/err" && [ -z "$(ls -A "$tmp/bad" 2>/dev/null)" ] \
  && ok "EID outside the EUM's prefix refused" || bad "out-of-range rc $rc $(cat "$tmp/err")"
# Usage errors.
[ "$(rc_of "$BIN" eum make --sgp22 --ci "$tmp/ci" --out "$tmp/x")" = 2 ] && ok "no --eum: exit 2" || bad "no --eum"
[ "$(rc_of "$BIN" eum make --sgp22 --ci "$tmp/ci" --eum "$tmp/ci" --out "$tmp/x")" = 2 ] && ok "a CI folder as EUM: exit 2" || bad "CI as EUM"
[ "$(rc_of "$BIN" eum make --sgp22 --ci "$tmp/ci" --eum "$tmp/eum" --out "$tmp/x" --count 0)" = 2 ] && ok "--count 0: exit 2" || bad "count 0"
[ "$(rc_of "$BIN" eum make --sgp22 --ci "$tmp/ci" --eum "$tmp/eum" --out "$tmp/x" --eid-start 12)" = 2 ] && ok "short --eid-start: exit 2" || bad "eid-start"
"$BIN" eum make --sgp22 --help | grep -q -- "--trust" && ok "--help" || bad "--help"

exit $fail
