#!/usr/bin/env bash
# Concurrent downloads from one pool through every process (rsp smsc, rsp euicc run with N cards,
# rsp smsr run --admin-listen, rsp smdp run --workers 8): N ES2.DownloadProfile(enable) calls started at
# once, one per card, on a pool of N-2 identities: no ICCID handed out twice (journals, answers and the
# cards' own profiles), every card ends with exactly one downloaded profile enabled or none (a clean
# refusal: the pool ran out, 8.2.5/3.7), no identity left allocated. N = 4 in `make test`; RSP_SLOW=1
# runs the issue's 200 cards (several minutes). 200 allocations at once: tests/unit/test_smdp_inv.c.
. "$(dirname "$0")/daemons.sh"

N=4
[ "${RSP_SLOW:-0}" = 1 ] && N=200
SMSR=447700100995
make_fleet $N 447700901000 $SMSR
EIDS=($(ls "$tmp/fleet/eis" | sed -n 's/\.json$//p'))
smsr_world
D=$tmp/dp # smdp_pool fills it
# the download journal (rsp smdp downloads: one line per download, "id=... step=N ... outcome=..." last)
dls() { "$BIN" smdp downloads --dir "$D" 2>/dev/null; }
dl_line() { dls | grep "^id=$1 "; }
dl_field() { dl_line "$1" | sed -n "s/.* $2=\([^ ]*\).*/\1/p"; }
dl_outcome() { dl_line "$1" | sed -n 's/.* outcome=//p'; }
POOL=$((N - 2))
smdp_pool ts48 "$PKG" $POOL 8999005
start_smsc
"$BIN" smsr run --db "$DB" --master-key "$tmp/mk" --smsc 127.0.0.1:$SP --msisdn $SMSR --worker w1 --tick-ms 100 \
  --por-wait 5 --listen 127.0.0.1:0 --port-file "$tmp/es.port" --tls-cert "$tmp/sr/tls.crt.pem" \
  --tls-key "$tmp/sr/key.pem" --tls-ca "$tmp/sr/ca.crt.pem" --smdp-ids DP1 \
  --admin-listen 127.0.0.1:0 --admin-port-file "$tmp/admin.port" --admin-idle-ms 500 >"$tmp/smsr.log" 2>&1 &
pids+=($!)
for i in $(seq 200); do grep -q "bound system_id=smsr" "$tmp/smsc.log" && [ -s "$tmp/es.port" ] && break; sleep 0.1; done
URL=https://127.0.0.1:$(tr -d '\n' <"$tmp/es.port")
"$BIN" euicc run --fleet "$tmp/fleet" --smsc 127.0.0.1:$SP --control "$tmp/ctl.sock" --tick-ms 50 >"$tmp/run.log" 2>&1 &
RUN_PID=$!; pids+=($RUN_PID)
wait_fleet "$tmp/ctl.sock" "$tmp/run.log"
"$BIN" smdp run --dir "$D" --listen 127.0.0.1:0 --port-file "$tmp/dp.port" --smsr "$URL" --ci "$tmp/pki" \
  --dp "$tmp/dp1" --eum "$tmp/eum" --eis-dir "$tmp/fleet/eis" --workers 8 --operators MNO1 \
  --es3-timeout-ms 300000 >"$tmp/smdp.log" 2>&1 &
DP_PID=$!; pids+=($DP_PID)
t=$((SECONDS + 30)); while [ $SECONDS -lt $t ] && [ ! -s "$tmp/dp.port" ]; do sleep 0.1; done
DPURL=https://127.0.0.1:$(tr -d '\n' <"$tmp/dp.port")
[ -s "$tmp/dp.port" ] && ok "rsp smdp run listening" || { bad "smdp did not start: $(tail -5 "$tmp/smdp.log")"; exit 1; }

