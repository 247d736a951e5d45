#!/usr/bin/env bash
# The SM-DP's own SCP03 session and the notification relay, with every party a process (rsp smsc,
# rsp euicc run, rsp smsr run --admin-listen --callbacks DP1=..., rsp smdp run --token-key --callbacks
# MNO1=..., the Operator's HTTPS mTLS receiver tests/cli/outbox_receiver.py):
# - ES2.DownloadProfile(enable): installed; the ISD-P's keys kept sealed at rest (no key in clear in the
#   file), the master delete token key put by PUT KEY in the SM-DP's SCP03 session;
# - HandleProfileDownloadedNotification to the Operator once the download ends installed;
# - the card's enable notification goes SM-SR -> ES3 -> SM-DP -> ES2 -> Operator: received once, SOAP 1.2,
#   its action ES2-HandleProfileEnabledNotification, posted by the SM-DP (client CN DP1);
# - HandleSMSRChangeNotification injected as the SM-SR: relayed to the Operator with a profile on that eUICC;
# - ES3 notifications from an Operator's certificate (1.1/1.2) or for a profile this SM-DP does not know
#   (8.2.1/3.9) are refused;
# - ES2.UpdateConnectivityParameters: the SM-DP's STORE DATA 3A07 (SGP02.md's SMSC example
#   06 07 91 3386994211F1, and our A1{81 MSISDN}) inside its SCP03 session, through ES3: the card's
#   profile shows the new MSISDN (`rsp euicc show`); another Operator's call refused 8.2.1/3.9, a body
#   that is not an A0 TLV 1.1/2.1.
. "$(dirname "$0")/daemons.sh"
SRC=${RSP_SOURCE_DIR:?}

SMSR=447700100995
make_fleet 1 447700900750 $SMSR
E0=$(ls "$tmp/fleet/eis" | sed -n 's/\.json$//p' | head -1)
smsr_world 7 "smsr SMSR-T sr" "smdp DP1 dp1" "operator MNO1 mno1" "operator MNO2 mno2"
smdp_pool ts48 "$PKG" 2 8999004

# the Operator's callback receiver
python3 "$SRC/tests/cli/outbox_receiver.py" --port 0 --cert "$tmp/mno1/tls.crt.pem" --key "$tmp/mno1/key.pem" \
  --ca "$tmp/mno1/ca.crt.pem" --log "$tmp/cb.log" >"$tmp/cb.port" 2>"$tmp/cb.err" &
pids+=($!)
DPP=$(port)
start_smsc
"$BIN" smsr run --db "$DB" --master-key "$tmp/mk" --smsc 127.0.0.1:$SP --msisdn $SMSR --worker w1 --tick-ms 100 \
  --por-wait 2 --listen 127.0.0.1:0 --port-file "$tmp/es.port" --tls-cert "$tmp/sr/tls.crt.pem" \
  --tls-key "$tmp/sr/key.pem" --tls-ca "$tmp/sr/ca.crt.pem" --smdp-ids DP1 --callbacks "DP1=https://127.0.0.1:$DPP/es3" \
  --admin-listen 127.0.0.1:0 --admin-port-file "$tmp/admin.port" --admin-idle-ms 500 >"$tmp/smsr.log" 2>&1 &
