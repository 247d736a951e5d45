#!/usr/bin/env bash
# rsp demo sgp22 --devices N (issue 14 item 4): rsp smds, rsp smdpp and N consumer cards, each with its own
# rsp lpa process; the operator's ES2+ orders, half the devices by activation code and half through the
# SM-DS. N = 2 in make test (one device per path: every check below still applies), 4 with RSP_SLOW=1.
# Checked from outside the demo's own report: exit 0 and a JSON report whose per-device lines say
# installed, enabled and notified; the activation codes have SGP22.md's form (LPA:1$address$matchingId,
# matchingId of [A-Za-z0-9-], as lpac accepts); each card's own profile list (read afterwards with
# rsp lpa) holds exactly the ICCID the demo reported, enabled; the SM-DP+ counted >= 2 notifications per
# device (PIR + enable); the SM-DS registered (ES12) and delivered (ES11) its events (its log); every process the demo
# started is gone when it returns; usage errors exit 2.
set -u
BIN=${RSP_BIN:?}
: "${RSP_SHARED_DIR:?}"
tmp=$(mktemp -d)
cleanup() {
  # anything the demo left running (it must not): its pids file
  [ -f "$tmp/run/pids" ] && while read -r _ p; do kill -9 "$p" 2>/dev/null; done <"$tmp/run/pids"
  rm -rf "$tmp"
}
trap cleanup EXIT
fail=0
N=2
[ "${RSP_SLOW:-0}" = 1 ] && N=4
H=$((N / 2))
ok() { echo "ok - $*"; }
bad() { echo "FAIL - $*"; fail=1; }

"$BIN" demo sgp22 --devices 0 >/dev/null 2>&1; [ $? = 2 ] && ok "--devices 0: exit 2" || bad "--devices 0"
mkdir -p "$tmp/full" && touch "$tmp/full/x"
"$BIN" demo sgp22 --keep "$tmp/full" >/dev/null 2>&1; [ $? = 2 ] && ok "--keep a non-empty dir: exit 2" || bad "--keep"
"$BIN" demo sgp22 --help | grep -q -- "--devices" && ok "--help" || bad "--help"

"$BIN" demo sgp22 --devices $N --keep "$tmp/run" --json >"$tmp/out" 2>"$tmp/err"
rc=$?
J=$(tail -1 "$tmp/out")
[ "$rc" = 0 ] && [ "$(echo "$J" | jq -r .complete)" = true ] && ok "exit 0, complete" \
  || { bad "demo rc $rc: $(tail -5 "$tmp/err") $(echo "$J" | jq -c .failures)"; exit 1; }
[ "$(echo "$J" | jq -r '.by_activation_code, .by_smds' | paste -sd,)" = "$H,$H" ] && ok "$H device(s) by activation code, $H through the SM-DS" \
  || bad "split $(echo "$J" | jq -c '{by_activation_code,by_smds}')"
[ "$(echo "$J" | jq '[.per_device[] | select(.installed and .enabled and .notified and .order_installed)] | length')" = "$N" ] \
  && ok "every device: installed, enabled, notified; every order installed at the SM-DP+" || bad "devices $(echo "$J" | jq -c .per_device)"
[ "$(echo "$J" | jq '[.per_device[] | select(.via == "activation-code") | .activation_code | test("^LPA:1\\$localhost:[0-9]+\\$[A-Za-z0-9-]+$")] | all')" = true ] \
  && ok "activation codes of SGP22.md's form" || bad "codes $(echo "$J" | jq -c '[.per_device[].activation_code]')"
[ "$(echo "$J" | jq --argjson n "$N" '.notifications_at_smdpp >= 2 * $n')" = true ] && ok "the SM-DP+ counted $(echo "$J" | jq .notifications_at_smdpp) notifications (PIR + enable per device)" \
  || bad "notifications $(echo "$J" | jq .notifications_at_smdpp)"
[ "$(echo "$J" | jq '[.phases[] | select(.seconds >= 0)] | length')" = 8 ] && [ "$(echo "$J" | jq '.cpu_s.smdpp > 0 and .cpu_s.smds > 0 and .cpu_s.lpa > 0')" = true ] \
  && ok "per-phase times and CPU per process in the report" || bad "report $(echo "$J" | jq -c '{phases,cpu_s}')"
# the cards' own view, asked afterwards
good=0
for row in $(echo "$J" | jq -r '.per_device[] | .eid + ":" + .iccid'); do
  eid=${row%%:*} iccid=${row#*:}
  l=$("$BIN" lpa --card "$tmp/run/cards/$eid" --json profile list 2>/dev/null)
  [ "$(echo "$l" | jq -r 'map(.iccid + "/" + .state) | join(",")')" = "$iccid/enabled" ] && good=$((good + 1))
done
[ "$good" = "$N" ] && ok "each card holds exactly its ordered profile, enabled" || bad "cards agree: $good of $N"
# (the SM-DP+'s ES12 DeleteEvent goes through its outbox, maybe after the demo stopped: not asserted here)
[ "$(grep -c 'es12 event registered' "$tmp/run/logs/smds.log")" -ge "$H" ] && [ "$(grep -c 'es11 events delivered' "$tmp/run/logs/smds.log")" -ge "$H" ] \
  && ok "SM-DS: $H event(s) registered by the SM-DP+ (ES12), delivered to the LPAs (ES11)" || bad "smds log $(tail -3 "$tmp/run/logs/smds.log")"
left=0
while read -r _ p; do kill -0 "$p" 2>/dev/null && left=$((left + 1)); done <"$tmp/run/pids"
[ "$left" = 0 ] && ok "no process left running" || bad "$left processes left"
exit "$fail"
