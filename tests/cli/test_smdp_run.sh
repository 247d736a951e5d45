#!/usr/bin/env bash
# `rsp smdp run`, the SM-DP daemon, as a separate process with rsp smsc, rsp euicc run (1 card) and
# rsp smsr run (ES3 over mTLS; with --admin-listen when this SM-SR has it, so SCP03t reaches the card):
# ES2.DownloadProfile over JSON with an Operator's client certificate and `Prefer: wait` runs the
# download through the SM-SR (installed when the SM-SR offers admin sessions, else refused by the
# SM-SR at the first SCP03t SendData with its own status 8.4/4.2, passed to the Operator); the same
# FunctionCallIdentifier sent again as a SOAP 1.1 request built from njiwa's ES2 WSDL (an outside
# contract, tests/es/wsdl_gen.py) is answered with the first download's result; an unknown
# ProfileType, an Operator without that pool and an Operator not served are refused with their codes;
# EnableProfile on a profile this SM-DP did not download for that Operator is refused, and (with admin
# sessions) EnableProfile, UpdatePolicyRules, GetEIS (each Operator its own profiles), DisableProfile,
# AuditEIS (its answer the card's EIS, no ES3.GetEIS after it) and UpdateSubscriptionAddress are relayed to
# the SM-SR, the SM-DP's inventory following (installed -> enabled -> disabled); three concurrent downloads take three identities; /metrics counts
# the downloads and ES2 calls; kill -9 of rsp smdp while a download is between CreateISDP and the end,
# then a restart: the download is cleaned up (ISD-P deleted, identity spent, never handed out twice)
# and its journal ends failed "interrupted in ...", and the result reaches the ReplyTo of the request
# that started it (an HTTPS mTLS listener of the test); the restart reads a config file; SIGTERM during
# a download answers the held call 1.2/4.4, exits 0 and leaves the journal for the next start; SIGTERM
# exits 0.
. "$(dirname "$0")/daemons.sh"

SMSR=447700100995
make_fleet 3 447700900700 $SMSR
EIDS=($(ls "$tmp/fleet/eis" | sed -n 's/\.json$//p'))
E0=${EIDS[0]}
smsr_world 7 "smsr SMSR-T sr" "smdp DP1 dp1" "operator MNO1 mno1" "operator MNO2 mno2" "operator MNO3 mno3"
D=$tmp/dp # smdp_pool fills it
# the download journal (rsp smdp downloads: one line per download, "id=... step=N ... outcome=..." last)
dls() { "$BIN" smdp downloads --dir "$D" 2>/dev/null; }
dl_line() { dls | grep "^id=$1 "; }
dl_field() { dl_line "$1" | sed -n "s/.* $2=\([^ ]*\).*/\1/p"; }
dl_outcome() { dl_line "$1" | sed -n 's/.* outcome=//p'; }
smdp_pool ts48 "$PKG" 6 8999003

ADMIN=()
"$BIN" smsr run --help 2>&1 | grep -q -- --admin-listen &&
  ADMIN=(--admin-listen 127.0.0.1:0 --admin-port-file "$tmp/admin.port" --admin-idle-ms 3000)
start_smsc
"$BIN" smsr run --db "$DB" --master-key "$tmp/mk" --smsc 127.0.0.1:$SP --msisdn $SMSR --worker w1 --tick-ms 100 \
  --por-wait 2 --listen 127.0.0.1:0 --port-file "$tmp/es.port" --tls-cert "$tmp/sr/tls.crt.pem" \
  --tls-key "$tmp/sr/key.pem" --tls-ca "$tmp/sr/ca.crt.pem" --smdp-ids DP1 "${ADMIN[@]}" >"$tmp/smsr.log" 2>&1 &
