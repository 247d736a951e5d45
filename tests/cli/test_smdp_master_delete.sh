#!/usr/bin/env bash
# Master delete end to end, every party a process (rsp smsc, rsp euicc run, rsp smsr run --admin-listen,
# rsp smdp run --token-key): a TS.48 package given POL1 "deletion not allowed" (ProfileHeader pol = 02,
# inserted by this test into the GSMA's DER), downloaded (not enabled) with the token key put after
# ProfileDownloadCompleted; ES2.DeleteProfile: the card refuses the SM-SR's DeleteISDP (POL1), the SM-DP
# then deletes the ISD-P with its token (ES3.SendData to the ISD-R) and audits: the Operator gets
# Executed, the card no longer holds the profile, the identity is spent and the sealed keys are
# forgotten; the audit drops the ISD-P from the SM-SR's store too (lib/smsr/audit.c: the card's GET
# STATUS no longer lists it), whose HandleProfileDeletedNotification goes SM-SR -> ES3 -> SM-DP -> ES2
# -> the Operator's receiver (tests/cli/outbox_receiver.py). Then a TS.48 profile through the SM-DP's
# inventory states: downloaded with enable (enabled), disabled by the Operator at the SM-SR over ES4
# (the SM-SR's ES3 HandleProfileDisabledNotification makes it disabled at the SM-DP, relayed on to the
# Operator), enabled, disabled and deleted through ES2 relays (their results). Outside fact: where POL1 sits in the package, SAIP.md's ProfileHeader `84` pol after `83`
# iccid. Its bit values (02 = deletion not allowed) are the card model's: ../shared/spec is silent.
. "$(dirname "$0")/daemons.sh"
SRC=${RSP_SOURCE_DIR:?}

SMSR=447700100997
make_fleet 1 447700900770 $SMSR
E0=$(ls "$tmp/fleet/eis" | sed -n 's/\.json$//p' | head -1)
smsr_world 9

# the package with POL1 = 02: the header PE (A0) gets pol [4] (84 01 02) right after its iccid [3] (83)
python3 "$SRC/tests/cli/pol1_package.py" "$PKG" "$tmp/pol1.der" 02 || bad "POL1 package"
"$BIN" saip dump "$tmp/pol1.der" >"$tmp/dump" 2>&1 || bad "the POL1 package does not parse: $(head -3 "$tmp/dump")"
smdp_pool pol1 "$tmp/pol1.der" 1 8999006
"$BIN" smdp import package --dir "$D" --operator MNO1 --type ts48 "$PKG" >/dev/null 2>&1 &&
  "$BIN" smdp import generate --dir "$D" --operator MNO1 --type ts48 --count 1 --iccid-prefix 8999007 >/dev/null 2>&1 \
  || bad "ts48 pool"

DPP=$(port)
python3 "$SRC/tests/cli/outbox_receiver.py" --port 0 --cert "$tmp/mno1/tls.crt.pem" --key "$tmp/mno1/key.pem" \
  --ca "$tmp/mno1/ca.crt.pem" --log "$tmp/cb.log" >"$tmp/cb.port" 2>"$tmp/cb.err" &
pids+=($!)
for i in $(seq 100); do [ -s "$tmp/cb.port" ] && break; sleep 0.1; done
CB=https://127.0.0.1:$(head -1 "$tmp/cb.port" | tr -d '\n')/es2cb
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
"$BIN" smdp run --dir "$D" --listen 127.0.0.1:$DPP --port-file "$tmp/dp.port" --smsr "$URL" --ci "$tmp/pki" \
  --dp "$tmp/dp1" --eum "$tmp/eum" --eis-dir "$tmp/fleet/eis" --workers 2 --operators MNO1 --token-key \
  --smsr-ids SMSR-T --callbacks "MNO1=$CB" >"$tmp/smdp.log" 2>&1 &
DP_PID=$!; pids+=($DP_PID)
t=$((SECONDS + 30)); while [ $SECONDS -lt $t ] && [ ! -s "$tmp/dp.port" ]; do sleep 0.1; done
[ -s "$tmp/dp.port" ] || { bad "smdp did not start: $(tail -5 "$tmp/smdp.log")"; exit 1; }
call() { # call PATH JSON
  curl -sS --max-time 120 --cert "$tmp/mno1/tls.crt.pem" --key "$tmp/mno1/key.pem" --cacert "$tmp/mno1/ca.crt.pem" \
    -H 'Content-Type: application/json' -H 'Prefer: wait' -d "$2" "https://127.0.0.1:$DPP/$1"; }
