#!/bin/sh
# `rsp smds run` and `rsp smdpp run` as separate processes, ES2+ and ES12 driven by curl (an HTTPS
# client that is not ours): an order confirmed with smdsAddress becomes an event for its EID on the
# SM-DS (registered by the SM-DP+ through its durable outbox, eventId = matchingId); the event survives
# a kill -9 of the SM-DS; another SM-DP+ (another DPtls certificate) cannot delete it; ES12 without a
# client certificate or with a malformed body is refused; an order that ends makes the SM-DP+ delete
# its event, also when it was cancelled offline (the sweep at the SM-DP+'s start). The outside fact:
# the ES12 bodies sent by curl are written here with SGP22.md's field names, not made by our encoder.
# (ES11 with a card: tests/unit/test_smds_es11.c.)
BIN=${RSP_BIN:?}
SHARED=${RSP_SHARED_DIR:?}
tmp=$(mktemp -d)
dpid= spid=
cleanup() {
  [ -n "$dpid" ] && kill "$dpid" 2>/dev/null && wait "$dpid" 2>/dev/null
  [ -n "$spid" ] && kill "$spid" 2>/dev/null && wait "$spid" 2>/dev/null
  rm -rf "$tmp"
}
trap cleanup EXIT
fail=0
ok() { echo "ok - $*"; }
bad() { echo "FAIL - $*"; fail=1; }
EID=89049032123451234512345678901235

cd "$tmp" || exit 1
{ "$BIN" ci init --sgp22 --dir ci &&
  mkdir D S &&
  "$BIN" ci issue --sgp22 --dir ci --role dpauth --id DPauth --oid 2.999.10 --out D/dpauth &&
  "$BIN" ci issue --sgp22 --dir ci --role dppb --id DPpb --oid 2.999.10 --out D/dppb &&
  "$BIN" ci issue --sgp22 --dir ci --role dptls --id DPtls --dns localhost --oid 2.999.10 --out D/dptls &&
  "$BIN" ci issue --sgp22 --dir ci --role dptls --id OtherDP --dns localhost --oid 2.999.11 --out dp2 &&
  "$BIN" ci issue --sgp22 --dir ci --role dsauth --id DSauth --out S/dsauth &&
  "$BIN" ci issue --sgp22 --dir ci --role dstls --id DStls --dns localhost --out S/dstls &&
  "$BIN" smdp import package --dir D --operator MNO --type T48 "$SHARED/profiles/TS48v7_SAIP2.3_NoBERTLV.der" &&
  "$BIN" smdp import generate --dir D --operator MNO --type T48 --count 3 --iccid-prefix 8944502; } >setup.log 2>&1 \
  || { echo "FAIL - setup: $(tail -3 setup.log)"; exit 1; }
openssl ecparam -name prime256v1 -genkey -noout -out opca.key 2>/dev/null &&
  openssl req -x509 -new -key opca.key -subj "/CN=Operators CA" -days 2 -out opca.pem 2>/dev/null &&
  openssl ecparam -name prime256v1 -genkey -noout -out op.key 2>/dev/null &&
  openssl req -new -key op.key -subj "/CN=MNO" -out op.csr 2>/dev/null &&
  openssl x509 -req -in op.csr -CA opca.pem -CAkey opca.key -CAcreateserial -days 2 -out op.pem 2>/dev/null \
  || { echo "FAIL - operator certificates"; exit 1; }

"$BIN" smds --help >/dev/null 2>&1 && "$BIN" smds run --help | grep -q -- --es12-listen \
  && ok "rsp smds --help" || bad "rsp smds --help"

wait_file() { i=0; while [ ! -s "$1" ] && [ $i -lt 600 ]; do sleep 0.1; i=$((i + 1)); done; [ -s "$1" ]; }
smds_start() {
  rm -f ds.port ds12.port
  "$BIN" smds run --dir S --address localhost --listen 127.0.0.1:0 --port-file ds.port \
    --es12-listen 127.0.0.1:0 --es12-ca ci/ci.crt.pem --es12-port-file ds12.port 2>>smds.log &
  spid=$!
  wait_file ds.port || { echo "FAIL - smds did not start: $(tail -3 smds.log)"; exit 1; }
}
smds_start
S12=$(cat ds12.port)
"$BIN" smdpp run --dir D --address localhost --listen 127.0.0.1:0 --port-file port --es2-listen 127.0.0.1:0 \
  --es2-ca opca.pem --es2-port-file es2port --smds-ca ci/ci.crt.pem 2>smdpp.log &
dpid=$!
wait_file es2port || { echo "FAIL - smdpp did not start: $(tail -3 smdpp.log)"; exit 1; }
P=$(cat es2port)

