#!/usr/bin/env bash
# ES4.AuditEIS refreshes the EIS from the card, end to end as separate processes (rsp smsc, rsp euicc
# run, rsp smsr run started from a --config file): the SM-SR's store is made to disagree with the
# card (its EIS imported with the profile not the fall-back, as after a lost notification; the state
# itself cannot be a lie over SMS: the SM-SR reaches a card through its enabled profile's MSISDN, so
# state changes are checked byte for byte in tests/unit/test_smsr_audit.c), then AuditEIS answers the
# card's truth (the fall-back flag its GET STATUS reports in tag 53), GetEIS shows it afterwards, and
# /metrics counts the settled operations per function with their latency. The store also holds an
# ISD-P the card does not have (as after a master delete the SM-SR did not see): AuditEIS drops it
# (lib/smsr/audit.c: the card's complete GET STATUS lists every ISD-P) and says so in the trail.
. "$(dirname "$0")/daemons.sh"
command -v jq >/dev/null && command -v curl >/dev/null || { echo "FAIL - needs jq and curl"; exit 1; }

SMSR=447700100994
make_fleet 1 447700900800 $SMSR
E0=$(ls "$tmp/fleet/eis" | sed -n 's/\.json$//p' | head -1)
ICC0=$(jq -r '.eis.profiles[0].iccid' "$tmp/fleet/eis/$E0.json")
[ "$(jq -r '.eis.profiles[0] | "\(.state) \(.fallbackAttribute)"' "$tmp/fleet/eis/$E0.json")" = "Enabled true" ] ||
  { bad "the fleet's card is not Enabled + fall-back"; exit 1; }
# the card's free memory, read from the card itself (GET DATA FF21 through the virtual reader, before the
# fleet runs) and decoded here by SGP02.md's layout, not by our parser: FF21 {81 apps, 82 free NVM,
# 83 free volatile}, integers of any length
ff=$("$BIN" euicc apdu --fleet "$tmp/fleet" --eid $E0 --json 80CAFF2100 | jq -r '.responses[0].rapdu' | tr a-f A-F)
FREE=""; body=${ff:6:$(( 0x${ff:4:2} * 2 ))}
while [ "${#body}" -ge 4 ]; do
  l=$(( 0x${body:2:2} )); [ "${body:0:2}" = 82 ] && FREE=$(( 0x${body:4:$((l * 2))} )); body=${body:$((4 + l * 2))}
done
AVAIL0=$(jq -r '.eis.availableMemoryForProfiles' "$tmp/fleet/eis/$E0.json")
[ "${ff:0:4}" = FF21 ] && [ "${ff: -4}" = 9000 ] && [ -n "$FREE" ] && [ "$FREE" != "$AVAIL0" ] &&
  ok "the card's FF21: free NVM $FREE (the EUM's EIS says AvailableMemoryForProfiles $AVAIL0)" ||
  bad "card FF21 '$ff' free '$FREE'"
# the store's version of the card: a lie
mkdir -p "$tmp/lie"
GHOST=89000123456789012994   # Luhn-valid; its ISD-P AID is not on the card
jq --arg g $GHOST '.eis.profiles[0].fallbackAttribute = false | .eis.profiles += [(.eis.profiles[0] | .iccid = $g |
  .isdPAid = "A0000005591010FFFFFFFF8900001100" | .state = "Disabled" | .fallbackAttribute = false |
  .subscriptionAddress.msisdn = "447700900899" | .subscriptionAddress.imsi = "001010000000099")]' \
  "$tmp/fleet/eis/$E0.json" >"$tmp/lie/$E0.json"
DB="sqlite:$tmp/smsr.db"
"$BIN" smsr import --db "$DB" --keys "$tmp/keys.jsonl" "$tmp/lie/$E0.json" >/dev/null 2>&1 || bad "import"
"$BIN" ci issue --dir "$tmp/pki" --role smsr --id SMSR-T --out "$tmp/sr" >/dev/null &&
  "$BIN" ci issue --dir "$tmp/pki" --role operator --id MNO1 --out "$tmp/mno" >/dev/null || bad "certificates"

# the SMSC on a port it picks, told through its port file (no free port guessed first)
"$BIN" smsc --listen 127.0.0.1:0 --port-file "$tmp/smsc.port" >"$tmp/smsc.log" 2>&1 & pids+=($!)
for i in $(seq 100); do [ -s "$tmp/smsc.port" ] && break; sleep 0.1; done
SP=$(tr -d '\n' <"$tmp/smsc.port")
[ -n "$SP" ] && [ "$SP" != 0 ] && grep -q "listening addr=127.0.0.1:$SP " "$tmp/smsc.log" &&
  ok "rsp smsc --port-file: the port it listens on ($SP)" || { bad "smsc port file: '$SP'"; exit 1; }
cat >"$tmp/smsr.ini" <<INI
[store]
uri = $DB
[smpp]
host = 127.0.0.1
port = $SP
[smsr]
msisdn = $SMSR
tick_ms = 50
por_wait_s = 2
listen = 127.0.0.1:0
port_file = $tmp/es.port
tls_cert = $tmp/sr/tls.crt.pem
tls_key = $tmp/sr/key.pem
tls_ca = $tmp/sr/ca.crt.pem
INI
"$BIN" smsr run --config "$tmp/smsr.ini" >"$tmp/smsr.log" 2>&1 & pids+=($!)
for i in $(seq 200); do grep -q "bound system_id=smsr" "$tmp/smsc.log" && [ -s "$tmp/es.port" ] && break; sleep 0.1; done
"$BIN" euicc run --fleet "$tmp/fleet" --smsc 127.0.0.1:$SP --control "$tmp/ctl.sock" --tick-ms 50 >"$tmp/run.log" 2>&1 &
pids+=($!)
wait_fleet "$tmp/ctl.sock" "$tmp/run.log"
EP=$(tr -d '\n' <"$tmp/es.port")
op() {
  "$BIN" op "$1" --url "https://127.0.0.1:$EP" --tls-cert "$tmp/mno/tls.crt.pem" --tls-key "$tmp/mno/key.pem" \
    --tls-ca "$tmp/mno/ca.crt.pem" --timeout 30 --eid $E0 --json "${@:2}"
}
show() { jq -r '.result.eis.profiles[0] | "\(.state) \(.fallbackAttribute)"' 2>/dev/null; }
iccids() { jq -r '[.result.eis.profiles[].iccid] | join(" ")' 2>/dev/null; }

