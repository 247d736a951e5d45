#!/bin/sh
# ES2+ on `rsp smdpp run` (a separate process), driven by curl (an HTTPS client that is not ours) with
# an operator certificate made by openssl: DownloadOrder reserves an identity of the operator's pool,
# ConfirmOrder (releaseFlag false) names the matchingId and a confirmation code, the order waits
# (ES9+ would answer 8.2/1.2), ReleaseProfile releases it; CancelOrder Available puts the identity
# back in the pool; a requester that is not the certificate's CN, a request without a client
# certificate and malformed bodies are refused and change nothing.
BIN=${RSP_BIN:?}
SHARED=${RSP_SHARED_DIR:?}
tmp=$(mktemp -d)
pid=
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null; rm -rf "$tmp"; }
trap cleanup EXIT
fail=0
ok() { echo "ok - $*"; }
bad() { echo "FAIL - $*"; fail=1; }

cd "$tmp" || exit 1
{ "$BIN" ci init --sgp22 --dir ci &&
  mkdir D &&
  "$BIN" ci issue --sgp22 --dir ci --role dpauth --id DPauth --oid 2.999.10 --out D/dpauth &&
  "$BIN" ci issue --sgp22 --dir ci --role dppb --id DPpb --oid 2.999.10 --out D/dppb &&
  "$BIN" ci issue --sgp22 --dir ci --role dptls --id DPtls --dns localhost --oid 2.999.10 --out D/dptls &&
  "$BIN" smdp import package --dir D --operator MNO --type T48 "$SHARED/profiles/TS48v7_SAIP2.3_NoBERTLV.der" &&
  "$BIN" smdp import generate --dir D --operator MNO --type T48 --count 3 --iccid-prefix 8944502; } >setup.log 2>&1 \
  || { echo "FAIL - setup: $(tail -3 setup.log)"; exit 1; }
# the operators' CA and the operator MNO (CN = its functionRequesterIdentifier)
openssl ecparam -name prime256v1 -genkey -noout -out opca.key 2>/dev/null &&
  openssl req -x509 -new -key opca.key -subj "/CN=Operators CA" -days 2 -out opca.pem 2>/dev/null &&
  openssl ecparam -name prime256v1 -genkey -noout -out op.key 2>/dev/null &&
  openssl req -new -key op.key -subj "/CN=MNO" -out op.csr 2>/dev/null &&
  openssl x509 -req -in op.csr -CA opca.pem -CAkey opca.key -CAcreateserial -days 2 -out op.pem 2>/dev/null \
  || { echo "FAIL - operator certificates"; exit 1; }

"$BIN" smdpp run --dir D --address localhost --listen 127.0.0.1:0 --port-file port \
  --es2-listen 127.0.0.1:0 --es2-ca opca.pem --es2-port-file es2port 2>smdpp.log &
pid=$!
i=0
while [ ! -s es2port ] && [ $i -lt 300 ]; do sleep 0.1; i=$((i + 1)); done
[ -s es2port ] || { echo "FAIL - daemon did not start: $(cat smdpp.log)"; exit 1; }
P=$(cat es2port)

es2() { # function body [curl options...]
  f=$1 b=$2
  shift 2
  curl -s --resolve "localhost:$P:127.0.0.1" --cacert ci/ci.crt.pem --cert op.pem --key op.key "$@" \
    -H 'Content-Type: application/json' -d "$b" "https://localhost:$P/gsma/rsp2/es2plus/$f"
}
H='"header":{"functionRequesterIdentifier":"MNO","functionCallIdentifier":"c1"}'
state() { "$BIN" smdpp show --dir D --address localhost --matching-id "$1" --json 2>/dev/null | jq -r .state; }
avail() { "$BIN" smdp inventory --dir D --json 2>/dev/null | jq -r '.pools[0].states.available'; }