pids+=($!)
for i in $(seq 200); do grep -q "bound system_id=smsr" "$tmp/smsc.log" && [ -s "$tmp/es.port" ] && break; sleep 0.1; done
URL=https://127.0.0.1:$(tr -d '\n' <"$tmp/es.port")
"$BIN" euicc run --fleet "$tmp/fleet" --smsc 127.0.0.1:$SP --control "$tmp/ctl.sock" --tick-ms 50 >"$tmp/run.log" 2>&1 &
RUN_PID=$!; pids+=($RUN_PID)
wait_fleet "$tmp/ctl.sock" "$tmp/run.log"
for i in $(seq 100); do [ -s "$tmp/cb.port" ] && break; sleep 0.1; done
CB=https://127.0.0.1:$(head -1 "$tmp/cb.port" | tr -d '\n')/es2cb
start_dp() {
  rm -f "$tmp/dp.port"
  "$BIN" smdp run --dir "$D" --listen 127.0.0.1:$DPP --port-file "$tmp/dp.port" --smsr "$URL" --ci "$tmp/pki" \
    --dp "$tmp/dp1" --eum "$tmp/eum" --eis-dir "$tmp/fleet/eis" --workers 2 --operators MNO1,MNO2 --token-key \
    --callbacks "MNO1=$CB" --smsr-ids SMSR-T >>"$tmp/smdp.log" 2>&1 &
  DP_PID=$!; pids+=($DP_PID)
  t=$((SECONDS + 30)); while [ $SECONDS -lt $t ] && [ ! -s "$tmp/dp.port" ]; do sleep 0.1; done
}
start_dp
[ -s "$tmp/dp.port" ] && ok "rsp smdp run listening on $DPP" || { bad "smdp did not start: $(tail -5 "$tmp/smdp.log")"; exit 1; }
DPURL=https://127.0.0.1:$DPP
call() { # call CERTDIR PATH JSON
  curl -sS --max-time 120 --cert "$tmp/$1/tls.crt.pem" --key "$tmp/$1/key.pem" --cacert "$tmp/$1/ca.crt.pem" \
    -H 'Content-Type: application/json' -H 'Prefer: wait' -d "$3" "$DPURL/$2"; }
st() { jq -r '.functionExecutionStatus | .status + " " + (.statusCodeData.subjectCode // "") + "/" + (.statusCodeData.reasonCode // "")' 2>/dev/null; }

r=$(call mno1 es2/DownloadProfile "{\"functionCallIdentifier\":\"u1\",\"eid\":\"$E0\",\"smsrId\":\"SMSR-T\",\"profileType\":\"ts48\",\"enableProfile\":true}")
ICC=$(echo "$r" | jq -r '.iccid // empty' 2>/dev/null)
[ "$(echo "$r" | st)" = "EXECUTED_SUCCESS /" ] && [ -n "$ICC" ] && ok "DownloadProfile(enable): installed $ICC" \
  || { bad "download: $r"; tail -20 "$tmp/smdp.log"; exit 1; }
# sealed in the profile's inventory row (store v13), no key file of its own
KR=$(sqlite3 "$D/smdp.db" "select length(isdp_keys) || '.' || hex(substr(isdp_keys, 1, 2)) from inv where iccid='$ICC'" 2>/dev/null)
[ "$KR" = 114.4B44 ] && [ ! -e "$D/isdp/$ICC.key" ] && grep -q "token key put iccid=$ICC" "$tmp/smdp.log" \
  && ok "the ISD-P's keys kept sealed in the inventory row ($KR), the token key put in the SCP03 session" \
  || bad "sealed keys '$KR' / token: $(ls -l "$D/isdp" 2>&1) $(grep -i token "$tmp/smdp.log")"
# the relay: SM-SR (card notification 02) -> ES3 -> SM-DP -> ES2 -> the Operator's receiver, once
t=$((SECONDS + 40)); while [ $SECONDS -lt $t ] && ! grep -q "HandleProfileEnabledNotification" "$tmp/cb.log" 2>/dev/null; do sleep 0.2; done
sleep 2
n=$(grep -c "HandleProfileEnabledNotification" "$tmp/cb.log" 2>/dev/null)
line=$(grep "HandleProfileEnabledNotification" "$tmp/cb.log" | head -1)
[ "$n" = 1 ] && echo "$line" | grep -q "$ICC" && echo "$line" | jq -e '.cn == "DP1"' >/dev/null 2>&1 &&
  echo "$line" | grep -q 'ES2-HandleProfileEnabledNotification' \
  && ok "the enabled notification reached the Operator once, relayed by the SM-DP over ES2" \
  || bad "notification ($n): $(cat "$tmp/cb.log" 2>/dev/null | head -3) // $(grep -i notif "$tmp/smsr.log" "$tmp/smdp.log" | tail -5)"