st() { jq -r '.functionExecutionStatus | .status + " " + (.statusCodeData.subjectCode // "") + "/" + (.statusCodeData.reasonCode // "")' 2>/dev/null; }
isdps() { sqlite3 "$tmp/smsr.db" "select iccid from profile where eid='$E0'" 2>/dev/null; }

r=$(call es2/DownloadProfile "{\"functionCallIdentifier\":\"m1\",\"eid\":\"$E0\",\"smsrId\":\"SMSR-T\",\"profileType\":\"pol1\",\"enableProfile\":false}")
ICC=$(echo "$r" | jq -r '.iccid // empty' 2>/dev/null)
[ "$(echo "$r" | st)" = "EXECUTED_SUCCESS /" ] && [ -n "$ICC" ] && grep -q "token key put iccid=$ICC" "$tmp/smdp.log" \
  && isdps | grep -q "$ICC" && ok "POL1 package downloaded: $ICC, the token key put" \
  || { bad "download: $r // $(grep -i "token\|fail" "$tmp/smdp.log" | tail -3)"; exit 1; }
r=$(call es2/DeleteProfile "{\"functionCallIdentifier\":\"d1\",\"eid\":\"$E0\",\"smsrId\":\"SMSR-T\",\"iccid\":\"$ICC\"}")
[ "$(echo "$r" | st)" = "EXECUTED_SUCCESS /" ] && grep -q "master delete done eid=$E0 iccid=$ICC" "$tmp/smdp.log" \
  && ok "ES2.DeleteProfile: DeleteISDP refused by the card's POL1, the SM-DP's master delete executed it" \
  || bad "delete: $r // $(grep -i "master\|DeleteISDP\|69E1" "$tmp/smdp.log" "$tmp/smsr.log" | tail -4)"
[ "$("$BIN" smdp inventory --dir "$D" --json | jq -c '.pools[0].states | [.installed, .deleted]')" = "[0,1]" ] &&
  [ ! -e "$D/isdp/$ICC.key" ] && [ "$(sqlite3 "$D/smdp.db" "select quote(isdp_keys) from inv where iccid='$ICC'")" = NULL ] \
  && ok "identity spent, sealed keys forgotten (inv.isdp_keys NULL)" \
  || bad "after delete: $("$BIN" smdp inventory --dir "$D" 2>&1) // $(ls "$D/isdp" 2>&1)"
# the SM-DP's AuditEIS after the master delete: the card's GET STATUS no longer lists the ISD-P, so the
# SM-SR drops it, and its deleted notification reaches the Operator through the SM-DP
t=$((SECONDS + 30)); while [ $SECONDS -lt $t ] && isdps | grep -q "$ICC"; do sleep 0.2; done
grep -q "AuditEIS: ISD-P gone from the card eid=$E0 iccid=$ICC" "$tmp/smsr.log" && ! isdps | grep -q "$ICC" \
  && ok "the SM-SR's audit after the master delete dropped $ICC from its store" \
  || bad "SM-SR store after the audit: $(isdps | tr '\n' ' ') // $(grep -i audit "$tmp/smsr.log" | tail -3)"
t=$((SECONDS + 30)); while [ $SECONDS -lt $t ] && ! grep -q "HandleProfileDeletedNotification" "$tmp/cb.log" 2>/dev/null; do sleep 0.2; done
sleep 1   # a second (wrong) relay would come with the first
line=$(grep "HandleProfileDeletedNotification" "$tmp/cb.log" 2>/dev/null)
[ "$(echo "$line" | grep -c .)" = 1 ] && echo "$line" | grep -q "$ICC" && echo "$line" | jq -e '.cn == "DP1"' >/dev/null 2>&1 \
  && ok "HandleProfileDeletedNotification of $ICC: SM-SR -> SM-DP -> the Operator, once" \
  || bad "deleted notification: '$(echo "$line" | head -c 300)' // $(grep -i "notif" "$tmp/smsr.log" "$tmp/smdp.log" | tail -4)"

