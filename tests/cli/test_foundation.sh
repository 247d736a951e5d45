#!/usr/bin/env bash
# Black-box tests of the foundation tools: rsp ci, rsp cert, rsp eid. Exit codes and outputs are
# checked, including the failure paths (exit 1 for an invalid check, 2 for malformed input).
set -u
RSP=${RSP_BIN:?}
SHARED=${RSP_SHARED_DIR:?}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0 fail=0
check() { # name expected-exit command...
  local name=$1 want=$2; shift 2
  "$@" >"$tmp/out" 2>"$tmp/err"; local got=$?
  if [ "$got" = "$want" ]; then pass=$((pass+1)); else
    fail=$((fail+1)); echo "FAIL $name: exit $got, want $want"; cat "$tmp/out" "$tmp/err"; fi
}
has() { # name file needle
  if grep -q -- "$3" "$2"; then pass=$((pass+1)); else fail=$((fail+1)); echo "FAIL $1: no '$3' in output"; cat "$2"; fi
}

# EID: §G vectors, read from the shared file.
v1=$(grep -o '89049032123451234512345678901200 -> [0-9]*' "$SHARED/vectors/VECTORS.txt" | head -1 | awk '{print $3}')
v2=$(grep -o '89086030202200000022000023022900 -> [0-9]*' "$SHARED/vectors/VECTORS.txt" | head -1 | awk '{print $3}')
check "eid check valid" 0 "$RSP" eid check "$v1"
check "eid check valid 2" 0 "$RSP" eid check "$v2"
check "eid check invalid" 1 "$RSP" eid check 89049032123451234512345678901200
has "eid names expected digits" "$tmp/out" "expected ${v1:30:2}"
check "eid check malformed" 2 "$RSP" eid check 1234
check "eid complete" 0 "$RSP" eid complete 890490321234512345123456789012
has "eid complete output" "$tmp/out" "^$v1\$"
check "eid complete json" 0 "$RSP" eid complete 890860302022000000220000230229 --json
has "eid complete json output" "$tmp/out" "\"eid\":\"$v2\""
check "eid complete malformed" 2 "$RSP" eid complete 89049

# PKI: init, issue every role, show, verify.
check "ci init" 0 "$RSP" ci init --dir "$tmp/ci"
check "ci init refuses overwrite" 2 "$RSP" ci init --dir "$tmp/ci"
for role in eum smdp smsr operator m2msp; do
  check "ci issue $role" 0 "$RSP" ci issue --dir "$tmp/ci" --role $role --id "${role}1" --out "$tmp/$role"
  [ -f "$tmp/$role/tls.crt.pem" ] && openssl verify -CAfile "$tmp/ci/ci.crt.pem" "$tmp/$role/tls.crt.pem" >/dev/null \
    && pass=$((pass+1)) || { fail=$((fail+1)); echo "FAIL TLS cert of $role does not chain to the CI root"; }
  [ "$(stat -c %a "$tmp/$role/key.pem")" = 600 ] && pass=$((pass+1)) || { fail=$((fail+1)); echo "FAIL key mode $role"; }
done
[ ! -e "$tmp/operator/gpcert" ] && pass=$((pass+1)) || { fail=$((fail+1)); echo "FAIL operator has a GP cert"; }
check "ci issue bad role" 2 "$RSP" ci issue --dir "$tmp/ci" --role mno --id X --out "$tmp/x"
check "ci issue no ci" 2 "$RSP" ci issue --dir "$tmp/none" --role smdp --id X --out "$tmp/x"
check "cert show smdp" 0 "$RSP" cert show "$tmp/smdp/gpcert"
has "cert show role" "$tmp/out" "SM-DP"
check "cert show json" 0 "$RSP" cert show "$tmp/smsr/gpcert" --json
has "cert show json subject" "$tmp/out" '"subject":"smsr1"'
check "cert verify by issuer cert" 0 "$RSP" cert verify "$tmp/smdp/gpcert" --issuer "$tmp/ci/ci.gpcert"
has "signature valid" "$tmp/out" "signature valid"
check "cert verify by issuer key" 0 "$RSP" cert verify "$tmp/eum/gpcert" --issuer-key "$tmp/ci/ci.pub.pem"
check "cert verify self-signed root" 0 "$RSP" cert verify "$tmp/ci/ci.gpcert" --issuer "$tmp/ci/ci.gpcert"
check "cert verify wrong issuer" 1 "$RSP" cert verify "$tmp/smdp/gpcert" --issuer-key "$tmp/smsr/pub.pem"
has "signature invalid" "$tmp/out" "signature invalid"
# A certificate given as hex text on the command line, with one flipped signature bit.
hex=$(od -An -tx1 -v "$tmp/smdp/gpcert" | tr -d ' \n')
check "cert verify hex arg" 0 "$RSP" cert verify "$hex" --issuer "$tmp/ci/ci.gpcert"
last=${hex: -2}; flipped="${hex:0:${#hex}-2}$(printf '%02x' $(( 0x$last ^ 1 )))"
check "cert verify flipped bit" 1 "$RSP" cert verify "$flipped" --issuer "$tmp/ci/ci.gpcert"
# Raw issuer point as hex, with the curve.
pt=$("$RSP" cert show "$tmp/ci/ci.gpcert" --json | sed 's/.*"public_key":"\([0-9a-f]*\)".*/\1/')
check "cert verify raw point" 0 "$RSP" cert verify "$tmp/smdp/gpcert" --issuer-key "$pt" --curve p256
# §E1 public sample decodes.
e1=$(grep -A1 "^E1\. " "$SHARED/vectors/VECTORS.txt" | tail -1 | tr -d ' ' | sed 's/.*\(7F21.*\)/\1/')
check "cert show E1 sample" 0 "$RSP" cert show "$e1"
has "E1 expiry" "$tmp/out" "2145-01-01"
# Malformed input: exit 2 and a message naming the fault.
check "cert show truncated" 2 "$RSP" cert show 7F2181A59301
has "truncated message" "$tmp/err" "truncated"
check "cert show not hex" 2 "$RSP" cert show zz
check "cert verify usage" 2 "$RSP" cert verify "$tmp/smdp/gpcert"
# brainpool CI end to end.
check "ci init brainpool" 0 "$RSP" ci init --dir "$tmp/bp" --curve brainpoolp256r1
check "ci issue brainpool" 0 "$RSP" ci issue --dir "$tmp/bp" --role smsr --id SR --out "$tmp/bpsr"
check "cert verify brainpool" 0 "$RSP" cert verify "$tmp/bpsr/gpcert" --issuer "$tmp/bp/ci.gpcert"

# Every benchmark answers --help with its line and exit 0, without running (a bench may take minutes).
# All of apps/benches.def are listed: an empty listing would otherwise check nothing.
nb=0
for b in $("$RSP" bench --help | awk '/^benchmarks:/{on=1; next} on && NF {print $1}'); do
  check "bench $b --help" 0 timeout 10 "$RSP" bench "$b" --help
  has "bench $b --help line" "$tmp/out" "usage: rsp bench $b "
  nb=$((nb+1))
done
want=$(grep -c '^RSP_BENCH(' "${RSP_SOURCE_DIR:?}/apps/benches.def")
if [ "$nb" -gt 0 ] && [ "$nb" = "$want" ]; then pass=$((pass+1)); else
  fail=$((fail+1)); echo "FAIL bench --help: $nb benchmarks listed, $want in apps/benches.def"; fi

echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
