#!/usr/bin/env bash
# Revocation (issue 15): `rsp ci revoke` / `rsp ci crl` and the CRL's consumers as separate processes.
# - the CLI: revoke by file or serial, refusals (exit 2), the CRL printed, exported, refreshed; a forged
#   CRL (another CI) exits 1, a truncated or garbage one 2; OpenSSL's own `openssl crl -CAfile` verifies
#   ours (the outside fact: our CRL is an RFC 5280 CRL to a third-party verifier);
# - the card: rsp euicc run with ci.crl dropped into its fleet folder while it runs; ES8 key
#   establishment (through rsp smsr's ES3.SendData, as test_smdp_e2e.sh) with the revoked SM-DP's
#   certificate is refused by the card at 3A01 (6982), with a good SM-DP's it completes;
# - the SM-SR: rsp smsr run --ci --crl: ES1.RegisterEIS of a revoked EUM's EIS is refused 8.1 / 6.1 and
#   not stored, a good EUM's EIS is stored; a forged CRL put in its place refuses every EIS (8.7 / 3.7);
#   a malformed --crl stops the start (exit 2);
# - the SM-DP: rsp smdp download --crl refuses a card whose EUM is revoked at admission.
. "$(dirname "$0")/daemons.sh"

SMSR=447700100995
TK=000102030405060708090a0b0c0d0e0f
make_fleet 1 447700900700 $SMSR
E0=$(ls "$tmp/fleet/eis" | sed -n 's/\.json$//p' | head -1)
P=$tmp/pki
for r in "smsr SMSR-T sr" "smdp DP1 dp1" "smdp DP2 dp2" "eum EUM-R eumr"; do
  set -- $r
  "$BIN" ci issue --dir "$P" --role "$1" --id "$2" --out "$tmp/$3" >/dev/null || bad "issue $2"
done
"$BIN" ci init --dir "$tmp/pki2" >/dev/null && "$BIN" ci issue --dir "$tmp/pki2" --role smdp --id DP2 --out "$tmp/x2" >/dev/null

# ---- the CLI ----
"$BIN" ci revoke --help | grep -q "^usage: rsp ci revoke" && "$BIN" ci crl --help | grep -q "^usage: rsp ci crl" \
  && ok "--help of revoke and crl: usage, exit 0" || bad "--help"
"$BIN" ci revoke --dir "$P" >/dev/null 2>&1; [ $? = 2 ] && ok "revoke without --serial/--cert: 2" || bad "usage"
"$BIN" ci revoke --dir "$P" --serial 1 >/dev/null 2>&1; [ $? = 2 ] && ok "revoke the CI's own serial: 2" || bad "serial 1"
"$BIN" ci revoke --dir "$P" --serial 999 >/dev/null 2>&1; [ $? = 2 ] && ok "revoke a serial never issued: 2" || bad "serial 999"
"$BIN" ci revoke --dir "$P" --cert "$tmp/x2" >/dev/null 2>&1; [ $? = 1 ] && ok "revoke another CI's certificate: 1" || bad "other CI"
"$BIN" ci revoke --dir "$P" --cert "$tmp/dp2" --reason bogus >/dev/null 2>&1; [ $? = 2 ] && ok "unknown reason: 2" || bad "reason"
r=$("$BIN" ci revoke --dir "$P" --cert "$tmp/dp2" --reason key-compromise --json 2>&1)
S2=$(jq -r .serial_hex <<<"$r" 2>/dev/null)
[ "$(jq -r '.reason + "/" + (.entries|tostring)' <<<"$r" 2>/dev/null)" = keyCompromise/1 ] && ok "revoke DP2 by its folder" || bad "revoke: $r"
SR=$(jq -r .serial "$tmp/eumr/info.json")
r=$("$BIN" ci revoke --dir "$P" --serial "$SR" --reason cessation 2>&1) && echo "$r" | grep -q "CRL #[0-9]* with 2 entries" \
  && ok "revoke EUM-R by serial: CRL with 2 entries" || bad "revoke serial: $r"
r=$("$BIN" ci crl --dir "$P" --json 2>&1)
[ "$(jq -r '.status + " " + ([.revoked[].serial]|join(","))' <<<"$r")" = "valid $S2,$(printf %02X "$SR")" ] \
  && ok "ci crl: valid, lists both serials" || bad "crl: $r"
openssl crl -inform DER -in "$P/ci.crl" -CAfile "$P/ci.crt.pem" -noout 2>&1 | grep -q "verify OK" \
  && ok "openssl crl -CAfile verifies our CRL" || bad "openssl: $(openssl crl -inform DER -in "$P/ci.crl" -CAfile "$P/ci.crt.pem" -noout 2>&1)"
openssl crl -inform DER -in "$P/ci.crl" -noout -text 2>/dev/null | grep -q "Serial Number: $S2" \
  && ok "openssl reads DP2's serial" || bad "openssl text"
