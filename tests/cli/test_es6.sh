#!/usr/bin/env bash
# ES6 through separate processes: rsp smsc, rsp euicc run (1 card), rsp smsr run and rsp smdp run for the
# download of a TS.48 package (ES2.DownloadProfile, enabled), then `rsp op ota` straight to the card by
# SMPP (the SM-SR is not in the path) with the MNO-SD keys of the package: EF.IMSI reads as the IMSI the
# SM-DP personalised (an identity of our CSV); an UPDATE BINARY then a read gives the new IMSI; the card
# process restarted, it is still there; a replayed counter is refused (PoR 02) and changes nothing; a
# wrong KID gives PoR 01; the applet status lists the package's RFM instances; once the provisioning
# profile is enabled again (ES4.EnableProfile), the downloaded profile's RFM TAR is unknown (PoR 09).
# Usage errors exit 2. Outside fact: VECTORS.txt A3 rebuilt by the same builder (tests/unit/test_euicc_es6.c).
. "$(dirname "$0")/daemons.sh"
command -v curl >/dev/null && command -v jq >/dev/null || { echo "ok - # SKIP curl or jq missing"; exit 0; }

SMSR=447700100993
IMSI=001019876500001
make_fleet 1 447700900820 $SMSR
E0=$(ls "$tmp/fleet/eis" | sed -n 's/\.json$//p' | head -1)
PROV=$(jq -r '.eis.profiles[0].iccid // empty' "$tmp/fleet/eis/$E0.json")
smsr_world
D=$tmp/dp
KI=000102030405060708090A0B0C0D0E0F
printf 'iccid,imsi,ki,opc\n89441234567890123454,%s,%s,%s\n' $IMSI $KI $KI >"$tmp/ids.csv"
"$BIN" smdp import package --dir "$D" --operator MNO1 --type ts48 "$PKG" >"$tmp/impp" 2>&1 &&
  "$BIN" smdp import identities --dir "$D" --operator MNO1 --type ts48 "$tmp/ids.csv" >>"$tmp/impp" 2>&1 \
  || bad "smdp inventory: $(cat "$tmp/impp")"

# ---- usage (no daemon needed) ----
OTA=("$BIN" op ota --eid "$E0" --state "$tmp/ota")
rc_of() { "$@" >"$tmp/out" 2>"$tmp/err"; echo $?; }
[ "$(rc_of "$BIN" op ota --help)" = 0 ] && grep -q "usage: rsp op ota" "$tmp/out" && ok "op ota --help" || bad "help"
[ "$(rc_of "${OTA[@]}" --msisdn 1 --smsc 127.0.0.1:1 --keys-from "$PKG")" = 2 ] && grep -q "one of --read" "$tmp/err" \
  && ok "no action: 2" || bad "no action: $(cat "$tmp/err")"
[ "$(rc_of "${OTA[@]}" --msisdn 1 --smsc 127.0.0.1:1 --keys-from "$PKG" --read 7FF0/6F0)" = 2 ] \
  && ok "bad path: 2" || bad "bad path: $(cat "$tmp/err")"
[ "$(rc_of "${OTA[@]}" --msisdn 1 --smsc 127.0.0.1:1 --read 6F07)" = 2 ] && ok "no keys: 2" || bad "no keys"
[ "$(rc_of "${OTA[@]}" --msisdn 1 --smsc 127.0.0.1:1 --keys-from "$PKG" --update-record 6F42:0=00)" = 2 ] \
  && ok "record 0: 2" || bad "record 0: $(cat "$tmp/err")"
[ -e "$tmp/ota" ] && bad "a usage error spent a counter" || ok "usage errors spend no counter"

# ---- the world: SMSC, SM-SR, card, SM-DP; the download ----
start_smsc
"$BIN" smsr run --db "$DB" --master-key "$tmp/mk" --smsc 127.0.0.1:$SP --msisdn $SMSR --worker w1 --tick-ms 50 \
  --por-wait 5 --listen 127.0.0.1:0 --port-file "$tmp/es.port" --tls-cert "$tmp/sr/tls.crt.pem" \
  --tls-key "$tmp/sr/key.pem" --tls-ca "$tmp/sr/ca.crt.pem" --smdp-ids DP1 \
  --admin-listen 127.0.0.1:0 --admin-port-file "$tmp/admin.port" --admin-idle-ms 500 >"$tmp/smsr.log" 2>&1 &
