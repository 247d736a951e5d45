#!/usr/bin/env bash
# ES5 over HTTPS (SCP81) through separate processes: rsp smsc, rsp euicc run (1 card), rsp smsr run
# --listen (ES3, mTLS) --admin-listen (PSK-TLS admin server, port picked by the SM-SR). The SM-DP side
# is `rsp smdp download`: GetEIS, CreateISDP and key establishment over SMS, then every SCP03t
# SendData queued for the card's admin session, which the SM-SR opens with a trigger SMS; then
# ProfileDownloadCompleted, then ES3.EnableProfile: with --es5-transport https the engine's operations
# go in the admin session too (the table settles them on the session's answer and the notification
# the card posts in the session with ?msg=, confirmed there by 3A08), and so does an ES4.DisableProfile
# of the Operator. Checks: the download ends installed and enabled, the SendData of one download went
# through ONE admin session, the trigger bytes and the PSK identity match the layout of SGP02.md
# byte for byte (built here by printf, not by our code), a PSK-TLS client with an unknown identity is
# refused at the handshake and counted in /metrics, the PSK is sealed at rest under the master key,
# and `rsp euicc show` on the stopped fleet lists the new profile.
. "$(dirname "$0")/daemons.sh"

SMSR=447700100996
make_fleet 1 447700900600 $SMSR
E0=$(ls "$tmp/fleet/eis" | sed -n 's/\.json$//p' | head -1)
DB="sqlite:$tmp/smsr.db"
printf '%064d\n' 7 >"$tmp/mk"
"$BIN" smsr import --db "$DB" --master-key "$tmp/mk" --keys "$tmp/keys.jsonl" "$tmp"/fleet/eis/*.json >"$tmp/imp" 2>&1 \
  || bad "import: $(cat "$tmp/imp")"
# the PSK row (KVN 40) is sealed: blob 4B32 || IV || CT(16) || tag, never the PSK of keys.jsonl
PSK=$(jq -r .scp81.psk "$tmp/keys.jsonl" | head -1)
if command -v sqlite3 >/dev/null; then
  row=$(sqlite3 "$tmp/smsr.db" "select hex(keys) from keyset where eid='$E0' and kvn=64" 2>/dev/null)
  case $row in 4B32*) [ ${#row} = 100 ] && ! echo "$row" | grep -qi "$PSK" && ok "SCP81 PSK sealed at rest (KVN 40, 4B32)" \
    || bad "PSK row: $row";; *) bad "no sealed PSK row: '$row'";; esac
else
  ok "# skip: no sqlite3 to read the PSK row (tests/unit/test_smsr_https.c checks the blob)"
fi

"$BIN" ci issue --dir "$tmp/pki" --role smsr --id SMSR-T --out "$tmp/sr" >/dev/null &&
  "$BIN" ci issue --dir "$tmp/pki" --role smdp --id DP1 --out "$tmp/dp1" >/dev/null &&
  "$BIN" ci issue --dir "$tmp/pki" --role operator --id MNO1 --out "$tmp/mno" >/dev/null || bad "certificates"
D=$tmp/dp
"$BIN" smdp import package --dir "$D" --operator MNO1 --type ts48 "$PKG" >/dev/null 2>&1 &&
  "$BIN" smdp import generate --dir "$D" --operator MNO1 --type ts48 --count 2 --iccid-prefix 8999002 --first 100 \
  >/dev/null 2>&1 || bad "smdp inventory"

start_smsc
"$BIN" smsr run --db "$DB" --master-key "$tmp/mk" --smsc 127.0.0.1:$SP --msisdn $SMSR --worker w1 --tick-ms 100 \
  --por-wait 2 --listen 127.0.0.1:0 --port-file "$tmp/es.port" --tls-cert "$tmp/sr/tls.crt.pem" \
  --tls-key "$tmp/sr/key.pem" --tls-ca "$tmp/sr/ca.crt.pem" --smdp-ids DP1 \
  --admin-listen 127.0.0.1:0 --admin-port-file "$tmp/admin.port" --admin-idle-ms 3000 --admin-trigger-ms 1000 --es5-transport https \
  >"$tmp/smsr.log" 2>&1 &
SMSR_PID=$!; pids+=($SMSR_PID)
for i in $(seq 200); do grep -q "bound system_id=smsr" "$tmp/smsc.log" && [ -s "$tmp/es.port" ] && [ -s "$tmp/admin.port" ] && break; sleep 0.1; done
URL=https://127.0.0.1:$(tr -d '\n' <"$tmp/es.port")
AP=$(tr -d '\n' <"$tmp/admin.port")
"$BIN" euicc run --fleet "$tmp/fleet" --smsc 127.0.0.1:$SP --control "$tmp/ctl.sock" --tick-ms 50 >"$tmp/run.log" 2>&1 &
RUN_PID=$!; pids+=($RUN_PID)
wait_fleet "$tmp/ctl.sock" "$tmp/run.log"

r=$("$BIN" smdp download --dir "$D" --smsr "$URL" --ci "$tmp/pki" --dp "$tmp/dp1" --eum "$tmp/eum" \
  --eis-dir "$tmp/fleet/eis" --operator MNO1 --type ts48 --eid $E0 --enable --json 2>&1); rc=$?
ICC=$(echo "$r" | jq -r '.iccid // empty' 2>/dev/null | tail -1)
[ $rc = 0 ] && echo "$r" | grep -q '"installed and enabled' && ok "download + enable through the SM-SR over SCP81 ($ICC)" \
  || bad "download ($rc): $r"
n=$(grep -c "admin session open" "$tmp/smsr.log")
[ "$n" -ge 1 ] && [ "$(grep -c 'admin trigger sent' "$tmp/smsr.log")" = 1 ] \
  && ok "the download's SendData and the enable in ONE triggered session" || bad "$n admin sessions"
grep -q "admin answer eid=$E0 op=[0-9]* lost=0 result=ok" "$tmp/smsr.log" && grep -q "admin notification eid=$E0 seq=[0-9]* result=ok" "$tmp/smsr.log" \
  && ok "ES3.EnableProfile: engine op answered in the session, notification posted there" || bad "enable over HTTPS"
# the enable and the 3A08 confirmation end the session (204) at once: the card's notification and the
# session's end do not wait for the idle time (--admin-idle-ms 3000)
for i in $(seq 40); do grep -q "admin session ended after its last script eid=$E0" "$tmp/smsr.log" && break; sleep 0.1; done
grep -q "admin session ended after its last script eid=$E0" "$tmp/smsr.log" && ! grep -q "admin session idle: ended eid=$E0" "$tmp/smsr.log" \
  && ok "the session ends (204) right after its last script, not at the idle time" || bad "no end after the last script"
# ES4.DisableProfile by the Operator, over HTTPS to the card: the fall-back profile comes back (05)
NA=$(grep -c 'admin answer eid=.* lost=0 result=ok' "$tmp/smsr.log")
r=$(curl -s --max-time 40 --cacert "$tmp/sr/ca.crt.pem" --cert "$tmp/mno/tls.crt.pem" --key "$tmp/mno/key.pem" \
  -H 'Content-Type: application/json' -H 'Prefer: wait' "$URL/es4/DisableProfile" \
  -d "{\"functionCallIdentifier\":\"d1\",\"eid\":\"$E0\",\"iccid\":\"$ICC\",\"addressing\":{\"messageId\":\"m-d1\"}}")
echo "$r" | grep -q EXECUTED_SUCCESS && [ "$(grep -c 'admin answer eid=.* lost=0 result=ok' "$tmp/smsr.log")" = $((NA + 1)) ] \
  && ok "ES4.DisableProfile over HTTPS (SCP81)" || bad "disable: $r"

# Outside fact (SGP02.md "SCP81 over HTTPS"): PSK identity = 80 01 02 | 81 10 EID | 4F 10 ISD-R AID |
# 82 01 key id | 83 01 KVN, sent as uppercase hex; trigger = 81 L 83 L {84 {35 01 03, 39 02 <buf>,
# 3C 03 02 <port>, 3E 05 21 <IPv4>}, 85 {Lid <PSK id> 02 KVN KID} (VECTORS.txt §F: "85 08 04 deadbeef
# 02 00 40"), 89 {8A host, 8C URI}}
ID=$(printf '800102' ; printf '8110%s' $E0; printf '4F10A0000005591010FFFFFFFF8900000100'; printf '820101830140')
grep -q "admin session open eid=$E0 psk_id=$ID " "$tmp/smsr.log" && ok "PSK identity as SGP02.md lays it out" \
  || bad "PSK identity: $(grep -o 'psk_id=[0-9A-F]*' "$tmp/smsr.log" | head -1) want $ID"
hx() { printf '%s' "$1" | od -An -tx1 | tr -d ' \n' | tr a-f A-F; }
host=$(hx 127.0.0.1); uri=$(hx /gsma/adminagent)
conn=$(printf '350103390205DC3C0302%04X3E05217F000001' "$AP")
sec=$(printf '85%02X%02X%s024001' $(( ${#ID} / 2 + 4 )) $(( ${#ID} / 2 )) "$ID")
addr=$(printf '8A%02X%s8C%02X%s' $(( ${#host} / 2 )) "$host" $(( ${#uri} / 2 )) "$uri")
in83=$(printf '84%02X%s%s89%02X%s' $(( ${#conn} / 2 )) "$conn" "$sec" $(( ${#addr} / 2 )) "$addr")
want=$(printf '81%02X83%02X%s' $(( ${#in83} / 2 + 2 )) $(( ${#in83} / 2 )) "$in83")
got=$(grep -o "admin trigger sent .*trigger=[0-9A-F]*" "$tmp/smsr.log" | head -1 | sed 's/.*trigger=//')
[ "$got" = "$want" ] && ok "trigger bytes as SGP02.md / VECTORS §F lay them out" || bad "trigger: $got want $want"

# a PSK-TLS client with an identity the SM-SR has no PSK for: refused at the handshake, counted
BADID=$(printf '800102'; printf '8110%s' 89049032123451234512345678901235; printf '4F10A0000005591010FFFFFFFF8900000100820101830140')
echo | timeout 5 openssl s_client -connect 127.0.0.1:$AP -tls1_2 -psk_identity "$BADID" -psk 000102030405060708090A0B0C0D0E0F \
  -cipher PSK-AES128-GCM-SHA256 >"$tmp/bad.out" 2>&1
grep -q "admin PSK identity refused" "$tmp/smsr.log" && ok "unknown PSK identity refused at the handshake" || bad "unknown identity"
m=$(curl -s --cacert "$tmp/dp1/ca.crt.pem" --cert "$tmp/dp1/tls.crt.pem" --key "$tmp/dp1/key.pem" "$URL/metrics")
# (the disable may need a second trigger when the session went idle before it came: count the log's)
NT=$(grep -c "admin trigger sent" "$tmp/smsr.log")
echo "$m" | grep -q "^rsp_smsr_admin_psk_refused_total 1" && echo "$m" | grep -q "^rsp_smsr_admin_triggers_total $NT\$" \
  && echo "$m" | grep -q "^rsp_smsr_admin_scripts_failed_total 0" && ok "/metrics: $NT trigger(s), 1 PSK refused, no script failed" \
  || bad "metrics: $(echo "$m" | grep admin)"
grep -qi "$PSK" "$tmp/smsr.log" "$tmp/run.log" && bad "the PSK is in a log" || ok "the PSK is in no log"

kill -TERM $RUN_PID; for i in $(seq 50); do kill -0 $RUN_PID 2>/dev/null || break; sleep 0.1; done
# the card is gone: a SendData to the installed ISD-P (one C-APDU: in the admin session, --es5-transport
# https) is an engine operation: the trigger is resent (3 per attempt, then the op is sent again) until
# its validity period (10 s) ends, then Expired 1.6/5.3 (it used to fail 8.4/4.2 after 3 triggers)
es3() { curl -s --max-time 40 --cacert "$tmp/dp1/ca.crt.pem" --cert "$tmp/dp1/tls.crt.pem" --key "$tmp/dp1/key.pem" \
  -H 'Content-Type: application/json' -H 'Prefer: wait' "$URL/es3/$1" -d "{$2}"; }
AID=$(es3 GetEIS "\"functionCallIdentifier\":\"g9\",\"eid\":\"$E0\"" | jq -r ".eis.profiles[]? | select(.iccid == \"$ICC\") | .isdPAid" 2>/dev/null)
r=$(es3 SendData "\"functionCallIdentifier\":\"s9\",\"validityPeriod\":10,\"eid\":\"$E0\",\"sdAid\":\"$AID\",\"data\":\"80CA006600\"")
NT2=$(grep -c 'admin trigger sent' "$tmp/smsr.log")
echo "$r" | grep -q '"1.6"' && echo "$r" | grep -q '"5.3"' && [ "$NT2" -gt $((NT + 3)) ] \
  && ok "SendData for a card that never opens the session: triggered again ($((NT2 - NT)) triggers), Expired 1.6/5.3" \
  || bad "no session ($AID, $((NT2 - NT)) triggers): $r"
r=$("$BIN" euicc show --fleet "$tmp/fleet" --eid $E0 2>&1)
[ -n "$ICC" ] && echo "$r" | grep "$ICC" | grep -q disabled && echo "$r" | grep -q "profiles (2)" \
  && echo "$r" | grep "fall-back" | grep -q enabled && ok "euicc show: downloaded, enabled then disabled; the fall-back profile enabled" \
  || bad "show: $r"
kill -TERM $SMSR_PID; for i in $(seq 50); do kill -0 $SMSR_PID 2>/dev/null || break; sleep 0.1; done
[ $fail = 0 ] || { echo "--- smsr.log"; tail -40 "$tmp/smsr.log"; echo "--- run.log"; tail -20 "$tmp/run.log"; }
exit $fail
