#!/usr/bin/env bash
# Durable ES3 results and ONC for ES3 deletions (issue 9, "Results, callbacks and ONC"), as separate
# processes: rsp smsc, rsp euicc run (1 card), rsp smsr run --listen --smdp-ids DP1 --callbacks, and a
# callback endpoint of this test (tests/cli/outbox_receiver.py, HTTPS mTLS, records every POST).
# Checks: an ES3 call whose ReplyTo is outside DP1's prefix is refused 1.1/1.2 (the strict rule of ES4,
# now on ES3 too); DP1 creates an ISD-P (CreateISDP, ProfileDownloadCompleted: Operator MNO1, type T1),
# MNO1 lists HandleProfileDeletedNotification for T1 (ES4A.SetONC); with the card offline DP1's
# DeleteISDP naming a ReplyTo under its prefix is accepted (202), then rsp smsr is killed (-9) and
# restarted and the card comes back: the DeleteISDP result reaches DP1's ReplyTo exactly once
# (RelatesTo its MessageID, ES3 callback action) and MNO1 gets HandleProfileDeletedNotification for
# the ICCID exactly once. Outside fact (SGP02.md "SOAP binding"): callback actions are
# http://gsma.com/<ES>/ProfileManagentCallBack/<ES>-<Function> (here JSON carries the same function).
. "$(dirname "$0")/daemons.sh"
SRC=${RSP_SOURCE_DIR:?}
command -v curl >/dev/null && command -v python3 >/dev/null || { echo "FAIL - needs curl and python3"; exit 1; }

