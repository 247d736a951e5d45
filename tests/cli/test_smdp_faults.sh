#!/usr/bin/env bash
# SM-DP download faults and refusals through real processes (issue 10 "Tests"): rsp smsc, rsp euicc run,
# rsp smsr run (--admin-listen) and rsp smdp run, each a process on loopback ports it picks.
#  1. a card whose CERT.ECASD was signed by an EUM of another CI (a second `rsp ci` + EUM pair the
#     SM-DP is not given): ES2.DownloadProfile refused 8.1/6.1 before any ISD-P exists (the SM-SR's
#     GetEIS shows no new ISD-P), the identity back in the pool;
#  2. a card whose free memory is below the package (`rsp eum make --memory`): refused, no ISD-P, the
#     identity back in the pool;
#  3. the card's process (rsp euicc run) killed -9 as soon as the SM-SR sends the admin trigger for the
#     SCP03t load, restarted 3 s later: the Operator gets a final FAILED 8.4/4.2, the identity is spent
#     (docs/modules/smdp.md: from CreateISDP on it is never reused), and the card's own state
#     (`rsp euicc show`) and the SM-SR's store list the same ISD-Ps, neither the killed download's;
#  4. every TS.48 v7 package of $RSP_SHARED_DIR/profiles (its own pool) downloaded with enableProfile
#     on its own card, four at once: Executed-Success with an ICCID, and on the stopped fleet
#     `rsp euicc show` lists that ICCID enabled, holding as many bytes as the package file has (a fact
#     from outside: the GSMA's file, not our encoder).
. "$(dirname "$0")/daemons.sh"

