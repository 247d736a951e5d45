#!/usr/bin/env bash
# ES4.SetEmergencyProfileAttribute end to end, as separate processes: rsp smsc, rsp euicc run (1 card),
# rsp smsr run --listen --admin-listen, and rsp smdp download putting a second profile (Operator MNO1,
# type ts48) on the card through the SM-SR. Checks: on the card's fall-back profile it is refused
# before anything is sent (8.2.1 / 1.2); another Operator is refused; on the downloaded profile it is
# executed over SMS (JSON, Prefer: wait); ES4.GetEIS then shows emergencyProfileAttribute true for that
# profile only; and, from outside the SM-SR, the card's own state (`rsp euicc show --json` once the
# fleet stops) has the emergency attribute on that profile and not on the fall-back one.
. "$(dirname "$0")/daemons.sh"
command -v curl >/dev/null || { echo "FAIL - needs curl"; exit 1; }

SMSR=447700100992
make_fleet 1 447700900770 $SMSR
E0=$(ls "$tmp/fleet/eis" | sed -n 's/\.json$//p' | head -1)
ICC0=$(jq -r '.eis.profiles[0].iccid' "$tmp/fleet/eis/$E0.json")
MNO0=$(jq -r '.eis.profiles[0].mnoId' "$tmp/fleet/eis/$E0.json")
DB="sqlite:$tmp/smsr.db"
export RSP_SMSR_MASTER_KEY=000102030405060708090A0B0C0D0E0F101112131415161718191A1B1C1D1E1F
"$BIN" smsr import --db "$DB" --keys "$tmp/keys.jsonl" "$tmp"/fleet/eis/*.json >/dev/null 2>&1 || bad "import"
for r in "smsr SMSR-T sr" "smdp DP1 dp1" "operator MNO1 mno" "operator MNO2 mno2"; do
  set -- $r
  "$BIN" ci issue --dir "$tmp/pki" --role $1 --id $2 --out "$tmp/$3" >/dev/null || bad "certificate $2"
done
D=$tmp/dp
"$BIN" smdp import package --dir "$D" --operator MNO1 --type ts48 "$PKG" >/dev/null 2>&1 &&
  "$BIN" smdp import generate --dir "$D" --operator MNO1 --type ts48 --count 1 --iccid-prefix 8999003 --first 100 \
  >/dev/null 2>&1 || bad "smdp inventory"

start_smsc
"$BIN" smsr run --db "$DB" --smsc 127.0.0.1:$SP --msisdn $SMSR --worker w1 --tick-ms 100 --por-wait 2 \
  --listen 127.0.0.1:0 --port-file "$tmp/es.port" --tls-cert "$tmp/sr/tls.crt.pem" --tls-key "$tmp/sr/key.pem" \
  --tls-ca "$tmp/sr/ca.crt.pem" --smdp-ids DP1 --admin-listen 127.0.0.1:0 --admin-idle-ms 1000 >"$tmp/smsr.log" 2>&1 &
SMSR_PID=$!; pids+=($SMSR_PID)
for i in $(seq 200); do grep -q "bound system_id=smsr" "$tmp/smsc.log" && [ -s "$tmp/es.port" ] && break; sleep 0.1; done
EP=$(tr -d '\n' <"$tmp/es.port")
"$BIN" euicc run --fleet "$tmp/fleet" --smsc 127.0.0.1:$SP --control "$tmp/ctl.sock" --tick-ms 50 >"$tmp/run.log" 2>&1 &
RUN_PID=$!; pids+=($RUN_PID)
wait_fleet "$tmp/ctl.sock" "$tmp/run.log"

r=$("$BIN" smdp download --dir "$D" --smsr "https://127.0.0.1:$EP" --ci "$tmp/pki" --dp "$tmp/dp1" --eum "$tmp/eum" \
  --eis-dir "$tmp/fleet/eis" --operator MNO1 --type ts48 --eid $E0 --json 2>&1)
ICCN=$(echo "$r" | jq -r '.iccid // empty' 2>/dev/null | tail -1)
echo "$r" | grep -q '"installed' && [ -n "$ICCN" ] && ok "a second profile downloaded to the card ($ICCN)" \
  || { bad "download: $r"; exit 1; }

WHO=mno
es4() { # FUNCTION JSON-FIELDS (as $WHO), answered in the HTTP response
  curl -s --max-time 40 --cacert "$tmp/sr/ca.crt.pem" --cert "$tmp/$WHO/tls.crt.pem" --key "$tmp/$WHO/key.pem" \
    -H 'Content-Type: application/json' -H 'Prefer: wait' "https://127.0.0.1:$EP/es4/$1" -d "{$2}"
}
if [ "$MNO0" = MNO1 ]; then # the fall-back profile is MNO1's too: refused before sending
  r=$(es4 SetEmergencyProfileAttribute "\"functionCallIdentifier\":\"e0\",\"eid\":\"$E0\",\"iccid\":\"$ICC0\"")
  echo "$r" | grep -q '"8.2.1"' && echo "$r" | grep -q '"1.2"' && ok "on the fall-back profile: refused 8.2.1/1.2" \
    || bad "fall-back: $r"
fi
WHO=mno2
r=$(es4 SetEmergencyProfileAttribute "\"functionCallIdentifier\":\"e1\",\"eid\":\"$E0\",\"iccid\":\"$ICCN\"")
echo "$r" | grep -q '"8.2.1"' && echo "$r" | grep -q '"1.2"' && ok "another Operator: refused 8.2.1/1.2" || bad "MNO2: $r"
WHO=mno
r=$(es4 SetEmergencyProfileAttribute "\"functionCallIdentifier\":\"e2\",\"eid\":\"$E0\",\"iccid\":\"$ICCN\"")
echo "$r" | grep -q EXECUTED_SUCCESS && ok "SetEmergencyProfileAttribute on the downloaded profile: executed over SMS" \
  || bad "set: $r"
r=$(es4 GetEIS "\"functionCallIdentifier\":\"g1\",\"eid\":\"$E0\"")
[ "$(echo "$r" | jq -r --arg i "$ICCN" '.eis.profiles[] | select(.iccid == $i) | .emergencyProfileAttribute' 2>/dev/null)" = true ] &&
  ok "GetEIS: emergencyProfileAttribute true on $ICCN" || bad "GetEIS: $r"
kill -TERM $RUN_PID; for i in $(seq 50); do kill -0 $RUN_PID 2>/dev/null || break; sleep 0.1; done
r=$("$BIN" euicc show --fleet "$tmp/fleet" --eid $E0 --json 2>&1)
[ "$(echo "$r" | jq -r --arg i "$ICCN" '[.profiles[] | select(.iccid == $i) | .emergency] | first' 2>/dev/null)" = true ] &&
  [ "$(echo "$r" | jq -r --arg i "$ICC0" '[.profiles[] | select(.iccid == $i) | .emergency] | first' 2>/dev/null)" = false ] &&
  ok "the card itself (rsp euicc show --json): emergency on $ICCN, not on $ICC0" || bad "card: $r"
kill -TERM $SMSR_PID; for i in $(seq 50); do kill -0 $SMSR_PID 2>/dev/null || break; sleep 0.1; done
[ $fail = 0 ] || { echo "--- smsr.log"; tail -20 "$tmp/smsr.log"; }
exit $fail