SMSR=447700100994
make_fleet 1 447700900760 $SMSR
E0=$(ls "$tmp/fleet/eis" | sed -n 's/\.json$//p' | head -1)
DB="sqlite:$tmp/smsr.db"
export RSP_SMSR_MASTER_KEY=000102030405060708090A0B0C0D0E0F101112131415161718191A1B1C1D1E1F
"$BIN" smsr import --db "$DB" --keys "$tmp/keys.jsonl" "$tmp"/fleet/eis/*.json >/dev/null 2>&1 || bad "import"
for r in "smsr SMSR-T sr" "smdp DP1 dp1" "operator MNO1 mno"; do
  set -- $r
  "$BIN" ci issue --dir "$tmp/pki" --role $1 --id $2 --out "$tmp/$3" >/dev/null || bad "certificate $2"
done
python3 "$SRC/tests/cli/outbox_receiver.py" --port 0 --cert "$tmp/mno/tls.crt.pem" --key "$tmp/mno/key.pem" \
  --ca "$tmp/mno/ca.crt.pem" --log "$tmp/rcv.jsonl" >"$tmp/rcv.out" 2>"$tmp/rcv.err" &
pids+=($!)
for i in $(seq 100); do [ -s "$tmp/rcv.out" ] && break; sleep 0.05; done
CB="https://127.0.0.1:$(head -1 "$tmp/rcv.out" | tr -dc 0-9)"
: >>"$tmp/rcv.jsonl"
got() { grep -c -- "$1" "$tmp/rcv.jsonl" 2>/dev/null; }

start_smsc
start_smsr() {
  rm -f "$tmp/es.port"
  "$BIN" smsr run --db "$DB" --smsc 127.0.0.1:$SP --msisdn $SMSR --worker "w$1" --tick-ms 100 --por-wait 2 \
    --listen 127.0.0.1:0 --port-file "$tmp/es.port" --tls-cert "$tmp/sr/tls.crt.pem" --tls-key "$tmp/sr/key.pem" \
    --tls-ca "$tmp/sr/ca.crt.pem" --smdp-ids DP1 --callbacks "DP1=$CB/dp1/,MNO1=$CB/mno1" >>"$tmp/smsr.log" 2>&1 &
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

WHO=dp1
call() { # IFACE/FUNCTION JSON-FIELDS [extra curl args] (as $WHO) -> "<http code> <body>"
  local f=$1 b=$2; shift 2
  curl -s --max-time 40 --cacert "$tmp/sr/ca.crt.pem" --cert "$tmp/$WHO/tls.crt.pem" --key "$tmp/$WHO/key.pem" \
    -H 'Content-Type: application/json' "$@" -w '\n%{http_code}' "https://127.0.0.1:$EP/$f" -d "{$b}" | tac | tr '\n' ' '
}
ICC=89445010000000000769
r=$(call es3/CreateISDP "\"functionCallIdentifier\":\"c1\",\"eid\":\"$E0\",\"iccid\":\"$ICC\",\"mnoId\":\"MNO1\",\"requiredMemory\":70000" -H 'Prefer: wait')
echo "$r" | grep -q EXECUTED_SUCCESS && ok "CreateISDP by DP1 over SMS" || bad "CreateISDP: $r"
r=$(call es3/ProfileDownloadCompleted "\"functionCallIdentifier\":\"p1\",\"eid\":\"$E0\",\"iccid\":\"$ICC\",\"profileType\":\"T1\"" -H 'Prefer: wait')
echo "$r" | grep -q EXECUTED_SUCCESS || bad "ProfileDownloadCompleted: $r"
WHO=mno
r=$(call es4a/SetONC "\"functionCallIdentifier\":\"o1\",\"onc\":[{\"mnoId\":\"MNO1\",\"profileType\":\"T1\",\"notifications\":[\"HandleProfileDeletedNotification\"]}]")
echo "$r" | grep -q EXECUTED_SUCCESS || bad "SetONC: $r"
WHO=dp1

# strict ReplyTo on ES3: MNO1's prefix named by DP1 is not DP1's
r=$(call es3/DeleteISDP "\"functionCallIdentifier\":\"x1\",\"eid\":\"$E0\",\"iccid\":\"$ICC\",\"addressing\":{\"messageId\":\"m-x1\",\"replyTo\":\"$CB/mno1\"}")
case $r in 200*) echo "$r" | grep -q '"1.1"' && echo "$r" | grep -q '"1.2"' && echo "$r" | grep -q ReplyTo \
  && ok "ES3.DeleteISDP with a ReplyTo outside DP1's prefix: refused 1.1/1.2" || bad "x1: $r";; *) bad "x1: $r";; esac

# the durable result: card offline, kill -9 while the DeleteISDP waits, restart, card back
"${CTL[@]}" offline $E0 >/dev/null
r=$(call es3/DeleteISDP "\"functionCallIdentifier\":\"d1\",\"eid\":\"$E0\",\"iccid\":\"$ICC\",\"addressing\":{\"messageId\":\"m-d1\",\"replyTo\":\"$CB/dp1/results\"}")
case $r in 202*) ok "ES3.DeleteISDP with a ReplyTo under DP1's prefix: 202";; *) bad "d1: $r";; esac
sleep 1
kill -9 $SMSR_PID; wait $SMSR_PID 2>/dev/null
"${CTL[@]}" online $E0 >/dev/null
start_smsr 2
for i in $(seq 300); do [ "$(got m-d1)" -ge 1 ] && [ "$(got "onc:DeletedNotification:$ICC")" -ge 1 ] && break; sleep 0.1; done
sleep 1 # a duplicate would come now (the pump ticks every 200 ms)
L=$(grep -- m-d1 "$tmp/rcv.jsonl" | head -1)
[ "$(got m-d1)" = 1 ] && [ "$(echo "$L" | jq -r .path)" = /dp1/results ] &&
  echo "$L" | jq -r .body | grep -q EXECUTED_SUCCESS &&
  ok "after kill -9 and restart: the DeleteISDP result reached DP1's ReplyTo once, EXECUTED_SUCCESS" \
  || bad "d1 result $(got m-d1) times: $L $(tail -5 "$tmp/smsr.log")"
N=$(grep -- "onc:DeletedNotification:$ICC" "$tmp/rcv.jsonl" | head -1)
[ "$(got "onc:DeletedNotification:$ICC")" = 1 ] && [ "$(echo "$N" | jq -r .path)" = /mno1 ] &&
  echo "$N" | jq -r .body | grep -q "HandleProfileDeletedNotification" &&
  ok "ONC: MNO1 got HandleProfileDeletedNotification for the ES3 deletion, once" \
  || bad "ONC $(got "onc:DeletedNotification:$ICC") times: $N"
exit $fail
