#!/usr/bin/env bash
# Durable results of rsp smsr (the outbox), as separate processes: rsp smsc, rsp euicc run (2 cards),
# rsp smsr run --listen --callbacks, and a callback endpoint that exists only in this test
# (tests/cli/outbox_receiver.py: HTTPS with mutual TLS, records what it receives).
# (c) a ReplyTo outside the caller's configured prefixes (another path, another peer's prefix) is
#     refused synchronously (1.1 / 1.2) and nothing is queued or posted;
# (a) the callback endpoint is down while two operations settle (one SOAP 1.2, one JSON): both
#     results wait in the outbox (rsp_outbox_pending 2, retries counted); once it is up each arrives
#     exactly once, RelatesTo its request's MessageID;
# (b) kill -9 of rsp smsr while an operation whose call named a ReplyTo is in flight (card offline):
#     after a restart the result arrives once; the same through SIGTERM (clean exit, nothing sent for
#     the waiting call, its result once after the restart);
# (d) ONC: a second profile (type ts48, Operator MNO1) is downloaded to a card through the SM-SR
#     (rsp smdp download, SCP03t over the admin session); MNO1's ONC lists
#     HandleProfileEnabledNotification for ts48 and only HandleProfileDeletedNotification for the
#     first profile's type; an M2M SP enables the new profile under MNO1's PLMA: MNO1 receives
#     HandleProfileEnabledNotification for it exactly once, and nothing for the profile the switch
#     disabled (its type's ONC does not list it);
# (e) the fall-back: `rsp euicc ctl net-down` on that card; it switches to its fall-back profile by
#     itself (notification 05): GetEIS shows the fall-back profile enabled and the new one disabled;
#     no ONC notification (neither type lists that change).
# Under scripts/with-pg (make test) all of it runs on PostgreSQL, the two workers of (a) included.
# Outside fact (SGP02.md "SOAP binding"): a result callback's action is
# http://gsma.com/ES4/ProfileManagentCallBack/ES4-<Function>, sent to ReplyTo with RelatesTo = the
# request's MessageID, in SOAP 1.2 (http://www.w3.org/2003/05/soap-envelope).
. "$(dirname "$0")/daemons.sh"
SRC=${RSP_SOURCE_DIR:?}
command -v curl >/dev/null && command -v python3 >/dev/null || { echo "FAIL - needs curl and python3"; exit 1; }

SMSR=447700100995
make_fleet 2 447700900700 $SMSR
EIDS=($(ls "$tmp/fleet/eis" | sed -n 's/\.json$//p'))
E0=${EIDS[0]} E1=${EIDS[1]}
icc() { jq -r '.eis.profiles[0].iccid' "$tmp/fleet/eis/$1.json"; }
ICC0=$(icc $E0) ICC1=$(icc $E1)
# The store: SMSR_TEST_DB when given; else, under scripts/with-pg (make test), a fresh schema of its
# PostgreSQL database, so the two workers below share the work on PostgreSQL (issue 9, scale-out);
# else SQLite.
DB=${SMSR_TEST_DB:-"sqlite:$tmp/smsr.db"}
if [ -z "${SMSR_TEST_DB:-}" ] && [ -n "${RSP_PG_DSN:-}" ] && command -v psql >/dev/null; then
  S=rsp_ob_$$_$RANDOM
  psql "$RSP_PG_DSN" -qc "CREATE SCHEMA $S" >/dev/null 2>&1 && DB="$RSP_PG_DSN options='-c search_path=$S'" &&
    echo "# store: PostgreSQL (schema $S)"
