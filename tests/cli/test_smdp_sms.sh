#!/usr/bin/env bash
# The SMS-only download (issue 10: "once over SMS only"), separate processes on loopback: rsp smsc,
# rsp smsr run WITHOUT --admin-listen (no SCP81: every ES5 command and every SCP03t body is an SCP80
# packet over SMPP), rsp euicc run (1 card), rsp smdp run. ES2.DownloadProfile(enable) of the smallest
# TS.48 v7 package (TS48v7_SAIP2.3_NoBERTLV_NoRAMRFM.der) runs GetEIS, CreateISDP, key establishment,
# the SCP03t segments (each SendData one concatenated SCP80 packet to the ISD-P's TAR: 9 SMS per 1 KB
# segment, PoR data = the ISD-P's answer) and EnableProfile, and ends EXECUTED_SUCCESS; the SM-SR
# logged the SCP03t bodies as SMS to the ISD-P and opened no admin session; the card's own state
# (`rsp euicc show` once the fleet stops) holds the new profile enabled with the ICCID the SM-DP
# answered and the provisioning profile disabled; the SMS count fits SGP02.md's sizes (a fact from
# outside: 140-byte UD, UDH 8 bytes in the first part of a concatenated packet, 6 in the others).
. "$(dirname "$0")/daemons.sh"
command -v curl >/dev/null && command -v jq >/dev/null || { echo "ok - # SKIP curl or jq missing"; exit 0; }
SMALL=${RSP_SHARED_DIR}/profiles/TS48v7_SAIP2.3_NoBERTLV_NoRAMRFM.der

SMSR=447700100993
make_fleet 1 447700900900 $SMSR
E0=$(ls "$tmp/fleet/eis" | sed -n 's/\.json$//p' | head -1)
DB="sqlite:$tmp/smsr.db"
printf '%064d\n' 7 >"$tmp/mk"
"$BIN" smsr import --db "$DB" --master-key "$tmp/mk" --keys "$tmp/keys.jsonl" "$tmp"/fleet/eis/*.json >"$tmp/imp" 2>&1 \
  || bad "import: $(cat "$tmp/imp")"
for r in "smsr SMSR-T sr" "smdp DP1 dp1" "operator MNO1 mno1"; do
  set -- $r
  "$BIN" ci issue --dir "$tmp/pki" --role $1 --id $2 --out "$tmp/$3" >/dev/null || bad "certificate $2"
done
D=$tmp/dp
"$BIN" smdp import package --dir "$D" --operator MNO1 --type small "$SMALL" >/dev/null 2>&1 &&
  "$BIN" smdp import generate --dir "$D" --operator MNO1 --type small --count 2 --iccid-prefix 8999004 \
  >/dev/null 2>&1 || bad "smdp inventory"

SP=$(port)
"$BIN" smsc --listen 127.0.0.1:$SP >"$tmp/smsc.log" 2>&1 & pids+=($!)
RSP_LOG_LEVEL=info "$BIN" smsr run --db "$DB" --master-key "$tmp/mk" --smsc 127.0.0.1:$SP --msisdn $SMSR --worker w1 --tick-ms 50 \
  --por-wait 5 --listen 127.0.0.1:0 --port-file "$tmp/es.port" --tls-cert "$tmp/sr/tls.crt.pem" \
  --tls-key "$tmp/sr/key.pem" --tls-ca "$tmp/sr/ca.crt.pem" --smdp-ids DP1 >"$tmp/smsr.log" 2>&1 &
SMSR_PID=$!; pids+=($SMSR_PID)
for i in $(seq 200); do grep -q "bound system_id=smsr" "$tmp/smsc.log" && [ -s "$tmp/es.port" ] && break; sleep 0.1; done
URL=https://127.0.0.1:$(tr -d '\n' <"$tmp/es.port")
"$BIN" euicc run --fleet "$tmp/fleet" --smsc 127.0.0.1:$SP --control "$tmp/ctl.sock" --tick-ms 20 >"$tmp/run.log" 2>&1 &
RUN_PID=$!; pids+=($RUN_PID)
wait_fleet "$tmp/ctl.sock" "$tmp/run.log"
"$BIN" smdp run --dir "$D" --listen 127.0.0.1:0 --port-file "$tmp/dp.port" --smsr "$URL" --ci "$tmp/pki" \
  --dp "$tmp/dp1" --eum "$tmp/eum" --eis-dir "$tmp/fleet/eis" --workers 1 --operators MNO1 >"$tmp/smdp.log" 2>&1 &
DP_PID=$!; pids+=($DP_PID)
t=$((SECONDS + 30)); while [ $SECONDS -lt $t ] && [ ! -s "$tmp/dp.port" ]; do sleep 0.1; done
DPURL=https://127.0.0.1:$(tr -d '\n' <"$tmp/dp.port")

t0=$SECONDS
r=$(curl -sS --max-time 120 --cert "$tmp/mno1/tls.crt.pem" --key "$tmp/mno1/key.pem" --cacert "$tmp/mno1/ca.crt.pem" \
  -H 'Content-Type: application/json' -H 'Prefer: wait' \
  -d "{\"functionCallIdentifier\":\"s1\",\"eid\":\"$E0\",\"smsrId\":\"SMSR-T\",\"profileType\":\"small\",\"enableProfile\":true}" \
  "$DPURL/es2/DownloadProfile" 2>&1)
el=$((SECONDS - t0))
st=$(echo "$r" | jq -r '.functionExecutionStatus.status' 2>/dev/null)
ICC=$(echo "$r" | jq -r '.iccid // empty' 2>/dev/null)
[ "$st" = EXECUTED_SUCCESS ] && [ -n "$ICC" ] && ok "ES2.DownloadProfile(enable) over SMS only: $st, ICCID $ICC, ${el} s" \
  || bad "download: $r"

# the SM-SR: every SCP03t body went by SMS to the ISD-P, no admin session was ever opened
nb=$(grep -c "ES3.SendData by SMS" "$tmp/smsr.log")
parts=$(sed -n 's/.*ES3.SendData by SMS.*bytes=\([0-9]*\) parts=\([0-9]*\).*/\1 \2/p' "$tmp/smsr.log")
pkg=$(stat -c %s "$SMALL")
segs=$(( (pkg + 1023) / 1024 ))
[ "$nb" -ge $((segs + 1)) ] && ! grep -q "admin session open\|admin trigger sent" "$tmp/smsr.log" \
  && ok "SM-SR: $nb SCP03t bodies by SMS ($segs segments of a $pkg-byte package + the 84), no admin session" \
  || bad "SM-SR SMS path: $nb bodies: $(grep -i "scp03t\|admin" "$tmp/smsr.log" | tail -5)"