pids+=($!)
for i in $(seq 200); do grep -q "bound system_id=smsr" "$tmp/smsc.log" && [ -s "$tmp/es.port" ] && break; sleep 0.1; done
URL=https://127.0.0.1:$(tr -d '\n' <"$tmp/es.port")
"$BIN" euicc run --fleet "$tmp/fleet" --smsc 127.0.0.1:$SP --control "$tmp/ctl.sock" --tick-ms 50 >"$tmp/run.log" 2>&1 &
RUN_PID=$!; pids+=($RUN_PID)
wait_fleet "$tmp/ctl.sock" "$tmp/run.log"
# the Operator's callback listener (HTTPS, mTLS), for a ReplyTo below
cat >"$tmp/cb.py" <<'PY'
import http.server, ssl, sys
class H(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        b = self.rfile.read(int(self.headers.get('Content-Length', 0)))
        with open(sys.argv[5], 'ab') as f:
            f.write(b + b'\n')
        self.send_response(200); self.send_header('Content-Length', '0'); self.end_headers()
    def log_message(self, *a): pass
s = http.server.HTTPServer(('127.0.0.1', 0), H)
c = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER); c.load_cert_chain(sys.argv[1], sys.argv[2])
c.load_verify_locations(sys.argv[3]); c.verify_mode = ssl.CERT_REQUIRED
s.socket = c.wrap_socket(s.socket, server_side=True)
open(sys.argv[4] + '.tmp', 'w').write(str(s.server_address[1]))
import os; os.rename(sys.argv[4] + '.tmp', sys.argv[4])
s.serve_forever()
PY
python3 "$tmp/cb.py" "$tmp/mno1/tls.crt.pem" "$tmp/mno1/key.pem" "$tmp/mno1/ca.crt.pem" "$tmp/cb.port" "$tmp/cb.log" &
pids+=($!)

start_smdp() { # the daemon, on a port it picks (written to $tmp/dp.port); $1 = "config": from a file
  rm -f "$tmp/dp.port" "$tmp/dpm.port"
  if [ "${1:-}" = config ]; then
    printf '[smdp]\ndir = %s\nlisten = 127.0.0.1:0\nport_file = %s\nmetrics_listen = 127.0.0.1:0\nci = %s\ndp = %s\neum = %s\neis_dir = %s\nworkers = 2\noperators = MNO1,MNO2\n[es3]\nurl = %s\n' \
      "$D" "$tmp/dp.port" "$tmp/pki" "$tmp/dp1" "$tmp/eum" "$tmp/fleet/eis" "$URL" >"$tmp/smdp.ini"
    "$BIN" smdp run --config "$tmp/smdp.ini" >>"$tmp/smdp.log" 2>&1 &
  else
    "$BIN" smdp run --dir "$D" --listen 127.0.0.1:0 --port-file "$tmp/dp.port" --metrics-listen 127.0.0.1:0 \
      --smsr "$URL" --ci "$tmp/pki" --dp "$tmp/dp1" --eum "$tmp/eum" --eis-dir "$tmp/fleet/eis" --workers 2 \
      --operators MNO1,MNO2 >>"$tmp/smdp.log" 2>&1 &
  fi
  DP_PID=$!; pids+=($DP_PID)
  t=$((SECONDS + 30)); while [ $SECONDS -lt $t ] && [ ! -s "$tmp/dp.port" ]; do sleep 0.1; done
  DPURL=https://127.0.0.1:$(tr -d '\n' <"$tmp/dp.port")
}
es2() { # es2 OPERATOR FUNCTION JSON: one ES2 call over JSON, answer in the HTTP response
  curl -sS --max-time 120 --cert "$tmp/$1/tls.crt.pem" --key "$tmp/$1/key.pem" --cacert "$tmp/$1/ca.crt.pem" \
    -H 'Content-Type: application/json' -H 'Prefer: wait' -d "$3" "$DPURL/es2/$2"; }
dl_req() { echo "{\"functionCallIdentifier\":\"$1\",\"eid\":\"${4:-$E0}\",\"smsrId\":\"SMSR-T\",\"profileType\":\"$2\",\"enableProfile\":${3:-false}}"; }
st() { jq -r '.functionExecutionStatus | .status + " " + (.statusCodeData.subjectCode // "") + "/" + (.statusCodeData.reasonCode // "")' 2>/dev/null; }

start_smdp
[ -s "$tmp/dp.port" ] && ok "rsp smdp run listening" || { bad "smdp did not start: $(tail -5 "$tmp/smdp.log")"; exit 1; }

