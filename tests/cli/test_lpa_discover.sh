#!/usr/bin/env bash
# rsp lpa profile discover --smds (issue 13): `rsp smds run` and `rsp smdpp run` as separate processes over
# verified TLS, orders placed by ES2+ with curl (an outside client) and an openssl-made operator
# certificate, ConfirmOrder with smdsAddress (the SM-DP+ registers the event by ES12). Checked: the
# card accepts the SM-DS's CERT.DSauth (its policy read by openssl: 2.23.146.1.2.1.7, SGP22.md's
# table), several pending events are downloaded in the order the SM-DS holds them (seed 003), the
# SM-DS holds none afterwards; an event that fails before installation (a confirmation code the event
# cannot carry: postponed) does not stop the next one, a failure during installation (card pulled)
# skips the rest; --insecure works and says so on stderr and in --json; a CA of another PKI is refused
# by TLS before anything reaches the card; usage errors exit 2 before the card is touched.
set -u
BIN=${RSP_BIN:?}
PKG=${RSP_SHARED_DIR:?}/profiles/TS48v7_SAIP2.3_NoBERTLV.der
tmp=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null && wait "$p" 2>/dev/null; done; rm -rf "$tmp"; }
trap cleanup EXIT
fail=0
ok() { echo "ok - $*"; }
bad() { echo "FAIL - $*"; fail=1; }
rc_of() { "$@" >"$tmp/out" 2>"$tmp/err"; echo $?; }
cd "$tmp" || exit 1

{ "$BIN" ci init --sgp22 --dir ci &&
  "$BIN" ci issue --sgp22 --dir ci --role eum --id EUM --org 'RSP Test EUM' --eid-prefix 89049032 --out eum &&
  "$BIN" eum make --sgp22 --ci ci --eum eum --count 1 --out cards && mkdir smdpp smds &&
  "$BIN" ci issue --sgp22 --dir ci --role dpauth --id DPauth --oid 2.999.10 --out smdpp/dpauth &&
  "$BIN" ci issue --sgp22 --dir ci --role dppb --id DPpb --oid 2.999.10 --out smdpp/dppb &&
  "$BIN" ci issue --sgp22 --dir ci --role dptls --id DPtls --dns localhost --oid 2.999.10 --out smdpp/dptls &&
  "$BIN" ci issue --sgp22 --dir ci --role dsauth --id DSauth --oid 2.999.20 --out smds/dsauth &&
  "$BIN" ci issue --sgp22 --dir ci --role dstls --id DStls --dns localhost --oid 2.999.20 --out smds/dstls &&
  "$BIN" smdp import package --dir smdpp --operator MNO --type T48 "$PKG" &&
  "$BIN" smdp import generate --dir smdpp --operator MNO --type T48 --count 5 --iccid-prefix 8944502; } \
  >/dev/null 2>"$tmp/setup.err" || { echo "FAIL - setup: $(tail -3 "$tmp/setup.err")"; exit 1; }
openssl ecparam -name prime256v1 -genkey -noout -out opca.key 2>/dev/null &&
  openssl req -x509 -new -key opca.key -subj "/CN=Operators CA" -days 2 -out opca.pem 2>/dev/null &&
  openssl ecparam -name prime256v1 -genkey -noout -out op.key 2>/dev/null &&
  openssl req -new -key op.key -subj "/CN=MNO" -out op.csr 2>/dev/null &&
  openssl x509 -req -in op.csr -CA opca.pem -CAkey opca.key -CAcreateserial -days 2 -out op.pem 2>/dev/null \
  || { echo "FAIL - operator certificates"; exit 1; }
EID=$(ls cards)
C1="--card cards/$EID"
CA=ci/ci.crt.pem

"$BIN" smds run --dir smds --address localhost --listen 127.0.0.1:0 --port-file ds.port --es12-listen 127.0.0.1:0 \
  --es12-ca $CA --es12-port-file ds12.port >smds.log 2>&1 &