line=$(grep "HandleProfileDownloadedNotification" "$tmp/cb.log")
[ "$(echo "$line" | grep -c .)" = 1 ] && echo "$line" | grep -q "<Iccid>$ICC</Iccid>" && echo "$line" | grep -q "<ProfileType>ts48</ProfileType>" \
  && ok "HandleProfileDownloadedNotification sent to the Operator once (ICCID, ProfileType)" || bad "downloaded notification: $line"
nt() { echo "{\"functionCallIdentifier\":\"$1\",\"eid\":\"$E0\",\"iccid\":\"$2\",\"completionTimestamp\":\"2026-01-01T00:00:00Z\"}"; }
code=$(curl -sS --max-time 20 -o "$tmp/n1" -w '%{http_code}' --cert "$tmp/mno1/tls.crt.pem" --key "$tmp/mno1/key.pem" --cacert "$tmp/mno1/ca.crt.pem" \
  -H 'Content-Type: application/json' -d "$(nt x1 "$ICC")" "$DPURL/es3/HandleProfileEnabledNotification")
code2=$(curl -sS --max-time 20 -o "$tmp/n2" -w '%{http_code}' --cert "$tmp/sr/tls.crt.pem" --key "$tmp/sr/key.pem" --cacert "$tmp/sr/ca.crt.pem" \
  -H 'Content-Type: application/json' -d "$(nt x2 89990040000000099996)" "$DPURL/es3/HandleProfileEnabledNotification")
sleep 1
n=$(grep -c "HandleProfileEnabledNotification" "$tmp/cb.log" 2>/dev/null)
[ "$code" -ge 400 ] && grep -q 'ES3 notification refused.*peer=MNO1' "$tmp/smdp.log" && [ "$code2" = 202 ] &&
  grep -q 'ES3 notification refused.*iccid=89990040000000099996' "$tmp/smdp.log" && [ "$n" = 1 ] \
  && ok "ES3 notifications refused: from an Operator (HTTP $code), of an unknown profile (acknowledged, dropped); nothing relayed" \
  || bad "refusals: $code $(cat "$tmp/n1") // $code2 $(cat "$tmp/n2") // $n"

# HandleSMSRChangeNotification injected at the SM-DP's ES3 endpoint as the SM-SR (its EIS from the relayed
# GetEIS, plus a profile of another Operator): relayed once to MNO1, whose profile is on the card, with the
# EIS cut down to MNO1's profiles; one for an eUICC with no profile of this SM-DP is acknowledged, dropped
eis=$(call mno1 es2/GetEIS "{\"functionCallIdentifier\":\"g9\",\"eid\":\"$E0\",\"smsrId\":\"SMSR-T\"}" | jq -c '.eis // empty')
scn() { # scn FCID EID [EIS-JSON]
  jq -cn --arg f "$1" --arg e "$2" --argjson eis "${3:-null}" '{functionCallIdentifier:$f, eid:$e, smsrId:"SMSR-NEW",
    completionTimestamp:"2026-01-02T00:00:00Z"} + (if $eis then {eis: ($eis | .profiles += [(.profiles[0] |
    .iccid = "89990040000000099996" | .mnoId = "MNO9")])} else {} end)'; }
sc() { curl -sS --max-time 20 -o /dev/null -w '%{http_code}' --cert "$tmp/sr/tls.crt.pem" --key "$tmp/sr/key.pem" \
  --cacert "$tmp/sr/ca.crt.pem" -H 'Content-Type: application/json' -d "$1" "$DPURL/es3/HandleSMSRChangeNotification"; }
