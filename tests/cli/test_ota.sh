#!/usr/bin/env bash
# rsp ota against VECTORS.txt §A1 (four packets and PoRs), §A3 (two commands/PoRs, replay PoR 06):
# encode byte for byte, decode with JSON, SMS/TPDU/ENVELOPE input, and the exit codes
# (1 bad CC, 2 malformed input with a message naming the fault).
set -u
BIN=${RSP_BIN:?}
V=${RSP_SHARED_DIR:?}/vectors/VECTORS.txt
fail=0
ok() { echo "ok - $*"; }
bad() { echo "FAIL - $*"; fail=1; }
# vec MARKER KEY: the hex run after KEY following MARKER (first match).
vec() { awk -v m="$1" -v k="$2" 'f==0 && index($0,m){f=1} f==1 && index($0,k){s=substr($0,index($0,k)+length(k)); sub(/^[ =]+/,"",s); match(s,/^[0-9a-fA-F]+/); print substr(s,1,RLENGTH); exit}' "$V"; }
expect_rc() { local want=$1; shift; "$@" >/tmp/ota.$$ 2>/tmp/ota.err.$$; local rc=$?; [ "$rc" = "$want" ]; }

for m in "[3DES-SJA5-CIPHERED-CC]" "[3DES-SJA5-UNCIPHERED-CC" "[3DES-SJA5-UNCIPHERED-NOCC" "[AES128-SJA5-CIPHERED-CC]"; do
  KIC=$(vec "$m" "KIc="); KID=$(vec "$m" "KID="); CMD=$(vec "$m" "CMD ="); POR=$(vec "$m" "PoR (UD incl. UDH) =")
  SPI=$(vec "$m" "SPI="); KB=$(vec "$m" "KIc=0x"); DB=$(vec "$m" "KID=0x"); TAR=$(vec "$m" "TAR="); APDU=$(vec "$m" "C-APDU=")
  RESP=$(vec "$m" "compact remote response =")
  out=$("$BIN" ota encode --kic "$KIC" --kid "$KID" --spi "$SPI" --kic-byte "$KB" --kid-byte "$DB" --tar "$TAR" --cntr 0 "$APDU")
  [ "$out" = "$CMD" ] && ok "encode $m" || bad "encode $m: $out != $CMD"
  j=$("$BIN" ota decode --json --kic "$KIC" --kid "$KID" "$CMD")
  echo "$j" | grep -q "\"apdus\":\[\"$APDU\"\]" && echo "$j" | grep -q '"cc_valid":true' && echo "$j" | grep -q '"kind":"command"' \
    && ok "decode command $m" || bad "decode command $m: $j"
  j=$("$BIN" ota decode --json --kic "$KIC" --kid "$KID" --spi "$SPI" --kic-byte "$KB" --kid-byte "$DB" "$POR")
  echo "$j" | grep -q '"kind":"por"' && echo "$j" | grep -q '"status":0' && echo "$j" | grep -q '"status_name":"por-ok"' \
    && echo "$j" | grep -q "\"data\":\"$RESP\"" && echo "$j" | grep -q '"sw":"6132"' && ! echo "$j" | grep -q '"cc_valid":false' \
    && ok "decode PoR $m" || bad "decode PoR $m: $j"
  # A flipped bit in the last byte fails the CC: exit 1.
  last=${CMD: -2}; flipped=${CMD:0:${#CMD}-2}$(printf '%02x' $(( 0x$last ^ 1 )))
  expect_rc 1 "$BIN" ota decode --kic "$KIC" --kid "$KID" "$flipped" && ok "flipped bit exit 1 $m" || bad "flipped bit $m"
  # Truncated: exit 2 with a message naming the fault.
  expect_rc 2 "$BIN" ota decode --kic "$KIC" --kid "$KID" "${CMD:0:${#CMD}-4}" && grep -q "truncated" /tmp/ota.err.$$ \
    && ok "truncated exit 2 $m" || bad "truncated $m: $(cat /tmp/ota.err.$$)"
done

# §A1 SMS-DELIVER: the sample's UDL 03 is a source quirk (decode refuses it, exit 2, naming TP-UDL);
# with the real UDL 25 it decodes, and encode --sms reproduces the corrected TPDU.
m="[3DES-SJA5-CIPHERED-CC]"; KIC=$(vec "$m" "KIc="); KID=$(vec "$m" "KID=")
TP=$(vec "[AES128-SJA5-CIPHERED-CC]" "SMS-DELIVER TPDU from same test:")
expect_rc 2 "$BIN" ota decode --kic "$KIC" --kid "$KID" "$TP" && grep -q "TP-UDL" /tmp/ota.err.$$ && ok "UDL quirk refused" || bad "UDL quirk: $(cat /tmp/ota.err.$$)"
TPF=${TP:0:32}25${TP:34}
j=$("$BIN" ota decode --json --kic "$KIC" --kid "$KID" "$TPF")
echo "$j" | grep -q '"apdus":\["00a40004023f00"\]' && echo "$j" | grep -q '"cc_valid":true' && ok "decode TPDU" || bad "decode TPDU: $j"
out=$("$BIN" ota encode --kic "$KIC" --kid "$KID" --spi 0619 --kic-byte 35 --kid-byte 35 --tar b00011 --cntr 0 --sms 00a40004023f00)
[ "$out" = "$TPF" ] && ok "encode --sms" || bad "encode --sms: $out"
# The same as user data and inside an ENVELOPE.
j=$("$BIN" ota decode --json --kic "$KIC" --kid "$KID" "027000$(vec "$m" "CMD =")")
echo "$j" | grep -q '"cc_valid":true' && ok "decode UD 027000" || bad "decode UD: $j"
L=$(printf '%02x' $(( ${#TPF} / 2 ))); BODY="82028381860591447900f38b${L}${TPF}"
ENV="80c20000$(printf '%02x' $(( ${#BODY} / 2 + 2 )))d1$(printf '%02x' $(( ${#BODY} / 2 )))${BODY}"
j=$("$BIN" ota decode --json --kic "$KIC" --kid "$KID" "$ENV")
echo "$j" | grep -q '"cc_valid":true' && ok "decode ENVELOPE" || bad "decode ENVELOPE: $j"
# Concatenated: a long script split over several TPDUs, fed back in reverse order.
LONG=$(printf '80e2880010%s' "$(printf '11%.0s' $(seq 1 16))")
mapfile -t parts < <("$BIN" ota encode --kic "$KIC" --kid "$KID" --spi 0619 --kic-byte 35 --kid-byte 35 --tar b00011 --cntr 5 --format expanded --sms $LONG $LONG $LONG $LONG $LONG $LONG)
[ "${#parts[@]}" -ge 2 ] && ok "split into ${#parts[@]} SMS" || bad "no split"
j=$("$BIN" ota decode --json --kic "$KIC" --kid "$KID" $(printf '%s\n' "${parts[@]}" | tac))
echo "$j" | grep -q '"format":"expanded"' && echo "$j" | grep -q '"cntr":"0000000005"' && ok "reassembled" || bad "reassembly: $j"
expect_rc 2 "$BIN" ota decode --kic "$KIC" --kid "$KID" "${parts[0]}" && grep -q "incomplete" /tmp/ota.err.$$ && ok "missing part exit 2" || bad "missing part"

# §A3: both commands (counter 0 and 0x64) and PoRs; the replayed-counter PoR 06.
KIC=$(vec "## A3." "KIC1="); KID=$(vec "## A3." "KID1=")
for mk in "## A3." "RSC=0 CC ok=True compact"; do
  UD=$(vec "$mk" "CMD UD ="); POR=$(vec "$mk" "PoR UD ="); APDUS=$(vec "$mk" "APDUs="); COMPACT=$(vec "$mk" "compact=")
  SPI=${UD:12:4}; C=$("$BIN" ota decode --json --kic "$KIC" --kid "$KID" "$UD")
  CNTR=$(echo "$C" | sed 's/.*"cntr":"\([0-9a-f]*\)".*/\1/')
  out=$("$BIN" ota encode --kic "$KIC" --kid "$KID" --spi "$SPI" --kic-byte 15 --kid-byte 15 --tar b00010 --cntr "$CNTR" a0a40000027f20 a0c0000016)
  [ "027000$out" = "$UD" ] && ok "A3 encode cntr $CNTR" || bad "A3 encode: $out"
  echo "$C" | grep -q '"apdus":\["a0a40000027f20","a0c0000016"\]' && ok "A3 decode command" || bad "A3 decode: $C"
  j=$("$BIN" ota decode --json --kic "$KIC" --kid "$KID" --spi "$SPI" --kic-byte 15 --kid-byte 15 "$POR")
  echo "$j" | grep -q "\"data\":\"$COMPACT\"" && echo "$j" | grep -q '"cc_valid":true' && echo "$j" | grep -q '"count":2' \
    && ok "A3 decode PoR" || bad "A3 PoR: $j"
done
RP=$(vec "Replayed CNTR" "-> PoR")
j=$("$BIN" ota decode --json --kic "$KIC" --kid "$KID" --spi 1619 --kic-byte 15 --kid-byte 15 "$RP")
echo "$j" | grep -q '"status":6' && echo "$j" | grep -q '"status_name":"unidentified-security-error"' && echo "$j" | grep -q '"cc":null' \
  && ok "replay PoR 06" || bad "replay PoR: $j"
expect_rc 2 "$BIN" ota encode --spi 0619 && ok "usage exit 2" || bad "usage"
expect_rc 2 "$BIN" ota decode zz && ok "bad hex exit 2" || bad "bad hex"
rm -f /tmp/ota.$$ /tmp/ota.err.$$
exit $fail