fi
export RSP_SMSR_MASTER_KEY=000102030405060708090A0B0C0D0E0F101112131415161718191A1B1C1D1E1F
"$BIN" smsr import --db "$DB" --keys "$tmp/keys.jsonl" "$tmp"/fleet/eis/*.json >/dev/null 2>&1 || bad "import"
"$BIN" ci issue --dir "$tmp/pki" --role smsr --id SMSR-T --out "$tmp/sr" >/dev/null &&
  "$BIN" ci issue --dir "$tmp/pki" --role operator --id MNO1 --out "$tmp/mno" >/dev/null &&
  "$BIN" ci issue --dir "$tmp/pki" --role m2msp --id SP1 --out "$tmp/sp1" >/dev/null &&
  "$BIN" ci issue --dir "$tmp/pki" --role smdp --id DP1 --out "$tmp/dp1" >/dev/null || bad "certificates"
D=$tmp/dp
"$BIN" smdp import package --dir "$D" --operator MNO1 --type ts48 "$PKG" >/dev/null 2>&1 &&
  "$BIN" smdp import generate --dir "$D" --operator MNO1 --type ts48 --count 1 --iccid-prefix 8999002 --first 100 \
  >/dev/null 2>&1 || bad "smdp inventory"

start_smsc
CBP=$(port)
CB="https://127.0.0.1:$CBP"
start_smsr() {
  rm -f "$tmp/es.port"
  "$BIN" smsr run --db "$DB" --smsc 127.0.0.1:$SP --msisdn $SMSR --worker "w$1" --tick-ms 100 --por-wait 2 \
    --listen 127.0.0.1:0 --port-file "$tmp/es.port" --tls-cert "$tmp/sr/tls.crt.pem" --tls-key "$tmp/sr/key.pem" \
    --tls-ca "$tmp/sr/ca.crt.pem" --m2msp-ids SP1 --smdp-ids DP1 --callbacks "MNO1=$CB/mno1,SP1=$CB/sp1/" \
    --admin-listen 127.0.0.1:0 --admin-idle-ms 1000 >>"$tmp/smsr.log" 2>&1 &
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

RCV_PID=
rcv_up() {
  python3 "$SRC/tests/cli/outbox_receiver.py" --port $CBP --cert "$tmp/mno/tls.crt.pem" --key "$tmp/mno/key.pem" \
    --ca "$tmp/mno/ca.crt.pem" --log "$tmp/rcv.jsonl" --body-dir "$tmp/bodies" >"$tmp/rcv.out" 2>"$tmp/rcv.err" &
  RCV_PID=$!; pids+=($RCV_PID)
  for i in $(seq 100); do [ -s "$tmp/rcv.out" ] && break; sleep 0.05; done
}
mkdir -p "$tmp/bodies"; : >"$tmp/rcv.jsonl"
got() { grep -c "$1" "$tmp/rcv.jsonl" 2>/dev/null; }  # received messages containing $1
WHO=mno
post() { # PATH CTYPE BODY -> "<http code> <body>"
  curl -s --max-time 20 --cacert "$tmp/sr/ca.crt.pem" --cert "$tmp/$WHO/tls.crt.pem" --key "$tmp/$WHO/key.pem" \
    -H "Content-Type: $2" -w '\n%{http_code}' "https://127.0.0.1:$EP$1" -d "$3" | tac | tr '\n' ' '
}
json_fb() { # FCID EID ICCID REPLYTO
  post /es4/SetFallBackAttribute application/json \
    "{\"functionCallIdentifier\":\"$1\",\"eid\":\"$2\",\"iccid\":\"$3\",\"addressing\":{\"messageId\":\"m-$1\",\"replyTo\":\"$4\"}}"
}
soap_fb() { # FCID EID ICCID REPLYTO
  post /es4 'application/soap+xml; charset=utf-8' "<e:Envelope xmlns:e=\"http://www.w3.org/2003/05/soap-envelope\" \
xmlns:w=\"http://www.w3.org/2005/08/addressing\"><e:Header><w:ReplyTo><w:Address>$4</w:Address></w:ReplyTo>\
<w:MessageID>m-$1</w:MessageID><w:Action>http://gsma.com/ES4/ProfileManagent/ES4-SetFallBackAttribute</w:Action></e:Header>\
<e:Body><SetFallBackAttribute><FunctionCallIdentifier>$1</FunctionCallIdentifier><Eid>$2</Eid><Iccid>$3</Iccid>\
</SetFallBackAttribute></e:Body></e:Envelope>"
}
state_of() { # FCID EID ICCID: the op's state (a replay of the same request through the CLI)
  "$BIN" smsr submit --db "$DB" --fn ES4.SetFallBackAttribute --eid "$2" --iccid "$3" --requester MNO1 --fcid "$1" \
    --json 2>/dev/null | sed -n 's/.*"state": *"\([a-z]*\)".*/\1/p'
}
wait_state() { # FCID EID ICCID STATE SECONDS
  for i in $(seq $(($5 * 10))); do [ "$(state_of "$1" "$2" "$3")" = "$4" ] && return 0; sleep 0.1; done; return 1
}
metric() { # NAME: its value on /metrics (GET on the HTTPS listener)
  curl -s --max-time 5 --cacert "$tmp/sr/ca.crt.pem" --cert "$tmp/mno/tls.crt.pem" --key "$tmp/mno/key.pem" \
    "https://127.0.0.1:$EP/metrics" | sed -n "s/^$1 //p"
}