# all at once: one curl each, answered in its HTTP response when its download ends
mkdir -p "$tmp/out"
t0=$SECONDS
cpids=()
for i in $(seq 0 $((N - 1))); do
  curl -sS --max-time 1200 --cert "$tmp/mno1/tls.crt.pem" --key "$tmp/mno1/key.pem" --cacert "$tmp/mno1/ca.crt.pem" \
    -H 'Content-Type: application/json' -H 'Prefer: wait' \
    -d "{\"functionCallIdentifier\":\"p$i\",\"eid\":\"${EIDS[$i]}\",\"smsrId\":\"SMSR-T\",\"profileType\":\"ts48\",\"enableProfile\":true}" \
    "$DPURL/es2/DownloadProfile" >"$tmp/out/$i.json" 2>&1 &
  cpids+=($!)
done
wait "${cpids[@]}"
echo "# $N downloads in $((SECONDS - t0)) s"
st() { jq -r '.functionExecutionStatus | .status + " " + (.statusCodeData.subjectCode // "") + "/" + (.statusCodeData.reasonCode // "")' 2>/dev/null; }
okc=0; empty=0; other=""
for i in $(seq 0 $((N - 1))); do
  s=$(st <"$tmp/out/$i.json")
  case "$s" in
    "EXECUTED_SUCCESS /") okc=$((okc + 1)); jq -r .iccid "$tmp/out/$i.json" >>"$tmp/iccids" ;;
    "FAILED 8.2.5/3.7") empty=$((empty + 1)) ;;
    *) other="$other [$i: $s $(head -c 300 "$tmp/out/$i.json")]" ;;
  esac
done
[ $okc = $POOL ] && [ $empty = 2 ] && [ -z "$other" ] \
  && ok "$N downloads at once: $okc installed and enabled, $empty refused (pool empty, 8.2.5/3.7)" \
  || bad "results: ok=$okc empty=$empty other=$other"
dup=$(sort "$tmp/iccids" | uniq -d; dls | grep -o ' iccid=[0-9]\+' | sort | uniq -d)
[ -z "$dup" ] && [ "$(sort -u "$tmp/iccids" | wc -l)" = $okc ] && ok "no ICCID handed out twice" || bad "twice: $dup"
inv=$("$BIN" smdp inventory --dir "$D" --json)
[ "$(echo "$inv" | jq '.pools[0].states.allocated')" = 0 ] && [ "$(echo "$inv" | jq '.pools[0].states.enabled')" = $okc ] \
  && ok "inventory: $okc enabled, none left allocated" || bad "inventory: $inv"
kill -TERM $DP_PID; wait $DP_PID
kill -TERM $RUN_PID; for i in $(seq 100); do kill -0 $RUN_PID 2>/dev/null || break; sleep 0.1; done
# each card, read directly: one enabled downloaded profile (from our pool) or none
bad_cards=""; seen=""
for i in $(seq 0 $((N - 1))); do
  s=$("$BIN" euicc show --fleet "$tmp/fleet" --eid "${EIDS[$i]}" --json 2>/dev/null)
  mine=$(echo "$s" | jq -r '[.profiles[] | select(.iccid | startswith("8999005"))] | map(.iccid + ":" + .state) | join(",")')
  case "$mine" in
    "") ;;
    *,*) bad_cards="$bad_cards ${EIDS[$i]}=$mine" ;;
    *:enabled) seen="$seen ${mine%%:*}" ;;
    *) bad_cards="$bad_cards ${EIDS[$i]}=$mine" ;;
  esac
done
n_seen=$(echo $seen | wc -w)
[ -z "$bad_cards" ] && [ "$n_seen" = $okc ] && [ "$(echo $seen | tr ' ' '\n' | sort -u | wc -l)" = $okc ] \
  && ok "the cards: $n_seen hold one enabled profile each, all distinct, the others none" \
  || bad "cards: $bad_cards (seen $n_seen)"
[ $fail = 0 ] || { echo "--- smdp.log"; tail -20 "$tmp/smdp.log"; }
exit $fail