# the parts of each packet from the sizes SGP02.md gives (UD 140; UDH 02 70 00 + 00 03 ref n i in the
# first part, 05 00 03 ref n i in the others): CPL..CC of a body of B bytes, ciphered, is at most
# B + 42 bytes (RSP_SCP80_OVERHEAD), so ceil((B + 42 + 2) / 134) parts, never more
badp=$(echo "$parts" | awk 'NF==2 { w = $1 + 42 + 2; n = int((w + 133) / 134); if ($2 > n || $2 < 1) print }')
full=$(echo "$parts" | awk '$1 >= 1052 && $2 != 9' | wc -l) # 86 82 04 18 + 1,048: a whole 1 KB segment
[ -n "$parts" ] && [ -z "$badp" ] && [ "$full" = 0 ] && ok "SMS parts per SCP03t packet within SGP02.md's sizes ($(echo "$parts" | awk '{print $2}' | sort -n | uniq -c | tr -s ' ' | tr '\n' ';'))" \
  || bad "parts: $badp / $full whole segments not in 9 parts"

kill -TERM $RUN_PID; for i in $(seq 50); do kill -0 $RUN_PID 2>/dev/null || break; sleep 0.1; done
r=$("$BIN" euicc show --fleet "$tmp/fleet" --eid $E0 --json 2>&1)
en=$(echo "$r" | jq -r '[.profiles[] | select(.state == "enabled") | .iccid] | join(",")' 2>/dev/null)
dis=$(echo "$r" | jq -r '[.profiles[] | select(.state == "disabled")] | length' 2>/dev/null)
n=$(echo "$r" | jq -r '.profiles | length' 2>/dev/null)
# the card's ICCID may carry the Luhn digit the SM-DP's answer leaves out (as SAIP stores it)
case $en in
  "$ICC"*) [ "$n" = 2 ] && [ "$dis" = 1 ] && ok "euicc show: the downloaded profile is the card's enabled one ($en), the provisioning profile disabled"              || bad "euicc show: $n profiles, $dis disabled: $r";;
  *) bad "euicc show: enabled=$en: $r";;
esac
kill -TERM $DP_PID $SMSR_PID 2>/dev/null
[ $fail = 0 ] || { echo "--- smsr.log"; tail -20 "$tmp/smsr.log"; echo "--- smdp.log"; tail -20 "$tmp/smdp.log"; }
exit $fail
