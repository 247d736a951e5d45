#!/usr/bin/env bash
# `rsp smdp run --smsr-dialect njiwa-soap`: the SM-DP calls an SM-SR shaped like bagyenda/njiwa (ES3 as
# SOAP 1.1 rpc/literal, njiwa's ES3.wsdl; issue 10), here our own rsp smsr run, which serves that
# dialect beside JSON. Separate processes: rsp smsc, rsp euicc run (1 card), rsp smsr run (with admin
# sessions, so SCP03t reaches the card), rsp smdp run. ES2.DownloadProfile (JSON, Prefer: wait) from an
# Operator installs the profile end to end; every ES3 request the SM-DP sent (--es3-dump) is a SOAP 1.1
# envelope and validates against the schemas of njiwa's WSDLs (xmllint; the outside fact: the peer's
# contract, through tests/es/wsdl_gen.py), and CreateISDP, SendData and ProfileDownloadCompleted are
# among them; `rsp smdp es3 --smsr-dialect njiwa-soap get-eis` reads the new ISD-P back; ES2.EnableProfile
# relayed to the SM-SR (same dialect) executes; --smsr with a path (JAX-WS endpoint) posts the SOAP there. A bad --smsr-dialect and a bad [es3] dialect are usage
# errors (2).
. "$(dirname "$0")/daemons.sh"

SMSR=447700100993
make_fleet 1 447700900800 $SMSR
E0=$(ls "$tmp/fleet/eis" | sed -n 's/\.json$//p' | head -1)
smsr_world
smdp_pool ts48 "$PKG" 2 8999004

# usage errors: an unknown dialect on the command line and in the config file
"$BIN" smdp run --dir "$D" --listen 127.0.0.1:0 --smsr https://127.0.0.1:1 --ci "$tmp/pki" --dp "$tmp/dp1" \
  --eum "$tmp/eum" --smsr-dialect njiwa-json >/dev/null 2>&1; rc=$?
[ $rc = 2 ] && ok "--smsr-dialect njiwa-json: usage error" || bad "bad --smsr-dialect: $rc"
printf '[smdp]\ndir = %s\nlisten = 127.0.0.1:0\n[es3]\nurl = https://127.0.0.1:1\ndialect = njiwa\n' "$D" >"$tmp/bad.ini"
"$BIN" smdp run --config "$tmp/bad.ini" --ci "$tmp/pki" --dp "$tmp/dp1" --eum "$tmp/eum" >"$tmp/bad.out" 2>&1; rc=$?
[ $rc = 2 ] && grep -q dialect "$tmp/bad.out" && ok "[es3] dialect = njiwa: usage error naming the key" \
  || bad "bad [es3] dialect ($rc): $(cat "$tmp/bad.out")"

"$BIN" smsr run --help 2>&1 | grep -q -- --admin-listen || { echo "ok - # SKIP rsp smsr run has no --admin-listen"; exit 0; }
start_smsc
"$BIN" smsr run --db "$DB" --master-key "$tmp/mk" --smsc 127.0.0.1:$SP --msisdn $SMSR --worker w1 --tick-ms 100 \
  --por-wait 2 --listen 127.0.0.1:0 --port-file "$tmp/es.port" --tls-cert "$tmp/sr/tls.crt.pem" \
  --tls-key "$tmp/sr/key.pem" --tls-ca "$tmp/sr/ca.crt.pem" --smdp-ids DP1 \
  --admin-listen 127.0.0.1:0 --admin-port-file "$tmp/admin.port" --admin-idle-ms 3000 >"$tmp/smsr.log" 2>&1 &
pids+=($!)
for i in $(seq 200); do grep -q "bound system_id=smsr" "$tmp/smsc.log" && [ -s "$tmp/es.port" ] && break; sleep 0.1; done
URL=https://127.0.0.1:$(tr -d '\n' <"$tmp/es.port")
"$BIN" euicc run --fleet "$tmp/fleet" --smsc 127.0.0.1:$SP --control "$tmp/ctl.sock" --tick-ms 50 >"$tmp/run.log" 2>&1 &
pids+=($!)
wait_fleet "$tmp/ctl.sock" "$tmp/run.log"

