#!/usr/bin/env bash
# The SM-DP's ES3 client (lib/smdp/es3_client.c, through `rsp smdp es3`) against separate processes:
# rsp smsc, rsp euicc run (1 card), rsp smsr run --listen --smdp-ids DP1. Over HTTPS mTLS, JSON,
# Prefer: wait: CreateISDP returns the ISD-P the card installed; GetEIS lists it; SendData of an ES8
# STORE DATA finds the ISD-P's AID itself and comes back with the card's verdict; ES8 key
# establishment through SendData completes with the card's receipt verified; a wrong CA is
# refused at TLS; DeleteISDP removes the ISD-P from the card (`rsp euicc show` once the fleet stops).
# Not yet: a whole download through rsp smsr (docs/modules/smdp.md "ES3 client").
. "$(dirname "$0")/daemons.sh"

SMSR=447700100997
make_fleet 1 447700900500 $SMSR
E0=$(ls "$tmp/fleet/eis" | sed -n 's/\.json$//p' | head -1)
DB="sqlite:$tmp/smsr.db"
"$BIN" smsr import --db "$DB" --keys "$tmp/keys.jsonl" "$tmp"/fleet/eis/*.json >"$tmp/imp" 2>&1 || bad "import"
"$BIN" ci issue --dir "$tmp/pki" --role smsr --id SMSR-T --out "$tmp/sr" >/dev/null &&
  "$BIN" ci issue --dir "$tmp/pki" --role smdp --id DP1 --out "$tmp/dp1" >/dev/null || bad "certificates"
"$BIN" ci init --dir "$tmp/pki2" >/dev/null && "$BIN" ci issue --dir "$tmp/pki2" --role smdp --id DP1 --out "$tmp/x" >/dev/null

"$BIN" smdp es3 --smsr https://127.0.0.1:1 get-eis >/dev/null 2>&1; [ $? = 2 ] && ok "es3 usage error: 2" || bad "usage"

start_smsc
"$BIN" smsr run --db "$DB" --smsc 127.0.0.1:$SP --msisdn $SMSR --worker w1 --tick-ms 100 --por-wait 2 \
  --listen 127.0.0.1:0 --port-file "$tmp/es.port" --tls-cert "$tmp/sr/tls.crt.pem" --tls-key "$tmp/sr/key.pem" \
  --tls-ca "$tmp/sr/ca.crt.pem" --smdp-ids DP1 >"$tmp/smsr.log" 2>&1 &
SMSR_PID=$!; pids+=($SMSR_PID)
for i in $(seq 200); do grep -q "bound system_id=smsr" "$tmp/smsc.log" && [ -s "$tmp/es.port" ] && break; sleep 0.1; done
URL=https://127.0.0.1:$(tr -d '\n' <"$tmp/es.port")
"$BIN" euicc run --fleet "$tmp/fleet" --smsc 127.0.0.1:$SP --control "$tmp/ctl.sock" --tick-ms 50 >"$tmp/run.log" 2>&1 &
RUN_PID=$!; pids+=($RUN_PID)
wait_fleet "$tmp/ctl.sock" "$tmp/run.log"

ICC=89445010000000000149
dp() { "$BIN" smdp es3 --smsr "$URL" --tls-cert "$tmp/dp1/tls.crt.pem" --tls-key "$tmp/dp1/key.pem" \
  --tls-ca "$tmp/dp1/ca.crt.pem" --eid $E0 "$@"; }
r=$(dp --iccid $ICC --operator MNO1 --memory 70000 create-isdp 2>&1) && ok "ES3.CreateISDP through the client" || bad "create: $r"
r=$(dp --json get-eis 2>&1)
AID=$(echo "$r" | jq -r ".profiles[] | select(.iccid == \"$ICC\") | .isdp_aid" 2>/dev/null)
case $AID in A0000005591010FFFFFFFF89*00) ok "ES3.GetEIS lists the new ISD-P $AID";; *) bad "GetEIS: $r";; esac
# the card answers the malformed CERT.DP of key establishment with 6A80, after INSTALL [for
# personalization] of the ISD-P (found by the client from the EIS: a fresh process)
r=$(dp --iccid $ICC send-data 80E29100063A01037F2100 2>&1); rc=$?
[ $rc = 1 ] && echo "$r" | grep -q "command 2 of 2: SW 6A80" && ok "ES3.SendData: ES8 STORE DATA judged by the card" \
  || bad "send-data ($rc): $r"
# ES8 key establishment (Scenario#3) with the new ISD-P, both payloads by ES3.SendData through the
# SM-SR and the card's ISD-R by SMS: the card's receipt verifies under the keys agreed (a fact the
# SM-DP computes from CERT.ECASD, which comes from the EUM's EIS, not from the SM-SR)
ECASD=$(jq -r '.eis.eumSignedInfo.ecasd.keySets[0].certificates[0]' "$tmp/fleet/eis/$E0.json")
r=$(dp --iccid $ICC --dp-key "$tmp/dp1/key.pem" --dp-cert "$tmp/dp1/gpcert" --ecasd-cert "$ECASD" keyest 2>&1) \
  && ok "ES8 key establishment over ES3.SendData: receipt verified" || bad "keyest: $r"
r=$("$BIN" smdp es3 --smsr "$URL" --tls-cert "$tmp/x/tls.crt.pem" --tls-key "$tmp/x/key.pem" --tls-ca "$tmp/x/ca.crt.pem" \
  --eid $E0 get-eis 2>&1); rc=$?; [ $rc = 1 ] && ok "a client of another CA: refused" || bad "other CA ($rc): $r"
r=$(dp --iccid $ICC delete-isdp 2>&1) && ok "ES3.DeleteISDP through the client" || bad "delete: $r"
r=$(dp --json get-eis 2>&1)
echo "$r" | grep -q "$ICC" && bad "still in the EIS: $r" || ok "ES3.GetEIS after DeleteISDP: gone"

kill -TERM $RUN_PID; for i in $(seq 50); do kill -0 $RUN_PID 2>/dev/null || break; sleep 0.1; done
r=$("$BIN" euicc show --fleet "$tmp/fleet" --eid $E0 2>&1)
echo "$r" | grep -q "profiles (1)" && ! echo "$r" | grep -q "${AID:-none}" && ok "euicc show: the ISD-P is gone from the card" \
  || bad "show: $r"
kill -TERM $SMSR_PID; for i in $(seq 50); do kill -0 $SMSR_PID 2>/dev/null || break; sleep 0.1; done
[ $fail = 0 ] || { echo "--- smsr.log"; tail -30 "$tmp/smsr.log"; }
exit $fail
