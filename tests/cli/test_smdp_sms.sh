#!/usr/bin/env bash
# A download over SMS only (issue 10): rsp smsr run without an admin server (no --admin-listen), so
# CreateISDP, key establishment and every SCP03t segment travel as SCP80 packets through rsp smsc to
# rsp euicc run (SCP03t over SCP80: docs/ENCODINGS.md); ES2.DownloadProfile(enable) of the smallest
# TS.48 v7 package (TS48v7_SAIP2.3_NoBERTLV_NoRAMRFM.der) through rsp smdp run ends installed and
# enabled; the SM-SR sent every SCP03t body by SMS (one concatenated packet per body, 16 SMS per two 1 KB
# segments) and opened no admin session; the SMS parts of each packet fit SGP02.md's sizes (an outside
# fact: 140-byte UD, UDH 8 bytes in the first part of a concatenated packet, 6 in the others); the
# card, read directly, holds the profile enabled with as many bytes as the GSMA's package (an outside
# fact: the file's size) and its provisioning profile disabled.
. "$(dirname "$0")/daemons.sh"
command -v curl >/dev/null && command -v jq >/dev/null || { echo "ok - # SKIP curl or jq missing"; exit 0; }
PKG=${RSP_SHARED_DIR}/profiles/TS48v7_SAIP2.3_NoBERTLV_NoRAMRFM.der

SMSR=447700100995
make_fleet 1 447700900760 $SMSR
E0=$(ls "$tmp/fleet/eis" | sed -n 's/\.json$//p' | head -1)
smsr_world
smdp_pool ts48 "$PKG" 1 8999008
start_smsc
RSP_LOG_LEVEL=info "$BIN" smsr run --db "$DB" --master-key "$tmp/mk" --smsc 127.0.0.1:$SP --msisdn $SMSR --worker w1 --tick-ms 50 \
  --por-wait 10 --listen 127.0.0.1:0 --port-file "$tmp/es.port" --tls-cert "$tmp/sr/tls.crt.pem" \
  --tls-key "$tmp/sr/key.pem" --tls-ca "$tmp/sr/ca.crt.pem" --smdp-ids DP1 >"$tmp/smsr.log" 2>&1 &
pids+=($!)
for i in $(seq 200); do grep -q "bound system_id=smsr" "$tmp/smsc.log" && [ -s "$tmp/es.port" ] && break; sleep 0.1; done
URL=https://127.0.0.1:$(tr -d '\n' <"$tmp/es.port")
"$BIN" euicc run --fleet "$tmp/fleet" --smsc 127.0.0.1:$SP --control "$tmp/ctl.sock" --tick-ms 20 >"$tmp/run.log" 2>&1 &
RUN_PID=$!; pids+=($RUN_PID)
wait_fleet "$tmp/ctl.sock" "$tmp/run.log"
"$BIN" smdp run --dir "$D" --listen 127.0.0.1:0 --port-file "$tmp/dp.port" --smsr "$URL" --ci "$tmp/pki" \
  --dp "$tmp/dp1" --eum "$tmp/eum" --eis-dir "$tmp/fleet/eis" --workers 1 --operators MNO1 \
  --es3-timeout-ms 120000 >"$tmp/smdp.log" 2>&1 &
DP_PID=$!; pids+=($DP_PID)
t=$((SECONDS + 30)); while [ $SECONDS -lt $t ] && [ ! -s "$tmp/dp.port" ]; do sleep 0.1; done
DPURL=https://127.0.0.1:$(tr -d '\n' <"$tmp/dp.port")
t0=$SECONDS
r=$(curl -sS --max-time 300 --cert "$tmp/mno1/tls.crt.pem" --key "$tmp/mno1/key.pem" --cacert "$tmp/mno1/ca.crt.pem" \
  -H 'Content-Type: application/json' -H 'Prefer: wait' \
  -d "{\"functionCallIdentifier\":\"s1\",\"eid\":\"$E0\",\"smsrId\":\"SMSR-T\",\"profileType\":\"ts48\",\"enableProfile\":true}" \
  "$DPURL/es2/DownloadProfile")
