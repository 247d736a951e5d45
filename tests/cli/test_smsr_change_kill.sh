#!/usr/bin/env bash
# kill -9 of either SM-SR at random moments of an SM-SR change (docs/modules/smsr_change.md, "Recovery"),
# with the seed printed (SMSR_CHANGE_SEED=N repeats a run): a few cards move from SM-SR1 to SM-SR2 with
# `rsp op smsr-change` while the daemons are killed and restarted at random moments: twice in make test,
# one of each (the first chosen at random), four times at random under RSP_SLOW=1. Afterwards every card is managed by exactly one of them, never both, never neither: the one
# whose store has its EIS is the one whose keys the card holds and whose number it sends to, the other
# has no EIS; and the Operator's answer for the card matches (done = moved, failed = stayed).
N=2 KILLS=2
[ "${RSP_SLOW:-0}" = 1 ] && N=6 KILLS=4
WORLD_CERTS=lean # sr1, sr2, mno1: no SM-DP, no M2M SP here
. "$(dirname "$0")/smsr_change_world.sh"
SEED=${SMSR_CHANGE_SEED:-$(( $(date +%s) % 100000 ))}
echo "# seed=$SEED (SMSR_CHANGE_SEED=$SEED repeats this run)"
RANDOM=$SEED

printf '%s\n' "${MOVE[@]}" >"$tmp/move.txt"
change "$tmp/move.txt" 240 >"$tmp/result.json" &
OP=$!
pids+=($OP)
# the Prepare calls first (a card whose Prepare meets a dead SM-SR2 is simply refused: not this test)
for i in $(seq 300); do grep -q prepared "$tmp/op.err" 2>/dev/null && break; sleep 0.1; done
for k in $(seq $KILLS); do
  sleep "$((RANDOM % 15 / 10)).$((RANDOM % 10))"  # 0.0-1.9 s: a move takes a few seconds
  kill -0 $OP 2>/dev/null || break
  v=$((RANDOM % 2 + 1))
  [ $k = 2 ] && [ $KILLS = 2 ] && v=$((3 - last)) # two kills: one of each SM-SR
  last=$v
  eval "p=\$SR${v}_PID"
  step=$(grep -h "SM-SR change" "$tmp/smsr1.log" "$tmp/smsr2.log" 2>/dev/null | grep -o 'step=[a-z-]*->[a-z-]*' | tail -1)
  echo "# kill $k: SM-SR$v (pid $p) after ${step:-no step yet}"
  kill -9 "$p" 2>/dev/null
  wait "$p" 2>/dev/null
  sleep 0.$((RANDOM % 10))
  run_smsr $v
done
wait $OP
rc=$?
r=$(cat "$tmp/result.json")
echo "# op smsr-change rc=$rc: $(echo "$r" | cut -c1-200)"

# the sender deletes its EIS right after the answer that ends its side: give its driver a moment
for i in $(seq 100); do
  left=0
  for e in "${MOVE[@]}"; do has_eis "$DB1" $e && has_eis "$DB2" $e && left=1; done
  [ $left = 0 ] && break
  sleep 0.2
done
moved=0
for e in "${MOVE[@]}"; do
  a=0 b=0
  has_eis "$DB1" $e && a=1
  has_eis "$DB2" $e && b=1
  s=$(show $e)
  st=$(echo "$r" | tr '{' '\n' | grep "\"$e\"" | field status)
  if [ $a = 1 ] && [ $b = 0 ] && echo "$s" | grep -q "\"smsr_msisdn\":\"$M1\"" && echo "$s" | grep -q '"scp80":\[1[],]' \
    && [ "$st" != done ]; then
    ok "$e: managed by SM-SR1 alone ($st)"
  elif [ $a = 0 ] && [ $b = 1 ] && echo "$s" | grep -q "\"smsr_msisdn\":\"$M2\"" && echo "$s" | grep -q '"scp80":\[2\]' \
    && [ "$st" = done ]; then
    ok "$e: managed by SM-SR2 alone (done)"
    moved=$((moved + 1))
  else
    bad "$e: SM-SR1 EIS=$a SM-SR2 EIS=$b answer=$st card=$s"
  fi
done
echo "# $moved of $N moved"
# the survivor reaches the card: an AuditEIS from whichever manages the first card is done
E=${MOVE[0]}
ICC=$(grep -o '"iccid": *"[0-9]*"' "$tmp/fleet/eis/$E.json" | head -1 | grep -o '[0-9]\{10,\}')
db=$DB1
has_eis "$DB2" $E && db=$DB2
op=$("$BIN" smsr submit --db "$db" --fn ES4.AuditEIS --eid $E --iccid $ICC --requester MNO1 --fcid after --json | field op)
for i in $(seq 400); do
  s=$("$BIN" smsr result --db "$db" --op "$op" --json 2>/dev/null | field state)
  case $s in done|failed|expired) break;; esac
  sleep 0.1
done
[ "$s" = done ] && ok "the managing SM-SR reaches the card after the kills" || bad "AuditEIS after the kills: $s"
exit $fail
