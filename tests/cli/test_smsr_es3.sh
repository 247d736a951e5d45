#!/usr/bin/env bash
# ES3 (SM-DP -> SM-SR) over HTTPS with mutual TLS against separate processes: rsp smsc, rsp euicc run
# (1 card), rsp smsr run --listen --smdp-ids DP1,DP2. Checks: CreateISDP by DP1 installs an ISD-P on
# the card over SMS (INSTALL [for install], its PoR) and answers its AID; GetEIS shows it with DP1
# as owner, and not to DP2; an Operator may not call ES3; DP2's SendData / DeleteISDP on DP1's ISD-P
# are refused; a SendData before key establishment is one C-APDU by SMS even when it starts with 84 (the
# SM-SR decides SCP03t by the ISD-P's download phase, not the first byte: the card's ISD-P answers the
# CLA 84 command 6982, no secure channel); DP1's SendData of an
# ES8 STORE DATA goes with INSTALL [for personalization] naming the ISD-P (which the card accepts
# only for an ISD-P it has: the creation is seen from the card); ProfileDownloadCompleted is
# recorded; DeleteISDP by DP1 deletes the ISD-P on the card (`rsp euicc show` after the fleet stops).
. "$(dirname "$0")/daemons.sh"
command -v curl >/dev/null || { echo "ok - # SKIP curl is not installed"; exit 0; }

