#!/usr/bin/env bash
# The fleet switch under faults: `rsp demo --faults SEED` (apps/demo_faults.c) kills -9 rsp smsr run,
# rsp smdp run and rsp euicc run at moments drawn from SEED while the downloads run, restarts each
# from the same arguments and store, loses a share of the SMS to the cards (rsp euicc ctl drop-sms)
# and takes two cards offline; lost answers are resent with the same FunctionCallIdentifier and a
# failed download is ordered once more. Then this test checks, not taking the demo's word:
#   - every card's own state (rsp euicc show) equals the SM-SR's record of it (its store, every
#     profile row) and is either switched (MNO-B's profile enabled with the fall-back attribute,
#     MNO-A's gone) or still on MNO-A's profile, enabled (the demo lists those, with the reason);
#   - no operation done twice (the SM-SR's op table and audit trail: one DONE per function and
#     ICCID, ES3.SendData aside: one per segment) and no SCP80 counter used twice on a card (cntr=0:
#     a step sent in an admin session, no SCP80);
#   - no identity used twice (the SM-DP's inventory: each ICCID on at most one card, the cards' MNO-B
#     ICCIDs are those the SM-DP records as installed on them);
#   - nothing left running.
# The seed is printed: RSP_FAULT_SEED=<seed> replays a run. RSP_FAULT_CARDS sets the fleet (8).
# On failure the directory (logs/ of every daemon) is kept and named.
set -u
RSP=${RSP_BIN:?}
PKG=${RSP_SHARED_DIR:?}/profiles/TS48v7_SAIP2.3_NoBERTLV.der
SEED=${RSP_FAULT_SEED:-$(((RANDOM << 15 | RANDOM) + 1))}
N=${RSP_FAULT_CARDS:-8}
echo "# RSP_FAULT_SEED=$SEED RSP_FAULT_CARDS=$N (replay: RSP_FAULT_SEED=$SEED ctest -R demo_faults)"
tmp=$(mktemp -d)
D=$tmp/d
fail=0
cleanup() {
  [ -f "$D/pids" ] && awk '{print $2}' "$D/pids" | while read -r p; do
    case $(tr '\0' ' ' 2>/dev/null <"/proc/$p/cmdline") in *"$D"* | *" smsc --listen "*) kill -9 "$p" 2>/dev/null;; esac
  done
  if [ $fail = 0 ]; then rm -rf "$tmp"; else echo "# kept for reading: $tmp (logs in $D/logs), seed $SEED"; fi
}
trap cleanup EXIT
ok() { echo "ok - $*"; }
bad() { echo "FAIL - $*"; fail=1; }

out=$("$RSP" demo --euiccs "$N" --faults "$SEED" --json --keep "$D" --profile "$PKG" 2>"$tmp/err"); rc=$?
J=$(echo "$out" | tail -1)
grep "fault  t=" "$tmp/err" | sed 's/^ */# /'
v() { echo "$J" | jq -r "$1" 2>/dev/null; }
[ $rc = 0 ] && ok "demo --faults $SEED: exit 0" || bad "demo --faults exit $rc: $(tail -15 "$tmp/err")"
[ "$(grep -c "fault  t=.*kill -9" "$tmp/err")" = 3 ] && [ "$(grep -c "fault  t=.*restart" "$tmp/err")" = 3 ] &&
  grep -q "drop-sms [1-9]" "$tmp/err" && grep -q "offline" "$tmp/err" &&
  ok "3 kill -9 and restarts (smsr, smdp, euicc), drop-sms, offline cards" || bad "faults not all injected"
for d in smsr smdp euicc; do
  [ "$(grep -c "^$d " "$D/pids")" = 2 ] || bad "$d: not started twice: $(cat "$D/pids")"
done
[ "$(v '[.audited, .consistent] | map(tostring) | join(" ")')" = "$N $N" ] &&
  ok "demo: ES4.GetEIS of all $N cards equals each card's state" || bad "demo audit: $(v '{audited,consistent,failures}')"
echo "$J" | jq -r '.failures[]? | "# not switched: \(.eid) (\(.phase)): \(.reason)"'