# (c) ReplyTo outside the caller's prefixes: refused at once, nothing queued, nothing posted.
r=$(json_fb c1 $E0 $ICC0 "$CB/other/cb")
case $r in 200*) echo "$r" | grep -q '"1.1"' && echo "$r" | grep -q '"1.2"' && echo "$r" | grep -q ReplyTo \
  && ok "ReplyTo outside MNO1's prefix: refused synchronously (1.1/1.2)" || bad "refusal: $r";; *) bad "refusal: $r";; esac
r=$(json_fb c2 $E0 $ICC0 "$CB/mno1x")
echo "$r" | grep -q '"1.2"' && ok "prefix boundary: /mno1x is not under /mno1" || bad "prefix boundary: $r"
r=$(json_fb c3 $E0 $ICC0 "$CB/sp1/cb")
echo "$r" | grep -q '"1.2"' && ok "another peer's prefix (SP1's) named by MNO1: refused" || bad "other peer: $r"
WHO=sp1
r=$(json_fb c4 $E0 $ICC0 "$CB/mno1")
echo "$r" | grep -q '"1.2"' && ok "MNO1's prefix named by SP1: refused" || bad "SP1 with MNO1 url: $r"
WHO=mno
# a replay of c1 through the CLI is a fresh operation: the refused call queued nothing
r=$("$BIN" smsr submit --db "$DB" --fn ES4.SetFallBackAttribute --eid $E0 --iccid $ICC0 --requester MNO1 --fcid c1 --json 2>&1)
echo "$r" | grep -q '"replayed": *false' && ok "refused call: nothing queued under its FCID" || bad "c1 replay: $r"

# (a) endpoint down while two operations settle; then up: each result once.
r=$(soap_fb a1 $E0 $ICC0 "$CB/mno1/results"); case $r in 202*) ok "SOAP call with ReplyTo: 202";; *) bad "a1: $r";; esac
r=$(json_fb a2 $E1 $ICC1 "$CB/mno1/results"); case $r in 202*) ok "JSON call with ReplyTo: 202";; *) bad "a2: $r";; esac
wait_state a1 $E0 $ICC0 done 20 && wait_state a2 $E1 $ICC1 done 20 && ok "both operations done over SMS" || bad "a1/a2 not done"
for i in $(seq 60); do [ "$(metric rsp_outbox_retries_total)" -ge 2 ] 2>/dev/null && break; sleep 0.1; done
[ "$(metric rsp_outbox_pending)" = 2 ] && [ "$(metric rsp_outbox_retries_total)" -ge 2 ] 2>/dev/null &&
  ok "endpoint down: 2 results pending in the outbox, retries counted" \
  || bad "pending $(metric rsp_outbox_pending) retries $(metric rsp_outbox_retries_total)"
