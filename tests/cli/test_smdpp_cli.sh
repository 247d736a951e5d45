#!/bin/sh
# `rsp smdpp` without a daemon: activation codes (pysim's strings from tests/unittests/test_esim.py
# parse; our printer gives the form they have; bad codes exit 2 naming the fault), orders on a folder
# (activation code printed, a matchingId an LPA would refuse exits 2, a duplicate is refused, cancel),
# and usage errors / --help (exit codes 0/1/2).
BIN=${RSP_BIN:?}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0
ok() { echo "ok - $*"; }
bad() { echo "FAIL - $*"; fail=1; }
rc_of() { "$@" >"$tmp/out" 2>"$tmp/err"; echo $?; }

for s in '1$SMDP.GSMA.COM$04386-AGYFT-A74Y8-3F815' '1$SMDP.GSMA.COM$04386-AGYFT-A74Y8-3F815$$1' \
         '1$SMDP.GSMA.COM$04386-AGYFT-A74Y8-3F815$1.3.6.1.4.1.31746$1' '1$SMDP.GSMA.COM$$1.3.6.1.4.1.31746'; do
  rc=$(rc_of "$BIN" smdpp ac parse "LPA:$s" --json)
  [ "$rc" = 0 ] || { bad "parse $s: rc $rc $(cat "$tmp/err")"; continue; }
  a=$(jq -r .address "$tmp/out") m=$(jq -r .matchingId "$tmp/out") o=$(jq -r .oid "$tmp/out") c=$(jq -r .ccRequired "$tmp/out")
  set --
  [ -n "$o" ] && set -- --oid "$o"
  [ "$c" = true ] && set -- "$@" --cc-required
  [ "$("$BIN" smdpp ac print --address "$a" --matching-id "$m" "$@")" = "LPA:$s" ] || bad "print back $s"
done
ok "pysim's activation codes parse and print back"
for s in 'LPA:2$a$b' 'LPA:1$a' 'LPA:1$a$b$x.y' 'LPA:1$a$b$$0'; do
  rc=$(rc_of "$BIN" smdpp ac parse "$s")
  [ "$rc" = 2 ] && grep -q "activation code" "$tmp/err" || bad "'$s': rc $rc $(cat "$tmp/err")"
done
ok "malformed activation codes exit 2 with the fault"
[ "$(rc_of "$BIN" smdpp ac print --address 'a b' --matching-id M)" = 2 ] && ok "printer refuses a space" || bad "print space"

# an SM-DP+ folder (no pool is needed to order)
"$BIN" ci init --sgp22 --dir "$tmp/ci" >/dev/null 2>&1 && mkdir "$tmp/D" &&
  "$BIN" ci issue --sgp22 --dir "$tmp/ci" --role dpauth --id A --oid 2.999.10 --out "$tmp/D/dpauth" >/dev/null 2>&1 &&
  "$BIN" ci issue --sgp22 --dir "$tmp/ci" --role dppb --id B --oid 2.999.10 --out "$tmp/D/dppb" >/dev/null 2>&1 \
  || { echo "FAIL - PKI"; exit 1; }
rc=$(rc_of "$BIN" smdpp order --dir "$tmp/D" --address smdp.example.com --matching-id ORDER-1 --operator MNO --type T48 --cc 1234 --json)
[ "$rc" = 0 ] && [ "$(jq -r .activationCode "$tmp/out")" = 'LPA:1$smdp.example.com$ORDER-1$$1' ] && [ "$(jq -r .state "$tmp/out")" = released ] \
  && ok "order: activation code with the confirmation code flag" || bad "order rc $rc $(cat "$tmp/out" "$tmp/err")"
[ "$(rc_of "$BIN" smdpp order --dir "$tmp/D" --address smdp.example.com --matching-id ORDER-1 --operator MNO --type T48)" != 0 ] \
  && ok "a duplicate matchingId is refused" || bad "duplicate"
[ "$(rc_of "$BIN" smdpp order --dir "$tmp/D" --address smdp.example.com --matching-id 'A_B' --operator MNO --type T48)" = 2 ] \
  && ok "a matchingId an LPA refuses exits 2" || bad "matchingId"
rc=$(rc_of "$BIN" smdpp cancel --dir "$tmp/D" --address smdp.example.com --matching-id ORDER-1 --json)
[ "$rc" = 0 ] && [ "$(jq -r .state "$tmp/out")" = cancelled ] && ok "cancel" || bad "cancel rc $rc"
[ "$(rc_of "$BIN" smdpp show --dir "$tmp/D" --address smdp.example.com --matching-id NOPE)" = 2 ] && ok "unknown order exits 2" || bad "show unknown"
# the SM-DP+ refuses a folder whose DPpb carries another OID
"$BIN" ci issue --sgp22 --dir "$tmp/ci" --role dppb --id C --oid 2.999.11 --out "$tmp/D2pb" >/dev/null 2>&1
mkdir "$tmp/D2" && cp -r "$tmp/D/dpauth" "$tmp/D2/" && mv "$tmp/D2pb" "$tmp/D2/dppb"
rc=$(rc_of "$BIN" smdpp show --dir "$tmp/D2" --address a --matching-id X)
[ "$rc" != 0 ] && grep -q "different SM-DP+ OIDs" "$tmp/err" && ok "DPauth and DPpb with different OIDs refused" \
  || bad "OIDs: rc $rc $(cat "$tmp/err")"
[ "$(rc_of "$BIN" smdpp run --dir "$tmp/D")" = 2 ] && ok "run without --address/--listen: usage" || bad "run usage"
[ "$(rc_of "$BIN" smdpp run --help)" = 0 ] && grep -q "es2-listen" "$tmp/out" && ok "--help" || bad "--help"
exit $fail
