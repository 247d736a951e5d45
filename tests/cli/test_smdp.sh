#!/usr/bin/env bash
# Black-box tests of the SM-DP inventory (`rsp smdp import|inventory|take`): a TS.48 v7 package is
# imported (a truncated one is refused with the walker's diagnosis), identities from CSV (bad Luhn
# digit and duplicates refused with the line named) and generated; concurrent `take` processes on one
# pool never get the same identity; the personalised package carries the ICCID `rsp saip dump` reads.
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
  if grep -q -- "$3" "$2"; then pass=$((pass+1)); else fail=$((fail+1)); echo "FAIL $1: no '$3' in $2"; cat "$2"; fi
}
same() { # name got want
  if [ "$2" = "$3" ]; then pass=$((pass+1)); else fail=$((fail+1)); echo "FAIL $1: got '$2', want '$3'"; fi
}

D=$tmp/dp
PKG=$SHARED/profiles/TS48v7_SAIP2.3_NoBERTLV.der
EID=89049032123451234512345678901235
KI=465B5CE8B199B49FAA5F0A2EE238A6BC
OPC=CD63CB71954A9F4E48A5994E37A02BAF
P=(--dir "$D" --operator OPA --type ts48)

check usage 2 "$RSP" smdp import --dir "$D"
for sub in import inventory take; do # --help: the usage on stdout, exit 0
  check "help-$sub" 0 "$RSP" smdp $sub --help; has "help-$sub" "$tmp/out" "usage: rsp smdp $sub"
done
check help 0 "$RSP" smdp --help
head -c 300 "$PKG" >"$tmp/trunc.der"
check trunc 2 "$RSP" smdp import "${P[@]}" package "$tmp/trunc.der"
has trunc-diag "$tmp/err" "element"
check csv-before-package 2 "$RSP" smdp import "${P[@]}" identities /dev/null
check package 0 "$RSP" smdp import "${P[@]}" package "$PKG"

# 8944123456789012345 + Luhn 4 (worked out by hand: the same digit the saip perso test derives).
printf 'iccid,imsi,ki,opc\n89441234567890123454,234150123456789,%s,%s\n89441234567890123455,234150123456780,%s,%s\n' \
  $KI $OPC $KI $OPC >"$tmp/luhn.csv"
check luhn 1 "$RSP" smdp import "${P[@]}" identities "$tmp/luhn.csv"
has luhn-line "$tmp/err" "line 3"
printf '89441234567890123454,234150123456789,%s,%s\n# x\n89441234567890123454,234150123456780,%s,%s\n' \
  $KI $OPC $KI $OPC >"$tmp/dup.csv"
check dup 2 "$RSP" smdp import "${P[@]}" identities "$tmp/dup.csv"
has dup-line "$tmp/err" "line 3: ICCID 89441234567890123454 duplicates line 1"
head -2 "$tmp/luhn.csv" >"$tmp/good.csv"
check good 0 "$RSP" smdp import "${P[@]}" identities "$tmp/good.csv"
check again 2 "$RSP" smdp import "${P[@]}" identities "$tmp/good.csv"
has again-line "$tmp/err" "line 2: ICCID 89441234567890123454 is already"

check take-one 0 "$RSP" smdp take "${P[@]}" --eid $EID --out "$tmp/p.der" --json
has take-iccid "$tmp/out" '"iccid":"89441234567890123454"'
check dump 0 "$RSP" saip dump "$tmp/p.der"
has dump-iccid "$tmp/out" "iccid 89441234567890123454"

# A pool of 8 and 11 concurrent takers: 8 distinct ICCIDs, 3 refusals.
N=8
check gen 0 "$RSP" smdp import "${P[@]}" generate --count $N --iccid-prefix 8999001 --first 100
pids=()
for i in $(seq 1 11); do
  "$RSP" smdp take "${P[@]}" --eid $EID >"$tmp/t$i.out" 2>"$tmp/t$i.err" &
  pids+=($!)
done
ok=0
for i in $(seq 1 11); do wait "${pids[$((i-1))]}" && ok=$((ok+1)); done
same takers "$ok" $N
cat "$tmp"/t*.out | cut -d' ' -f1 | sort >"$tmp/iccids"
same distinct "$(sort -u "$tmp/iccids" | wc -l)" $N
same total "$(wc -l <"$tmp/iccids")" $N
check inventory 0 "$RSP" smdp inventory --dir "$D" --json
has inv-alloc "$tmp/out" '"allocated":9'
has inv-avail "$tmp/out" '"available":0'
check take-empty 2 "$RSP" smdp take "${P[@]}" --eid $EID
has empty-msg "$tmp/err" "no identity available"

# The download journal lives in the store. An SM-DP dir of an older build (one file per download under
# downloads/) is moved into it at the first open; a file it cannot read stops the open, naming it.
check downloads-none 0 "$RSP" smdp downloads --dir "$D"
same downloads-empty "$(wc -l <"$tmp/out")" 0
mkdir -p "$D/downloads"
printf 'step=5\nop=MNO1\ntype=ts48\neid=%s\niccid=89441234567890123454\nenable=1\nisdp=1\noutcome=\nstatus=\n' $EID \
  >"$D/downloads/es2-00000000000a.dl"
printf 'step=9\nop=MNO1\ntype=ts48\neid=%s\niccid=\nenable=0\nisdp=0\noutcome=get-eis: verify-failed\nstatus=8.1/6.1\n' $EID \
  >"$D/downloads/cli-old.dl"
check downloads-import 0 "$RSP" smdp downloads --dir "$D"
has import-resumable "$tmp/out" "^id=es2-00000000000a step=5 name=download-completed op=MNO1 type=ts48 eid=$EID iccid=89441234567890123454 enable=1 isdp=1 status= outcome=\$"
has import-failed "$tmp/out" "^id=cli-old step=9 name=failed .* status=8.1/6.1 outcome=get-eis: verify-failed\$"
same import-moved "$(ls "$D/downloads" | wc -l)" 0
check downloads-live 0 "$RSP" smdp downloads --dir "$D" --live --json
same live-json "$(jq -c '[.downloads[] | [.id, .name, .enable]]' "$tmp/out")" '[["es2-00000000000a","download-completed",true]]'
printf 'step=77\n' >"$D/downloads/cli-bad.dl"
check downloads-bad 2 "$RSP" smdp downloads --dir "$D"
has bad-named "$tmp/err" "downloads/cli-bad.dl: not a readable download journal"
rm "$D/downloads/cli-bad.dl"
check downloads-help 0 "$RSP" smdp downloads --help
has downloads-usage "$tmp/out" "usage: rsp smdp downloads"
check downloads-usage-error 2 "$RSP" smdp downloads --dir "$D" extra

echo "smdp cli: $pass passed, $fail failed"
[ "$fail" = 0 ]