[ "$(got m-a1)" = 0 ] || bad "something arrived while down"
# a second worker on the same store, listening too: both pumps compete for the pending rows
"$BIN" smsr run --db "$DB" --smsc 127.0.0.1:$SP --msisdn $SMSR --worker w9 --tick-ms 100 --listen 127.0.0.1:0 \
  --port-file "$tmp/es9.port" --tls-cert "$tmp/sr/tls.crt.pem" --tls-key "$tmp/sr/key.pem" --tls-ca "$tmp/sr/ca.crt.pem" \
  --m2msp-ids SP1 --callbacks "MNO1=$CB/mno1,SP1=$CB/sp1/" >>"$tmp/smsr9.log" 2>&1 &
W9=$!; pids+=($W9)
for i in $(seq 200); do [ -s "$tmp/es9.port" ] && break; sleep 0.05; done
rcv_up
for i in $(seq 200); do [ "$(got m-a1)" -ge 1 ] && [ "$(got m-a2)" -ge 1 ] && break; sleep 0.1; done
sleep 1 # a duplicate would come now (the pumps tick every 200 ms)
[ "$(got m-a1)" = 1 ] && [ "$(got m-a2)" = 1 ] && ok "endpoint up: each result arrived exactly once (two workers)" \
  || bad "a1 $(got m-a1) a2 $(got m-a2) times"
[ "$(metric rsp_outbox_pending)" = 0 ] && ok "outbox drained (rsp_outbox_pending 0)" || bad "pending $(metric rsp_outbox_pending)"
# outside fact: the SOAP result as SGP02.md describes callbacks
L=$(grep m-a1 "$tmp/rcv.jsonl" | head -1)
A=$(echo "$L" | jq -r .action | tr -d '"')
B=$(echo "$L" | jq -r .body)
[ "$A" = "http://gsma.com/ES4/ProfileManagentCallBack/ES4-SetFallBackAttribute" ] &&
  echo "$B" | grep -q 'http://www.w3.org/2003/05/soap-envelope' && echo "$B" | grep -q 'RelatesTo[^>]*>m-a1<' &&
  echo "$B" | grep -q 'Executed-Success\|EXECUTED_SUCCESS\|ExecutedSuccess' &&
  [ "$(echo "$L" | jq -r .path)" = /mno1/results ] && [ "$(echo "$L" | jq -r .cn)" = SMSR-T ] &&
  ok "SOAP result: SGP02.md callback action, SOAP 1.2, RelatesTo the MessageID, over mTLS as SMSR-T" \
  || bad "SOAP result: action=$A $(echo "$B" | head -c 600)"
L=$(grep m-a2 "$tmp/rcv.jsonl" | head -1)
echo "$L" | jq -r .body | jq -e '.functionExecutionStatus.status != null' >/dev/null 2>&1 &&
  [ "$(echo "$L" | jq -r .ctype)" = application/json ] && ok "JSON result: JSON body" || bad "JSON result: $L"

# Prefer: wait with a ReplyTo: the result is the HTTP answer; nothing goes to ReplyTo
r=$(curl -s --max-time 30 --cacert "$tmp/sr/ca.crt.pem" --cert "$tmp/mno/tls.crt.pem" --key "$tmp/mno/key.pem" \
  -H 'Content-Type: application/json' -H 'Prefer: wait' "https://127.0.0.1:$EP/es4/SetFallBackAttribute" \
  -d "{\"functionCallIdentifier\":\"w1\",\"eid\":\"$E0\",\"iccid\":\"$ICC0\",\"addressing\":{\"messageId\":\"m-w1\",\"replyTo\":\"$CB/mno1/results\"}}")
sleep 1
echo "$r" | grep -q EXECUTED_SUCCESS && [ "$(got m-w1)" = 0 ] && ok "Prefer: wait with a ReplyTo: answered in HTTP, nothing posted" \
  || bad "Prefer: wait: $r, $(got m-w1) posted"
