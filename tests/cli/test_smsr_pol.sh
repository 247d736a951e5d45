#!/usr/bin/env bash
# POL1 refusal and POL2 auto-delete end to end, every party a process (rsp smsc, rsp euicc run, rsp smsr
# run --admin-listen, rsp smdp download, the Operator's callback receiver):
# - a TS.48 package given POL1 "disable not allowed" (ProfileHeader pol [4] = 01, inserted by this test
#   after the header's iccid [3], as test_smdp_master_delete.sh does for 02) is downloaded and enabled;
# - ES4.DisableProfile of it: the card refuses (SW 69E1) and the result is FAILED with 8.4 / 4.2 (eUICC,
#   execution error) naming 69E1; the profile stays enabled (GetEIS);
# - ES4.UpdatePolicyRules gives it POL2 "disable: auto-delete", ES4A.SetONC asks for
#   HandleProfileDeletedNotification; `rsp euicc ctl net-down`: the card falls back (notification 05;
#   the fall-back ignores POL1 "disable not allowed"), the SM-SR deletes the disabled profile by itself,
#   the Operator receives HandleProfileDeletedNotification for it once, GetEIS and the card no longer
#   hold it.
# Outside facts (../shared/spec/SGP02.md): POL1 bit 01 = disable not allowed and its refusal SW 69E1
# ("POL1"), status 8.4 with 4.2 for the eUICC's execution error; POL2 {DISABLE, Auto-Delete}.
. "$(dirname "$0")/daemons.sh"
SRC=${RSP_SOURCE_DIR:?}
command -v curl >/dev/null && command -v python3 >/dev/null && command -v jq >/dev/null ||
  { echo "FAIL - needs curl, python3 and jq"; exit 1; }

