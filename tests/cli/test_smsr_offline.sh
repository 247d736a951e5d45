#!/usr/bin/env bash
# A card offline when its admin (SCP81) trigger goes out, and the SM-SR killed (-9) while the card's
# operation waits in its admin session: the card is served soon after it is back, not at the end of
# the old 90 s admin_wait lease (docs/modules/smsr.md "Leases of operations in admin sessions").
# Processes: rsp smsc, rsp euicc run (1 card), rsp smsr run --es5-transport https --admin-trigger-ms 4000
# --por-wait 2 (heartbeat lease 10 s, renewed every 3 s). One ES4.AuditEIS (rsp smsr submit) for the
# offline card. Checks:
#   - while the SM-SR lives it keeps the op for the whole trigger round (3 triggers, 12 s: longer than
#     the 10 s lease): the lease is renewed, the op is not taken over in its own session (the round's
#     loss settles generation 1, no "lease not renewed");
#   - the next round sends 3 triggers again (try=1 again; it used to send one);
#   - kill -9 while the op is in the second round, restart, card back: the op is done within 45 s of
#     the card being back (it took ~90 s: the lease of the dead process had to lapse), once (one done
#     step), by a later claim (generation > 2); the dead process's counters are not reused.
. "$(dirname "$0")/daemons.sh"
command -v sqlite3 >/dev/null || { echo "FAIL - needs sqlite3"; exit 1; }
SMSR=447700100993
make_fleet 1 447700900990 $SMSR
E0=$(ls "$tmp/fleet/eis" | sed -n 's/\.json$//p' | head -1)
ICC=$(jq -r '.eis.profiles[0].iccid' "$tmp/fleet/eis/$E0.json")
MNO=$(jq -r '.eis.profiles[0].mnoId' "$tmp/fleet/eis/$E0.json")
DB="sqlite:$tmp/smsr.db"
export RSP_SMSR_MASTER_KEY=000102030405060708090A0B0C0D0E0F101112131415161718191A1B1C1D1E1F
"$BIN" smsr import --db "$DB" --keys "$tmp/keys.jsonl" "$tmp"/fleet/eis/*.json >"$tmp/imp" 2>&1 || bad "import: $(cat "$tmp/imp")"
start_smsc
start_smsr() {
  rm -f "$tmp/admin.port"
  "$BIN" smsr run --db "$DB" --smsc 127.0.0.1:$SP --msisdn $SMSR --worker w1 --tick-ms 100 --por-wait 2 \
    --admin-listen 127.0.0.1:0 --admin-port-file "$tmp/admin.port" --admin-trigger-ms 4000 --es5-transport https \
    >>"$tmp/smsr.log" 2>&1 &
  SMSR_PID=$!; pids+=($SMSR_PID)
  for _ in $(seq 300); do [ -s "$tmp/admin.port" ] && break; sleep 0.1; done
}
start_smsr
for _ in $(seq 300); do grep -q "bound system_id=smsr" "$tmp/smsc.log" && break; sleep 0.1; done
"$BIN" euicc run --fleet "$tmp/fleet" --smsc 127.0.0.1:$SP --control "$tmp/ctl.sock" --tick-ms 50 >"$tmp/run.log" 2>&1 &
pids+=($!)
wait_fleet "$tmp/ctl.sock" "$tmp/run.log"
CTL=("$BIN" euicc ctl --control "$tmp/ctl.sock")
q() { sqlite3 "$tmp/smsr.db" "$1"; }
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }
# wait_log N PATTERN [TENTHS]: the SM-SR's log has at least N lines matching PATTERN
wait_log() { for _ in $(seq "${3:-600}"); do [ "$(grep -c -- "$2" "$tmp/smsr.log")" -ge "$1" ] && return 0; sleep 0.1; done; return 1; }

"${CTL[@]}" offline "$E0" >/dev/null || bad "ctl offline"
"$BIN" smsr submit --db "$DB" --fn ES4.AuditEIS --eid "$E0" --iccid "$ICC" --requester "$MNO" --fcid off1 --json \
  >"$tmp/sub" 2>&1 || bad "submit: $(cat "$tmp/sub")"
OP=$(jq -r .op "$tmp/sub")
# round 1: three triggers 4 s apart, then the loss settles the op (queued again after --por-wait)
wait_log 1 "admin answer eid=$E0 op=$OP lost=1" 400 || bad "no end of the first trigger round: $(tail -5 "$tmp/smsr.log")"
grep -q "admin answer eid=$E0 op=$OP lost=1 .*result=ok" "$tmp/smsr.log" && ! grep -q "lease not renewed" "$tmp/smsr.log" &&
  [ "$(awk -v e="$E0" '/admin answer eid=/ && / lost=1 / { exit } index($0, "admin trigger sent eid=" e) { n++ } END { print n + 0 }' "$tmp/smsr.log")" = 3 ] &&
  [ "$(q "SELECT count(*) FROM audit c WHERE c.op_id=$OP AND c.event='smsr.step' AND c.detail LIKE 'step=0 %gen=1 command'
         AND NOT EXISTS (SELECT 1 FROM audit g WHERE g.op_id=$OP AND g.event='smsr.step' AND g.detail LIKE '%gen=2 %' AND g.id < c.id)")" = 1 ] &&
  ok "a 12 s trigger round held by the live SM-SR (10 s lease, renewed): its loss settled generation 1" ||
  bad "round 1: $(grep -E "admin (answer|op)|lease" "$tmp/smsr.log" | tail -3) / $(q "SELECT detail FROM audit WHERE op_id=$OP")"
# round 2 starts with try=1 again; kill -9 while the op waits in it
wait_log 4 "admin trigger sent eid=$E0 " 200 || bad "no second round"
kill -9 $SMSR_PID; wait $SMSR_PID 2>/dev/null
grep "admin trigger sent eid=$E0 " "$tmp/smsr.log" | sed -n 4p | grep -q " try=1 " && ok "the next round starts at try=1 (3 triggers a round)" ||
  bad "round 2: $(grep "admin trigger sent" "$tmp/smsr.log" | sed 's/ trigger=.*//' | sed -n 4p)"
