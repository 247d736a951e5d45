#!/usr/bin/env bash
# rsp eum make / verify against a throwaway PKI: 3 cards with transport-key wrapping, 2 with ECIES to
# the SM-SR's certificate. Checks: EIDs valid (rsp eid check), CERT.ECASD -> CERT.EUM -> CI (rsp cert
# verify), every EIS file (SOAP and JSON) parses and verifies, tampering is caught (exit 1), keys-out
# mode 0600 and well formed, the wrapped keys unwrap to keys-out both with our code and with an
# independent AES-KW / ECDH / X9.63 implementation (python3-cryptography), and malformed arguments exit 2.
set -u
BIN=${RSP_BIN:?}
PKG=${RSP_SHARED_DIR:?}/profiles/TS48v7_SAIP2.3_NoBERTLV.der
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0
ok() { echo "ok - $*"; }
bad() { echo "FAIL - $*"; fail=1; }
rc_of() { "$@" >"$tmp/out" 2>"$tmp/err"; echo $?; }

"$BIN" ci init --dir "$tmp/pki" >/dev/null &&
  "$BIN" ci issue --dir "$tmp/pki" --role eum --id EUM-T --out "$tmp/eum" >/dev/null &&
  "$BIN" ci issue --dir "$tmp/pki" --role smsr --id SMSR-T --out "$tmp/smsr" >/dev/null ||
  { echo "FAIL - PKI setup"; exit 1; }

make_args=(--ci "$tmp/pki" --eum "$tmp/eum" --profile "$PKG" --smsr-id SMSR-T)
rc=$(rc_of "$BIN" eum make "${make_args[@]}" --count 3 --out "$tmp/fleet" --keys-out "$tmp/keys.jsonl" \
       --msisdn-start 447700900100 --iccid-start 8944000000000000019 --json)
[ "$rc" = 0 ] && ok "make 3 cards" || { bad "make: rc $rc $(cat "$tmp/err")"; exit 1; }
summary=$(cat "$tmp/out")
[ "$(echo "$summary" | jq -r .cards)" = 3 ] && [ "$(echo "$summary" | jq -r .key_wrapping)" = aes128kw-transport-key ] \
  && ok "json summary" || bad "json summary: $summary"

# keys-out: mode 0600, one JSON line per card with the documented fields.
[ "$(stat -c %a "$tmp/keys.jsonl")" = 600 ] && ok "keys-out mode 0600" || bad "keys-out mode $(stat -c %a "$tmp/keys.jsonl")"
[ "$(stat -c %a "$tmp/fleet/transport.key")" = 600 ] && ok "transport key mode 0600" || bad "transport key mode"
[ "$(wc -l <"$tmp/keys.jsonl")" = 3 ] && ok "keys-out has 3 lines" || bad "keys-out lines"
shape=$(jq -c '[(.eid|test("^[0-9]{32}$")), (.msisdn|test("^4477009001")), .scp80.kvn, (.scp80.kic|test("^[0-9A-F]{32}$")),
               (.scp80.kid|test("^[0-9A-F]{32}$")), .scp81.kvn, (.scp81.psk|test("^[0-9A-F]{32}$")),
               (.scp81.psk_id|test("^800102811[0-9]{33}4F10A0000005591010FFFFFFFF8900000100820101830140$"))]' "$tmp/keys.jsonl" | sort -u)
[ "$shape" = '[true,true,1,true,true,64,true,true]' ] && ok "keys-out lines well formed" || bad "keys-out shape: $shape"
# The psk_id embeds the EID it belongs to (SGP.02 PSK identity).
jq -r '[.eid, .scp81.psk_id[10:42]] | @tsv' "$tmp/keys.jsonl" | while IFS=$'\t' read -r eid embedded; do
  [ "$eid" = "$embedded" ] || echo "mismatch $eid $embedded"; done | grep -q . && bad "psk_id EID" || ok "psk_id carries the EID"