SMSR=447700100982
make_fleet 1 447700900960 $SMSR
E0=$(ls "$tmp/fleet/eis" | sed -n 's/\.json$//p' | head -1)
ICC0=$(jq -r '.eis.profiles[0].iccid' "$tmp/fleet/eis/$E0.json")
DB="sqlite:$tmp/smsr.db"
export RSP_SMSR_MASTER_KEY=000102030405060708090A0B0C0D0E0F101112131415161718191A1B1C1D1E1F
"$BIN" smsr import --db "$DB" --keys "$tmp/keys.jsonl" "$tmp"/fleet/eis/*.json >"$tmp/imp" 2>&1 || bad "import: $(cat "$tmp/imp")"
for r in "smsr SMSR-T sr" "smdp DP1 dp1" "operator MNO1 mno"; do
  set -- $r
  "$BIN" ci issue --dir "$tmp/pki" --role $1 --id $2 --out "$tmp/$3" >/dev/null || bad "certificate $2"
done

# the package with POL1 = 01: the header PE (A0) gets pol [4] (84 01 01) right after its iccid [3] (83)
python3 "$SRC/tests/cli/pol1_package.py" "$PKG" "$tmp/pol1.der" 01 || bad "POL1 package"
D=$tmp/dp
"$BIN" smdp import package --dir "$D" --operator MNO1 --type pol1 "$tmp/pol1.der" >"$tmp/impp" 2>&1 &&
  "$BIN" smdp import generate --dir "$D" --operator MNO1 --type pol1 --count 1 --iccid-prefix 8999007 --first 100 \
  >/dev/null 2>&1 || bad "smdp inventory: $(cat "$tmp/impp")"

python3 "$SRC/tests/cli/outbox_receiver.py" --port 0 --cert "$tmp/mno/tls.crt.pem" --key "$tmp/mno/key.pem" \
  --ca "$tmp/mno/ca.crt.pem" --log "$tmp/cb.log" >"$tmp/cb.port" 2>"$tmp/cb.err" &
pids+=($!)
for i in $(seq 100); do [ -s "$tmp/cb.port" ] && break; sleep 0.1; done
CB=https://127.0.0.1:$(head -1 "$tmp/cb.port" | tr -d '\n')/mno1
start_smsc
"$BIN" smsr run --db "$DB" --smsc 127.0.0.1:$SP --msisdn $SMSR --worker w1 --tick-ms 50 --por-wait 2 \
  --listen 127.0.0.1:0 --port-file "$tmp/es.port" --tls-cert "$tmp/sr/tls.crt.pem" --tls-key "$tmp/sr/key.pem" \
  --tls-ca "$tmp/sr/ca.crt.pem" --smdp-ids DP1 --callbacks "MNO1=$CB" --admin-listen 127.0.0.1:0 \
  --admin-idle-ms 500 >"$tmp/smsr.log" 2>&1 &
pids+=($!)
for i in $(seq 200); do grep -q "bound system_id=smsr" "$tmp/smsc.log" && [ -s "$tmp/es.port" ] && break; sleep 0.1; done
EP=$(tr -d '\n' <"$tmp/es.port")
"$BIN" euicc run --fleet "$tmp/fleet" --smsc 127.0.0.1:$SP --control "$tmp/ctl.sock" --tick-ms 50 >"$tmp/run.log" 2>&1 &
RUN_PID=$!; pids+=($RUN_PID)
wait_fleet "$tmp/ctl.sock" "$tmp/run.log"

r=$("$BIN" smdp download --dir "$D" --smsr "https://127.0.0.1:$EP" --ci "$tmp/pki" --dp "$tmp/dp1" --eum "$tmp/eum" \
  --eis-dir "$tmp/fleet/eis" --operator MNO1 --type pol1 --eid $E0 --enable --json 2>&1)
ICC=$(echo "$r" | jq -r '.iccid // empty' 2>/dev/null | tail -1)
[ -n "$ICC" ] && echo "$r" | grep -q '"enabled\|"installed' && ok "the POL1 package downloaded and enabled ($ICC)" ||
  { bad "download: $r"; exit 1; }
op() {
  "$BIN" op "$1" --url "https://127.0.0.1:$EP" --tls-cert "$tmp/mno/tls.crt.pem" --tls-key "$tmp/mno/key.pem" \
    --tls-ca "$tmp/mno/ca.crt.pem" --timeout 40 --eid $E0 --json "${@:2}"
}
states() { # GetEIS: "ICCID=State ..." of the card's profiles, sorted
  op GetEIS --wait --fcid "g-$1" 2>/dev/null | jq -r '.result.eis.profiles[] | "\(.iccid)=\(.state)"' 2>/dev/null | sort | tr '\n' ' '
}
for i in $(seq 100); do st=$(states w$i); [ "$st" = "$(printf '%s\n' "$ICC=Enabled" "$ICC0=Disabled" | sort | tr '\n' ' ')" ] && break; sleep 0.2; done
echo "$st" | grep -q "$ICC=Enabled" && ok "GetEIS: $ICC enabled" || bad "after the download: '$st'"

# POL1: the card refuses the disable
r=$(op DisableProfile --iccid $ICC --wait --fcid dis1)
[ "$(echo "$r" | jq -r '"\(.status) \(.subject) \(.reason)"' 2>/dev/null)" = "FAILED 8.4 4.2" ] && echo "$r" | grep -q 69E1 &&
  ok "ES4.DisableProfile of the POL1 profile: FAILED 8.4 / 4.2, the card's 69E1" || bad "disable: $r"
st=$(states p1)
echo "$st" | grep -q "$ICC=Enabled" && ok "the POL1 profile is still enabled ($st)" || bad "after the refusal: '$st'"

# POL2: auto-delete on disable, and the Operator wants HandleProfileDeletedNotification for the type
r=$(op UpdatePolicyRules --iccid $ICC --pol2 disable:auto-delete --wait --fcid pol2)
[ "$(echo "$r" | jq -r .status 2>/dev/null)" = EXECUTED_SUCCESS ] && ok "UpdatePolicyRules: POL2 disable:auto-delete" ||
  bad "pol2: $r"
r=$(curl -s --max-time 20 --cacert "$tmp/sr/ca.crt.pem" --cert "$tmp/mno/tls.crt.pem" --key "$tmp/mno/key.pem" \
  -H 'Content-Type: application/json' "https://127.0.0.1:$EP/es4a/SetONC" \
  -d '{"functionCallIdentifier":"onc1","onc":[{"mnoId":"MNO1","profileType":"pol1","notifications":["HandleProfileDeletedNotification"]}]}')
echo "$r" | grep -q EXECUTED_SUCCESS || bad "SetONC: $r"
"$BIN" euicc ctl --control "$tmp/ctl.sock" net-down $E0 >/dev/null || bad "net-down"
for i in $(seq 150); do st=$(states n$i); [ "$st" = "$ICC0=Enabled " ] && break; sleep 0.2; done
[ "$st" = "$ICC0=Enabled " ] && ok "net-down: the fall-back profile enabled, $ICC deleted by the SM-SR (POL2)" ||
  bad "after net-down: '$st' $(grep -i 'notif\|MO packet\|Delete' "$tmp/smsr.log" | tail -4)"
for i in $(seq 150); do grep -q HandleProfileDeletedNotification "$tmp/cb.log" 2>/dev/null && break; sleep 0.2; done
sleep 1 # a second (wrong) one would come now
line=$(grep HandleProfileDeletedNotification "$tmp/cb.log" 2>/dev/null)
[ "$(echo "$line" | grep -c .)" = 1 ] && echo "$line" | grep -q "$ICC" &&
  ok "the Operator received HandleProfileDeletedNotification for $ICC once" ||
  bad "deleted notification: '$(echo "$line" | head -c 300)'"
grep -q "HandleProfileDisabledNotification\|HandleProfileEnabledNotification" "$tmp/cb.log" &&
  bad "a notification the ONC does not list was sent" || ok "nothing the ONC does not list"
kill -TERM $RUN_PID; for i in $(seq 50); do kill -0 $RUN_PID 2>/dev/null || break; sleep 0.1; done
s=$("$BIN" euicc show --fleet "$tmp/fleet" --eid "$E0" --json 2>&1)
echo "$s" | jq -e '.profiles' >/dev/null 2>&1 && ! echo "$s" | grep -q "$ICC" && ok "the card no longer holds $ICC" ||
  bad "card: $s"
[ $fail = 0 ] || { echo "--- smsr.log"; tail -25 "$tmp/smsr.log"; }
[ -z "${KEEP_LOGS:-}" ] || cp "$tmp"/*.log "$KEEP_LOGS"/
exit $fail