SMSR=447700100995
make_fleet 5 447700900700 $SMSR
EIDS=($(ls "$tmp/fleet/eis" | sed -n 's/\.json$//p'))
E0=${EIDS[0]}
TK=000102030405060708090a0b0c0d0e0f
# luhn DIGITS: DIGITS with their Luhn check digit appended
luhn() { local s=$1 t=0 i d n=${#1}; for ((i = 0; i < n; i++)); do d=${s:n-1-i:1}
    if [ $((i % 2)) = 0 ]; then d=$((d * 2)); [ $d -gt 9 ] && d=$((d - 9)); fi; t=$((t + d)); done
  echo "$s$(((10 - t % 10) % 10))"; }
# a rogue CI and its EUM: the SM-DP trusts neither
"$BIN" ci init --dir "$tmp/pki2" >/dev/null && "$BIN" ci issue --dir "$tmp/pki2" --role eum --id EUM-X --out "$tmp/eum2" >/dev/null &&
  "$BIN" eum make --ci "$tmp/pki2" --eum "$tmp/eum2" --profile "$PKG" --smsr-id SMSR-T --count 1 --out "$tmp/rogue" \
    --keys-out "$tmp/k2.jsonl" --transport-key $TK --msisdn-start 447700900710 --smsr-msisdn $SMSR \
    --eid-start 890490320000000000000000000100 --iccid-start "$(luhn 899900100000000001)" --imsi-start 00101000000011 \
    >/dev/null 2>&1 || { bad "rogue EUM fleet"; exit 1; }
# a card of the right EUM with 24000 bytes for profiles, 12261 of them taken by its first profile
"$BIN" eum make --ci "$tmp/pki" --eum "$tmp/eum" --profile "$PKG" --smsr-id SMSR-T --count 1 --out "$tmp/small" \
  --keys-out "$tmp/k3.jsonl" --transport-key $TK --msisdn-start 447700900720 --smsr-msisdn $SMSR --memory 24000 \
  --eid-start 890490320000000000000000000200 --iccid-start "$(luhn 899900100000000002)" --imsi-start 00101000000021 \
  >/dev/null 2>&1 || { bad "small card"; exit 1; }
ER=$(ls "$tmp/rogue/eis" | sed -n 's/\.json$//p')
ES=$(ls "$tmp/small/eis" | sed -n 's/\.json$//p')
mkdir -p "$tmp/eis" && cp "$tmp"/fleet/eis/*.json "$tmp"/rogue/eis/*.json "$tmp"/small/eis/*.json "$tmp/eis/"
DB="sqlite:$tmp/smsr.db"
printf '%064d\n' 7 >"$tmp/mk"
cat "$tmp/keys.jsonl" "$tmp/k2.jsonl" "$tmp/k3.jsonl" >"$tmp/k.jsonl"
"$BIN" smsr import --db "$DB" --master-key "$tmp/mk" --keys "$tmp/k.jsonl" "$tmp"/eis/*.json >"$tmp/imp" 2>&1 \
  || bad "import: $(cat "$tmp/imp")"
for r in "smsr SMSR-T sr" "smdp DP1 dp1" "operator MNO1 mno1"; do
  set -- $r
  "$BIN" ci issue --dir "$tmp/pki" --role $1 --id $2 --out "$tmp/$3" >/dev/null || bad "certificate $2"
done
D=$tmp/dp
# the download journal (rsp smdp downloads: one line per download, "id=... step=N ... outcome=..." last)
dls() { "$BIN" smdp downloads --dir "$D" 2>/dev/null; }
dl_line() { dls | grep "^id=$1 "; }
dl_field() { dl_line "$1" | sed -n "s/.* $2=\([^ ]*\).*/\1/p"; }
dl_outcome() { dl_line "$1" | sed -n 's/.* outcome=//p'; }
"$BIN" smdp import package --dir "$D" --operator MNO1 --type ts48 "$PKG" >/dev/null 2>&1 &&
  "$BIN" smdp import generate --dir "$D" --operator MNO1 --type ts48 --count 4 --iccid-prefix 8999003 \
  >/dev/null 2>&1 || bad "smdp inventory"
# one pool per TS.48 v7 package of $RSP_SHARED_DIR/profiles (type = the file's name), one identity each;
# distinct --first: the SM-SR refuses an MSISDN (here the IMSI) another card's profile already holds
TYPES=()
n=4
for f in "$RSP_SHARED_DIR"/profiles/TS48v7_*.der; do
  ty=$(basename "$f" .der)
  if "$BIN" smdp import package --dir "$D" --operator MNO1 --type "$ty" "$f" >"$tmp/imp.$ty" 2>&1 &&
    "$BIN" smdp import generate --dir "$D" --operator MNO1 --type "$ty" --count 1 --iccid-prefix 899900$n --first $((n * 100)) \
      >>"$tmp/imp.$ty" 2>&1; then TYPES+=("$ty"); else bad "import $ty: $(cat "$tmp/imp.$ty")"; fi
  n=$((n + 1))
done

start_smsc
"$BIN" smsr run --db "$DB" --master-key "$tmp/mk" --smsc 127.0.0.1:$SP --msisdn $SMSR --worker w1 --tick-ms 100 \
  --por-wait 2 --listen 127.0.0.1:0 --port-file "$tmp/es.port" --tls-cert "$tmp/sr/tls.crt.pem" \
  --tls-key "$tmp/sr/key.pem" --tls-ca "$tmp/sr/ca.crt.pem" --smdp-ids DP1 \
  --admin-listen 127.0.0.1:0 --admin-port-file "$tmp/admin.port" --admin-idle-ms 3000 >"$tmp/smsr.log" 2>&1 &
pids+=($!)
for i in $(seq 200); do grep -q "bound system_id=smsr" "$tmp/smsc.log" && [ -s "$tmp/es.port" ] && break; sleep 0.1; done
URL=https://127.0.0.1:$(tr -d '\n' <"$tmp/es.port")
start_card() {
  "$BIN" euicc run --fleet "$tmp/fleet" --smsc 127.0.0.1:$SP --control "$tmp/ctl.sock" --tick-ms 50 >>"$tmp/run.log" 2>&1 &
  RUN_PID=$!; pids+=($RUN_PID)
  for i in $(seq 100); do [ -S "$tmp/ctl.sock" ] && break; sleep 0.1; done
}
start_card
start_smdp() { # the daemon on a port it picks; "$@" = extra options
  rm -f "$tmp/dp.port"
  "$BIN" smdp run --dir "$D" --listen 127.0.0.1:0 --port-file "$tmp/dp.port" --smsr "$URL" --ci "$tmp/pki" \
    --dp "$tmp/dp1" --eum "$tmp/eum" --eis-dir "$tmp/eis" --workers 2 --operators MNO1 "$@" >>"$tmp/smdp.log" 2>&1 &
  DP_PID=$!; pids+=($DP_PID)
  t=$((SECONDS + 30)); while [ $SECONDS -lt $t ] && [ ! -s "$tmp/dp.port" ]; do sleep 0.1; done
  [ -s "$tmp/dp.port" ] || { bad "smdp did not start: $(tail -5 "$tmp/smdp.log")"; exit 1; }
  DPURL=https://127.0.0.1:$(tr -d '\n' <"$tmp/dp.port")
}
start_smdp

es2() { # es2 FUNCTION JSON: one ES2 call of MNO1 over JSON, answered in the HTTP response
  curl -sS --max-time 120 --cert "$tmp/mno1/tls.crt.pem" --key "$tmp/mno1/key.pem" --cacert "$tmp/mno1/ca.crt.pem" \
    -H 'Content-Type: application/json' -H 'Prefer: wait' -d "$2" "$DPURL/es2/$1"; }
dl_req() { echo "{\"functionCallIdentifier\":\"$1\",\"eid\":\"$2\",\"smsrId\":\"SMSR-T\",\"profileType\":\"ts48\",\"enableProfile\":false}"; }
st() { jq -r '.functionExecutionStatus | .status + " " + (.statusCodeData.subjectCode // "") + "/" + (.statusCodeData.reasonCode // "")' 2>/dev/null; }
states() { "$BIN" smdp inventory --dir "$D" --json | jq -c '.pools[] | select(.type == "ts48") | .states'; }
# the ISD-Ps the SM-SR's store holds for a card (ICCIDs, sorted)
sr_isdps() { sqlite3 "$tmp/smsr.db" "select iccid from profile where eid='$1' order by iccid" 2>/dev/null | tr '\n' ' '; }

S0=$(states)
[ "$(echo "$S0" | jq .available)" = 4 ] || bad "pool before: $S0"
# 1. the rogue EUM's card
before=$(sr_isdps "$ER")
r=$(es2 DownloadProfile "$(dl_req u1 "$ER")")
s=$(echo "$r" | st)
after=$(sr_isdps "$ER")
[ "$s" = "FAILED 8.1/6.1" ] && ok "ECASD signed by an unknown EUM: refused $s ($(echo "$r" | jq -r '.functionExecutionStatus.statusCodeData.message'))" \
  || bad "unknown EUM: $r"
[ -n "$before" ] && [ "$before" = "$after" ] && ok "no new ISD-P in the SM-SR's EIS ($after)" || bad "ISD-Ps '$before' -> '$after'"
[ "$(states)" = "$S0" ] && ok "identity back in the pool: $(states)" || bad "pool after unknown EUM: $(states)"

# 2. the card short of memory
before=$(sr_isdps "$ES")
r=$(es2 DownloadProfile "$(dl_req m1 "$ES")")
s=$(echo "$r" | st)
after=$(sr_isdps "$ES")
[ "$s" = "FAILED 8.1/3.8" ] && ok "card without enough memory: refused $s" || bad "small card: $r"
[ -n "$before" ] && [ "$before" = "$after" ] && ok "no new ISD-P in the SM-SR's EIS ($after)" || bad "ISD-Ps '$before' -> '$after'"
[ "$(states)" = "$S0" ] && ok "identity back in the pool: $(states)" || bad "pool after small card: $(states)"

# 4. each TS.48 v7 package downloaded and enabled, on cards 1..4 of the running fleet, all at once
for i in "${!TYPES[@]}"; do
  es2 DownloadProfile "{\"functionCallIdentifier\":\"p$i\",\"eid\":\"${EIDS[i + 1]}\",\"smsrId\":\"SMSR-T\",\"profileType\":\"${TYPES[i]}\",\"enableProfile\":true}" \
    >"$tmp/p$i.out" 2>&1 &
  PP[i]=$!
done
for i in "${!TYPES[@]}"; do
  wait ${PP[i]}
  s=$(st <"$tmp/p$i.out"); PI[i]=$(jq -r '.iccid // empty' <"$tmp/p$i.out" 2>/dev/null)
  [ "$s" = "EXECUTED_SUCCESS /" ] && [ -n "${PI[i]}" ] && ok "${TYPES[i]}: downloaded and enabled, ICCID ${PI[i]}" \
    || bad "${TYPES[i]}: $(cat "$tmp/p$i.out") $(dls | grep " type=${TYPES[i]} ")"
done

# 3. (an SM-DP that gives up on an ES3 call after 8 s, so the dead card's SendData ends within the test,
# and runs a cleanup left unfinished again every second)
kill -TERM $DP_PID; wait $DP_PID
start_smdp --es3-timeout-ms 8000 --cleanup-retry-ms 1000
# the card's process killed -9 once the SM-SR triggers the admin session that carries the SCP03t load
es2 DownloadProfile "$(dl_req k1 "$E0")" >"$tmp/k1.out" 2>&1 &
CURL=$!
t=$((SECONDS + 60)); while [ $SECONDS -lt $t ] && ! grep -q "admin trigger sent eid=$E0" "$tmp/smsr.log"; do sleep 0.005; done
kill -9 $RUN_PID
phase=$(grep -c "admin session open eid=$E0" "$tmp/smsr.log")
sleep 3
rm -f "$tmp/ctl.sock"
start_card
wait $CURL
r=$(cat "$tmp/k1.out")
s=$(echo "$r" | st)
J=$(dls | grep " eid=$E0 " | sed -n 's/^id=\([^ ]*\) .*/\1/p')
K=$(dl_field "$J" iccid)
[ "${s%% *}" = FAILED ] && dl_field "$J" step | grep -q '^[89]$' \
  && ok "card killed -9 after the admin trigger ($phase admin session(s) open by then): the Operator's final status $s ($(dl_outcome "$J"))" || bad "k1: $r // $(dl_line "$J")"
# When the card died while an SCP03t segment was out, the SM-SR learns it only when that script's
# answer wait (20 s) ends; the segment is then resent, refused, and the SM-DP's cleanup DeleteISDP
# (queued behind it, FIFO per card) runs: the two views agree after that, not at once. The SM-DP's
# first DeleteISDP may time out (8 s) before that: the cleanup stays open (the SM-SR's live EIS still
# lists the ISD-P) and the daemon runs it again while it runs, until the ISD-P is gone.
t0=$SECONDS; t=$((SECONDS + 90))
while [ $SECONDS -lt $t ] && { sr_isdps "$E0" | grep -q "$K" || [ "$(dl_field "$J" step)" != 9 ]; }; do sleep 0.5; done
echo "# the SM-SR dropped $K's ISD-P and the SM-DP ended its cleanup $((SECONDS - t0)) s after the final status" \
  "($(grep -c "retrying cleanup dl=$J " "$tmp/smdp.log") retries while running)"
[ "$(dl_field "$J" step)" = 9 ] && kill -0 $DP_PID && ok "cleanup ended while the SM-DP runs: $(dl_outcome "$J")" \
  || bad "cleanup not ended: $(dl_line "$J")"
[ "$(states | jq -c '[.allocated, .deleted, .available]')" = "[0,1,3]" ] \
  && ok "identity $K spent, none left allocated: $(states)" || bad "pool after k1: $(states)"
sr=$(sr_isdps "$E0")
kill -TERM $RUN_PID; for i in $(seq 50); do kill -0 $RUN_PID 2>/dev/null || break; sleep 0.1; done
card=$("$BIN" euicc show --fleet "$tmp/fleet" --eid "$E0" --json 2>&1)
cardi=$(echo "$card" | jq -r '.profiles[].iccid' 2>/dev/null | sort | tr '\n' ' ')
[ -n "$sr" ] && [ "$cardi" = "$sr" ] && ! echo "$sr" | grep -q "$K" \
  && ok "card back: rsp euicc show and the SM-SR's store agree ($sr), no ISD-P of $K on either" \
  || bad "card '$cardi' vs SM-SR '$sr' (k1 $K)"
for i in "${!TYPES[@]}"; do # the cards themselves, their process stopped above
  c=$("$BIN" euicc show --fleet "$tmp/fleet" --eid "${EIDS[i + 1]}" --json 2>&1)
  p=$(echo "$c" | jq -r ".profiles[] | select(.iccid == \"${PI[i]}\") | .state + \" \" + (.used | tostring)" 2>/dev/null)
  sz=$(stat -c %s "$RSP_SHARED_DIR/profiles/${TYPES[i]}.der")
  [ -n "${PI[i]}" ] && [ "$p" = "enabled $sz" ] \
    && ok "euicc show: ${PI[i]} (${TYPES[i]}) enabled on ${EIDS[i + 1]}, $sz bytes as the package" || bad "card ${EIDS[i + 1]} ($p, $sz): $c"
done
[ $fail = 0 ] || { echo "--- smdp.log"; tail -40 "$tmp/smdp.log"; echo "--- smsr.log"; tail -20 "$tmp/smsr.log"; }
exit $fail