pids+=($!)
for i in $(seq 300); do grep -q "bound system_id=smsr" "$tmp/smsc.log" && [ -s "$tmp/es.port" ] && break; sleep 0.1; done
URL=https://127.0.0.1:$(tr -d '\n' <"$tmp/es.port")
run_card() { # LOG: a log of its own, so that wait_fleet sees this process's binds, not the last one's
  "$BIN" euicc run --fleet "$tmp/fleet" --smsc 127.0.0.1:$SP --control "$tmp/ctl.sock" --tick-ms 50 >"$tmp/$1" 2>&1 &
  RUN_PID=$!; pids+=($RUN_PID)
  wait_fleet "$tmp/ctl.sock" "$tmp/$1"
}
run_card run.log
"$BIN" smdp run --dir "$D" --listen 127.0.0.1:0 --port-file "$tmp/dp.port" --smsr "$URL" --ci "$tmp/pki" \
  --dp "$tmp/dp1" --eum "$tmp/eum" --eis-dir "$tmp/fleet/eis" --workers 1 --operators MNO1 \
  --es3-timeout-ms 120000 >"$tmp/smdp.log" 2>&1 &
pids+=($!)
t=$((SECONDS + 60)); while [ $SECONDS -lt $t ] && [ ! -s "$tmp/dp.port" ]; do sleep 0.1; done
r=$(curl -sS --max-time 300 --cert "$tmp/mno1/tls.crt.pem" --key "$tmp/mno1/key.pem" --cacert "$tmp/mno1/ca.crt.pem" \
  -H 'Content-Type: application/json' -H 'Prefer: wait' \
  -d "{\"functionCallIdentifier\":\"e1\",\"eid\":\"$E0\",\"smsrId\":\"SMSR-T\",\"profileType\":\"ts48\",\"enableProfile\":true}" \
  "https://127.0.0.1:$(tr -d '\n' <"$tmp/dp.port")/es2/DownloadProfile")
ICC=$(echo "$r" | jq -r '.iccid // empty' 2>/dev/null)
[ "$(echo "$r" | jq -r '.functionExecutionStatus.status' 2>/dev/null)" = EXECUTED_SUCCESS ] && [ "$ICC" = 89441234567890123454 ] \
  && ok "the profile downloaded and enabled ($ICC)" || { bad "download: $r"; tail -5 "$tmp/smdp.log"; exit 1; }
# the card answers at the enabled profile's MSISDN
msisdn() { "$BIN" euicc ctl --control "$tmp/ctl.sock" --json status "$E0" 2>/dev/null | jq -r '.msisdn // empty'; }
MS=$(msisdn)
[ -n "$MS" ] && ok "card reachable at $MS" || bad "no MSISDN: $("$BIN" euicc ctl --control "$tmp/ctl.sock" --json status "$E0" 2>&1)"

ota() { "${OTA[@]}" --msisdn "$MS" --smsc 127.0.0.1:$SP --timeout 60 --json "$@" 2>"$tmp/err"; }
# ---- read, update, read back ----
r=$(ota --keys-from "$PKG" --read 7FF0/6F07); rc=$?
[ $rc = 0 ] && [ "$(echo "$r" | jq -r .imsi)" = $IMSI ] && [ "$(echo "$r" | jq -r .por_secured)" = true ] \
  && ok "EF.IMSI read over ES6 = the personalised IMSI $IMSI" || bad "read ($rc): $r $(cat "$tmp/err")"
NEW=080910109999999999 # 001019999999999 as EF.IMSI holds it (TS 31.102 4.2.2)
r=$(ota --keys-from "$PKG" --update 7FF0/6F07=$NEW); rc=$?
[ $rc = 0 ] && [ "$(echo "$r" | jq -r .sw)" = 9000 ] && ok "UPDATE BINARY of EF.IMSI: 9000" || bad "update ($rc): $r $(cat "$tmp/err")"
r=$(ota --keys-from "$PKG" --read 7FF0/6F07)
[ "$(echo "$r" | jq -r .imsi)" = 001019999999999 ] && ok "read back: the new IMSI" || bad "read back: $r"
[ "$(cat "$tmp/ota/$E0.kvn1.cntr")" = 3 ] && ok "three packets, counter 3 in --state" || bad "counter file: $(cat "$tmp/ota/$E0.kvn1.cntr")"