# The inventory's on-card states (installed -> enabled | disabled -> deleted) follow the SM-SR: a download
# with enable, the Operator disabling it at the SM-SR itself (ES4: the SM-DP learns it only from the
# SM-SR's ES3 HandleProfileDisabledNotification, which it also relays to the Operator), then ES2
# Enable / Disable / DeleteProfile relayed by the SM-DP (their results).
ts48() { "$BIN" smdp inventory --dir "$D" --json | jq -r '.pools[] | select(.type == "ts48") | .states |
  "installed=\(.installed) enabled=\(.enabled) disabled=\(.disabled) deleted=\(.deleted)"'; }
wait_ts48() { local t=$((SECONDS + 60)); while [ $SECONDS -lt $t ] && [ "$(ts48)" != "$1" ]; do sleep 0.2; done; [ "$(ts48)" = "$1" ]; }
pj() { echo "{\"functionCallIdentifier\":\"$1\",\"eid\":\"$E0\",\"smsrId\":\"SMSR-T\",\"iccid\":\"$ICT\"}"; }
r=$(call es2/DownloadProfile "{\"functionCallIdentifier\":\"t1\",\"eid\":\"$E0\",\"smsrId\":\"SMSR-T\",\"profileType\":\"ts48\",\"enableProfile\":true}")
ICT=$(echo "$r" | jq -r '.iccid // empty' 2>/dev/null)
[ "$(echo "$r" | st)" = "EXECUTED_SUCCESS /" ] && [ -n "$ICT" ] && wait_ts48 "installed=0 enabled=1 disabled=0 deleted=0" \
  && ok "download with enable: $ICT enabled in the SM-DP's inventory" || bad "download+enable: $(ts48) // $r"
r=$(curl -sS --max-time 120 --cert "$tmp/mno1/tls.crt.pem" --key "$tmp/mno1/key.pem" --cacert "$tmp/mno1/ca.crt.pem" \
  -H 'Content-Type: application/json' -H 'Prefer: wait' -d "$(pj x1 | sed 's/,"smsrId":"SMSR-T"//')" "$URL/es4/DisableProfile")
[ "$(echo "$r" | st)" = "EXECUTED_SUCCESS /" ] || bad "ES4.DisableProfile at the SM-SR: $r"
wait_ts48 "installed=0 enabled=0 disabled=1 deleted=0" \
  && ok "ES4.DisableProfile behind the SM-DP's back: the SM-SR's ES3 notification made it disabled" \
  || bad "after ES4 disable: $(ts48) // $(grep -i notif "$tmp/smdp.log" "$tmp/smsr.log" | tail -4)"
t=$((SECONDS + 30)); while [ $SECONDS -lt $t ] && ! grep -q "HandleProfileDisabledNotification" "$tmp/cb.log" 2>/dev/null; do sleep 0.2; done
grep "HandleProfileDisabledNotification" "$tmp/cb.log" 2>/dev/null | grep -q "$ICT" \
  && ok "HandleProfileDisabledNotification of $ICT relayed to the Operator" || bad "disabled notification not relayed"
r=$(call es2/EnableProfile "$(pj t2)")
[ "$(echo "$r" | st)" = "EXECUTED_SUCCESS /" ] && wait_ts48 "installed=0 enabled=1 disabled=0 deleted=0" \
  && ok "ES2.EnableProfile relayed: enabled again" || bad "ES2 enable: $(ts48) // $r"
r=$(call es2/DisableProfile "$(pj t3)")
[ "$(echo "$r" | st)" = "EXECUTED_SUCCESS /" ] && wait_ts48 "installed=0 enabled=0 disabled=1 deleted=0" \
  && ok "ES2.DisableProfile relayed: disabled" || bad "ES2 disable: $(ts48) // $r"
r=$(call es2/DeleteProfile "$(pj t4)")
[ "$(echo "$r" | st)" = "EXECUTED_SUCCESS /" ] && wait_ts48 "installed=0 enabled=0 disabled=0 deleted=1" \
  && ok "ES2.DeleteProfile relayed: deleted (identity spent)" || bad "ES2 delete: $(ts48) // $r"

kill -TERM $DP_PID; wait $DP_PID
kill -TERM $RUN_PID; for i in $(seq 50); do kill -0 $RUN_PID 2>/dev/null || break; sleep 0.1; done
s=$("$BIN" euicc show --fleet "$tmp/fleet" --eid "$E0" --json 2>&1)
echo "$s" | jq -e '.profiles' >/dev/null 2>&1 && ! echo "$s" | grep -q "$ICC" \
  && ok "the card no longer holds $ICC" || bad "card: $s"
[ $fail = 0 ] || { echo "--- smdp.log"; tail -30 "$tmp/smdp.log"; echo "--- smsr.log"; tail -20 "$tmp/smsr.log"; }
exit $fail