es2() { # function body
  curl -s --resolve "localhost:$P:127.0.0.1" --cacert ci/ci.crt.pem --cert op.pem --key op.key \
    -H 'Content-Type: application/json' -d "$2" "https://localhost:$P/gsma/rsp2/es2plus/$1"
}
es12() { # function body cert-dir|none
  if [ "$3" = none ]; then set -- "$1" "$2"; c=; else c="--cert $3/cert.pem --key $3/key.pem"; fi
  # shellcheck disable=SC2086
  curl -s --resolve "localhost:$S12:127.0.0.1" --cacert ci/ci.crt.pem $c -H 'Content-Type: application/json' \
    -d "$2" "https://localhost:$S12/gsma/rsp2/es12/$1"
}
events() { "$BIN" smds events --dir S --eid "$1" --json 2>/dev/null | jq -r '[.events[].eventId] | join(",")'; }
wait_events() { # eid want
  i=0; while [ "$(events "$1")" != "$2" ] && [ $i -lt 300 ]; do sleep 0.1; i=$((i + 1)); done
  [ "$(events "$1")" = "$2" ]
}
H='"header":{"functionRequesterIdentifier":"MNO","functionCallIdentifier":"c1"}'

# an order confirmed with smdsAddress -> the event for its EID, eventId = matchingId
iccid=$(es2 downloadOrder "{$H,\"profileType\":\"T48\"}" | jq -r .iccid)
out=$(es2 confirmOrder "{$H,\"iccid\":\"$iccid\",\"eid\":\"$EID\",\"releaseFlag\":true,\"matchingId\":\"DS-ORDER-1\",\"smdsAddress\":\"localhost:$S12\"}")
[ "$(echo "$out" | jq -r .matchingId)" = DS-ORDER-1 ] || bad "confirmOrder: $out"
wait_events "$EID" DS-ORDER-1 && ok "confirmOrder with smdsAddress: event DS-ORDER-1 registered for the EID" \
  || bad "no event: $(events "$EID") / $(tail -3 smdpp.log)"
addr=$("$BIN" smds events --dir S --eid "$EID" --json | jq -r '.events[0].rspServerAddress')
[ "$addr" = "localhost:$(cat port)" ] && ok "rspServerAddress is the SM-DP+'s ES9+ address" || bad "address $addr"
# smdsAddress without an EID is refused before anything changes
iccid2=$(es2 downloadOrder "{$H,\"profileType\":\"T48\"}" | jq -r .iccid)
out=$(es2 confirmOrder "{$H,\"iccid\":\"$iccid2\",\"releaseFlag\":true,\"smdsAddress\":\"localhost:$S12\"}")
[ "$(echo "$out" | jq -r .header.functionExecutionStatus.statusCodeData.subjectCode)" = 8.1.1 ] \
  && ok "smdsAddress without EID refused (8.1.1)" || bad "no EID: $out"

# kill -9 of the SM-DS: the event is durable (read from its store, then served by the restarted one;
# a restart listens on a new port: the orders below name it)
kill -9 "$spid"; wait "$spid" 2>/dev/null; spid=
[ "$(events "$EID")" = DS-ORDER-1 ] && ok "kill -9 of smds: the event is still there" || bad "after kill -9: $(events "$EID")"
smds_start
S12=$(cat ds12.port)

# ES12 refusals: another SM-DP+'s DeleteEvent, no client certificate, malformed bodies
RH='"header":{"functionRequesterIdentifier":"dp2","functionCallIdentifier":"x1"}'
out=$(es12 deleteEvent "{$RH,\"eid\":\"$EID\",\"eventId\":\"DS-ORDER-1\"}" dp2)
[ "$(echo "$out" | jq -r .header.functionExecutionStatus.statusCodeData.subjectCode)" = 1.1.1 ] \
  && [ "$(events "$EID")" = DS-ORDER-1 ] && ok "DeleteEvent by another SM-DP+ refused (1.1.1), event kept" \
  || bad "foreign delete: $out / $(events "$EID")"
es12 deleteEvent "{$RH,\"eid\":\"$EID\",\"eventId\":\"DS-ORDER-1\"}" none >/dev/null 2>&1 \
  && bad "ES12 without client certificate served" || ok "ES12 without a client certificate: refused by TLS"
for body in '{' "{$RH,\"eid\":\"$EID\"}" "{$RH,\"eid\":\"89049032123451234512345678901234\",\"eventId\":\"E1\",\"rspServerAddress\":\"dp\"}" \
            "{$RH,\"eid\":\"$EID\",\"eventId\":\"bad id\",\"rspServerAddress\":\"dp\"}"; do
  out=$(es12 registerEvent "$body" dp2)
  [ "$(echo "$out" | jq -r .header.functionExecutionStatus.statusCodeData.subjectCode)" = 1.2.1 ] \
    || bad "malformed '$body': $out"