mkdir -p "$tmp/dump"
"$BIN" smdp run --dir "$D" --listen 127.0.0.1:0 --port-file "$tmp/dp.port" --smsr "$URL" --ci "$tmp/pki" \
  --dp "$tmp/dp1" --eum "$tmp/eum" --eis-dir "$tmp/fleet/eis" --workers 1 --operators MNO1 \
  --smsr-dialect njiwa-soap --es3-dump "$tmp/dump" >"$tmp/smdp.log" 2>&1 &
pids+=($!)
t=$((SECONDS + 30)); while [ $SECONDS -lt $t ] && [ ! -s "$tmp/dp.port" ]; do sleep 0.1; done
[ -s "$tmp/dp.port" ] && grep -q "es3=njiwa-soap" "$tmp/smdp.log" && ok "rsp smdp run --smsr-dialect njiwa-soap listening" \
  || { bad "smdp did not start: $(tail -5 "$tmp/smdp.log")"; exit 1; }
DPURL=https://127.0.0.1:$(tr -d '\n' <"$tmp/dp.port")

r=$(curl -sS --max-time 120 --cert "$tmp/mno1/tls.crt.pem" --key "$tmp/mno1/key.pem" --cacert "$tmp/mno1/ca.crt.pem" \
  -H 'Content-Type: application/json' -H 'Prefer: wait' \
  -d "{\"functionCallIdentifier\":\"nj1\",\"eid\":\"$E0\",\"smsrId\":\"SMSR-T\",\"profileType\":\"ts48\",\"enableProfile\":false}" \
  "$DPURL/es2/DownloadProfile" 2>&1)
s=$(echo "$r" | jq -r '.functionExecutionStatus.status' 2>/dev/null)
ICC=$(echo "$r" | jq -r '.iccid // empty' 2>/dev/null)
[ "$s" = EXECUTED_SUCCESS ] && [ -n "$ICC" ] && ok "ES2.DownloadProfile over the njiwa ES3: installed, ICCID $ICC" \
  || bad "download: $r"
# the card has it (the SM-SR's EIS, asked in JSON by the ES3 client of another process)
e=$("$BIN" smdp es3 --smsr "$URL" --tls-cert "$tmp/dp1/tls.crt.pem" --tls-key "$tmp/dp1/key.pem" \
  --tls-ca "$tmp/dp1/ca.crt.pem" --eid $E0 --json get-eis 2>&1)
[ -n "$ICC" ] && echo "$e" | jq -e ".profiles[] | select(.iccid == \"$ICC\")" >/dev/null 2>&1 \
  && ok "the SM-SR's EIS lists the ISD-P of $ICC" || bad "EIS: $e"
# the one-call tool in the njiwa dialect: the same EIS, read back from njiwa's SOAP form
e=$("$BIN" smdp es3 --smsr "$URL" --tls-cert "$tmp/dp1/tls.crt.pem" --tls-key "$tmp/dp1/key.pem" \
  --tls-ca "$tmp/dp1/ca.crt.pem" --eid $E0 --smsr-dialect njiwa-soap --json get-eis 2>&1)
[ -n "$ICC" ] && echo "$e" | jq -e ".profiles[] | select(.iccid == \"$ICC\")" >/dev/null 2>&1 \
  && ok "rsp smdp es3 --smsr-dialect njiwa-soap get-eis: the same ISD-P" || bad "njiwa EIS: $e"
# a path in --smsr (a JAX-WS endpoint such as njiwa's /njiwa/services/ES3) is where the SOAP goes: our
# SM-SR takes ES SOAP on any path but its own /metrics, so /es3 answers and /metrics does not (the
# request did go there); JSON has a path per function: refused
p3() { "$BIN" smdp es3 --smsr "$URL$1" --tls-cert "$tmp/dp1/tls.crt.pem" --tls-key "$tmp/dp1/key.pem" \
  --tls-ca "$tmp/dp1/ca.crt.pem" --eid $E0 --json "${@:2}" get-eis 2>&1; }
