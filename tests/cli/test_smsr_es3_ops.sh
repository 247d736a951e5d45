#!/usr/bin/env bash
# ES3.CreateISDP and ES3.SendData as durable operations (issue 9, "The operation engine"), as separate
# processes: rsp smsc, rsp euicc run (1 card), rsp smsr run --listen --smdp-ids DP1 --callbacks, and a
# callback endpoint of this test (tests/cli/outbox_receiver.py, HTTPS mTLS, records every POST).
# Checks: with the card offline DP1's SendData (key establishment phase: one C-APDU by SMS) and
# CreateISDP, each with a ReplyTo under DP1's prefix, are accepted (202); rsp smsr is killed (-9)
# while both wait, the card comes back and rsp smsr restarts: each reaches DP1's ReplyTo exactly once
# (RelatesTo its MessageID): the CreateISDP Executed-Success (the ISD-P really is on the card: GetEIS
# and then `rsp euicc show`), the SendData judged by the card (its STORE DATA 3A01 refused 6A80, as
# the card model refuses a malformed CERT.DP); a replayed FCID is answered from the store (same AID,
# no packet sent), the same FCID for another request refused 1.1/2.1; a SendData whose validity
# period ends while the card is offline, across another kill -9, reaches DP1 once as Expired
# 1.6/5.3; UpdateConnectivityParameters is durable the same way (kill -9 while it waits: its result
# once, a replay from the store); results in the outbox carry the ISD-P AID (JSON, SOAP) and the card's
# data (SOAP); killed between the CreateISDP record and its op (debug hook): no orphan, the retry
# creates; no SCP80 counter went out twice (every "packet sent" line of all runs). Outside fact
# (SGP02.md "SOAP binding"): callback actions are http://gsma.com/<ES>/ProfileManagentCallBack/<ES>-<Function>.
. "$(dirname "$0")/daemons.sh"
SRC=${RSP_SOURCE_DIR:?}
command -v curl >/dev/null && command -v python3 >/dev/null && command -v jq >/dev/null ||
  { echo "FAIL - needs curl, jq and python3"; exit 1; }

