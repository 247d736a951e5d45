#!/usr/bin/env bash
# Black-box tests of `rsp saip` over the four TS.48 v7 packages: dump (element order and header read
# from each package's own .asn1.txt), check, personalise then check again, and the failure paths
# (exit 1 for a package that fails its check, 2 for malformed arguments).
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

ICCID=89440000000000000010
IMSI=234150123456789
KI=465B5CE8B199B49FAA5F0A2EE238A6BC
OPC=CD63CB71954A9F4E48A5994E37A02BAF
for name in TS48v7_SAIP2.3_NoBERTLV TS48v7_SAIP2.3_NoBERTLV_NoRAMRFM TS48v7_SAIP2.3_BERTLV_SUCI \
            TS48v7_SAIP2.3_BERTLV_SUCI_NoRAMRFM; do
  der="$SHARED/profiles/$name.der" txt="$SHARED/profiles/$name.asn1.txt"
  want_order=$(grep -o 'ProfileElement ::= [a-zA-Z0-9-]*' "$txt" | awk '{print $3}' | tr '\n' ' ')
  want_count=$(grep -c 'ProfileElement ::= ' "$txt")
  want_iccid=$(grep -o "iccid '[0-9]*'H" "$txt" | head -1 | tr -dc 0-9)
  want_type=$(grep -o 'profileType "[^"]*"' "$txt" | head -1 | cut -d'"' -f2)
  want_ver="$(grep -o 'major-version [0-9]*' "$txt" | awk '{print $2}').$(grep -o 'minor-version [0-9]*' "$txt" | awk '{print $2}')"

  check "$name dump" 0 "$RSP" saip dump "$der"
  has "$name dump count" "$tmp/out" "$want_count elements"
  has "$name dump version" "$tmp/out" "version $want_ver"
  has "$name dump iccid" "$tmp/out" "iccid $want_iccid"
  check "$name dump json" 0 "$RSP" saip dump "$der" --json
  same "$name order" "$(jq -r '.elements[].name' "$tmp/out" | tr '\n' ' ')" "$want_order"
  same "$name json iccid" "$(jq -r .header.iccid "$tmp/out")" "$want_iccid"
  same "$name json type" "$(jq -r .header.profile_type "$tmp/out")" "$want_type"
  same "$name json ids" "$(jq -r '[.elements[1:][].identification] | join(" ")' "$tmp/out")" \
       "$(grep -o 'identification [0-9]*' "$txt" | awk '{print $2}' | tr '\n' ' ' | sed 's/ $//')"
  check "$name check" 0 "$RSP" saip check "$der"
  has "$name check count" "$tmp/out" "ok, $want_count elements"

  check "$name personalise" 0 "$RSP" saip personalize "$der" --iccid $ICCID --imsi $IMSI --ki $KI --opc $OPC \
        -o "$tmp/p.der"
  check "$name check personalised" 0 "$RSP" saip check "$tmp/p.der"
  check "$name dump personalised" 0 "$RSP" saip dump "$tmp/p.der" --json
  same "$name new iccid" "$(jq -r .header.iccid "$tmp/out")" "$ICCID"
  same "$name order kept" "$(jq -r '.elements[].name' "$tmp/out" | tr '\n' ' ')" "$want_order"
  xxd -p "$tmp/p.der" | tr -d '\n' >"$tmp/p.hex"
  has "$name EF.ICCID swapped" "$tmp/p.hex" "830a98440000000000000001"
  has "$name EF.IMSI" "$tmp/p.hex" "8309082943511032547698"
  has "$name Ki" "$tmp/p.hex" "8210$(echo $KI | tr A-F a-f)8310$(echo $OPC | tr A-F a-f)"
  same "$name Ki not printed" "$(grep -ci "$KI" "$tmp/out" "$tmp/err" | awk -F: '{s+=$2} END {print s}')" 0
done

der="$SHARED/profiles/TS48v7_SAIP2.3_NoBERTLV.der"
# Wrong arguments: exit 2 with a message naming the fault.
check "bad luhn" 2 "$RSP" saip personalize "$der" --iccid 89440000000000000011 -o "$tmp/x.der"
has "bad luhn message" "$tmp/err" "Luhn"
check "short iccid" 2 "$RSP" saip personalize "$der" --iccid 8944 -o "$tmp/x.der"
check "bad imsi" 2 "$RSP" saip personalize "$der" --imsi 12345 -o "$tmp/x.der"
has "bad imsi message" "$tmp/err" "IMSI"
check "bad ki" 2 "$RSP" saip personalize "$der" --ki 0011 -o "$tmp/x.der"
check "32-byte opc on test algorithm" 2 "$RSP" saip personalize "$der" --opc "$KI$KI" -o "$tmp/x.der"
has "opc length message" "$tmp/err" "OPc"
check "no output" 2 "$RSP" saip personalize "$der" --iccid $ICCID
check "nothing to do" 2 "$RSP" saip personalize "$der" -o "$tmp/x.der"
[ -e "$tmp/x.der" ] && { fail=$((fail+1)); echo "FAIL: output written on error"; }
check "missing file" 2 "$RSP" saip check "$tmp/none.der"
check "usage" 2 "$RSP" saip dump

# Broken packages: check exits 1 with the element index and offset.
head -c 5000 "$der" >"$tmp/trunc.der"
check "truncated" 1 "$RSP" saip check "$tmp/trunc.der"
has "truncated names element" "$tmp/err" "element 8"
has "truncated names offset" "$tmp/err" "offset 3826"
check "dump truncated" 2 "$RSP" saip dump "$tmp/trunc.der"
size=$(stat -c %s "$der")
head -c $((size - 9)) "$der" >"$tmp/noend.der"
check "missing end" 1 "$RSP" saip check "$tmp/noend.der"
has "missing end message" "$tmp/err" "without the end element"
cat "$der" "$der" >"$tmp/twice.der"
check "after end" 1 "$RSP" saip check "$tmp/twice.der"
has "after end message" "$tmp/err" "element 30.*follows the end element"
{ head -c 160 "$der"; printf '\xe1'; tail -c +162 "$der"; } >"$tmp/unknown.der"
check "unknown tag" 1 "$RSP" saip check "$tmp/unknown.der"
has "unknown tag message" "$tmp/err" "element 1: tag E1 is not a ProfileElement alternative at offset 160"
check "unknown tag dump" 0 "$RSP" saip dump "$tmp/unknown.der"
has "unknown tag dumped" "$tmp/out" "unknown"
check "unknown tag json" 1 "$RSP" saip check "$tmp/unknown.der" --json
same "check json offset" "$(jq -r .offset "$tmp/out")" 160

check "segment" 0 "$RSP" saip segment "$der" --size 1024 --json
same "segments cover" "$(jq '[.segments[].length] | add' "$tmp/out")" "$size"
check "segment too small" 2 "$RSP" saip segment "$der" --size 512

echo "saip cli: $pass passed, $fail failed"
[ "$fail" = 0 ]