SMSR=447700100998
make_fleet 1 447700900200 $SMSR
E0=$(ls "$tmp/fleet/eis" | sed -n 's/\.json$//p' | head -1)
DB="sqlite:$tmp/smsr.db"
"$BIN" smsr import --db "$DB" --keys "$tmp/keys.jsonl" "$tmp"/fleet/eis/*.json >"$tmp/imp" 2>&1 || bad "import"
for r in "smsr SMSR-T sr" "smdp DP1 dp1" "smdp DP2 dp2" "operator MNO1 mno"; do
  set -- $r
  "$BIN" ci issue --dir "$tmp/pki" --role $1 --id $2 --out "$tmp/$3" >/dev/null || bad "certificate $2"
done
start_smsc
"$BIN" smsr run --db "$DB" --smsc 127.0.0.1:$SP --msisdn $SMSR --worker w1 --tick-ms 100 --por-wait 2 \
  --listen 127.0.0.1:0 --port-file "$tmp/es.port" --tls-cert "$tmp/sr/tls.crt.pem" --tls-key "$tmp/sr/key.pem" \
  --tls-ca "$tmp/sr/ca.crt.pem" --smdp-ids DP1,DP2 >"$tmp/smsr.log" 2>&1 &
SMSR_PID=$!; pids+=($SMSR_PID)
for i in $(seq 200); do grep -q "bound system_id=smsr" "$tmp/smsc.log" && [ -s "$tmp/es.port" ] && break; sleep 0.1; done
EP=$(tr -d '\n' <"$tmp/es.port")
"$BIN" euicc run --fleet "$tmp/fleet" --smsc 127.0.0.1:$SP --control "$tmp/ctl.sock" --tick-ms 50 >"$tmp/run.log" 2>&1 &
RUN_PID=$!; pids+=($RUN_PID)
wait_fleet "$tmp/ctl.sock" "$tmp/run.log"

WHO=dp1
es3() { # FUNCTION JSON-FIELDS (as $WHO)
  curl -s --max-time 40 --cacert "$tmp/sr/ca.crt.pem" --cert "$tmp/$WHO/tls.crt.pem" --key "$tmp/$WHO/key.pem" \
    -H 'Content-Type: application/json' -H 'Prefer: wait' "https://127.0.0.1:$EP/es3/$1" -d "{$2}"
}
ICC=89445010000000000131
r=$(es3 CreateISDP "\"functionCallIdentifier\":\"c1\",\"eid\":\"$E0\",\"iccid\":\"$ICC\",\"mnoId\":\"MNO1\",\"requiredMemory\":70000")
AID=$(echo "$r" | sed -n 's/.*"isdPAid": *"\([0-9A-Fa-f]*\)".*/\1/p')
echo "$r" | grep -q EXECUTED_SUCCESS && [ ${#AID} = 32 ] && ok "CreateISDP by DP1 over SMS: ISD-P $AID" || bad "CreateISDP: $r"
# from outside: SGP.02 ISD-P AIDs are A0000005591010FFFFFFFF89 || TAR || 00 (SGP02.md)
case $AID in A0000005591010FFFFFFFF89*00) ok "ISD-P AID has the SGP.02 shape";; *) bad "AID shape: $AID";; esac
r=$(es3 GetEIS "\"functionCallIdentifier\":\"g1\",\"eid\":\"$E0\"")
echo "$r" | grep -q "$ICC" && echo "$r" | grep -q '"smdpId": *"DP1"' && ok "GetEIS (DP1) shows the ISD-P, owner DP1" || bad "GetEIS: $r"
WHO=dp2
r=$(es3 GetEIS "\"functionCallIdentifier\":\"g2\",\"eid\":\"$E0\"")
echo "$r" | grep -q EXECUTED_SUCCESS && ! echo "$r" | grep -q "$ICC" && ok "GetEIS (DP2) does not show DP1's ISD-P" || bad "GetEIS DP2: $r"
r=$(es3 DeleteISDP "\"functionCallIdentifier\":\"d2\",\"eid\":\"$E0\",\"iccid\":\"$ICC\"")
echo "$r" | grep -q '8.2.1' && echo "$r" | grep -q '1.2' && ok "DeleteISDP by DP2: refused 8.2.1/1.2" || bad "DP2 delete: $r"
r=$(es3 SendData "\"functionCallIdentifier\":\"s2\",\"eid\":\"$E0\",\"sdAid\":\"$AID\",\"data\":\"80CA006600\"")
echo "$r" | grep -q FAILED && ok "SendData by DP2 on DP1's ISD-P: refused" || bad "DP2 send: $r"
WHO=mno
r=$(es3 GetEIS "\"functionCallIdentifier\":\"g3\",\"eid\":\"$E0\"")
echo "$r" | grep -q FAILED && ok "ES3 by an Operator: refused" || bad "Operator ES3: $r"
WHO=dp1
r=$(es3 SendData "\"functionCallIdentifier\":\"s3\",\"eid\":\"$E0\",\"sdAid\":\"$AID\",\"data\":\"8400010203\"")
echo "$r" | grep -q 'command 2 of 2: SW 6982' && ok "SendData 84... before key establishment: a C-APDU by SMS, judged by the card" || bad "84 before keyest: $r"
# An ES8 STORE DATA 3A01 with a malformed CERT.DP: INSTALL [for personalization] names the ISD-P
# (9000), the STORE DATA reaches key establishment, which refuses the certificate (euicc.md)
r=$(es3 SendData "\"functionCallIdentifier\":\"s4\",\"eid\":\"$E0\",\"sdAid\":\"$AID\",\"data\":\"80E29100063A01037F2100\"")
echo "$r" | grep -q 'command 2 of 2: SW 6A80' && ok "SendData: INSTALL [for personalization] 9000, STORE DATA 3A01 judged by the card (6A80)" || bad "SendData: $r"
r=$(es3 ProfileDownloadCompleted "\"functionCallIdentifier\":\"p1\",\"eid\":\"$E0\",\"iccid\":\"$ICC\",\"profileType\":\"T1\",\"subscriptionAddress\":{\"msisdn\":\"447700900299\"}")
echo "$r" | grep -q EXECUTED_SUCCESS && ok "ProfileDownloadCompleted recorded" || bad "completed: $r"
r=$(es3 GetEIS "\"functionCallIdentifier\":\"g4\",\"eid\":\"$E0\"")
echo "$r" | grep -q '"profileType": *"T1"' && ok "GetEIS after completion: profile type recorded" || bad "GetEIS 2: $r"
WHO=dp2
r=$(es3 EnableProfile "\"functionCallIdentifier\":\"n2\",\"eid\":\"$E0\",\"iccid\":\"$ICC\"")
echo "$r" | grep -q '8.2.1' && echo "$r" | grep -q '1.2' && ok "EnableProfile by DP2: refused 8.2.1/1.2" || bad "DP2 enable: $r"
WHO=dp1
# the ISD-P holds no installed profile: the card refuses the enable (6985, euicc.md), over SMS
r=$(es3 EnableProfile "\"functionCallIdentifier\":\"n1\",\"eid\":\"$E0\",\"iccid\":\"$ICC\"")
echo "$r" | grep -q '6985' && ok "EnableProfile by DP1 of an empty ISD-P: the card's 6985" || bad "DP1 enable: $r"
r=$(es3 DeleteISDP "\"functionCallIdentifier\":\"d1\",\"eid\":\"$E0\",\"iccid\":\"$ICC\"")
echo "$r" | grep -q EXECUTED_SUCCESS && ok "DeleteISDP by DP1: success over SMS" || bad "DP1 delete: $r"
r=$(es3 GetEIS "\"functionCallIdentifier\":\"g5\",\"eid\":\"$E0\"")
! echo "$r" | grep -q "$ICC" && ok "GetEIS after DeleteISDP: gone" || bad "GetEIS 3: $r"

kill -TERM $RUN_PID; for i in $(seq 50); do kill -0 $RUN_PID 2>/dev/null || break; sleep 0.1; done
r=$("$BIN" euicc show --fleet "$tmp/fleet" --eid $E0 2>&1)
[ -n "$r" ] && ! echo "$r" | grep -qi "$AID" && ok "euicc show: the ISD-P is gone from the card" || bad "show: $r"
kill -TERM $SMSR_PID; for i in $(seq 50); do kill -0 $SMSR_PID 2>/dev/null || break; sleep 0.1; done
[ $fail = 0 ] || { echo "--- smsr.log"; tail -30 "$tmp/smsr.log"; echo "--- run.log"; tail -20 "$tmp/run.log"; }
exit $fail