ICC=$(echo "$r" | jq -r '.iccid // empty' 2>/dev/null)
s=$(echo "$r" | jq -r '.functionExecutionStatus.status' 2>/dev/null)
[ "$s" = EXECUTED_SUCCESS ] && [ -n "$ICC" ] && ok "download over SMS only: installed and enabled in $((SECONDS - t0)) s" \
  || bad "SMS-only download: $r"
grep -q "admin session open\|admin trigger sent" "$tmp/smsr.log" && bad "an admin session was opened" || ok "no admin session (SMS only)"
# the SM-SR sent each SCP03t body (the 84, then one per two 1 KB segments) as one SCP80 packet by SMS
nb=$(grep -c "ES3.SendData by SMS" "$tmp/smsr.log")
parts=$(sed -n 's/.*ES3.SendData by SMS.*bytes=\([0-9]*\) parts=\([0-9]*\).*/\1 \2/p' "$tmp/smsr.log")
segs=$(( ($(stat -c %s "$PKG") + 1023) / 1024 ))
[ "$nb" -ge $(( (segs + 3) / 4 + 1 )) ] && ok "SM-SR: $nb SCP03t bodies by SMS ($segs segments, four a body, + the 84)" \
  || bad "SM-SR SMS path: $nb bodies: $(grep -i "scp03t" "$tmp/smsr.log" | tail -5)"
# parts per packet from SGP02.md's sizes (UD 140; UDH 02 70 00 + 00 03 ref n i in the first part,
# 05 00 03 ref n i in the others): CPL..CC of a body of B bytes is at most B + 42 (RSP_SCP80_OVERHEAD),
# so at most ceil((B + 42 + 2) / 134) parts; four whole segments (4 x (86 82 04 18 + 1,048 bytes)) take 32,
# under the SM-SR's 40
badp=$(echo "$parts" | awk 'NF==2 { w = $1 + 42 + 2; n = int((w + 133) / 134); if ($2 > n || $2 < 1) print }')
full=$(echo "$parts" | awk '$1 == 4208 && $2 != 32' | wc -l)
[ -n "$parts" ] && [ -z "$badp" ] && [ "$full" = 0 ] \
  && ok "SMS parts per SCP03t packet within SGP02.md's sizes ($(echo "$parts" | awk '{print $2}' | sort -n | uniq -c | tr -s ' ' | tr '\n' ';'))" \
  || bad "parts: $badp / $full bodies of four whole segments not in 32 parts"
kill -TERM $DP_PID; wait $DP_PID
kill -TERM $RUN_PID; for i in $(seq 50); do kill -0 $RUN_PID 2>/dev/null || break; sleep 0.1; done
show=$("$BIN" euicc show --fleet "$tmp/fleet" --eid "$E0" --json 2>&1)
size=$(stat -c %s "$PKG")
echo "$show" | jq -e --arg i "$ICC" --argjson n "$size" '.profiles[] | select(.iccid == $i) | .state == "enabled" and .used == $n' \
  >/dev/null 2>&1 && ok "the card holds $ICC enabled, $size bytes as the GSMA's file" || bad "card: $show"
n=$(echo "$show" | jq -r '.profiles | length' 2>/dev/null)
dis=$(echo "$show" | jq -r '[.profiles[] | select(.state == "disabled")] | length' 2>/dev/null)
[ "$n" = 2 ] && [ "$dis" = 1 ] && ok "the provisioning profile is disabled (2 profiles)" || bad "card: $n profiles, $dis disabled"
[ $fail = 0 ] || { echo "--- smdp.log"; tail -15 "$tmp/smdp.log"; echo "--- smsr.log"; tail -15 "$tmp/smsr.log"; }
exit $fail