a0=$(avail)
out=$(es2 downloadOrder "{$H,\"profileType\":\"T48\"}")
iccid=$(echo "$out" | jq -r .iccid)
[ "$(echo "$out" | jq -r .header.functionExecutionStatus.status)" = Executed-Success ] && [ ${#iccid} -ge 19 ] \
  && ok "downloadOrder: identity $iccid reserved" || bad "downloadOrder: $out"
out=$(es2 confirmOrder "{$H,\"iccid\":\"$iccid\",\"releaseFlag\":false,\"matchingId\":\"ES2-ORDER-1\",\"confirmationCode\":\"1234\"}")
[ "$(echo "$out" | jq -r .matchingId)" = ES2-ORDER-1 ] && [ "$(echo "$out" | jq -r .smdpAddress)" = "localhost:$(cat port)" ] \
  && [ "$(state ES2-ORDER-1)" = confirmed ] && ok "confirmOrder: matchingId, our address, waits for release" \
  || bad "confirmOrder: $out / $(state ES2-ORDER-1)"
out=$(es2 confirmOrder "{$H,\"iccid\":\"$iccid\",\"releaseFlag\":true}")
[ "$(echo "$out" | jq -r .header.functionExecutionStatus.statusCodeData.subjectCode)" = 8.2.1 ] \
  && [ "$(state ES2-ORDER-1)" = confirmed ] && ok "a second confirmOrder refused, nothing changed" || bad "confirm twice: $out"
out=$(es2 releaseProfile "{$H,\"iccid\":\"$iccid\"}")
[ "$(echo "$out" | jq -r .header.functionExecutionStatus.status)" = Executed-Success ] && [ "$(state ES2-ORDER-1)" = released ] \
  && ok "releaseProfile: released" || bad "release: $out"
# another operator's name in the header
out=$(es2 releaseProfile '{"header":{"functionRequesterIdentifier":"EVIL","functionCallIdentifier":"c2"},"iccid":"'"$iccid"'"}')
[ "$(echo "$out" | jq -r .header.functionExecutionStatus.statusCodeData.subjectCode)" = 1.1.1 ] \
  && ok "requester other than the certificate's CN refused" || bad "requester: $out"
# malformed bodies
for body in '{' "{$H,\"iccid\":\"12\"}" "{$H,\"iccid\":\"$iccid\",\"releaseFlag\":\"yes\"}" '{"iccid":"'"$iccid"'"}'; do
  out=$(es2 confirmOrder "$body")
  [ "$(echo "$out" | jq -r .header.functionExecutionStatus.statusCodeData.subjectCode)" = 1.2.1 ] \
    || bad "malformed '$body': $out"
done
[ "$(state ES2-ORDER-1)" = released ] && ok "malformed bodies refused (1.2.1), order unchanged" || bad "state after malformed"
# no client certificate: the TLS handshake fails
curl -s --resolve "localhost:$P:127.0.0.1" --cacert ci/ci.crt.pem -H 'Content-Type: application/json' \
  -d "{$H,\"profileType\":\"T48\"}" "https://localhost:$P/gsma/rsp2/es2plus/downloadOrder" >/dev/null 2>&1 \
  && bad "a client without certificate was served" || ok "no client certificate: refused by TLS"
# cancel with Available: the identity goes back to the pool
out=$(es2 downloadOrder "{$H,\"profileType\":\"T48\"}")
iccid2=$(echo "$out" | jq -r .iccid)
out=$(es2 cancelOrder "{$H,\"iccid\":\"$iccid2\",\"finalProfileStatusIndicator\":\"Available\"}")
[ "$(echo "$out" | jq -r .header.functionExecutionStatus.status)" = Executed-Success ] \
  && ok "cancelOrder Available" || bad "cancel: $out"
a1=$(avail)
[ "$a0" = 3 ] && [ "$a1" = 2 ] && ok "pool: one identity reserved, the cancelled one back ($a0 -> $a1)" \
  || bad "pool counts $a0 -> $a1"
out=$(es2 downloadOrder "{$H,\"profileType\":\"NOPE\"}")
[ "$(echo "$out" | jq -r .header.functionExecutionStatus.statusCodeData.subjectCode)" = 8.2.5 ] \
  && ok "unknown profileType 8.2.5" || bad "profileType: $out"
kill "$pid" && wait "$pid"
rc=$?
pid=
[ $rc = 0 ] && ok "SIGTERM: exit 0" || bad "exit $rc"
exit $fail