pids+=($!)
"$BIN" smdpp run --dir smdpp --address localhost --listen 127.0.0.1:0 --port-file dp.port --es2-listen 127.0.0.1:0 \
  --es2-ca opca.pem --es2-port-file es2.port --smds-ca $CA >smdpp.log 2>&1 &
pids+=($!)
for _ in $(seq 600); do [ -s ds.port ] && [ -s ds12.port ] && [ -s dp.port ] && [ -s es2.port ] && break; sleep 0.2; done
DS=$(tr -dc 0-9 <ds.port) DS12=$(tr -dc 0-9 <ds12.port) E2=$(tr -dc 0-9 <es2.port)
[ -n "$DS" ] && [ -n "$DS12" ] && [ -n "$E2" ] || { echo "FAIL - daemons: $(tail -2 smds.log smdpp.log)"; exit 1; }

H='"header":{"functionRequesterIdentifier":"MNO","functionCallIdentifier":"t"}'
es2() { curl -s --resolve "localhost:$E2:127.0.0.1" --cacert $CA --cert op.pem --key op.key \
  -H 'Content-Type: application/json' -d "$2" "https://localhost:$E2/gsma/rsp2/es2plus/$1"; }
# order MID [CC]: downloadOrder + confirmOrder with smdsAddress (the SM-DS's ES12 listener)
order() {
  local iccid cc=""
  iccid=$(es2 downloadOrder "{$H,\"eid\":\"$EID\",\"profileType\":\"T48\"}" | jq -r .iccid)
  [ -n "${2:-}" ] && cc=",\"confirmationCode\":\"$2\""
  es2 confirmOrder "{$H,\"iccid\":\"$iccid\",\"eid\":\"$EID\",\"matchingId\":\"$1\",\"releaseFlag\":true,\"smdsAddress\":\"localhost:$DS12\"$cc}" \
    | jq -r .header.functionExecutionStatus.status | grep -q Executed-Success && echo "$iccid"
}
events() { "$BIN" smds events --dir smds --eid "$EID" --json 2>/dev/null | jq -r '[.events[].eventId] | join(",")'; }

# Usage: exit 2, nothing touched.
[ "$(rc_of "$BIN" lpa $C1 profile discover --ca $CA)" = 2 ] && grep -q -- --smds err && ok "no --smds: exit 2" || bad "no --smds $(cat err)"
[ "$(rc_of "$BIN" lpa $C1 profile discover --smds "localhost:$DS" --ca $CA --insecure)" = 2 ] && grep -q exclude err \
  && ok "--ca with --insecure: exit 2" || bad "--ca --insecure $(cat err)"
[ "$(rc_of "$BIN" lpa $C1 profile discover --smds "localhost:$DS")" = 2 ] && ok "neither --ca nor --insecure: exit 2" || bad "no ca"

# The SM-DS signs ES11 with CERT.DSauth: the outside view of its policy.
openssl x509 -inform DER -in smds/dsauth/cert.der -noout -text 2>/dev/null | grep -q "2.23.146.1.2.1.7" \
  && ok "CERT.DSauth carries the DSauth policy 2.23.146.1.2.1.7 (openssl)" || bad "DSauth policy"

# Nothing pending: ES11 runs, no download.
rc=$(rc_of "$BIN" lpa $C1 --json profile discover --smds "localhost:$DS" --ca $CA)
[ "$rc" = 0 ] && [ "$(jq '.events | length' out)" = 0 ] && grep -q '^\[authenticate\] card authenticated the SM-DS' err \
  && ok "no events: ES11 done (the card accepted CERT.DSauth), nothing to download" || bad "empty rc $rc $(cat out err)"

