#!/usr/bin/env bash
# The demo end to end on simulated cards (lib/euicc, in DIR/fleet): runs twice on one SQLite store
# (state and counters persist between runs), and once on PostgreSQL when a test cluster is up
# (RSP_PG_DSN, set by scripts/with-pg). What the cards did is read back with `rsp euicc show`.
set -u
RSP=${RSP_BIN:?}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0 fail=0
ok() { pass=$((pass+1)); }
ko() { fail=$((fail+1)); echo "FAIL $*"; }
field() { grep -o "\"$1\":[0-9]*" | head -1 | cut -d: -f2; }

out=$("$RSP" demo --dir "$tmp/d" --cards 3 --json 2>"$tmp/err") && ok || { ko "demo run 1"; cat "$tmp/err"; }
[ "$(echo "$out" | field ops_done)" = 3 ] && ok || ko "run 1 ops_done: $out"
[ "$(echo "$out" | grep -o '"iccid":"[0-9]*"' | wc -l)" = 3 ] && ok || ko "run 1 iccids"
out=$("$RSP" demo --dir "$tmp/d" --cards 3 --json 2>"$tmp/err") && ok || { ko "demo run 2"; cat "$tmp/err"; }
[ "$(echo "$out" | field ops_done)" = 6 ] && ok || ko "run 2 ops_done (state kept): $out"
# Each card's EUICCResponse said installed with every status ok, and the card reports it enabled.
[ "$(echo "$out" | jq '[.cards[] | select(.euicc_response.installed and .euicc_response.pe_status > 0
    and .euicc_response.pe_status == .euicc_response.pe_status_ok and .card_state == "enabled")] | length')" = 3 ] \
  && ok || ko "run 2 EUICCResponse / card state: $out"

# The card itself (its committed state in the fleet), not the demo's word: the downloaded profile
# enabled, the provisioning profile disabled with the fall-back attribute, and the SCP80 counter of
# the card's key set at the SM-SR's last value (5 packets per card per run: 10 after two runs), and
# no notification left to resend (the switch notification was confirmed).
fleet=$(echo "$out" | jq -r .fleet) eid=$(echo "$out" | jq -r '.cards[0].eid') iccid=$(echo "$out" | jq -r '.cards[0].iccid')
show=$("$RSP" euicc show --fleet "$fleet" --eid "$eid" --json 2>"$tmp/err") && ok || { ko "euicc show"; cat "$tmp/err"; }
[ "$(echo "$show" | jq -r --arg i "$iccid" '.profiles[] | select(.iccid == $i) | .state')" = enabled ] \
  && ok || ko "downloaded profile not enabled on the card: $show"
[ "$(echo "$show" | jq -r '[.profiles[] | select(.iccid != "" and .state == "disabled" and .fallback)] | length')" = 1 ] \
  && ok || ko "provisioning profile not disabled/fall-back: $show"
[ "$(echo "$show" | jq -r '.counters.scp80[0].cntr | ascii_downcase')" = 000000000a ] && ok || ko "card SCP80 counter: $show"
[ "$(echo "$show" | jq '.notifications | length')" = 0 ] && ok || ko "notifications left unconfirmed on the card: $show"
[ "$(echo "$out" | jq '.cards[0].switch_notification_seq')" -ge 1 ] 2>/dev/null && ok || ko "no switch notification seq: $out"
[ "$(echo "$show" | jq -r --arg i "$iccid" '.profiles[] | select(.iccid == $i) | .scp03_keys')" = true ] \
  && ok || ko "no SCP03 keys from Scenario#3 on the card"

human=$("$RSP" demo --dir "$tmp/d" --cards 1 2>&1) && ok || ko "demo human output"
echo "$human" | grep -q "CreateISDP .*counter 11)" && ok || ko "SCP80 counter did not continue from the store: $human"
echo "$human" | grep -q "receipt verified" && ok || ko "no key establishment line"
echo "$human" | grep -q "EUICCResponse: installed" && ok || ko "no EUICCResponse line"
echo "$human" | grep -q "SM-SR confirmed them (3A08, counter 15)" && ok || ko "no notification confirmation line: $human"
"$RSP" demo --dir "$tmp/x" --profile "$tmp/none.der" >/dev/null 2>"$tmp/err"
[ $? = 2 ] && grep -q "cannot read the profile package" "$tmp/err" && ok || ko "missing profile not reported"
"$RSP" demo --cards 0 >/dev/null 2>&1; [ $? = 2 ] && ok || ko "--cards 0 accepted"
"$RSP" demo --help 2>&1 | grep -q "D/fleet" && ok || ko "--help"
if [ -n "${RSP_PG_DSN:-}" ]; then
  out=$("$RSP" demo --dir "$tmp/pg" --store "$RSP_PG_DSN" --cards 2 --json 2>"$tmp/err") && ok || { ko "demo on PostgreSQL"; cat "$tmp/err"; }
  [ "$(echo "$out" | grep -o '"iccid":"[0-9]*"' | wc -l)" = 2 ] && ok || ko "PostgreSQL run: $out"
  [ "$(echo "$out" | jq '[.cards[] | select(.euicc_response.installed)] | length')" = 2 ] && ok || ko "PostgreSQL EUICCResponse: $out"
else
  echo "note: RSP_PG_DSN unset, the PostgreSQL run of the demo was not made"
fi
echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