done
[ "$(events "$EID")" = DS-ORDER-1 ] && ok "malformed ES12 bodies refused (1.2.1), nothing registered" || bad "after malformed"
# dp2 registers its own event (the same eventId for another EID too), replays it, deletes it
EID2=89049032123451234512345678901332
reg="{$RH,\"eid\":\"$EID2\",\"eventId\":\"DS-ORDER-1\",\"rspServerAddress\":\"dp2.example:8443\",\"forwardingIndicator\":false}"
o1=$(es12 registerEvent "$reg" dp2); o2=$(es12 registerEvent "$reg" dp2)
[ "$(echo "$o1$o2" | jq -r .header.functionExecutionStatus.status | sort -u)" = Executed-Success ] \
  && [ "$(events "$EID2")" = DS-ORDER-1 ] && ok "registerEvent by dp2, replayed: one event" || bad "dp2 register: $o1 $o2"
out=$(es12 deleteEvent "{$RH,\"eid\":\"$EID2\",\"eventId\":\"DS-ORDER-1\"}" dp2)
[ "$(echo "$out" | jq -r .header.functionExecutionStatus.status)" = Executed-Success ] && [ -z "$(events "$EID2")" ] \
  && ok "deleteEvent by its own SM-DP+" || bad "own delete: $out"

# an order that ends (cancelled): the SM-DP+ deletes its event (outbox, to the restarted SM-DS)
iccid3=$(es2 downloadOrder "{$H,\"profileType\":\"T48\"}" | jq -r .iccid)
out=$(es2 confirmOrder "{$H,\"iccid\":\"$iccid3\",\"eid\":\"$EID\",\"releaseFlag\":true,\"matchingId\":\"DS-ORDER-3\",\"smdsAddress\":\"localhost:$S12\"}")
wait_events "$EID" DS-ORDER-1,DS-ORDER-3 || bad "third event: $out / $(events "$EID")"
out=$(es2 cancelOrder "{$H,\"iccid\":\"$iccid3\",\"finalProfileStatusIndicator\":\"Unavailable\"}")
[ "$(echo "$out" | jq -r .header.functionExecutionStatus.status)" = Executed-Success ] || bad "cancel: $out"
wait_events "$EID" DS-ORDER-1 && ok "cancelOrder: the SM-DP+ deleted the event" || bad "event left: $(events "$EID")"
# an order cancelled while the SM-DP+ is down (`rsp smdpp cancel`, offline): its start sweeps the orders
# still naming an SM-DS and deletes the event
out=$(es2 confirmOrder "{$H,\"iccid\":\"$iccid2\",\"eid\":\"$EID\",\"releaseFlag\":true,\"matchingId\":\"DS-ORDER-2\",\"smdsAddress\":\"localhost:$S12\"}")
wait_events "$EID" DS-ORDER-1,DS-ORDER-2 || bad "second event: $out / $(events "$EID")"
kill "$dpid" && wait "$dpid"
dpid=
"$BIN" smdpp cancel --dir D --address localhost --matching-id DS-ORDER-2 >/dev/null 2>&1 || bad "smdpp cancel"
[ "$(events "$EID")" = DS-ORDER-1,DS-ORDER-2 ] || bad "the event went before the SM-DP+ restarted"
rm -f es2port
"$BIN" smdpp run --dir D --address localhost --listen 127.0.0.1:0 --port-file port --es2-listen 127.0.0.1:0 \
  --es2-ca opca.pem --es2-port-file es2port --smds-ca ci/ci.crt.pem 2>>smdpp.log &
dpid=$!
wait_file es2port || { echo "FAIL - smdpp did not restart: $(tail -3 smdpp.log)"; exit 1; }
wait_events "$EID" DS-ORDER-1 && ok "order cancelled offline: the restarted SM-DP+ deleted its event" \
  || bad "event left after the sweep: $(events "$EID")"
# an operator removes the last one by hand
"$BIN" smds delete --dir S --eid "$EID" --event-id DS-ORDER-1 && [ -z "$(events "$EID")" ] \
  && ok "rsp smds delete" || bad "smds delete: $(events "$EID")"
"$BIN" smds delete --dir S --eid "$EID" --event-id DS-ORDER-1 2>/dev/null; rc=$?
[ $rc = 2 ] && ok "rsp smds delete of an unknown event: exit 2" || bad "delete unknown: exit $rc"
curl -s --resolve "localhost:$(cat ds.port):127.0.0.1" --cacert ci/ci.crt.pem "https://localhost:$(cat ds.port)/metrics" \
  | grep -q 'rsp_smds_es12_calls_total{function="deleteEvent",result="ok"} 3' && ok "/metrics: 3 deleteEvent ok since the restart" \
  || bad "metrics"
h=$(curl -s -w ' %{http_code}' --resolve "localhost:$(cat ds.port):127.0.0.1" --cacert ci/ci.crt.pem \
  "https://localhost:$(cat ds.port)/health")
[ "$h" = "ok
 200" ] && ok "/health: ok, 200" || bad "health: $h"
kill "$spid" && wait "$spid"
rc=$?
spid=
[ $rc = 0 ] && ok "smds SIGTERM: exit 0" || bad "smds exit $rc"
exit $fail