kill -TERM $W9; wait $W9 2>/dev/null
# (b) kill -9 with an operation in flight whose call named a ReplyTo; restart: the result once.
"${CTL[@]}" offline $E1 >/dev/null
r=$(json_fb b1 $E1 $ICC1 "$CB/mno1/results"); case $r in 202*) ;; *) bad "b1: $r";; esac
wait_state b1 $E1 $ICC1 awaiting 10 || bad "b1 never sent"
kill -9 $SMSR_PID; wait $SMSR_PID 2>/dev/null
"${CTL[@]}" online $E1 >/dev/null
start_smsr 2
wait_state b1 $E1 $ICC1 done 30 && ok "kill -9 in flight: the operation completes after the restart" || bad "b1 not done"
for i in $(seq 100); do [ "$(got m-b1)" -ge 1 ] && break; sleep 0.1; done
sleep 1
[ "$(got m-b1)" = 1 ] && ok "kill -9 in flight: its result arrived once" || bad "b1 result $(got m-b1) times"
# the same through a graceful stop (SIGTERM): the waiting call is let go without a callback, the
# process exits cleanly, and the result goes out once after the restart
"${CTL[@]}" offline $E1 >/dev/null
r=$(json_fb b2 $E1 $ICC1 "$CB/mno1/results"); case $r in 202*) ;; *) bad "b2: $r";; esac
wait_state b2 $E1 $ICC1 awaiting 10 || bad "b2 never sent"
kill -TERM $SMSR_PID; wait $SMSR_PID; rc=$?
"${CTL[@]}" online $E1 >/dev/null
[ $rc = 0 ] && grep -q "stopped name=smsr clean=yes" "$tmp/smsr.log" && [ "$(got m-b2)" = 0 ] &&
  ok "SIGTERM with a durable call waiting: clean exit, nothing sent for it" || bad "SIGTERM: rc $rc, $(got m-b2) sent"
start_smsr 3
for i in $(seq 300); do [ "$(got m-b2)" -ge 1 ] && break; sleep 0.1; done
sleep 1
[ "$(got m-b2)" = 1 ] && grep -m1 m-b2 "$tmp/rcv.jsonl" | grep -q 'EXECUTED_SUCCESS\|Executed-Success' &&
  ok "after SIGTERM and a restart: its result arrived once" || bad "b2 result $(got m-b2) times"
grep -q "AddressSanitizer\|runtime error" "$tmp/smsr.log" && bad "sanitizer report in smsr.log" || true
grep -v '"path": "/mno1' "$tmp/rcv.jsonl" | grep -q . && bad "a post outside /mno1" || ok "nothing posted outside the configured prefixes"

# (d) ONC applied: a second profile on E0, enabled by SP1 under MNO1's PLMA.
PT=$(jq -r '.eis.profiles[0].profileType' "$tmp/fleet/eis/$E0.json")
r=$("$BIN" smdp download --dir "$D" --smsr "https://127.0.0.1:$EP" --ci "$tmp/pki" --dp "$tmp/dp1" --eum "$tmp/eum" \
  --eis-dir "$tmp/fleet/eis" --operator MNO1 --type ts48 --eid $E0 --json 2>&1)
ICCN=$(echo "$r" | jq -r '.iccid // empty' 2>/dev/null | tail -1)
echo "$r" | grep -q '"installed' && [ -n "$ICCN" ] && ok "a second profile downloaded to the card ($ICCN)" || bad "download: $r"
onc() { # PROFILETYPE NOTIFICATION
  post /es4a/SetONC application/json \
    "{\"functionCallIdentifier\":\"o-$1\",\"onc\":[{\"mnoId\":\"MNO1\",\"profileType\":\"$1\",\"notifications\":[\"$2\"]}]}"
}
r=$(onc ts48 HandleProfileEnabledNotification); echo "$r" | grep -q EXECUTED_SUCCESS || bad "SetONC ts48: $r"
r=$(onc "$PT" HandleProfileDeletedNotification); echo "$r" | grep -q EXECUTED_SUCCESS || bad "SetONC $PT: $r"
r=$(post /es4a/SetPLMA application/json "{\"functionCallIdentifier\":\"pl1\",\"plma\":[{\"mnoId\":\"MNO1\",\"m2mspId\":\"SP1\",\"profileType\":\"ts48\",\"allowedFunctions\":[\"ES4-EnableProfile\"]}]}")
echo "$r" | grep -q EXECUTED_SUCCESS || bad "SetPLMA: $r"
WHO=sp1
r=$(curl -s --max-time 40 --cacert "$tmp/sr/ca.crt.pem" --cert "$tmp/sp1/tls.crt.pem" --key "$tmp/sp1/key.pem" \
  -H 'Content-Type: application/json' -H 'Prefer: wait' "https://127.0.0.1:$EP/es4/EnableProfile" \
  -d "{\"functionCallIdentifier\":\"en1\",\"eid\":\"$E0\",\"iccid\":\"$ICCN\"}")