r=$(op GetEIS --wait)
[ "$(echo "$r" | show)" = "Enabled false" ] && ok "before: the store says not the fall-back" || bad "GetEIS before: $r"
[ "$(echo "$r" | iccids)" = "$ICC0 $GHOST" ] && ok "before: the store lists $GHOST, an ISD-P the card does not have" ||
  bad "GetEIS before: profiles $(echo "$r" | iccids)"
r=$(op AuditEIS --wait); rc=$?
[ $rc = 0 ] && [ "$(echo "$r" | show)" = "Enabled true" ] && ok "AuditEIS answers the card's truth: the fall-back" ||
  bad "AuditEIS ($rc): $r"
[ "$(echo "$r" | iccids)" = "$ICC0" ] && grep -q "AuditEIS: ISD-P gone from the card eid=$E0 iccid=$GHOST" "$tmp/smsr.log" &&
  [ "$(sqlite3 "$tmp/smsr.db" "select count(*) from audit where detail like '$GHOST gone%'" 2>/dev/null)" = 1 ] \
  && ok "AuditEIS dropped $GHOST, which the card's GET STATUS does not list (logged, one trail entry)" ||
  bad "ghost after AuditEIS: profiles $(echo "$r" | iccids) // $(grep -i gone "$tmp/smsr.log")"
r=$(op GetEIS --wait)
[ "$(echo "$r" | show)" = "Enabled true" ] && [ "$(echo "$r" | iccids)" = "$ICC0" ] && ok "GetEIS afterwards: refreshed" ||
  bad "GetEIS after: $r"
mem=$(echo "$r" | jq -r '.result.eis | "\(.remainingMemory) \(.availableMemoryForProfiles)"')
[ "$mem" = "$FREE $FREE" ] && ok "RemainingMemory and AvailableMemoryForProfiles = the card's FF21 ($FREE)" ||
  bad "memory after AuditEIS: '$mem', card $FREE"
grep -q "AuditEIS: EIS refreshed from the card" "$tmp/smsr.log" && ok "the refresh is logged" || bad "no refresh log line"
# the same again: nothing differs now
r=$(op AuditEIS --wait --fcid again-1)
[ "$(echo "$r" | show)" = "Enabled true" ] && [ "$(grep -c "EIS refreshed from the card" "$tmp/smsr.log")" = 1 ] &&
  ok "a second AuditEIS changes nothing" || bad "second AuditEIS: $r"

m=$(curl -s --max-time 5 --cacert "$tmp/sr/ca.crt.pem" --cert "$tmp/mno/tls.crt.pem" --key "$tmp/mno/key.pem" \
  "https://127.0.0.1:$EP/metrics")
v=$(echo "$m" | sed -n 's/^rsp_smsr_operations_total{function="ES4.AuditEIS",outcome="done"} //p')
[ "$v" = 2 ] && ok "rsp_smsr_operations_total{ES4.AuditEIS,done} = 2" || bad "operations_total: '$v' $(echo "$m" | grep operations_total)"
c=$(echo "$m" | sed -n 's/^rsp_smsr_operation_seconds_count{function="ES4.AuditEIS",outcome="done"} //p')
inf=$(echo "$m" | sed -n 's/^rsp_smsr_operation_seconds_bucket{function="ES4.AuditEIS",outcome="done",le="+Inf"} //p')
[ "$c" = 2 ] && [ "$inf" = 2 ] && ok "latency histogram per function: 2 observations" || bad "histogram: count '$c' inf '$inf'"
# an operation on a card that is off expires (validity 2 s): counted as expired (under its function,
# or "unknown" where the store's expiry sweep does not say which)
"$BIN" euicc ctl --control "$tmp/ctl.sock" offline $E0 60 >/dev/null 2>&1 || bad "euicc ctl offline"
r=$(op AuditEIS --wait --validity 2 --fcid off-1 --timeout 20)
[ "$(echo "$r" | jq -r '"\(.subject) \(.reason)"')" = "1.6 5.3" ] && ok "AuditEIS on an offline card: expired (1.6 / 5.3)" ||
  bad "offline AuditEIS: $r"
v=""
for i in $(seq 50); do
  v=$(curl -s --max-time 5 --cacert "$tmp/sr/ca.crt.pem" --cert "$tmp/mno/tls.crt.pem" --key "$tmp/mno/key.pem" \
    "https://127.0.0.1:$EP/metrics" |
    sed -n 's/^rsp_smsr_operations_total{function="\(unknown\|ES4.AuditEIS\)",outcome="expired"} //p')
  [ "$v" = 1 ] && break; sleep 0.2
done
[ "$v" = 1 ] && ok "rsp_smsr_operations_total{AuditEIS or unknown,expired} = 1" || bad "expired count: '$v'"
[ $fail = 0 ] || [ -z "${KEEP_LOGS:-}" ] || cp "$tmp"/*.log "$KEEP_LOGS"/
exit $fail