# ---- the card process restarted: still there ----
kill -TERM $RUN_PID; for i in $(seq 300); do kill -0 $RUN_PID 2>/dev/null || break; sleep 0.1; done
kill -0 $RUN_PID 2>/dev/null && bad "rsp euicc run did not stop on SIGTERM"
rm -f "$tmp/ctl.sock"
run_card run2.log
r=$(ota --keys-from "$PKG" --read 7FF0/6F07)
[ "$(echo "$r" | jq -r .imsi)" = 001019999999999 ] && ok "after the card restarted: still the new IMSI" || bad "after restart: $r"
r=$("${OTA[@]}" --msisdn "$MS" --smsc 127.0.0.1:$SP --timeout 60 --keys-from "$PKG" --read 7FF0/6F07 2>&1); rc=$?
[ $rc = 0 ] && echo "$r" | grep -q "^por: 00 por-ok" && echo "$r" | grep -q "^sw: 9000" && echo "$r" | grep -q "^imsi: 001019999999999$" \
  && ok "human output: PoR, SW, the IMSI decoded" || bad "human output ($rc): $r"

# ---- refusals change nothing ----
echo 1 >"$tmp/ota/$E0.kvn1.cntr" # the next packet reuses counter 2 (the card has seen 5)
r=$(ota --keys-from "$PKG" --update 7FF0/6F07=080910101111111111); rc=$?
[ $rc = 1 ] && [ "$(echo "$r" | jq -r .por_status)" = 2 ] && ok "replayed counter: PoR 02 (cntr-low), exit 1" \
  || bad "replay ($rc): $r $(cat "$tmp/err")"
echo 10 >"$tmp/ota/$E0.kvn1.cntr"
r=$(ota --kic $KI --kid 0F0E0D0C0B0A09080706050403020100 --kvn 1 --update 7FF0/6F07=080910101111111111); rc=$?
[ $rc = 1 ] && [ "$(echo "$r" | jq -r .por_status)" = 1 ] && ok "wrong KID: PoR 01 (rc-cc-ds-failed), exit 1" \
  || bad "wrong CC ($rc): $r $(cat "$tmp/err")"
r=$(ota --keys-from "$PKG" --read 7FF0/6F07)
[ "$(echo "$r" | jq -r .imsi)" = 001019999999999 ] && ok "after both refusals EF.IMSI unchanged" || bad "changed: $r"
# the AES key set (KVN 2) of the same MNO-SD, with its own counter
r=$(ota --keys-from "$PKG" --kvn 2 --read-record 7FF0/6F42:1); rc=$?
[ $rc = 0 ] && [ "$(echo "$r" | jq -r .data | cut -c1-8)" = FFFFFFFF ] && [ -s "$tmp/ota/$E0.kvn2.cntr" ] \
  && ok "KVN 2 (AES): READ RECORD of EF.SMSP" || bad "kvn 2 ($rc): $r $(cat "$tmp/err")"
r=$(ota --keys-from "$PKG" --applet-status); rc=$?
[ $rc = 0 ] && [ "$(echo "$r" | jq -r '.applications | length')" = 4 ] \
  && echo "$r" | jq -r '.applications[].aid' | grep -q A00000055910100002 && ok "applet status: the 4 RFM instances" \
  || bad "applet status ($rc): $r $(cat "$tmp/err")"

# ---- the profile disabled: its MNO-SD is gone from the network's view ----
[ -n "$PROV" ] || bad "no provisioning ICCID in the EIS"
"$BIN" smsr submit --db "$DB" --fn ES4.EnableProfile --eid "$E0" --iccid "$PROV" --requester MNO1 --fcid e2 >"$tmp/sub" 2>&1 \
  || bad "submit: $(cat "$tmp/sub")"
for i in $(seq 600); do [ "$(msisdn)" != "$MS" ] && break; sleep 0.1; done
MS=$(msisdn)
r=$(ota --keys-from "$PKG" --read 7FF0/6F07); rc=$?
[ $rc = 1 ] && [ "$(echo "$r" | jq -r .por_status)" = 9 ] && ok "disabled profile: its RFM TAR unknown (PoR 09)" \
  || bad "disabled ($rc, $MS): $r $(cat "$tmp/err")"

[ $fail = 0 ] || { echo "--- run.log"; tail -20 "$tmp/run.log" "$tmp/run2.log"; echo "--- smsc.log"; tail -10 "$tmp/smsc.log"; }
exit $fail