c1=$(sc "$(scn sc1 "$E0" "$eis")"); c1b=$(sc "$(scn sc1 "$E0" "$eis")")
c2=$(sc "$(scn sc2 89049032123451234512345678901235)")
t=$((SECONDS + 20)); while [ $SECONDS -lt $t ] && ! grep -q "HandleSMSRChangeNotification" "$tmp/cb.log" 2>/dev/null; do sleep 0.2; done
sleep 1   # a second (wrong) relay would arrive with the first: the outbox sends both at once
line=$(grep "HandleSMSRChangeNotification" "$tmp/cb.log")
[ -n "$eis" ] && [ "$c1" = 202 ] && [ "$c1b" = 202 ] && [ "$c2" = 202 ] && [ "$(echo "$line" | grep -c .)" = 1 ] &&
  echo "$line" | grep -q 'ES2-HandleSMSRChangeNotification' && echo "$line" | grep -q "<Smsr-Id>SMSR-NEW</Smsr-Id>" &&
  echo "$line" | grep -q "<Iccid>$ICC</Iccid>" && ! echo "$line" | grep -q "89990040000000099996" &&
  grep -q 'ES3 notification refused.*HandleSMSRChangeNotification eid=89049032123451234512345678901235' "$tmp/smdp.log" \
  && ok "HandleSMSRChangeNotification relayed SM-SR -> SM-DP -> MNO1 once (resend de-duplicated), EIS cut to MNO1's profile; unknown eUICC dropped" \
  || bad "SMSR change: eis=${eis:0:60} codes $c1 $c1b $c2 // $(echo "$line" | head -c 600) // $(grep -i smsrchange "$tmp/smdp.log" | tail -3)"

# ES2.UpdateConnectivityParameters: 3A07 in the SM-DP's SCP03 session with the ISD-P
ucp() { echo "{\"functionCallIdentifier\":\"$1\",\"eid\":\"$E0\",\"smsrId\":\"SMSR-T\",\"iccid\":\"$ICC\",\"connectivityParameters\":\"$2\"}"; }
r=$(call mno2 es2/UpdateConnectivityParameters "$(ucp c0 A0090607913386994211F1)" | st)
[ "$r" = "FAILED 8.2.1/3.9" ] && ok "UpdateConnectivityParameters by another Operator: 8.2.1/3.9" || bad "MNO2 UCP: $r"
r=$(call mno1 es2/UpdateConnectivityParameters "$(ucp c1 A3038101FF)" | st)
[ "$r" = "FAILED 1.1/2.1" ] && ok "UpdateConnectivityParameters that is not an A0 TLV: 1.1/2.1" || bad "A3 UCP: $r"
# (A0 only: an A1{81 MSISDN} would move the card's address away from the one the SM-SR knows)
r=$(call mno1 es2/UpdateConnectivityParameters "$(ucp c2 A0090607913386994211F1)")
[ "$(echo "$r" | st)" = "EXECUTED_SUCCESS /" ] && ok "UpdateConnectivityParameters executed through ES3" \
  || bad "UCP: $r // $(grep -i "UpdateConn\|ES3 call failed" "$tmp/smdp.log" | tail -3)"

kill -TERM $DP_PID; wait $DP_PID; rc=$?
[ $rc = 0 ] && ok "SIGTERM: exit 0" || bad "SIGTERM exit $rc"
kill -TERM $RUN_PID; for i in $(seq 50); do kill -0 $RUN_PID 2>/dev/null || break; sleep 0.1; done
s=$("$BIN" euicc show --fleet "$tmp/fleet" --eid "$E0" --json 2>&1)
# `rsp euicc show` has no SMSC field: the card's state row (lib/euicc/nvm.c) keeps the A0 content as sent
FDB=$(ls "$tmp"/fleet/*.db 2>/dev/null | head -1)
blob=$(sqlite3 "$FDB" "select hex(state) from card where eid='$E0'" 2>/dev/null)
echo "$s" | jq -e --arg i "$ICC" '.profiles[] | select(.iccid == $i) | .scp03_keys' >/dev/null 2>&1 &&
  echo "$blob" | grep -q 0607913386994211F1 \
  && ok "the card's profile holds the SMSC of SGP02.md's example (06 07 91 3386994211F1)" || bad "card: $s // ${blob:0:80}"
[ $fail = 0 ] || { echo "--- smdp.log"; tail -30 "$tmp/smdp.log"; echo "--- smsr.log"; tail -20 "$tmp/smsr.log"; }
exit $fail
