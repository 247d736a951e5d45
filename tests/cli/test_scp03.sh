#!/usr/bin/env bash
# Black-box tests of `rsp scp03 session` against every VECTORS.txt §B trace (AES128_11, _03, _33):
# session keys, cryptograms, EXTERNAL AUTHENTICATE and every wrapped APDU byte for byte, plus the
# exit codes (1 for a wrong card cryptogram, 2 for malformed input).
set -u
RSP="${RSP_BIN:?RSP_BIN not set}"
VEC="${RSP_SHARED_DIR:?RSP_SHARED_DIR not set}/vectors/VECTORS.txt"
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }

# vec MARKER KEY: the hex run after KEY on the first line containing KEY after the MARKER line.
vec() {
    awk -v m="$1" -v k="$2" 'found == 0 && index($0, m) { found = 1 }
        found == 1 && index($0, k) { s = substr($0, index($0, k) + length(k)); sub(/^[ =]+/, "", s);
                                     match(s, /^[0-9a-fA-F]+/); print tolower(substr(s, 1, RLENGTH)); exit }' "$VEC"
}
plain() { vec "Plain APDUs:" "$1"; }

ENC=000102030405060708090a0b0c0d0e0f
MAC=101112131415161718191a1b1c1d1e1f
DEK=202122232425262728292a2b2c2d2e2f
AID=A0000005591010FFFFFFFF8900000100
for sl in 11 03 33; do
    m="[AES128_$sl]"
    iu=$(vec "$m" "INIT UPDATE cmd  =")
    iur=$(vec "$m" "INIT UPDATE resp =")
    hc=${iu:10:16}
    out=$("$RSP" scp03 session --enc "$ENC" --mac "$MAC" --dek "$DEK" --host-challenge "$hc" \
        --init-update-response "$iur" --security-level "$sl" --aid "$AID" \
        "$(plain "GET EID")" "$(plain case1)" "$(plain case2)" "$(plain case3)" "$(plain case4)")
    rc=$?
    [ "$rc" = 0 ] || fail "$m: exit $rc"
    check() { echo "$out" | grep -q "$1 *$2" || fail "$m: $1 is not $2"; }
    check "s_enc" "$(vec "$m" "S-ENC  =")"
    check "s_mac" "$(vec "$m" "S-MAC  =")"
    check "s_rmac" "$(vec "$m" "S-RMAC =")"
    check "card cryptogram" "valid"
    check "card challenge (AID)" "valid"
    check "host cryptogram" "$(vec "$m" "host cryptogram =")"
    check "EXTERNAL AUTHENTICATE" "$(vec "$m" "EXT AUTH =")"
    echo "$out" | grep -q "^APDU 1 .*-> $(vec "$m" "GET EID wrapped =")\$" || fail "$m: GET EID wrap"
    n=2
    for w in "wrap 80f22002 ->" "wrap 80ca006600 ->" "wrap 80f220020a4f0212345c054f9f70c5 ->" "wrap 80f28002024f0000 ->"; do
        echo "$out" | grep -q "^APDU $n .*-> $(vec "$m" "$w")\$" || fail "$m: APDU $n ($w)"
        n=$((n + 1))
    done
    # JSON: one document with the same values.
    js=$("$RSP" scp03 session --json --enc "$ENC" --mac "$MAC" --host-challenge "$hc" \
        --init-update-response "$iur" --security-level "$sl" "$(plain "GET EID")")
    echo "$js" | grep -q "\"wrapped\":\"$(vec "$m" "GET EID wrapped =")\"" || fail "$m: json wrap"
    echo "$js" | grep -q '"card_cryptogram_valid":true' || fail "$m: json cryptogram"
done

# Keys from files work like hex.
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
echo "$ENC" > "$tmp/enc"
iur=$(vec "[AES128_11]" "INIT UPDATE resp =")
"$RSP" scp03 session --enc "$tmp/enc" --mac "$MAC" --host-challenge b13e5f938fc108c4 \
    --init-update-response "$iur" --security-level 11 >/dev/null || fail "key from file"

# A flipped bit in the card cryptogram: exit 1, keys still printed, no EXTERNAL AUTHENTICATE.
bad=${iur:0:42}$(printf '%02x' $(( 0x${iur:42:2} ^ 1 )))${iur:44}
out=$("$RSP" scp03 session --enc "$ENC" --mac "$MAC" --host-challenge b13e5f938fc108c4 \
    --init-update-response "$bad" --security-level 11 80f22002)
rc=$?
[ "$rc" = 1 ] || fail "bad cryptogram: exit $rc, expected 1"
echo "$out" | grep -q "card cryptogram *INVALID" || fail "bad cryptogram not reported"
echo "$out" | grep -q "EXTERNAL AUTHENTICATE" && fail "EXTERNAL AUTHENTICATE printed after a bad cryptogram"

# Malformed input: exit 2 and a message naming the fault.
expect2() {
    local what="$1"; shift
    err=$("$RSP" scp03 session "$@" 2>&1 >/dev/null)
    rc=$?
    [ "$rc" = 2 ] || fail "$what: exit $rc, expected 2"
    echo "$err" | grep -qi -- "$what" || fail "$what: message '$err' does not name it"
}
expect2 "--init-update-response" --enc "$ENC" --mac "$MAC" --host-challenge b13e5f938fc108c4 \
    --init-update-response 0000 --security-level 11
expect2 "--host-challenge" --enc "$ENC" --mac "$MAC" --host-challenge b13e --init-update-response "$iur" --security-level 11
expect2 "--enc" --enc 0g --mac "$MAC" --host-challenge b13e5f938fc108c4 --init-update-response "$iur" --security-level 11
expect2 "security level" --enc "$ENC" --mac "$MAC" --host-challenge b13e5f938fc108c4 --init-update-response "$iur" --security-level 07
expect2 "16, 24 or 32" --enc 0011 --mac "$MAC" --host-challenge b13e5f938fc108c4 --init-update-response "$iur" --security-level 11
expect2 "APDU 1" --enc "$ENC" --mac "$MAC" --host-challenge b13e5f938fc108c4 --init-update-response "$iur" --security-level 11 80f2200205aa
expect2 "required" --enc "$ENC"

# AES-256 keys are accepted (the cryptogram then fails against the AES-128 trace: exit 1).
"$RSP" scp03 session --enc "$ENC$ENC" --mac "$MAC$MAC" --host-challenge b13e5f938fc108c4 \
    --init-update-response "$iur" --security-level 33 >/dev/null
[ $? = 1 ] || fail "AES-256 against an AES-128 trace should exit 1"

[ "$fails" = 0 ] && echo "test_scp03.sh: all passed"
exit $((fails > 0))