# The cards, against the SM-SR's store and the SM-DP's inventory.
q() { sqlite3 "$D/smsr.db" "$1"; }
name() { case $1 in 1) echo created;; 2) echo disabled;; 3) echo enabled;; *) echo "state$1";; esac; }
switched=0 stayed=0 agree=0 phantom=0 iccids_b=
for f in "$D"/fleet/eis/*.json; do
  eid=$(basename "$f" .json) old=$(jq -r '.eis.profiles[0].iccid' "$f")
  s=$("$RSP" euicc show --fleet "$D/fleet" --eid "$eid" --json 2>/dev/null)
  card=$(echo "$s" | jq -r '[.profiles[] | select(.iccid != "") | "\(.iccid)=\(.state)"] | sort | join(" ")')
  smsr=$(q "SELECT iccid, state FROM profile WHERE eid='$eid' AND state > 0 ORDER BY iccid" |
    while IFS='|' read -r i st; do echo "$i=$(name "$st")"; done | sort | tr '\n' ' ' | sed 's/ $//')
  # An ISD-P the SM-SR still has "in creation" that the card never made (a CreateISDP lost, then the
  # SM-DP's DeleteISDP answered 6A88): the SM-SR must drop it (fixed in cd300ff).
  for i in $(q "SELECT iccid FROM profile WHERE eid='$eid' AND state = 0"); do
    echo "$card" | grep -q "$i=" || { phantom=$((phantom + 1)); echo "# SM-SR keeps $i in creation, not on card $eid"; }
  done
  [ "$card" = "$smsr" ] && agree=$((agree + 1)) || echo "# $eid: card [$card] SM-SR [$smsr]"
  b=$(echo "$s" | jq -r --arg o "$old" '[.profiles[] | select(.iccid != "")] |
      if (length == 1) and (.[0].state == "enabled") and .[0].fallback and (.[0].iccid | startswith("8944502")) then .[0].iccid
      elif ([.[] | select(.state == "enabled")] | (length == 1) and (.[0].iccid == $o)) and
           ([.[] | select(.iccid != $o) | select((.state != "disabled") or (.iccid | startswith("8944502") | not))] | length == 0)
        then "A"
      else "?" end')
  case $b in
    A) stayed=$((stayed + 1)) # MNO-A's profile enabled (MNO-B's installed, disabled, at most)
       echo "$card" | grep -q "=enabled.*=enabled" && bad "$eid: two enabled";;
    \?) echo "# $eid: neither switched nor on MNO-A's profile: $card";;
    *) switched=$((switched + 1));;
  esac
  for b in $(echo "$s" | jq -r '.profiles[] | select(.iccid | startswith("8944502")) | .iccid'); do
    iccids_b="$iccids_b $b"
    [ "$(sqlite3 "$D/smdp/smdp.db" "SELECT eid FROM inv WHERE iccid='$b' AND state IN (3, 5, 6)")" = "$eid" ] ||
      bad "$b on $eid: not the SM-DP's record ($(sqlite3 "$D/smdp/smdp.db" "SELECT eid, state FROM inv WHERE iccid='$b'"))"
  done
done
[ $agree = "$N" ] && ok "SM-SR store = card for all $N cards (every profile row, state)" || bad "SM-SR store = card for $agree of $N"
[ $((switched + stayed)) = "$N" ] && ok "$switched switched to MNO-B, $stayed stayed on MNO-A (enabled): no card in between" \
  || bad "switched $switched + stayed $stayed != $N"
[ "$switched" = "$(v .old_deleted)" ] && [ "$stayed" = "$(v '[.failures[].eid] | unique | length')" ] \
  && ok "the demo's counts match the cards (switched $switched, listed not switched $stayed)" || bad "demo counts: $(v '{old_deleted,failures}')"
[ $phantom = 0 ] && ok "no ISD-P left in creation on the SM-SR only" || bad "$phantom ISD-P(s) in creation on the SM-SR only"

# No operation done twice, no SCP80 counter used twice on a card.
twice=$(q "SELECT a.iccid, o.function, count(*) FROM op o JOIN audit a ON a.op_id = o.id AND a.event = 'smsr.queued'
           WHERE o.state = 3 AND o.function != 'ES3.SendData' GROUP BY a.iccid, o.function HAVING count(*) > 1")
[ -z "$twice" ] && ok "no operation DONE twice for one ICCID ($(q 'SELECT count(*) FROM op WHERE state = 3') done, $(q 'SELECT count(*) FROM op WHERE state > 3') failed/expired)" \
  || bad "done twice: $twice"
reused=$(q "SELECT eid, substr(detail, instr(detail, 'cntr=') + 5, instr(substr(detail, instr(detail, 'cntr=') + 5), ' ') - 1) AS c,
               count(*) FROM audit WHERE event = 'smsr.step' AND detail LIKE '%wait-por%' AND detail NOT LIKE '%cntr=0 %'
               GROUP BY eid, c HAVING count(*) > 1")
[ -z "$reused" ] && ok "no SCP80 counter sent twice to a card" || bad "counter reused: $reused"
echo "# ops: $(q "SELECT function || ' ' || state || ':' || count(*) FROM op GROUP BY function, state" | tr '\n' ' ')"

# No identity twice: every ICCID the SM-DP handed out is on one card at most, the pool adds up.
dup=$(echo "$iccids_b" | tr ' ' '\n' | sed '/^$/d' | sort | uniq -d)
inv=$("$RSP" smdp inventory --dir "$D/smdp" --json 2>/dev/null)
nb=$(echo "$iccids_b" | wc -w)
[ -z "$dup" ] && [ "$(echo "$inv" | jq '.pools[0].states | .installed + .enabled + .disabled')" = "$nb" ] &&
  [ "$(echo "$inv" | jq '[.pools[0].states[]] | add')" = $((2 * N)) ] &&
  [ "$(sqlite3 "$D/smdp/smdp.db" "SELECT count(*) FROM inv WHERE eid != '' GROUP BY eid HAVING count(*) > 2")" = "" ] &&
  ok "no identity twice: $nb installed, each on its own card and recorded so by the SM-DP ($(echo "$inv" | jq -c .pools[0].states))" \
  || bad "identities: dup [$dup] inventory $(echo "$inv" | jq -c .pools[0].states)"

left=$(while read -r name p; do
  c=$(tr '\0' ' ' 2>/dev/null <"/proc/$p/cmdline")
  case $c in *"$D"*) echo "$p";; *" smsc --listen "*) [ "$name" = smsc ] && echo "$p";; esac
done <"$D/pids")
[ -z "$left" ] && ok "no daemon left running" || bad "left running: $left"
san=$(grep -l "ERROR: AddressSanitizer\|ERROR: LeakSanitizer\|runtime error:" "$D"/logs/*.log "$tmp/err" 2>/dev/null)
[ -z "$san" ] && ok "no sanitizer report in any log" || bad "sanitizer reports in: $san"
exit $fail