# three downloads at once (one per card) through the SM-SR, on the daemon's worker threads
es2 mno1 DownloadProfile "$(dl_req c1 ts48 false ${EIDS[1]})" >"$tmp/c1.out" 2>&1 &
C1=$!
es2 mno1 DownloadProfile "$(dl_req c2 ts48 false ${EIDS[2]})" >"$tmp/c2.out" 2>&1 &
C2=$!
r1=$(es2 mno1 DownloadProfile "$(dl_req f1 ts48)")
wait $C1 $C2
s1=$(echo "$r1" | st)
ICC=$(echo "$r1" | jq -r '.iccid // empty' 2>/dev/null)
if [ ${#ADMIN[@]} -gt 0 ]; then
  [ "$s1" = "EXECUTED_SUCCESS /" ] && [ -n "$ICC" ] && ok "ES2.DownloadProfile: installed, ICCID $ICC" || bad "download: $r1"
else
  [ "$s1" = "FAILED 8.4/4.2" ] && echo "$r1" | grep -q "load" \
    && ok "ES2.DownloadProfile ran to the SM-SR, which refused SCP03t (no admin session): 8.4/4.2 passed on" \
    || bad "download: $r1"
fi
all=$( (echo "$r1"; cat "$tmp/c1.out" "$tmp/c2.out") | jq -r '.functionExecutionStatus.status' 2>/dev/null | sort | uniq -c | tr -s ' ')
taken=$(dls | grep -o ' iccid=[0-9]\+' | sort -u | wc -l)
[ "$all" = " 3 $(echo "$s1" | cut -d' ' -f1)" ] && [ "$taken" = 3 ] \
  && ok "3 concurrent downloads: each ended as the first ($s1), 3 distinct identities" \
  || bad "concurrent: $all / $taken: $(cat "$tmp/c1.out" "$tmp/c2.out")"

# the same FunctionCallIdentifier as a SOAP 1.1 request from njiwa's ES2 WSDL: the first download's result
python3 "$RSP_SOURCE_DIR/tests/es/wsdl_gen.py" gen "$RSP_SHARED_DIR/interop/njiwa-wsdl" "$tmp/wsdl" >/dev/null 2>&1 \
  || bad "wsdl_gen"
sed -e "s#<FunctionCallIdentifier>[^<]*<#<FunctionCallIdentifier>f1<#" -e "s#<Eid>[^<]*<#<Eid>$E0<#" \
  -e "s#<ProfileType>[^<]*<#<ProfileType>ts48<#" -e "s#<Iccid>[^<]*</Iccid>##" \
  -e "s#<ValidityPeriod>[^<]*</ValidityPeriod>##" "$tmp/wsdl/ES2/DownloadProfile.req.xml" >"$tmp/soap.xml"
r=$(curl -sS --max-time 30 --cert "$tmp/mno1/tls.crt.pem" --key "$tmp/mno1/key.pem" --cacert "$tmp/mno1/ca.crt.pem" \
  -H 'Content-Type: text/xml; charset=utf-8' \
  -H 'SOAPAction: "http://gsma.com/ES2/ProfileManagent/ES2-DownloadProfileRequest"' --data-binary @"$tmp/soap.xml" "$DPURL/es2")
if [ ${#ADMIN[@]} -gt 0 ]; then
  echo "$r" | grep -q "<Iccid>$ICC</Iccid>" && ok "njiwa SOAP replay of f1: the same ICCID" || bad "SOAP replay: $r"
else
  echo "$r" | grep -q "<ReasonCode>4.2</ReasonCode>" && echo "$r" | grep -q "$(echo "$r1" | jq -r .functionExecutionStatus.statusCodeData.message)" \
    && ok "njiwa SOAP replay of f1: the first download's result" || bad "SOAP replay: $r"
fi
n=$(dls | grep -c '^id=')
[ "$n" = 3 ] && ok "the replay started no second download" || bad "$n journals"

r=$(es2 mno1 DownloadProfile "$(dl_req f2 nosuchtype)" | st)
[ "$r" = "FAILED 8.2.5/3.9" ] && ok "unknown ProfileType: 8.2.5/3.9" || bad "unknown type: $r"
r=$(es2 mno2 DownloadProfile "$(dl_req f3 ts48)" | st)
[ "$r" = "FAILED 8.2.5/3.9" ] && ok "another Operator (no pool of its own): 8.2.5/3.9" || bad "MNO2: $r"
printf '[smdp]\nworkers = 0\n' >"$tmp/bad.ini"
"$BIN" smdp run --config "$tmp/bad.ini" >/dev/null 2>&1; rc=$?
[ $rc = 2 ] && ok "a config file with workers = 0: usage error 2" || bad "bad config: exit $rc"
r=$(es2 mno3 DownloadProfile "$(dl_req f4 ts48)" | st)
[ "$r" = "FAILED 1.1/1.2" ] && ok "an Operator this SM-DP does not serve: 1.1/1.2" || bad "MNO3: $r"
r=$(es2 mno2 EnableProfile "{\"functionCallIdentifier\":\"e1\",\"eid\":\"$E0\",\"smsrId\":\"SMSR-T\",\"iccid\":\"${ICC:-89990030000000000018}\"}" | st)
[ "$r" = "FAILED 8.2.1/3.9" ] && ok "EnableProfile on another Operator's profile: refused before ES3" || bad "enable MNO2: $r"

MP=$(grep -o 'metrics_port=[0-9]*' "$tmp/smdp.log" | tail -1 | cut -d= -f2)
m=$(curl -sS "http://127.0.0.1:$MP/metrics")
echo "$m" | grep -q '^rsp_smdp_downloads_total{step="\(done\|failed\)",outcome="\(done\|failed\)"} 3' &&
  echo "$m" | grep -q '^rsp_smdp_es2_calls_total{function="DownloadProfile",result="refused"} 3' &&
  echo "$m" | grep -q '^rsp_smdp_es3_call_seconds_count{function="GetEIS"} [1-9]' \
  && ok "/metrics: downloads by step and outcome, ES2 calls, ES3 latency" || bad "metrics: $(echo "$m" | grep smdp)"

# kill -9 between CreateISDP and the end of the load (steps 2-4: download-completed, 5, resumes instead and
# lasts ~100 ms; test_smdp_resume.sh kills at chosen steps through a test hook), then a restart: cleanup.
# This request names a ReplyTo (the Operator's HTTPS mTLS listener below) and is answered 202: its
# result must still reach the Operator after the crash (the durable ReplyTo record + outbox).
t=$((SECONDS + 30)); while [ $SECONDS -lt $t ] && [ ! -s "$tmp/cb.port" ]; do sleep 0.1; done
CB=https://127.0.0.1:$(cat "$tmp/cb.port")/es2cb
MID=urn:uuid:0b0e0c0d-0000-4000-8000-00000000000a
code=$(curl -sS -o /dev/null -w '%{http_code}' --max-time 10 --cert "$tmp/mno1/tls.crt.pem" --key "$tmp/mno1/key.pem" \
  --cacert "$tmp/mno1/ca.crt.pem" -H 'Content-Type: application/json' \
  -d "$(dl_req k1 ts48 | sed "s#}\$#,\"addressing\":{\"replyTo\":\"$CB\",\"messageId\":\"$MID\"}}#")" "$DPURL/es2/DownloadProfile")
[ "$code" = 202 ] && ok "DownloadProfile with a ReplyTo: 202" || bad "k1 with ReplyTo: HTTP $code"

J=""
t=$((SECONDS + 60)); while [ $SECONDS -lt $t ]; do
  # sqlite3 (a few ms) rather than rsp smdp downloads: a release build's download lasts under a second
  J=$(sqlite3 "$D/smdp.db" "select id from smdp_dl where step between 2 and 4 and isdp = 1 limit 1" 2>/dev/null)
  [ -n "$J" ] && break
  sleep 0.01
done
kill -9 $DP_PID
[ -n "$J" ] && ok "rsp smdp killed -9 at step $(dl_field "$J" step) of $J" || bad "no download in flight seen"
K_ICC=$(dl_field "$J" iccid)
start_smdp config   # the restart reads its settings from [smdp] / [es3] of a config file
t=$((SECONDS + 45)); while [ $SECONDS -lt $t ] && [ "$(dl_field "$J" step)" != 9 ]; do sleep 0.1; done
[ "$(dl_field "$J" step)" = 9 ] && dl_outcome "$J" | grep -q '^interrupted in ' && grep -q "resuming download" "$tmp/smdp.log" \
  && ok "restart resumed it: cleaned up, \"$(dl_outcome "$J")\"" || bad "after restart: $(dl_line "$J")"
inv=$("$BIN" smdp inventory --dir "$D" --json)
del=$(echo "$inv" | jq '.pools[0].states.deleted')
alloc=$(echo "$inv" | jq '.pools[0].states.allocated')
[ "$alloc" = 0 ] && [ "$del" -ge 1 ] && ok "identity $K_ICC spent, none left allocated ($inv)" || bad "inventory: $inv"
taken=$(dls | grep -o ' iccid=[0-9]\+' | sort | uniq -d)
[ -z "$taken" ] && ok "no identity taken twice" || bad "taken twice: $taken"
t=$((SECONDS + 30)); while [ $SECONDS -lt $t ] && ! grep -q "$MID" "$tmp/cb.log" 2>/dev/null; do sleep 0.1; done
r=$(grep "$MID" "$tmp/cb.log" | head -1 | st)
[ "$r" = "FAILED 8.4/4.2" ] && ok "after the crash the result still reached the Operator's ReplyTo: $r" \
  || bad "callback: $(cat "$tmp/cb.log" 2>/dev/null)"
r=$(es2 mno1 DownloadProfile "$(dl_req k1 ts48)" | st)
case $r in FAILED\ 8.4/4.2) ok "the Operator's replay of k1 gets the final status: $r";; *) bad "k1 replay: $r";; esac

# SIGTERM while a download is in flight: the held call is answered, exit 0, the journal is left for the
# next start (an unresumable step marked for cleanup), which ends it
es2 mno1 DownloadProfile "$(dl_req t1 ts48)" >"$tmp/t1.out" 2>&1 &
CURL=$!
J=""
t=$((SECONDS + 60)); while [ $SECONDS -lt $t ]; do
  J=$(sqlite3 "$D/smdp.db" "select id from smdp_dl where step between 2 and 5 limit 1" 2>/dev/null)
  [ -n "$J" ] && break; sleep 0.01
done
kill -TERM $DP_PID; wait $DP_PID; rc=$?; wait $CURL
r=$(st <"$tmp/t1.out")
# left in cleanup (stopped between CreateISDP and the end of load) or at download-completed (resumable)
[ -n "$J" ] && [ $rc = 0 ] && [ "$r" = "FAILED 1.2/4.4" ] && dl_field "$J" step | grep -q '^[58]$' \
  && ok "SIGTERM mid-download: exit 0, the call answered 1.2/4.4, journal left at step $(dl_field "$J" step)" \
  || bad "SIGTERM mid-download (rc $rc, $r): $(dl_line "$J")"
start_smdp
t=$((SECONDS + 45)); while [ $SECONDS -lt $t ] && ! dl_field "$J" step | grep -q '^[79]$'; do sleep 0.1; done
dl_field "$J" step | grep -q '^[79]$' && ok "the next start ended it: $(dl_outcome "$J")" || bad "not ended: $(dl_line "$J")"

# the relays of the profile functions, on the profile installed above
# the SM-DP's inventory (pool ts48): "enabled disabled" counts (the others downloaded are installed only)
inv_states() { "$BIN" smdp inventory --dir "$D" --json | jq -r '.pools[0].states | "\(.enabled) \(.disabled)"'; }
es3_count() { # the SM-DP's count of ES3 calls of function $1 (its /metrics)
  local mp; mp=$(grep -o 'metrics_port=[0-9]*' "$tmp/smdp.log" | tail -1 | cut -d= -f2)
  curl -sS "http://127.0.0.1:$mp/metrics" | sed -n "s/^rsp_smdp_es3_call_seconds_count{function=\"$1\"} //p"; }
if [ ${#ADMIN[@]} -gt 0 ]; then
  r=$(es2 mno1 EnableProfile "{\"functionCallIdentifier\":\"e0\",\"eid\":\"$E0\",\"smsrId\":\"SMSR-T\",\"iccid\":\"$ICC\"}")
  [ "$(echo "$r" | st)" = "EXECUTED_SUCCESS /" ] && ok "ES2.EnableProfile relayed over ES3 to the SM-SR" || bad "enable: $r"
  [ "$(inv_states)" = "1 0" ] && ok "the SM-DP's inventory: $ICC enabled" || bad "after enable: $(inv_states) (enabled disabled)"
  # ES3.UpdatePolicyRules (lib/smsr/es3_relay.c): POL2 stored by the SM-SR for the SM-DP's ISD-P
  r=$(es2 mno1 UpdatePolicyRules "{\"functionCallIdentifier\":\"p0\",\"eid\":\"$E0\",\"smsrId\":\"SMSR-T\",\"iccid\":\"$ICC\",\"pol2\":{\"rules\":[{\"subject\":\"PROFILE\",\"action\":\"DELETE\",\"qualification\":\"Not-Allowed\"}]}}")
  p2=$(sqlite3 "$tmp/smsr.db" "select pol2 from profile where iccid='$ICC'" 2>/dev/null)
  [ "$(echo "$r" | st)" = "EXECUTED_SUCCESS /" ] && [ -n "$p2" ] && [ "$p2" != 0 ] \
    && ok "ES2.UpdatePolicyRules relayed: the SM-SR keeps POL2 $p2" || bad "pol2 ($p2): $r"
  # GetEIS relayed: an Operator sees its own profiles only (the SM-SR shows the SM-DP all it created)
  g() { es2 $1 GetEIS "{\"functionCallIdentifier\":\"g-$1\",\"eid\":\"$E0\",\"smsrId\":\"SMSR-T\"}"; }
  r=$(g mno1); r2=$(g mno2)
  echo "$r" | jq -r '.eis.profiles[].iccid' 2>/dev/null | grep -q "^$ICC$" && [ "$(echo "$r2" | st)" = "EXECUTED_SUCCESS /" ] &&
    ! echo "$r2" | grep -q "$ICC" && ok "ES2.GetEIS relayed: MNO1 sees $ICC, MNO2 does not" || bad "GetEIS: $r // $r2"
  # ES3.DisableProfile (es3_relay.c): an engine operation as the SM-DP, over SMS to the card
  r=$(es2 mno1 DisableProfile "{\"functionCallIdentifier\":\"d0\",\"eid\":\"$E0\",\"smsrId\":\"SMSR-T\",\"iccid\":\"$ICC\"}")
  [ "$(echo "$r" | st)" = "EXECUTED_SUCCESS /" ] && ok "ES2.DisableProfile relayed: the SM-SR's engine disabled it" \
    || bad "disable: $r"
  [ "$(inv_states)" = "0 1" ] && ok "the SM-DP's inventory: $ICC disabled" || bad "after disable: $(inv_states)"
  # ES3.AuditEIS (es3_relay.c): an engine operation (GET STATUS over SMS) as the SM-DP, whose answer
  # carries the refreshed EIS: the SM-DP asks no ES3.GetEIS after it (its ES3 latency count of GetEIS)
  g0=$(es3_count GetEIS)
  r=$(es2 mno1 AuditEIS "{\"functionCallIdentifier\":\"a0\",\"eid\":\"$E0\",\"smsrId\":\"SMSR-T\",\"iccids\":[\"$ICC\"]}")
  [ "$(echo "$r" | st)" = "EXECUTED_SUCCESS /" ] && ok "ES2.AuditEIS relayed: the SM-SR audited the card" || bad "audit: $r"
  [ "$(echo "$r" | jq -r ".eis.profiles[] | select(.iccid == \"$ICC\") | .state" 2>/dev/null)" = Disabled ] &&
    [ -n "$g0" ] && [ "$(es3_count GetEIS)" = "$g0" ] &&
    ok "ES3.AuditEIS answered with the card's EIS ($ICC Disabled): no ES3.GetEIS after it ($g0)" ||
    bad "audit EIS: GetEIS $g0 -> $(es3_count GetEIS): $r"
  # ES3.UpdateSubscriptionAddress (es3_relay.c): the SM-SR's profile record takes the new MSISDN
  r=$(es2 mno1 UpdateSubscriptionAddress "{\"functionCallIdentifier\":\"u0\",\"eid\":\"$E0\",\"smsrId\":\"SMSR-T\",\"iccid\":\"$ICC\",\"newSubscriptionAddress\":{\"msisdn\":\"447700900799\"}}")
  ms=$(sqlite3 "$tmp/smsr.db" "select msisdn from profile where iccid='$ICC'" 2>/dev/null)
  [ "$(echo "$r" | st)" = "EXECUTED_SUCCESS /" ] && [ "$ms" = 447700900799 ] \
    && ok "ES2.UpdateSubscriptionAddress relayed: the SM-SR keeps MSISDN $ms" || bad "subaddr ($ms): $r"
fi
kill -TERM $DP_PID; wait $DP_PID; rc=$?
[ $rc = 0 ] && ok "SIGTERM: exit 0" || bad "SIGTERM exit $rc"
if [ ${#ADMIN[@]} -gt 0 ]; then # the card itself, once its process has stopped
  kill -TERM $RUN_PID; for i in $(seq 50); do kill -0 $RUN_PID 2>/dev/null || break; sleep 0.1; done
  r=$("$BIN" euicc show --fleet "$tmp/fleet" --eid $E0 2>&1)
  echo "$r" | grep "$ICC" | grep -qi disabled && ok "euicc show: $ICC installed on the card, disabled again" || bad "show: $r"
fi
[ $fail = 0 ] || { echo "--- smdp.log"; tail -40 "$tmp/smdp.log"; echo "--- smsr.log"; tail -20 "$tmp/smsr.log"; }
exit $fail