e=$(p3 /njiwa/services/ES3 --smsr-dialect njiwa-soap); e2=$(p3 /metrics --smsr-dialect njiwa-soap); rc2=$?
e3=$(p3 /es3); rc3=$?
echo "$e" | jq -e ".profiles[] | select(.iccid == \"$ICC\")" >/dev/null 2>&1 && [ $rc2 = 1 ] &&
  [ $rc3 != 0 ] && echo "$e3" | grep -q "a path is for --smsr-dialect njiwa-soap" \
  && ok "--smsr with a path: SOAP posted there (/njiwa/services/ES3 answers, /metrics not), refused for JSON" \
  || bad "--smsr path: $e // $rc2 $e2 // $rc3 $e3"

# a profile function relayed from ES2 to the SM-SR, in the njiwa dialect too
r=$(curl -sS --max-time 120 --cert "$tmp/mno1/tls.crt.pem" --key "$tmp/mno1/key.pem" --cacert "$tmp/mno1/ca.crt.pem" \
  -H 'Content-Type: application/json' -H 'Prefer: wait' \
  -d "{\"functionCallIdentifier\":\"nj2\",\"eid\":\"$E0\",\"iccid\":\"$ICC\",\"smsrId\":\"SMSR-T\"}" "$DPURL/es2/EnableProfile" 2>&1)
[ "$(echo "$r" | jq -r '.functionExecutionStatus.status' 2>/dev/null)" = EXECUTED_SUCCESS ] \
  && ok "ES2.EnableProfile relayed over the njiwa ES3: executed" || bad "relayed enable: $r"

# every request sent: SOAP 1.1, njiwa's operations, valid against njiwa's WSDL schemas
n=$(ls "$tmp/dump" | grep -c '\.xml$')
fns=$(ls "$tmp/dump" | sed -n 's/.*-\([A-Za-z]*\)\.xml$/\1/p' | sort -u | tr '\n' ' ')
ls "$tmp/dump" | grep -q '\.json$' && bad "a JSON request in the dump: $(ls "$tmp/dump")"
for f in CreateISDP SendData ProfileDownloadCompleted; do
  case " $fns" in *" $f "*) ;; *) bad "no ES3.$f among the requests sent: $fns";; esac
done
soap11=$(grep -l 'http://schemas.xmlsoap.org/soap/envelope/' "$tmp"/dump/*.xml 2>/dev/null | wc -l)
[ "$n" -ge 3 ] && [ "$soap11" = "$n" ] && ok "$n ES3 requests sent as SOAP 1.1 ($fns)" || bad "dump: n=$n soap11=$soap11 $fns"
if command -v xmllint >/dev/null && command -v python3 >/dev/null; then
  python3 "$RSP_SOURCE_DIR/tests/es/wsdl_gen.py" gen "$RSP_SHARED_DIR/interop/njiwa-wsdl" "$tmp/wsdl" >/dev/null || bad "wsdl_gen"
  v=$(xmllint --noout --schema "$tmp/wsdl/ES3/main.xsd" "$tmp"/dump/*.xml 2>&1)
  [ "$(echo "$v" | grep -c ' validates$')" = "$n" ] && ok "all $n requests validate against njiwa's ES3 WSDL schemas" \
    || bad "WSDL validation: $v"
  # the schemas bite: the same CreateISDP in the gsma dialect's element names does not validate
  c=$(ls "$tmp"/dump/*-CreateISDP.xml | head -1)
  sed 's/<Eid>/<EidX>/; s/<\/Eid>/<\/EidX>/' "$c" >"$tmp/bent.xml"
  v=$(xmllint --noout --schema "$tmp/wsdl/ES3/main.xsd" "$tmp/bent.xml" 2>&1)
  ! cmp -s "$c" "$tmp/bent.xml" && echo "$v" | grep -q "EidX" && echo "$v" | grep -q "fails to validate" \
    && ok "the schemas bite: CreateISDP with its Eid renamed fails to validate" || bad "bent CreateISDP: $v"
else
  echo "ok - # SKIP WSDL validation: xmllint or python3 missing"
fi
[ $fail = 0 ] || { echo "--- smdp.log"; tail -20 "$tmp/smdp.log"; echo "--- smsr.log"; tail -20 "$tmp/smsr.log"; }
exit $fail
