#!/usr/bin/env bash
# rsp euicc apdu|sms|show on a fleet of 3 cards made by rsp eum make (throwaway PKI):
# GET DATA 5A / 7F21 through the ECASD, an SCP80 packet built by `rsp ota encode` with the keys of
# keys-out answered by a PoR that `rsp ota decode` verifies (packet and TPDU forms), a replayed packet
# refused (cntr-low), a forged one refused, `show --json` listing the enabled provisioning profile with
# the fall-back attribute, and exit 2 with a message for malformed arguments.
set -u
BIN=${RSP_BIN:?}
PKG=${RSP_SHARED_DIR:?}/profiles/TS48v7_SAIP2.3_NoBERTLV.der
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0
ok() { echo "ok - $*"; }
bad() { echo "FAIL - $*"; fail=1; }
rc_of() { "$@" >"$tmp/out" 2>"$tmp/err"; echo $?; }

{ "$BIN" ci init --dir "$tmp/pki" && "$BIN" ci issue --dir "$tmp/pki" --role eum --id EUM-T --out "$tmp/eum" &&
  "$BIN" eum make --ci "$tmp/pki" --eum "$tmp/eum" --count 3 --profile "$PKG" --smsr-id SMSR-T --out "$tmp/fleet" \
    --keys-out "$tmp/keys.jsonl" --smsr-msisdn 447700900999; } >/dev/null || { echo "FAIL - setup"; exit 1; }
L=$(sed -n 2p "$tmp/keys.jsonl")
EID=$(echo "$L" | jq -r .eid) KIC=$(echo "$L" | jq -r .scp80.kic) KID=$(echo "$L" | jq -r .scp80.kid)
F=(--fleet "$tmp/fleet" --eid "$EID")
ECASD=A0000005591010FFFFFFFF8900000200

# ---- apdu ----
rc=$(rc_of "$BIN" euicc apdu "${F[@]}" 00A4040010$ECASD 80CA005A00)
[ "$rc" = 0 ] && [ "$(sed -n 2p "$tmp/out")" = "5A10${EID}9000" ] && [ "$(sed -n 1p "$tmp/out")" = 9000 ] \
  && ok "apdu: GET DATA 5A returns the EID" || bad "apdu 5A: rc $rc $(cat "$tmp/out" "$tmp/err")"
rc=$(rc_of "$BIN" euicc apdu "${F[@]}" --json 00A4040010$ECASD 80CA7F2100)
cert=$(jq -r '.eis.eumSignedInfo.ecasd.keySets[0].certificates[0]' "$tmp/fleet/eis/$EID.json" | tr A-F a-f)
[ "$rc" = 0 ] && [ "$(jq -r '.responses[1].rapdu' "$tmp/out")" = "${cert}9000" ] && [ "$(jq -r '.responses[1].sw' "$tmp/out")" = 9000 ] \
  && ok "apdu --json: GET DATA 7F21 is the CERT.ECASD of the EIS" || bad "apdu 7F21: $(cat "$tmp/out" "$tmp/err")"

# ---- sms: a packet for the ISD-R (TAR 000001), SPI 16 39, KVN 1 AES (KIc/KID byte 12) ----
OTA=(--kic "$KIC" --kid "$KID" --spi 1639 --kic-byte 12 --kid-byte 12 --tar 000001 --format expanded)
pkt=$("$BIN" ota encode "${OTA[@]}" --cntr 1 80CAFF2100)
rc=$(rc_of "$BIN" euicc sms "${F[@]}" --json "$pkt")
por=$(jq -r .por "$tmp/out")
[ "$rc" = 0 ] && [ "$por" != null ] && [ "$(jq -r '.sms[0].to' "$tmp/out")" = 447700900999 ] && ok "sms: PoR to the SM-SR" \
  || bad "sms: rc $rc $(cat "$tmp/out" "$tmp/err")"
rc=$(rc_of "$BIN" ota decode --json "${OTA[@]}" "$por")
[ "$rc" = 0 ] && [ "$(jq -r .status_name "$tmp/out")" = por-ok ] && [ "$(jq -r .cc_valid "$tmp/out")" = true ] \
  && [ "$(jq -r .ciphered "$tmp/out")" = true ] && [ "$(jq -r .response.sw "$tmp/out")" = 9000 ] \
  && [ "$(jq -r .cntr "$tmp/out")" = 0000000001 ] && ok "ota decode verifies the PoR (CC, ciphered, SW 9000)" \
  || bad "PoR decode: rc $rc $(cat "$tmp/out" "$tmp/err")"
# The same packet again: a replay, refused with an error PoR the modem can read.
rc=$(rc_of "$BIN" euicc sms "${F[@]}" --json "$pkt")
[ "$rc" = 0 ] && [ "$(jq -r .status "$tmp/out")" = cntr-low ] && ok "replayed packet refused (cntr-low)" \
  || bad "replay: rc $rc $(cat "$tmp/out" "$tmp/err")"
rc=$(rc_of "$BIN" ota decode --json "${OTA[@]}" "$(jq -r .por "$tmp/out")")
[ "$(jq -r .status_name "$tmp/out")" = cntr-low ] && ok "ota decode reads the replay PoR" || bad "replay PoR: $(cat "$tmp/out")"
# The TPDU form (what the SMSC delivers), counter 2, human output = the SMS-SUBMIT TPDU.
tpdu=$("$BIN" ota encode "${OTA[@]}" --cntr 2 --sms --oa 447700900999 80CAFF2100)
rc=$(rc_of "$BIN" euicc sms "${F[@]}" "$tpdu")
[ "$rc" = 0 ] && [ "$(wc -l <"$tmp/out")" = 1 ] && "$BIN" ota decode --json "${OTA[@]}" "$(cat "$tmp/out")" >"$tmp/d.json" \
  && [ "$(jq -r .status_name "$tmp/d.json")" = por-ok ] && ok "sms TPDU form: PoR verifies" \
  || bad "sms tpdu: rc $rc $(cat "$tmp/out" "$tmp/err")"