SMSR=447700100995
make_fleet 1 447700900770 $SMSR
E0=$(ls "$tmp/fleet/eis" | sed -n 's/\.json$//p' | head -1)
DB="sqlite:$tmp/smsr.db"
export RSP_SMSR_MASTER_KEY=000102030405060708090A0B0C0D0E0F101112131415161718191A1B1C1D1E1F
"$BIN" smsr import --db "$DB" --keys "$tmp/keys.jsonl" "$tmp"/fleet/eis/*.json >/dev/null 2>&1 || bad "import"
for r in "smsr SMSR-T sr" "smdp DP1 dp1"; do
  set -- $r
  "$BIN" ci issue --dir "$tmp/pki" --role $1 --id $2 --out "$tmp/$3" >/dev/null || bad "certificate $2"
done
python3 "$SRC/tests/cli/outbox_receiver.py" --port 0 --cert "$tmp/dp1/tls.crt.pem" --key "$tmp/dp1/key.pem" \
  --ca "$tmp/dp1/ca.crt.pem" --log "$tmp/rcv.jsonl" >"$tmp/rcv.out" 2>"$tmp/rcv.err" &
pids+=($!)
for i in $(seq 100); do [ -s "$tmp/rcv.out" ] && break; sleep 0.05; done
CB="https://127.0.0.1:$(head -1 "$tmp/rcv.out" | tr -dc 0-9)"
: >>"$tmp/rcv.jsonl"
got() { grep -c -- "$1" "$tmp/rcv.jsonl" 2>/dev/null; }

start_smsc
start_smsr() {
  rm -f "$tmp/es.port"
  RSP_LOG_LEVEL=info "$BIN" smsr run --db "$DB" --smsc 127.0.0.1:$SP --msisdn $SMSR --worker "w$1" --tick-ms 100 --por-wait 2 \
    --listen 127.0.0.1:0 --port-file "$tmp/es.port" --tls-cert "$tmp/sr/tls.crt.pem" --tls-key "$tmp/sr/key.pem" \
    --tls-ca "$tmp/sr/ca.crt.pem" --smdp-ids DP1 --callbacks "DP1=$CB/dp1/" >>"$tmp/smsr.log" 2>&1 &
  SMSR_PID=$!; pids+=($SMSR_PID)
  for i in $(seq 200); do [ -s "$tmp/es.port" ] && break; sleep 0.05; done
  EP=$(tr -d '\n' <"$tmp/es.port")
}
start_smsr 1
for i in $(seq 200); do grep -q "bound system_id=smsr" "$tmp/smsc.log" && break; sleep 0.1; done
"$BIN" euicc run --fleet "$tmp/fleet" --smsc 127.0.0.1:$SP --control "$tmp/ctl.sock" --tick-ms 50 >"$tmp/run.log" 2>&1 &
pids+=($!)
wait_fleet "$tmp/ctl.sock" "$tmp/run.log"
CTL=("$BIN" euicc ctl --control "$tmp/ctl.sock")

call() { # FUNCTION JSON-FIELDS [extra curl args] -> "<http code> <body>"
  local f=$1 b=$2; shift 2
  curl -s --max-time 40 --cacert "$tmp/sr/ca.crt.pem" --cert "$tmp/dp1/tls.crt.pem" --key "$tmp/dp1/key.pem" \
    -H 'Content-Type: application/json' "$@" -w '\n%{http_code}' "https://127.0.0.1:$EP/es3/$f" -d "{$b}" | tac | tr '\n' ' '
}
addr() { echo "\"addressing\":{\"messageId\":\"$1\",\"replyTo\":\"$CB/dp1/results\"}"; }
sent() { grep -c "packet sent" "$tmp/smsr.log"; } # (info level: RSP_LOG_LEVEL=info below)

# an ISD-P to send to (card online, answered in the HTTP response)
ICC0=89445010000000000779
r=$(call CreateISDP "\"functionCallIdentifier\":\"c0\",\"eid\":\"$E0\",\"iccid\":\"$ICC0\",\"mnoId\":\"MNO1\",\"requiredMemory\":70000" -H 'Prefer: wait')
AID0=$(echo "$r" | sed 's/^[0-9]* //' | jq -r '.isdPAid // empty' 2>/dev/null)
[ ${#AID0} = 32 ] && ok "CreateISDP c0 (Prefer: wait): $AID0" || bad "c0: $r"

# both wait for the card; kill -9; the card comes back; restart
"${CTL[@]}" offline $E0 >/dev/null
ICC1=89445010000000000787
r1=$(call SendData "\"functionCallIdentifier\":\"s1\",\"eid\":\"$E0\",\"sdAid\":\"$AID0\",\"data\":\"80E29100063A01037F2100\",$(addr m-s1)")
r2=$(call CreateISDP "\"functionCallIdentifier\":\"c1\",\"eid\":\"$E0\",\"iccid\":\"$ICC1\",\"mnoId\":\"MNO1\",\"requiredMemory\":70000,$(addr m-c1)")
case "$r1 $r2" in 202*202*) ok "SendData and CreateISDP with a ReplyTo, card offline: 202 each";; *) bad "202: $r1 / $r2";; esac
sleep 1
kill -9 $SMSR_PID; wait $SMSR_PID 2>/dev/null
"${CTL[@]}" online $E0 >/dev/null
start_smsr 2
for i in $(seq 300); do [ "$(got m-s1)" -ge 1 ] && [ "$(got m-c1)" -ge 1 ] && break; sleep 0.1; done
sleep 1 # a duplicate would come now (ticks every 100 ms)
S1=$(grep -- m-s1 "$tmp/rcv.jsonl" | head -1 | jq -r .body)
C1=$(grep -- m-c1 "$tmp/rcv.jsonl" | head -1)
[ "$(got m-s1)" = 1 ] && echo "$S1" | grep -q '6A80' && echo "$S1" | grep -q '"8.4"' &&
  ok "after kill -9: the SendData result reached DP1 once (the card's 6A80 to the malformed CERT.DP)" \
  || bad "s1 $(got m-s1) times: $S1 $(tail -5 "$tmp/smsr.log")"
[ "$(got m-c1)" = 1 ] && echo "$C1" | jq -r .body | grep -q EXECUTED_SUCCESS &&
  echo "$C1" | jq -r .action | grep -q 'http://gsma.com/ES3/ProfileManagentCallBack/ES3-CreateISDP' &&
  ok "after kill -9: the CreateISDP result reached DP1 once, EXECUTED_SUCCESS, ES3 callback action" \
  || bad "c1 $(got m-c1) times: $C1"
AID1=$(call GetEIS "\"functionCallIdentifier\":\"g1\",\"eid\":\"$E0\"" -H 'Prefer: wait' | sed 's/^[0-9]* //' |
  jq -r ".eis.profiles[]? | select(.iccid == \"$ICC1\") | .isdPAid" 2>/dev/null)
[ ${#AID1} = 32 ] && [ "$AID1" != "$AID0" ] && ok "GetEIS shows the ISD-P of c1: $AID1" || bad "GetEIS c1: '$AID1'"

# a replay: the first result, from the store, nothing sent; another request under the same FCID: 1.1/2.1
n0=$(sent)
r=$(call CreateISDP "\"functionCallIdentifier\":\"c1\",\"eid\":\"$E0\",\"iccid\":\"$ICC1\",\"mnoId\":\"MNO1\",\"requiredMemory\":70000" -H 'Prefer: wait')
echo "$r" | grep -q EXECUTED_SUCCESS && [ "$(echo "$r" | sed 's/^[0-9]* //' | jq -r .isdPAid)" = "$AID1" ] && [ "$(sent)" = $n0 ] &&
  ok "replayed FCID c1: the first result with its AID, nothing sent" || bad "replay: $r"
r=$(call CreateISDP "\"functionCallIdentifier\":\"c1\",\"eid\":\"$E0\",\"iccid\":\"$ICC1\",\"mnoId\":\"MNO1\",\"requiredMemory\":90000" -H 'Prefer: wait')
echo "$r" | grep -q '"1.1"' && echo "$r" | grep -q '"2.1"' && ok "FCID c1 for another request: 1.1/2.1" || bad "c1 reused: $r"

# results carry their data in the outbox (as the synchronous answer does): the ISD-P AID in JSON (c1
# above), the card's response data in SOAP 1.2 (a GET DATA FF21 after INSTALL [for personalization];
# FF21 is SGP02.md's resources tag)
echo "$C1" | jq -r .body | grep -q "\"isdPAid\": *\"$AID1\"" &&
  ok "the durable CreateISDP result (JSON) carries the ISD-P AID" || bad "c1 result without its AID: $C1"
soap() { # FUNCTION MESSAGEID INNER-XML -> "<http code> <body>"
  curl -s --max-time 40 --cacert "$tmp/sr/ca.crt.pem" --cert "$tmp/dp1/tls.crt.pem" --key "$tmp/dp1/key.pem" \
    -H 'Content-Type: application/soap+xml; charset=utf-8' -w '\n%{http_code}' "https://127.0.0.1:$EP/es3" \
    -d "<e:Envelope xmlns:e=\"http://www.w3.org/2003/05/soap-envelope\" xmlns:w=\"http://www.w3.org/2005/08/addressing\">\
<e:Header><w:ReplyTo><w:Address>$CB/dp1/results</w:Address></w:ReplyTo><w:MessageID>$2</w:MessageID>\
<w:Action>http://gsma.com/ES3/ProfileManagent/ES3-$1</w:Action></e:Header><e:Body><$1>$3</$1></e:Body></e:Envelope>" | tac | tr '\n' ' '
}
r=$(soap SendData m-s3 "<FunctionCallIdentifier>s3</FunctionCallIdentifier><Eid>$E0</Eid><sd-aid>$AID0</sd-aid><Data>80CAFF2100</Data>")
case $r in 202*) ;; *) bad "s3 (SOAP): $r";; esac
for i in $(seq 300); do [ "$(got m-s3)" -ge 1 ] && break; sleep 0.1; done
S3=$(grep -- m-s3 "$tmp/rcv.jsonl" | head -1 | jq -r .body)
echo "$S3" | grep -q 'soap-envelope' && echo "$S3" | grep -q 'EXECUTED_SUCCESS\|Executed-Success' &&
  echo "$S3" | grep -q '<EuiccResponseData>FF210D81' &&
  ok "the durable SendData result (SOAP 1.2) carries the card's data (FF21...)" || bad "s3 result: $S3"
r=$(soap CreateISDP m-c4 "<FunctionCallIdentifier>c4</FunctionCallIdentifier><Eid>$E0</Eid><Iccid>89445010000000000803</Iccid><Mno-Id>MNO1</Mno-Id><RequiredMemory>70000</RequiredMemory>")
for i in $(seq 300); do [ "$(got m-c4)" -ge 1 ] && break; sleep 0.1; done
C4=$(grep -- m-c4 "$tmp/rcv.jsonl" | head -1 | jq -r .body)
echo "$C4" | grep -q '<Isd-p-aid>A0000005591010FFFFFFFF89000' &&
  ok "the durable CreateISDP result (SOAP 1.2) carries the ISD-P AID" || bad "c4 result ($r): $C4"

# ES3.UpdateConnectivityParameters is a durable op too: card offline, kill -9, restart, card back: its
# result reaches DP1 once (the ISD-P refuses the SCP03-wrapped 3A07 of SGP02.md's example: no SCP03
# session of the SM-DP is open), and a replay answers it from the store with nothing sent
"${CTL[@]}" offline $E0 >/dev/null
CPW=84E28800163A070BA0090607913386994211F10102030405060708
r=$(call UpdateConnectivityParameters "\"functionCallIdentifier\":\"u1\",\"eid\":\"$E0\",\"iccid\":\"$ICC1\",\"connectivityParameters\":\"$CPW\",$(addr m-u1)")
case $r in 202*) ok "UpdateConnectivityParameters with a ReplyTo, card offline: 202";; *) bad "u1: $r";; esac
sleep 1
kill -9 $SMSR_PID; wait $SMSR_PID 2>/dev/null
"${CTL[@]}" online $E0 >/dev/null
start_smsr 4
for i in $(seq 300); do [ "$(got m-u1)" -ge 1 ] && break; sleep 0.1; done
sleep 1
U1=$(grep -- m-u1 "$tmp/rcv.jsonl" | head -1)
[ "$(got m-u1)" = 1 ] && echo "$U1" | jq -r .body | grep -q '"8.4"' && echo "$U1" | jq -r .body | grep -q 'SW 6' &&
  echo "$U1" | jq -r .action | grep -q 'ES3/ProfileManagentCallBack/ES3-UpdateConnectivityParameters' &&
  ok "after kill -9: the UpdateConnectivityParameters result reached DP1 once (the card's SW)" \
  || bad "u1 $(got m-u1) times: $U1"
n0=$(sent)
r=$(call UpdateConnectivityParameters "\"functionCallIdentifier\":\"u1\",\"eid\":\"$E0\",\"iccid\":\"$ICC1\",\"connectivityParameters\":\"$CPW\"" -H 'Prefer: wait')
echo "$r" | grep -q '"8.4"' && [ "$(sent)" = $n0 ] && ok "replayed UpdateConnectivityParameters: the first result, nothing sent" ||
  bad "u1 replay: $r"

# a validity period that ends while the card is offline, across a kill -9: Expired once
"${CTL[@]}" offline $E0 >/dev/null
r=$(call SendData "\"functionCallIdentifier\":\"s2\",\"validityPeriod\":3,\"eid\":\"$E0\",\"sdAid\":\"$AID1\",\"data\":\"80CA006600\",$(addr m-s2)")
case $r in 202*) ;; *) bad "s2: $r";; esac
sleep 1
kill -9 $SMSR_PID; wait $SMSR_PID 2>/dev/null
start_smsr 5
for i in $(seq 150); do [ "$(got m-s2)" -ge 1 ] && break; sleep 0.1; done
sleep 1
S2=$(grep -- m-s2 "$tmp/rcv.jsonl" | head -1 | jq -r .body)
[ "$(got m-s2)" = 1 ] && echo "$S2" | grep -q '"1.6"' && echo "$S2" | grep -q '"5.3"' &&
  ok "SendData expired while the card was offline (kill -9 between): reached DP1 once, 1.6/5.3" \
  || bad "s2 $(got m-s2) times: $S2"

# the CreateISDP crash window: rsp smsr run killed (SIGKILL, debug builds' test hook) right after the
# ISD-P record is written and before its operation is submitted: the record and the op are one unit,
# so after the restart neither is there, and the SM-DP's retry (same FCID) is a new call, not 3.3
"${CTL[@]}" online $E0 >/dev/null
kill -TERM $SMSR_PID; for i in $(seq 100); do kill -0 $SMSR_PID 2>/dev/null || break; sleep 0.1; done
ICC9=89445010000000000811
export RSP_SMSR_TEST_KILL=create-isdp-recorded
start_smsr 6
unset RSP_SMSR_TEST_KILL
r=$(call CreateISDP "\"functionCallIdentifier\":\"c9\",\"eid\":\"$E0\",\"iccid\":\"$ICC9\",\"mnoId\":\"MNO1\",\"requiredMemory\":70000" -H 'Prefer: wait')
for i in $(seq 100); do kill -0 $SMSR_PID 2>/dev/null || break; sleep 0.1; done
if kill -0 $SMSR_PID 2>/dev/null; then
  ok "(crash window not checked: a release build has no test hook)"
else
  wait $SMSR_PID 2>/dev/null
  start_smsr 7
  v=$(call GetEIS "\"functionCallIdentifier\":\"g9\",\"eid\":\"$E0\"" -H 'Prefer: wait' | sed 's/^[0-9]* //' |
    jq -r ".eis.profiles[]? | select(.iccid == \"$ICC9\") | .iccid" 2>/dev/null)
  r=$(call CreateISDP "\"functionCallIdentifier\":\"c9\",\"eid\":\"$E0\",\"iccid\":\"$ICC9\",\"mnoId\":\"MNO1\",\"requiredMemory\":70000" -H 'Prefer: wait')
  [ -z "$v" ] && echo "$r" | grep -q EXECUTED_SUCCESS &&
    ok "killed between the ISD-P record and its op: nothing left behind, the retry created the ISD-P" ||
    bad "crash window: record after restart '$v', retry: $r"
fi

# no counter twice: every packet of the three runs (commands, resends, triggers) has its own
C=$(grep "packet sent" "$tmp/smsr.log" | sed -n 's/.* cntr=\([0-9]*\).*/\1/p')
[ "$(echo "$C" | wc -l)" -ge 4 ] && [ "$(echo "$C" | sort | uniq -d | wc -l)" = 0 ] &&
  ok "no SCP80 counter reused across kill -9 ($(echo "$C" | wc -l) packets)" || bad "counters: $(echo "$C" | sort | uniq -d)"
"${CTL[@]}" online $E0 >/dev/null
kill -TERM $SMSR_PID; for i in $(seq 50); do kill -0 $SMSR_PID 2>/dev/null || break; sleep 0.1; done
[ $fail = 0 ] || { echo "--- smsr.log"; tail -30 "$tmp/smsr.log"; }
exit $fail
