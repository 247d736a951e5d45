#!/usr/bin/env bash
# Strict ReplyTo of rsp smsr run --listen WITHOUT --callbacks (issue 9: "the SM-SR never posts to an
# address a peer merely names"), as separate processes: rsp smsc, rsp smsr run (no card is needed:
# the refusal comes before anything is queued) and a callback endpoint of this test
# (tests/cli/outbox_receiver.py, HTTPS mTLS, records every POST). Checks: the start-up log says every
# ReplyTo is refused; a JSON and a SOAP 1.2 call naming the receiver as ReplyTo are answered at once
# FAILED 1.1 / 1.2 (SubjectIdentifier ReplyTo), rsp op --reply-to exits 1 with that refusal, nothing
# is queued under their FunctionCallIdentifiers (a CLI replay is a fresh operation), and the receiver
# gets nothing; a call without ReplyTo (Prefer: wait) is still served.
# Outside fact (SGP02.md, the ES4 status codes): subject 1.1 = function requester, reason 1.2 = not allowed.
. "$(dirname "$0")/daemons.sh"
SRC=${RSP_SOURCE_DIR:?}
command -v curl >/dev/null && command -v python3 >/dev/null || { echo "FAIL - needs curl and python3"; exit 1; }

SMSR=447700100993
make_fleet 1 447700900750 $SMSR
E0=$(ls "$tmp/fleet/eis" | sed -n 's/\.json$//p' | head -1)
ICC0=$(jq -r '.eis.profiles[0].iccid' "$tmp/fleet/eis/$E0.json")
DB="sqlite:$tmp/smsr.db"
export RSP_SMSR_MASTER_KEY=000102030405060708090A0B0C0D0E0F101112131415161718191A1B1C1D1E1F
"$BIN" smsr import --db "$DB" --keys "$tmp/keys.jsonl" "$tmp"/fleet/eis/*.json >/dev/null 2>&1 || bad "import"
"$BIN" ci issue --dir "$tmp/pki" --role smsr --id SMSR-T --out "$tmp/sr" >/dev/null &&
  "$BIN" ci issue --dir "$tmp/pki" --role operator --id MNO1 --out "$tmp/mno" >/dev/null || bad "certificates"

python3 "$SRC/tests/cli/outbox_receiver.py" --port 0 --cert "$tmp/mno/tls.crt.pem" --key "$tmp/mno/key.pem" \
  --ca "$tmp/mno/ca.crt.pem" --log "$tmp/rcv.jsonl" >"$tmp/rcv.out" 2>"$tmp/rcv.err" &
pids+=($!)
for i in $(seq 100); do [ -s "$tmp/rcv.out" ] && break; sleep 0.05; done
CB="https://127.0.0.1:$(head -1 "$tmp/rcv.out" | tr -dc 0-9)"
: >>"$tmp/rcv.jsonl"

start_smsc
"$BIN" smsr run --db "$DB" --smsc 127.0.0.1:$SP --msisdn $SMSR --worker w1 --tick-ms 100 --por-wait 2 \
  --listen 127.0.0.1:0 --port-file "$tmp/es.port" --tls-cert "$tmp/sr/tls.crt.pem" --tls-key "$tmp/sr/key.pem" \
  --tls-ca "$tmp/sr/ca.crt.pem" >"$tmp/smsr.log" 2>&1 &
pids+=($!)
for i in $(seq 200); do [ -s "$tmp/es.port" ] && break; sleep 0.05; done
EP=$(tr -d '\n' <"$tmp/es.port")
[ -n "$EP" ] || { bad "rsp smsr run did not start: $(tail -3 "$tmp/smsr.log")"; exit 1; }
grep -q "every ReplyTo is refused" "$tmp/smsr.log" && ok "start-up log: no --callbacks, every ReplyTo is refused" \
  || bad "no start-up notice: $(head -5 "$tmp/smsr.log")"

post() { # PATH CTYPE BODY -> "<http code> <body>"
  curl -s --max-time 20 --cacert "$tmp/sr/ca.crt.pem" --cert "$tmp/mno/tls.crt.pem" --key "$tmp/mno/key.pem" \
    -H "Content-Type: $2" -w '\n%{http_code}' "https://127.0.0.1:$EP$1" -d "$3" | tac | tr '\n' ' '
}
r=$(post /es4/SetFallBackAttribute application/json \
  "{\"functionCallIdentifier\":\"r1\",\"eid\":\"$E0\",\"iccid\":\"$ICC0\",\"addressing\":{\"messageId\":\"m-r1\",\"replyTo\":\"$CB/mno1\"}}")
case $r in 200*) echo "$r" | grep -q '"1.1"' && echo "$r" | grep -q '"1.2"' && echo "$r" | grep -q ReplyTo \
  && ok "JSON call with a ReplyTo, no --callbacks: refused synchronously (1.1/1.2, ReplyTo)" || bad "JSON: $r";;
  *) bad "JSON: $r";; esac
r=$(post /es4 'application/soap+xml; charset=utf-8' "<e:Envelope xmlns:e=\"http://www.w3.org/2003/05/soap-envelope\" \
xmlns:w=\"http://www.w3.org/2005/08/addressing\"><e:Header><w:ReplyTo><w:Address>$CB/mno1</w:Address></w:ReplyTo>\
<w:MessageID>m-r2</w:MessageID><w:Action>http://gsma.com/ES4/ProfileManagent/ES4-SetFallBackAttribute</w:Action></e:Header>\
<e:Body><SetFallBackAttribute><FunctionCallIdentifier>r2</FunctionCallIdentifier><Eid>$E0</Eid><Iccid>$ICC0</Iccid>\
</SetFallBackAttribute></e:Body></e:Envelope>")
case $r in 200*) echo "$r" | grep -q '>1.1<' && echo "$r" | grep -q '>1.2<' && echo "$r" | grep -q ReplyTo \
  && ok "SOAP 1.2 call with a ReplyTo: refused synchronously (1.1/1.2)" || bad "SOAP: $r";; *) bad "SOAP: $r";; esac
r=$("$BIN" op SetFallBackAttribute --url "https://127.0.0.1:$EP" --tls-cert "$tmp/mno/tls.crt.pem" \
  --tls-key "$tmp/mno/key.pem" --tls-ca "$tmp/mno/ca.crt.pem" --timeout 20 --eid $E0 --iccid $ICC0 --fcid r3 \
  --reply-to "$CB/mno1" --json 2>&1); rc=$?
[ $rc = 1 ] && [ "$(echo "$r" | jq -r '[.outcome, .subject, .reason] | join("/")' 2>/dev/null)" = "refused/1.1/1.2" ] \
  && ok "rsp op --reply-to without --callbacks on the SM-SR: exit 1, refused 1.1/1.2" || bad "rsp op ($rc): $r"
for f in r1 r2 r3; do
  r=$("$BIN" smsr submit --db "$DB" --fn ES4.SetFallBackAttribute --eid $E0 --iccid $ICC0 --requester MNO1 --fcid $f \
    --json 2>&1)
  echo "$r" | grep -q '"replayed": *false' || bad "$f was queued: $r"
done
ok "the refused calls queued nothing (replays of r1..r3 are fresh operations)"
# a call without ReplyTo, answered in its HTTP response, is still served
r=$(post /es4/GetEIS application/json "{\"functionCallIdentifier\":\"g1\",\"eid\":\"$E0\"}")
case $r in 200*) echo "$r" | grep -q "$ICC0" && ok "GetEIS without ReplyTo: served" || bad "GetEIS: $r";; *) bad "GetEIS: $r";; esac
sleep 1.5 # several ticks of the outbox pump: anything queued would have been posted by now
[ ! -s "$tmp/rcv.jsonl" ] && ok "nothing was posted to the ReplyTo" || bad "posted: $(cat "$tmp/rcv.jsonl")"
exit $fail