# A packet under other keys: refused, and the card's state does not move (counter 3 still works).
forged=$("$BIN" ota encode --kic 000102030405060708090A0B0C0D0E0F --kid 000102030405060708090A0B0C0D0E0F --spi 1639 \
           --kic-byte 12 --kid-byte 12 --tar 000001 --format expanded --cntr 3 80CAFF2100)
rc=$(rc_of "$BIN" euicc sms "${F[@]}" --json "$forged")
st=$(jq -r .status "$tmp/out")
[ "$rc" = 0 ] && [ "$st" != por-ok ] && [ "$st" != por-ciphered ] && ok "forged packet refused ($st)" || bad "forged: $st $(cat "$tmp/err")"
rc=$(rc_of "$BIN" euicc sms "${F[@]}" --json "$("$BIN" ota encode "${OTA[@]}" --cntr 3 80CAFF2100)")
[ "$rc" = 0 ] && [ "$("$BIN" ota decode --json "${OTA[@]}" "$(jq -r .por "$tmp/out")" | jq -r .status_name)" = por-ok ] \
  && ok "counter 3 accepted after the forged packet" || bad "after forged: $(cat "$tmp/out" "$tmp/err")"
# Another card's keys do not open this card.
L3=$(sed -n 3p "$tmp/keys.jsonl")
rc=$(rc_of "$BIN" euicc sms "${F[@]}" --json "$("$BIN" ota encode --kic "$(echo "$L3" | jq -r .scp80.kic)" \
       --kid "$(echo "$L3" | jq -r .scp80.kid)" --spi 1639 --kic-byte 12 --kid-byte 12 --tar 000001 --cntr 9 80CAFF2100)")
[ "$(jq -r .status "$tmp/out")" != por-ciphered ] && ok "another card's keys refused" || bad "cross-card keys accepted"

# ---- show ----
rc=$(rc_of "$BIN" euicc show "${F[@]}" --json)
aid=$(jq -r '.eis.profiles[0].isdPAid' "$tmp/fleet/eis/$EID.json")
iccid=$(jq -r '.eis.profiles[0].iccid' "$tmp/fleet/eis/$EID.json")
p=$(jq -c --arg a "$aid" '.profiles[] | select(.isdp_aid == $a) | [.state, .fallback, .emergency, .pol1]' "$tmp/out")
[ "$rc" = 0 ] && [ "$p" = '["enabled",true,false,0]' ] && [ "$(jq -r '.profiles[0].iccid' "$tmp/out")" = "$iccid" ] \
  && [ "$(jq -r .eid "$tmp/out")" = "$EID" ] && [ "$(jq -r .msisdn "$tmp/out")" = "$(echo "$L" | jq -r .msisdn)" ] \
  && ok "show --json: the enabled provisioning profile with the fall-back attribute, as in the EIS" \
  || bad "show: rc $rc $(cat "$tmp/out" "$tmp/err")"
[ "$(jq -r '[.notifications[] | .type_name] | index("first-attach") != null' "$tmp/out")" = true ] \
  && [ "$(jq -r '.counters.last_notification_seq' "$tmp/out")" -ge 1 ] && ok "show: pending first-attach notification" \
  || bad "show notifications: $(cat "$tmp/out")"
# The SCP80 counter the card holds is the last one it accepted (3; the forged packet and the other
# card's keys did not move it).
[ "$(jq -c '.counters.scp80' "$tmp/out")" = '[{"cntr":"0000000003","kvn":1}]' ] && ok "show: SCP80 counter 3" \
  || bad "show counters: $(jq -c .counters "$tmp/out")"
rc=$(rc_of "$BIN" euicc show "${F[@]}")
[ "$rc" = 0 ] && grep -q "enabled  fall-back" "$tmp/out" && ok "show (human)" || bad "show human: $(cat "$tmp/out")"

# ---- malformed arguments: exit 2 and a message ----
m() { local needle=$1; shift; rc=$(rc_of "$BIN" euicc "$@")
  [ "$rc" = 2 ] && grep -q -- "$needle" "$tmp/err" && ok "exit 2: $needle" || bad "want 2 '$needle': rc $rc $(cat "$tmp/err")"; }
bad_eid=${EID:0:30}$(printf '%02d' $(( (10#${EID:30:2} + 1) % 100 )))
m "usage: rsp euicc apdu" apdu --fleet "$tmp/fleet" 80CA005A00
m "not a 32-digit EID" apdu --fleet "$tmp/fleet" --eid "$bad_eid" 80CA005A00
unknown=$("$BIN" eid complete 890490320000000000000099999999 --json | jq -r .eid)
m "no card with EID" apdu --fleet "$tmp/fleet" --eid "$unknown" 80CA005A00
m "is not a C-APDU" apdu "${F[@]}" 80CAZZ
m "is not a C-APDU" apdu "${F[@]}" 80CA
m "fleet" apdu --fleet "$tmp/nofleet" --eid "$EID" 80CA005A00
m "neither a secured command packet" sms "${F[@]}" 0011223344
m "usage: rsp euicc sms" sms "${F[@]}"
m "usage: rsp euicc show" show "${F[@]}" extra
m "unknown or incomplete option" show "${F[@]}" --bogus
for sub in apdu sms show; do
  [ "$(rc_of "$BIN" euicc $sub --help)" = 0 ] && grep -q "usage: rsp euicc $sub" "$tmp/out" && ok "euicc $sub --help" \
    || bad "euicc $sub --help"
done

exit $fail