WHO=mno
echo "$r" | grep -q EXECUTED_SUCCESS && ok "ES4.EnableProfile by the M2M SP under PLMA: done (card notification 02)" \
  || bad "enable by SP1: $r $(grep -i 'enable\|notif\|MO packet' "$tmp/smsr.log" | tail -5)"
for i in $(seq 100); do [ "$(got HandleProfileEnabledNotification)" -ge 1 ] && break; sleep 0.1; done
sleep 1 # a duplicate, or a notification for the disabled profile, would come now
L=$(grep HandleProfileEnabledNotification "$tmp/rcv.jsonl")
[ "$(got HandleProfileEnabledNotification)" = 1 ] && echo "$L" | jq -r .body | grep -q "$ICCN" &&
  echo "$L" | jq -r .body | grep -q "$E0" && [ "$(echo "$L" | jq -r .path)" = /mno1 ] &&
  ok "ONC: MNO1 received HandleProfileEnabledNotification for $ICCN once, at its configured URL" \
  || bad "enabled notification: $(got HandleProfileEnabledNotification) times: $L"
[ "$(got HandleProfileDisabledNotification)" = 0 ] && ok "ONC: nothing for the disabled profile (its type's ONC does not list it)" \
  || bad "a disabled notification was sent"
# (e) the fall-back (issue 9: "fall-back after rsp euicc ctl net-down"): the card loses the network of
# the enabled profile, switches to its fall-back profile by itself and says so (notification 05); the
# SM-SR reflects it (GetEIS: the fall-back profile enabled, the downloaded one disabled) and confirms
# it (3A08). ONC: neither type lists that change (ts48: enabled only; PT: deleted only): nothing posted.
"${CTL[@]}" net-down $E0 >/dev/null || bad "net-down"
states() {
  post /es4/GetEIS application/json "{\"functionCallIdentifier\":\"g-$1\",\"eid\":\"$E0\"}" | sed 's/^[0-9]* //' |
    jq -r ".eis.profiles[]? | select(.iccid == \"$ICC0\" or .iccid == \"$ICCN\") | \"\(.iccid)=\(.state)\"" 2>/dev/null | sort | tr '\n' ' '
}
want=$(printf '%s\n' "$ICC0=Enabled" "$ICCN=Disabled" | sort | tr '\n' ' ')
for i in $(seq 150); do st=$(states $i); [ "$st" = "$want" ] && break; sleep 0.2; done
[ "$st" = "$want" ] && ok "net-down: the card fell back; GetEIS shows it ($st)" ||
  bad "after net-down: '$st' (want '$want'): $(grep -i 'notif\|MO packet' "$tmp/smsr.log" | tail -3)"
for i in $(seq 100); do grep -q "notification.*seq=.*result=ok\|MO packet.*result=ok" "$tmp/smsr.log" && break; sleep 0.1; done
sleep 1
[ "$(got HandleProfileEnabledNotification)" = 1 ] && [ "$(got HandleProfileDisabledNotification)" = 0 ] &&
  ok "fall-back: no ONC notification (the types' ONC do not list it)" || bad "ONC after the fall-back"
[ "$(metric rsp_outbox_dead_total)" = 0 ] && ok "no message died" || bad "dead $(metric rsp_outbox_dead_total)"
exit $fail