n1=$(jq -r .number <<<"$r")
r=$("$BIN" ci crl --dir "$P" --refresh --days 2 --out "$tmp/exp.pem" --pem --json 2>&1)
[ "$(jq -r .number <<<"$r")" = $((n1 + 1)) ] && head -1 "$tmp/exp.pem" | grep -q "BEGIN X509 CRL" \
  && openssl crl -in "$tmp/exp.pem" -CAfile "$P/ci.crt.pem" -noout 2>&1 | grep -q "verify OK" \
  && ok "refresh: new number, PEM export verifies" || bad "refresh: $r"
"$BIN" ci crl --dir "$tmp/pki2" >/dev/null 2>&1
"$BIN" ci crl --dir "$P" --in "$tmp/pki2/ci.crl" >"$tmp/o" 2>&1; [ $? = 1 ] && grep -q "not signed by the CI" "$tmp/o" \
  && ok "another CI's CRL: forged, exit 1" || bad "forged: $(cat "$tmp/o")"
head -c 100 "$P/ci.crl" >"$tmp/trunc.crl"
"$BIN" ci crl --dir "$P" --in "$tmp/trunc.crl" >/dev/null 2>&1; [ $? = 2 ] && ok "truncated CRL: 2" || bad "truncated"
printf 'not a crl' >"$tmp/junk.crl"
"$BIN" ci crl --dir "$P" --in "$tmp/junk.crl" >/dev/null 2>&1; [ $? = 2 ] && ok "garbage CRL: 2" || bad "garbage"