sent_before=$(grep -o "admin trigger sent eid=$E0 cntr=[0-9]*" "$tmp/smsr.log" | sed 's/.*cntr=//' | sort -n | tr '\n' ' ')
start_smsr
"${CTL[@]}" online "$E0" >/dev/null || bad "ctl online"
back=$(now)
# polled with the sqlite3 shell (an ASan rsp per poll cost ~10 s of CPU in all), then read once by
# `rsp smsr result` (op states: 3 done, 4 failed, 5 expired)
for _ in $(seq 900); do
  case $(q "SELECT state FROM op WHERE id=$OP") in 3 | 4 | 5) break;; esac
  sleep 0.1
done
took=$(since "$back")
state=$("$BIN" smsr result --db "$DB" --op "$OP" --json 2>/dev/null | jq -r .state)
[ "$state" = done ] && awk -v t="$took" 'BEGIN { exit !(t <= 45) }' &&
  ok "served ${took} s after the card came back (bound 45 s; it was ~90 s: the dead SM-SR's 90 s lease)" ||
  bad "op $OP: $state after ${took} s: $(tail -5 "$tmp/smsr.log")"
gen=$(q "SELECT gen FROM op WHERE id=$OP")
[ "$(q "SELECT count(*) FROM audit WHERE op_id=$OP AND event='smsr.step' AND detail LIKE '%done%'")" = 1 ] && [ "${gen:-0}" -ge 3 ] &&
  ok "done once, by a later claim (generation $gen) after the kill" || bad "done steps / generation $gen: $(q "SELECT detail FROM audit WHERE op_id=$OP")"
dup=$(grep -o "admin trigger sent eid=$E0 cntr=[0-9]*" "$tmp/smsr.log" | sed 's/.*cntr=//' | sort -n | uniq -d)
[ -z "$dup" ] && ok "no trigger counter used twice across the kill (before: $sent_before)" || bad "counters reused: $dup"
[ $fail = 0 ] || { echo "--- smsr.log"; grep -v "schema migrated" "$tmp/smsr.log" | tail -30 | cut -c1-220; }
exit $fail