# No clear key reaches stdout/stderr of make.
k=$(jq -r .scp80.kic "$tmp/keys.jsonl" | head -1)
grep -qi "$k" "$tmp/out" "$tmp/err" "$tmp"/fleet/eis/* && bad "a clear key was printed or put in an EIS" || ok "clear keys stay in keys-out"

n=0
for eid in $(jq -r .eid "$tmp/keys.jsonl"); do
  n=$((n + 1))
  [ "$(rc_of "$BIN" eid check "$eid")" = 0 ] || bad "eid check $eid"
  for f in xml json; do [ -s "$tmp/fleet/eis/$eid.$f" ] || bad "missing $eid.$f"; done
  # CERT.ECASD out of the EIS verifies under the EUM certificate.
  jq -r '.eis.eumSignedInfo.ecasd.keySets[0].certificates[0]' "$tmp/fleet/eis/$eid.json" >"$tmp/ecasd.hex"
  [ "$(rc_of "$BIN" cert verify "$tmp/ecasd.hex" --issuer "$tmp/eum/gpcert")" = 0 ] || bad "CERT.ECASD of $eid does not verify"
  # The EIS as the SM-SR stores it: ProfileInfo of the enabled provisioning profile with the fall-back attribute.
  p=$(jq -c '.eis.profiles[0] | [.state, .fallbackAttribute, .subscriptionAddress.msisdn[0:10]]' "$tmp/fleet/eis/$eid.json")
  [ "$p" = '["Enabled",true,"4477009001"]' ] || bad "ProfileInfo of $eid: $p"
  grep -q "<FallbackAttribute>true</FallbackAttribute>" "$tmp/fleet/eis/$eid.xml" || bad "XML ProfileInfo of $eid"
done
# The rest of the chain, once: CERT.EUM in the EIS under the CI; CERT.ECASD's subject and role; a wrong
# issuer fails (so the check above can fail).
jq -r '.eis.eumSignedInfo.ecasd.keySets[0].certificates[1]' "$tmp/fleet/eis/$eid.json" >"$tmp/eumcert.hex"
[ "$(rc_of "$BIN" cert verify "$tmp/eumcert.hex" --issuer "$tmp/pki/ci.gpcert")" = 0 ] || bad "CERT.EUM in the EIS"
"$BIN" cert show "$tmp/ecasd.hex" --json >"$tmp/cert.json"
[ "$(jq -r .subject "$tmp/cert.json")" = "$eid" ] && [ "$(jq -r .role "$tmp/cert.json")" = 4 ] || bad "CERT.ECASD subject/role"
[ "$(rc_of "$BIN" cert verify "$tmp/ecasd.hex" --issuer "$tmp/smsr/gpcert")" = 1 ] || bad "CERT.ECASD verified by the wrong key"
[ "$n" = 3 ] && ok "EIDs valid, CERT.ECASD -> EUM -> CI for 3 cards, EIS ProfileInfo" || bad "cards seen: $n"
iccids=$(jq -r '.eis.profiles[0].iccid' "$tmp"/fleet/eis/*.json | sort | tr '\n' ' ')
[ "$iccids" = "8944000000000000019 8944000000000000027 8944000000000000035 " ] && ok "ICCIDs count up with Luhn digits" \
  || bad "ICCIDs: $iccids"

rc=$(rc_of "$BIN" eum verify --ci "$tmp/pki" --eum "$tmp/eum" --transport-key "$tmp/fleet/transport.key" \
       --keys "$tmp/keys.jsonl" --json "$tmp"/fleet/eis/*)
[ "$rc" = 0 ] && [ "$(jq '[.files[] | select(.ok and .keys == "match keys-out")] | length' "$tmp/out")" = 6 ] \
  && [ "$(jq '[.files[] | select(.dsig)] | length' "$tmp/out")" = 3 ] \
  && ok "verify: 6 EIS files (SOAP + JSON), signature, XML-DSig in the SOAP ones, chain, keys" \
  || bad "verify: rc $rc $(cat "$tmp/out" "$tmp/err")"

# Tampering: a changed signed field, a changed wrapped key, a wrong transport key -> exit 1.
f=$(ls "$tmp"/fleet/eis/*.xml | head -1)
sed 's|<PlatformVersion>1.0</PlatformVersion>|<PlatformVersion>1.1</PlatformVersion>|' "$f" >"$tmp/t1.xml"
rc=$(rc_of "$BIN" eum verify --ci "$tmp/pki" "$tmp/t1.xml")
[ "$rc" = 1 ] && grep -q "EumSignature does not verify" "$tmp/err" && ok "tampered EumSignedInfo: exit 1" || bad "tampered: rc $rc $(cat "$tmp/err")"
python3 -c '
import re, sys
s = open(sys.argv[1]).read()
m = re.search(r"<ds:SignatureValue>(.)", s)
open(sys.argv[2], "w").write(s[:m.start(1)] + ("B" if m.group(1) == "A" else "A") + s[m.end(1):])' "$f" "$tmp/t3.xml"
rc=$(rc_of "$BIN" eum verify --ci "$tmp/pki" "$tmp/t3.xml")
[ "$rc" = 1 ] && grep -q "SignatureValue does not verify" "$tmp/err" && ok "tampered XML-DSig: exit 1" || bad "tampered dsig: rc $rc $(cat "$tmp/err")"
j=$(ls "$tmp"/fleet/eis/*.json | head -1)
jq '.eis.isdR.keySets[0].keys[0].components[0].value |= (.[0:-2] + (if .[-2:] == "00" then "01" else "00" end))' "$j" >"$tmp/t2.json"
rc=$(rc_of "$BIN" eum verify --ci "$tmp/pki" --transport-key "$tmp/fleet/transport.key" "$tmp/t2.json")
[ "$rc" = 1 ] && grep -q "does not unwrap" "$tmp/err" && ok "tampered wrapped key: exit 1" || bad "tampered key: rc $rc $(cat "$tmp/err")"
rc=$(rc_of "$BIN" eum verify --ci "$tmp/pki" --transport-key 000102030405060708090A0B0C0D0E0F "$j")
[ "$rc" = 1 ] && ok "wrong transport key: exit 1" || bad "wrong transport key: rc $rc"
# CERT.EUM taken out of the EIS: without --eum there is no chain (exit 2); with --eum the chain is there
# but the certificate list is part of EumSignedInfo, so the signature fails (exit 1).
jq 'del(.eis.eumSignedInfo.ecasd.keySets[0].certificates[1])' "$j" >"$tmp/one.json"
[ "$(rc_of "$BIN" eum verify --ci "$tmp/pki" --eum "$tmp/eum" "$tmp/one.json")" = 1 ] && grep -q "EumSignature does not" "$tmp/err" \
  && ok "CERT.EUM removed, with --eum: signature fails" || bad "one cert with --eum: $(cat "$tmp/err")"
[ "$(rc_of "$BIN" eum verify --ci "$tmp/pki" "$tmp/one.json")" = 2 ] && grep -q "give --eum" "$tmp/err" \
  && ok "CERT.ECASD only, without --eum: exit 2" || bad "one cert without --eum"
"$BIN" ci init --dir "$tmp/pki2" >/dev/null
rc=$(rc_of "$BIN" eum verify --ci "$tmp/pki2" "$j")
[ "$rc" = 1 ] && grep -q "not signed by the CI" "$tmp/err" && ok "another CI: exit 1" || bad "other CI: rc $rc"

# ECIES to the SM-SR certificate.
rc=$(rc_of "$BIN" eum make "${make_args[@]}" --count 2 --out "$tmp/fleet2" --keys-out "$tmp/keys2.jsonl" \
       --smsr-cert "$tmp/smsr/gpcert" --eid-start 890490320000000000000000000500)
[ "$rc" = 0 ] && [ ! -e "$tmp/fleet2/transport.key" ] && ok "make with --smsr-cert" || bad "make smsr-cert: $rc $(cat "$tmp/err")"
rc=$(rc_of "$BIN" eum verify --ci "$tmp/pki" --smsr "$tmp/smsr" --keys "$tmp/keys2.jsonl" "$tmp"/fleet2/eis/*)
[ "$rc" = 0 ] && [ "$(grep -c 'keys match keys-out' "$tmp/out")" = 4 ] && ok "ECIES keys unwrap with the SM-SR key" \
  || bad "verify ecies: $rc $(cat "$tmp/out" "$tmp/err")"
rc=$(rc_of "$BIN" eum verify --ci "$tmp/pki" --smsr "$tmp/eum" "$tmp"/fleet2/eis/*.json)
[ "$rc" = 2 ] && ok "an EUM folder is no SM-SR key (exit 2)" || bad "smsr role check: $rc"

# One fact from outside: unwrap with an independent implementation (RFC 3394, ECDH, ANSI X9.63).
if python3 -c 'import cryptography' 2>/dev/null; then
  out=$(python3 - "$tmp" <<'PY'
import json, sys, glob
from cryptography.hazmat.primitives.keywrap import aes_key_unwrap
from cryptography.hazmat.primitives import serialization, hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.kdf.x963kdf import X963KDF
t = sys.argv[1]
def keys(path): return {json.loads(l)["eid"]: json.loads(l) for l in open(path)}
def check(fleet, kpath, unwrap):
    ks, n = keys(kpath), 0
    for f in glob.glob(fleet + "/eis/*.json"):
        eis = json.load(open(f))["eis"]; eid = eis["eumSignedInfo"]["eid"]; want = ks[eid]
        for s in eis["isdR"]["keySets"]:
            for k in s["keys"]:
                v = bytes.fromhex(k["components"][0]["value"])
                clear = unwrap(eid, s["version"], k["keyIdentifier"], v).hex().upper()
                exp = want["scp80"]["kic" if k["keyIdentifier"] == 1 else "kid"] if s["version"] == 1 else want["scp81"]["psk"]
                assert clear == exp, (f, s["version"], k["keyIdentifier"])
                n += 1
    return n
tk = bytes.fromhex(open(t + "/fleet/transport.key").read().strip())
n1 = check(t + "/fleet", t + "/keys.jsonl", lambda eid, kvn, kid, v: aes_key_unwrap(tk, v))
sk = serialization.load_pem_private_key(open(t + "/smsr/key.pem", "rb").read(), None)
def ecies(eid, kvn, kid, v):
    epk = ec.EllipticCurvePublicKey.from_encoded_point(sk.curve, v[:65])
    z = sk.exchange(ec.ECDH(), epk)
    kek = X963KDF(hashes.SHA256(), 16, bytes.fromhex(eid) + bytes([kvn, kid])).derive(z)
    return aes_key_unwrap(kek, v[65:])
n2 = check(t + "/fleet2", t + "/keys2.jsonl", ecies)
print(n1, n2)
PY
)
  [ "$out" = "9 6" ] && ok "independent AES-KW / ECDH+X9.63 unwrap matches keys-out" || bad "independent unwrap: $out"
else
  bad "python3-cryptography missing (scripts/setup installs it): the outside check of the key wrapping cannot run"
fi

# Malformed arguments: exit 2 with a message naming the fault.
m() { local want=$1 needle=$2; shift 2; rc=$(rc_of "$BIN" eum "$@")
  [ "$rc" = "$want" ] && grep -q -- "$needle" "$tmp/err" && ok "exit $want: $needle" || bad "want $want '$needle': rc $rc $(cat "$tmp/err")"; }
m 2 "usage: rsp eum make" make --ci "$tmp/pki"
m 2 "--count must be" make "${make_args[@]}" --count 0 --out "$tmp/x1"
m 2 "--count must be" make "${make_args[@]}" --count 3x --out "$tmp/x1"
m 2 "--eid-start must be 30 digits" make "${make_args[@]}" --count 1 --out "$tmp/x1" --eid-start 1234
m 2 "not a valid EID" make "${make_args[@]}" --count 1 --out "$tmp/x1" --eid-start 89049032000000000000000000000100
m 2 "is not an ICCID" make "${make_args[@]}" --count 1 --out "$tmp/x1" --iccid-start 8944000000000000018
m 2 "do not fit" make "${make_args[@]}" --count 20 --out "$tmp/x1" --msisdn-start 99999999990
m 2 "--msisdn-start must be" make "${make_args[@]}" --count 1 --out "$tmp/x1" --msisdn-start 12ab
m 2 "unknown or incomplete option" make "${make_args[@]}" --count 1 --out "$tmp/x1" --bogus
m 2 "not both" make "${make_args[@]}" --count 1 --out "$tmp/x1" --smsr-cert "$tmp/smsr/gpcert" --transport-key 00
m 2 "--transport-key must be" make "${make_args[@]}" --count 1 --out "$tmp/x1" --transport-key 0011
m 2 "not a valid profile package" make --ci "$tmp/pki" --eum "$tmp/eum" --profile "$tmp/keys.jsonl" --smsr-id S --count 1 --out "$tmp/x1"
m 2 "eum make: --eum" make --ci "$tmp/pki" --eum "$tmp/smsr" --profile "$PKG" --smsr-id S --count 1 --out "$tmp/x1"
m 1 "eum make: --eum" make --ci "$tmp/pki2" --eum "$tmp/eum" --profile "$PKG" --smsr-id S --count 1 --out "$tmp/x1"
m 2 "cannot create the fleet" make "${make_args[@]}" --count 1 --out "$tmp/fleet"
m 2 "usage: rsp eum verify" verify "$j"
for sub in make verify; do
  [ "$(rc_of "$BIN" eum $sub --help)" = 0 ] && grep -q "usage: rsp eum $sub" "$tmp/out" && ok "eum $sub --help" || bad "eum $sub --help"
done
printf '<x/>' >"$tmp/junk.xml"
m 2 "junk.xml" verify --ci "$tmp/pki" "$tmp/junk.xml"
[ ! -e "$tmp/x1/cards.db" ] && ok "no fleet left behind by refused arguments" || bad "x1 fleet exists"

exit $fail