# ---- the card and the SM-SR, as daemons ----
cp "$P/ci.crl" "$tmp/smsr.crl"
DB="sqlite:$tmp/smsr.db"
"$BIN" smsr import --db "$DB" --keys "$tmp/keys.jsonl" "$tmp"/fleet/eis/*.json >"$tmp/imp" 2>&1 || bad "import"
"$BIN" smsr run --db "$DB" --smsc 127.0.0.1:1 --msisdn $SMSR --listen 127.0.0.1:0 --tls-cert "$tmp/sr/tls.crt.pem" \
  --tls-key "$tmp/sr/key.pem" --tls-ca "$tmp/sr/ca.crt.pem" --ci "$P" --transport-key $TK --crl "$tmp/junk.crl" >"$tmp/o" 2>&1
[ $? = 2 ] && grep -q "junk.crl" "$tmp/o" && ok "smsr run with a malformed --crl: not started (2)" || bad "bad crl start: $(cat "$tmp/o")"
start_smsc
"$BIN" smsr run --db "$DB" --smsc 127.0.0.1:$SP --msisdn $SMSR --worker w1 --tick-ms 100 --por-wait 2 \
  --listen 127.0.0.1:0 --port-file "$tmp/es.port" --tls-cert "$tmp/sr/tls.crt.pem" --tls-key "$tmp/sr/key.pem" \
  --tls-ca "$tmp/sr/ca.crt.pem" --smdp-ids DP1,DP2 --ci "$P" --transport-key $TK --crl "$tmp/smsr.crl" >"$tmp/smsr.log" 2>&1 &
pids+=($!)
for i in $(seq 200); do grep -q "bound system_id=smsr" "$tmp/smsc.log" && [ -s "$tmp/es.port" ] && break; sleep 0.1; done
EP=$(tr -d '\n' <"$tmp/es.port")
"$BIN" euicc run --fleet "$tmp/fleet" --smsc 127.0.0.1:$SP --control "$tmp/ctl.sock" --tick-ms 50 >"$tmp/run.log" 2>&1 &
pids+=($!)
wait_fleet "$tmp/ctl.sock" "$tmp/run.log"
# the CRL reaches the running card through its fleet folder (re-read when the file changes)
cp "$P/ci.crl" "$tmp/fleet/ci.crl.tmp" && mv "$tmp/fleet/ci.crl.tmp" "$tmp/fleet/ci.crl"

ICC=89445010000000000149
dp() { # FOLDER ARGS...: an SM-DP's ES3 client
  local f=$1; shift
  "$BIN" smdp es3 --smsr "https://127.0.0.1:$EP" --tls-cert "$tmp/$f/tls.crt.pem" --tls-key "$tmp/$f/key.pem" \
    --tls-ca "$tmp/$f/ca.crt.pem" --eid $E0 "$@"
}
ECASD=$(jq -r '.eis.eumSignedInfo.ecasd.keySets[0].certificates[0]' "$tmp/fleet/eis/$E0.json")
# DP2's TLS certificate still opens ES3 (the SM-SR checks no CRL at TLS): its own ISD-P, then the card
r=$(dp dp2 --iccid $ICC --operator MNO1 --memory 70000 create-isdp 2>&1) || bad "create-isdp DP2: $r"
r=$(dp dp2 --iccid $ICC --dp-key "$tmp/dp2/key.pem" --dp-cert "$tmp/dp2/gpcert" --ecasd-cert "$ECASD" keyest 2>&1); rc=$?
[ $rc = 1 ] && echo "$r" | grep -q "6982" && ok "revoked SM-DP: the card refuses its certificate at key establishment (6982)" \
  || bad "revoked DP2 ($rc): $r"
r=$(dp dp2 --iccid $ICC delete-isdp 2>&1) || bad "delete-isdp DP2: $r"
r=$(dp dp1 --iccid $ICC --operator MNO1 --memory 70000 create-isdp 2>&1) || bad "create-isdp DP1: $r"
r=$(dp dp1 --iccid $ICC --dp-key "$tmp/dp1/key.pem" --dp-cert "$tmp/dp1/gpcert" --ecasd-cert "$ECASD" keyest 2>&1) \
  && ok "good SM-DP: key establishment completes, receipt verified" || bad "DP1 keyest: $r"

# ES1.RegisterEIS: a card of the revoked EUM-R, then one of EUM-T (not revoked)
mk() { # EUM OUT EID ICCID MSISDN
  "$BIN" eum make --ci "$P" --eum "$tmp/$1" --profile "$PKG" --smsr-id SMSR-T --count 1 --out "$tmp/$2" --keys-out "$tmp/$2.jsonl" \
    --transport-key $TK --msisdn-start "$5" --smsr-msisdn $SMSR --eid-start "$3" --iccid-start "$4" >/dev/null 2>&1 || bad "eum make $2"
}
mk eumr flr 890490320000000000000000000700 89445000000000007006 447700900710
mk eum flt 890490320000000000000000000800 89445000000000008004 447700900720
es1() { # EUM-FOLDER EIS-FILE
  curl -s --max-time 30 --cacert "$tmp/sr/ca.crt.pem" --cert "$tmp/$1/tls.crt.pem" --key "$tmp/$1/key.pem" \
    -H 'Content-Type: application/json' -H 'Prefer: wait' "https://127.0.0.1:$EP/es1/RegisterEIS" --data-binary @"$2"
}
codes() { jq -r '[.functionExecutionStatus.statusCodeData.subjectCode, .functionExecutionStatus.statusCodeData.reasonCode] | join("/")' <<<"$1" 2>/dev/null; }
JR=$(ls "$tmp"/flr/eis/*.json) JT=$(ls "$tmp"/flt/eis/*.json)
r=$(es1 eumr "$JR"); [ "$(codes "$r")" = 8.1/6.1 ] && echo "$r" | grep -q revoked \
  && ok "ES1.RegisterEIS of a revoked EUM: 8.1/6.1" || bad "revoked EUM: $r"
r=$("$BIN" smsr submit --db "$DB" --json --fn ES4.EnableProfile --eid "$(basename "$JR" .json)" --iccid 89445000000000007006 \
  --requester MNO1 --fcid q1 2>&1)
echo "$r" | grep -q '"8.1.1"' && ok "the revoked EUM's EIS was not stored" || bad "stored: $r"
r=$(es1 eum "$JT"); echo "$r" | grep -q EXECUTED_SUCCESS && ok "ES1.RegisterEIS of a good EUM: stored" || bad "good EUM: $r"
# a forged CRL (another CI's) in place of the SM-SR's: picked up without a restart, every EIS refused
cp "$tmp/pki2/ci.crl" "$tmp/smsr.crl.tmp" && mv "$tmp/smsr.crl.tmp" "$tmp/smsr.crl"
r=$(es1 eum "$JT"); [ "$(codes "$r")" = 8.7/3.7 ] && ok "forged CRL on the SM-SR: ES1 refused 8.7/3.7" || bad "forged CRL: $r"

# the SM-DP's admission (GetEIS, then the chain CERT.ECASD -> EUM -> CI): EUM-T revoked on its --crl
D=$tmp/dp
"$BIN" smdp import package --dir "$D" --operator MNO1 --type ts48 "$PKG" >/dev/null 2>&1 &&
  "$BIN" smdp import generate --dir "$D" --operator MNO1 --type ts48 --count 1 --iccid-prefix 8999003 >/dev/null 2>&1 \
  || bad "smdp inventory"
"$BIN" ci revoke --dir "$P" --cert "$tmp/eum" --reason superseded >/dev/null && cp "$P/ci.crl" "$tmp/dp.crl"
r=$("$BIN" smdp download --dir "$D" --smsr "https://127.0.0.1:$EP" --ci "$P" --dp "$tmp/dp1" --eum "$tmp/eum" \
  --eis-dir "$tmp/fleet/eis" --crl "$tmp/dp.crl" --operator MNO1 --type ts48 --eid $E0 2>&1); rc=$?
[ $rc = 1 ] && echo "$r" | grep -q "revoked (superseded)" && ok "SM-DP admission of a revoked EUM's card: refused" \
  || bad "SM-DP admission ($rc): $r"

[ $fail = 0 ] || { echo "--- smsr.log"; tail -20 "$tmp/smsr.log"; echo "--- run.log"; tail -20 "$tmp/run.log"; }
exit $fail