# Two pending events, downloaded in the SM-DS's order.
I1=$(order DS-1) && I2=$(order DS-2) || bad "orders: $(tail -2 smdpp.log)"
for _ in $(seq 60); do [ "$(events)" = "DS-1,DS-2" ] && break; sleep 0.2; done
[ "$(events)" = "DS-1,DS-2" ] && ok "SM-DS holds DS-1, DS-2 for the EID" || bad "events $(events)"
rc=$(rc_of "$BIN" lpa $C1 --json profile discover --smds "localhost:$DS" --ca $CA)
[ "$rc" = 0 ] && [ "$(jq -r '[.events[].event_id] | join(",")' out)" = "DS-1,DS-2" ] \
  && [ "$(jq -r '[.events[].iccid] | join(",")' out)" = "$I1,$I2" ] && [ "$(jq -r '[.events[].installed] | all' out)" = true ] \
  && [ "$(jq -r .insecure out)" = false ] && ok "two events installed in order: DS-1 ($I1) then DS-2 ($I2)" || bad "two rc $rc $(cat out err)"
[ "$(grep -n '^\[discover\] event' err | cut -d: -f1 | tr '\n' ' ')" != "" ] && grep -q "^\[discover\] event 1/2: DS-1" err \
  && grep -q "^\[discover\] event 2/2: DS-2" err && ok "a progress line per event" || bad "progress $(cat err)"
for _ in $(seq 60); do [ -z "$(events)" ] && break; sleep 0.2; done
[ -z "$(events)" ] && ok "the SM-DS holds no event once both were installed" || bad "left: $(events)"
"$BIN" lpa $C1 --json profile list >out
[ "$(jq -r '[.[].iccid] | sort | join(",")' out)" = "$(printf '%s\n' "$I1" "$I2" | sort | paste -sd,)" ] \
  && ok "both profiles on the card" || bad "list $(cat out)"

# A failure before installation does not stop the next event; one during installation stops the rest.
# DS-3 needs a confirmation code (an event carries none: postponed), DS-4's installation is cut after 3
# BPP pieces (the card pulled), DS-5 then waits until the card is asked.
order DS-3 1234 >/dev/null && order DS-4 >/dev/null && order DS-5 >/dev/null || bad "orders 3-5"
for _ in $(seq 60); do [ "$(events)" = "DS-3,DS-4,DS-5" ] && break; sleep 0.2; done
rc=$(RSP_LPA_TEST_CUT=3 rc_of "$BIN" lpa $C1 --json profile discover --smds "localhost:$DS" --insecure)
[ "$rc" = 1 ] && [ "$(jq -r '[.events[].event_id] | join(",")' out)" = "DS-3,DS-4,DS-5" ] \
  && [ "$(jq -r '.events[0].retry_safe' out)" = true ] && [ "$(jq -r '.events[0].cancel_reason' out)" = 1 ] \
  && [ "$(jq -r '.events[0].phase' out)" = prepare ] \
  && ok "DS-3 needs a confirmation code: postponed (1) in prepare, safe to retry" || bad "DS-3 rc $rc $(cat out err)"
[ "$(jq -r '.events[1].attempted' out)" = true ] && [ "$(jq -r '.events[1].phase' out)" = install ] \
  && [ "$(jq -r '.events[1].retry_safe' out)" = false ] && [ "$(jq -r '.events[1].profile_on_card' out)" = false ] \
  && ok "DS-4 still tried after DS-3, then cut during installation: no partial profile" || bad "DS-4 $(cat out)"
[ "$(jq -r '.events[2].attempted' out)" = false ] && [ "$(jq -r '.installed, .failed, .skipped' out | paste -sd,)" = "0,2,1" ] \
  && grep -q "DS-5 at .*skipped" err && ok "DS-5 skipped until the card is asked" || bad "DS-5 $(cat out err)"
[ "$(jq -r .insecure out)" = true ] && grep -q "WARNING: --insecure" err && ok "--insecure: said on stderr and in --json" \
  || bad "insecure $(cat err)"

# A CA of another PKI (the openssl-made operators' CA): TLS refuses the SM-DS before the card is asked.
rc=$(rc_of "$BIN" lpa $C1 --json profile discover --smds "localhost:$DS" --ca opca.pem)
[ "$rc" = 1 ] && [ "$(jq '.events | length' out)" = 0 ] && ! grep -q "card authenticated" err \
  && ok "SM-DS certificate checked against another CA: refused by TLS, exit 1" || bad "other CA rc $rc $(cat out err)"
exit "$fail"
