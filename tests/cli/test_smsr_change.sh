#!/usr/bin/env bash
# SM-SR change between two running `rsp smsr` (docs/modules/smsr_change.md), as separate processes:
# rsp smsc, rsp euicc run, SM-SR1 (its store, certificate, SMSC bind, KVN 1) and SM-SR2 (KVN 2, ES5 over
# HTTPS: SCP81). The Operator moves a fleet with `rsp op smsr-change` (ES4.PrepareSMSRChange to SM-SR2,
# ES4.SMSRChange to SM-SR1; ES7 between the daemons over mutual TLS). Afterwards: SM-SR2 reaches the
# cards (AuditEIS, SetFallBackAttribute done in admin sessions the card opens with SM-SR2's new PSK,
# KVN 41 = 3F + 2, named in the trigger and the PSK identity as SGP02.md lays them out; a profile
# downloaded through SM-SR2 by an SM-DP and enabled, then disabled by the Operator); the cards hold
# only SM-SR2's key sets and its address; the Operator gets HandleSMSRChangeNotification from SM-SR2;
# SM-SR1 has no EIS left, and with its old keys put back by hand its command is refused by the card (an
# unsecured error PoR: the keys are gone from the card). Refusals: a receipt that does not verify (SM-SR1
# hands over the wrong CERT.ECASD for one card: the change fails, the card stays with SM-SR1, SM-SR2
# keeps nothing; tried again with the right one, it moves), an EID SM-SR1 does not manage (8.1.1 / 3.9),
# an ES7 call by a certificate of the wrong role (1.1 / 1.2), a HandoverEUICC without a Prepare (8.1.1 /
# 1.2) or from an SM-SR with the receiver's own KVN (8.1.1 / 3.8), nothing imported. The retry of the
# failed card is asked by an M2M SP: refused without a PLMA (1.2), accepted under one. RSP_SLOW=1: 50
# cards, rsp demo --smsr-change.
N=2
[ "${RSP_SLOW:-0}" = 1 ] && N=50
SR2_HTTPS=1
. "$(dirname "$0")/smsr_change_world.sh"

# ES7 is for SM-SRs: the Operator's certificate (O=Operator) is refused; so is an SM-DP's.
for who in mno1 dp1; do
  r=$(curl -s --max-time 20 --cacert "$tmp/$who/ca.crt.pem" --cert "$tmp/$who/tls.crt.pem" --key "$tmp/$who/key.pem" \
    -H 'Content-Type: application/json' "https://127.0.0.1:$P1/es7/AuthenticateSMSR" \
    -d "{\"functionCallIdentifier\":\"x-$who\",\"eid\":\"${MOVE[0]}\",\"smsrCertificate\":\"7F21\"}")
  echo "$r" | grep -q '"1.1"' && echo "$r" | grep -q '"1.2"' && echo "$r" | grep -q 'SM-SRs' \
    && ok "ES7 by a certificate of role $who: refused 1.1 / 1.2" || bad "ES7 role $who: $r"
done

# ES7.HandoverEUICC straight from SM-SR1's certificate (the EUM's EIS file as the EIS): without a
# Prepare naming SM-SR1 refused 8.1.1 / 1.2; after the Operator's Prepare, an EIS whose SCP80 KVN is
# SM-SR2's own (2) refused 8.1.1 / 3.8 (two SM-SRs with one --kvn: docs/ENCODINGS.md "an SM-SR's key
# versions"). SM-SR2 imports nothing either time.
es() { # CERT PORT PATH JSON (an ES4 operation answers when done: Prefer: wait)
  curl -s --max-time 60 --cacert "$tmp/$1/ca.crt.pem" --cert "$tmp/$1/tls.crt.pem" --key "$tmp/$1/key.pem" \
    -H 'Content-Type: application/json' -H 'Prefer: wait' "https://127.0.0.1:$2/$3" -d "$4"
}
ho() { # FCID SCP80_KVN: BADE's EIS as a HandoverEUICC request
  jq -c --arg f "$1" --argjson v "$2" \
    '.functionCallIdentifier = $f | (.eis.isdR.keySets[] | select(.type == "SCP80") | .version) = $v' "$tmp/fleet/eis/$BADE.json"
}
r=$(es sr1 $P2 es7/HandoverEUICC "$(ho ho-x1 1)")
echo "$r" | grep -q '"8.1.1"' && echo "$r" | grep -q '"1.2"' && ! has_eis "$DB2" $BADE \
  && ok "HandoverEUICC without a Prepare: refused 8.1.1 / 1.2, nothing imported" || bad "unprepared handover: $r"
es mno1 $P2 es4/PrepareSMSRChange "{\"functionCallIdentifier\":\"p-x2\",\"eid\":\"$BADE\",\"currentSmsrId\":\"SMSR-1\"}" >/dev/null
r=$(es sr1 $P2 es7/HandoverEUICC "$(ho ho-x2 2)")
echo "$r" | grep -q '"8.1.1"' && echo "$r" | grep -q '"3.8"' && ! has_eis "$DB2" $BADE \
  && ok "HandoverEUICC from an SM-SR with the receiver's own KVN: refused 8.1.1 / 3.8, nothing imported" \
  || bad "same-KVN handover: $r"

# An EID SM-SR1 does not manage: SMSRChange refused 8.1.1 / 3.9, nothing moves.
echo 89049032123451234512345678901235 >"$tmp/unknown.txt"
r=$(change "$tmp/unknown.txt"); rc=$?
[ $rc = 1 ] && echo "$r" | grep -q '8.1.1/3.9' && ok "unknown EID: SMSRChange refused 8.1.1/3.9 (exit 1)" \
  || bad "unknown EID: rc=$rc $r"

# The fleet moves.
printf '%s\n' "${MOVE[@]}" >"$tmp/move.txt"
r=$(change "$tmp/move.txt"); rc=$?
[ $rc = 0 ] && [ "$(echo "$r" | field done)" = $N ] && ok "$N cards moved from SM-SR1 to SM-SR2 (op smsr-change --json)" \
  || bad "move: rc=$rc $r $(tail -3 "$tmp/op.err")"
grep -q "in progress" "$tmp/op.err" && ok "progress reported" || bad "no progress lines"
n=0
for i in $(seq 100); do
  n=$(grep HandleSMSRChangeNotification "$tmp/notif.log" 2>/dev/null | grep -c '"cn": "SMSR-2"')
  [ "$n" -ge $N ] && break
  sleep 0.1
done
m=0; for e in "${MOVE[@]}"; do grep HandleSMSRChangeNotification "$tmp/notif.log" | grep -q "$e" && m=$((m + 1)); done
[ "$n" = $N ] && [ $m = $N ] && ok "HandleSMSRChangeNotification: one per card, from SM-SR2 to the Operator" \
  || bad "notifications: $n lines, $m cards; $(head -c 300 "$tmp/notif.log" 2>/dev/null)"
n=0
for e in "${MOVE[@]}"; do
  s=$(show $e)
  echo "$s" | grep -q "\"smsr_msisdn\":\"$M2\"" && echo "$s" | grep -q '"scp80":\[2\]' && n=$((n + 1))
done
[ $n = $N ] && ok "cards: only SM-SR2's SCP80 key set (KVN 2) and SM-SR2's address" || bad "card key sets: $n of $N; $(show ${MOVE[0]})"
s=$(show ${MOVE[0]})
echo "$s" | grep -q '"scp81":\[65\]' && ok "SCP81: SM-SR1's PSK (KVN 40) deleted, SM-SR2's (KVN 41) made" || bad "scp81: $s"
n=0
for e in "${MOVE[@]}"; do has_eis "$DB1" $e || n=$((n + 1)); done
[ $n = $N ] && ok "SM-SR1 deleted the EIS of every card moved" || bad "SM-SR1 still knows $((N - n)) cards"

# SM-SR2 manages them, over HTTPS (SCP81, --es5-transport https): AuditEIS and SetFallBackAttribute
# done in admin sessions the card opened with SM-SR2's new PSK, KVN 41 = 3F + its --kvn 2 (the trigger
# SMS under its new SCP80 keys, KVN 2). The PSK identity is SGP02.md's layout, built here by printf.
E=${MOVE[0]}
ICC=$(grep -o '"iccid": *"[0-9]*"' "$tmp/fleet/eis/$E.json" | head -1 | grep -o '[0-9]\{10,\}')
wait_done() { # DB OP SECONDS
  local s
  for i in $(seq $(($3 * 10))); do
    s=$("$BIN" smsr result --db "$1" --op "$2" --json 2>/dev/null | field state)
    case $s in done|failed|expired) echo $s; return;; esac
    sleep 0.1
  done
  echo "$s"
}
for fn in ES4.AuditEIS ES4.SetFallBackAttribute; do
  op=$("$BIN" smsr submit --db "$DB2" --fn $fn --eid $E --iccid $ICC --requester MNO1 --fcid n-$fn --json | field op)
  st=$(wait_done "$DB2" "$op" 40)
  [ "$st" = done ] && grep -q "admin answer eid=$E op=$op lost=0 result=ok" "$tmp/smsr2.log" \
    && ok "SM-SR2 $fn on a moved card: done over HTTPS" || bad "SM-SR2 $fn: $st $("$BIN" smsr result --db "$DB2" --op "$op")"
done
ID=$(printf '800102'; printf '8110%s' $E; printf '4F10A0000005591010FFFFFFFF8900000100'; printf '820101830141')
grep -q "admin session open eid=$E psk_id=$ID " "$tmp/smsr2.log" && ! grep -q "admin PSK identity refused" "$tmp/smsr2.log" \
  && grep -q 'admin trigger sent .*trigger=[0-9A-F]*85[0-9A-F]\{4\}'"$ID"'024101' "$tmp/smsr2.log" \
  && ok "PSK-TLS with SM-SR2's new PSK: identity and trigger name KVN 41 (3F + 2)" \
  || bad "admin session of SM-SR2: $(grep -o 'admin session open eid=[0-9]* psk_id=[0-9A-F]*' "$tmp/smsr2.log" | head -1)"

# SM-SR2 enables and disables profiles on a moved card: DP1 downloads a second profile through SM-SR2
# (ES3; the SCP03t load in the card's admin session) and has it enabled; the Operator's ES4.DisableProfile
# at SM-SR2 brings the fall-back profile back.
D=$tmp/dp
"$BIN" smdp import package --dir "$D" --operator MNO1 --type ts48 "$PKG" >/dev/null 2>&1 &&
  "$BIN" smdp import generate --dir "$D" --operator MNO1 --type ts48 --count 1 --iccid-prefix 8999002 --first 100 \
  >/dev/null 2>&1 || bad "smdp inventory"
r=$("$BIN" smdp download --dir "$D" --smsr https://127.0.0.1:$P2 --ci "$tmp/pki" --dp "$tmp/dp1" --eum "$tmp/eum" \
  --eis-dir "$tmp/fleet/eis" --operator MNO1 --type ts48 --eid $E --enable --json 2>&1); rc=$?
ICC2=$(echo "$r" | jq -r '.iccid // empty' 2>/dev/null | tail -1)
[ $rc = 0 ] && [ -n "$ICC2" ] && echo "$r" | grep -q '"installed and enabled' && show $E | jq -e \
  --arg i "$ICC2" '.profiles[] | select(.iccid == $i and .state == "enabled")' >/dev/null \
  && ok "SM-SR2 downloads and enables a profile on a moved card ($ICC2)" || bad "download through SM-SR2 ($rc): $r"
r=$(es mno1 $P2 es4/DisableProfile "{\"functionCallIdentifier\":\"d-$ICC2\",\"eid\":\"$E\",\"iccid\":\"$ICC2\",\"addressing\":{\"messageId\":\"m-$ICC2\"}}")
s=$(show $E)
echo "$r" | grep -q EXECUTED_SUCCESS && echo "$s" | jq -e --arg i "$ICC2" '.profiles[] | select(.iccid == $i and .state == "disabled")' \
  >/dev/null && echo "$s" | jq -e --arg i "$ICC" '.profiles[] | select(.iccid == $i and .state == "enabled")' >/dev/null \
  && ok "SM-SR2 disables it (ES4.DisableProfile by the Operator): the fall-back profile is enabled again" \
  || bad "disable through SM-SR2: $r $s"

# SM-SR1 with its old keys put back by hand: the card no longer has them, the command is not answered.
grep "\"$E\"" "$tmp/keys.jsonl" >"$tmp/k1.jsonl"
"$BIN" smsr import --db "$DB1" --master-key "$tmp/mk" --keys "$tmp/k1.jsonl" "$tmp/fleet/eis/$E.json" >/dev/null 2>&1 \
  || bad "re-import into SM-SR1"
np=$(grep -c "PoR eid=$E " "$tmp/smsr1.log")
op=$("$BIN" smsr submit --db "$DB1" --fn ES4.AuditEIS --eid $E --iccid $ICC --requester MNO1 --fcid old1 --validity 6 --json | field op)
# The card answers at once with an unsecured error PoR (no key set KVN 1 left: TS 102 225 status 06, which
# opens no operation); waiting for that line (info level) instead of the expiry saves the validity period.
# A lost PoR still ends in expiry (6 s); never done.
for i in $(seq 400); do
  [ "$(grep -c "PoR eid=$E " "$tmp/smsr1.log")" -gt "$np" ] && break
  sleep 0.1
done
st=$("$BIN" smsr result --db "$DB1" --op "$op" --json 2>/dev/null | field state)
# (the packet did leave, "packet sent" at info level: an expiry before any send would prove nothing)
grep -q "packet sent eid=$E op=$op " "$tmp/smsr1.log" || bad "SM-SR1 never sent its command ($st)"
case $st in done|'') bad "SM-SR1 still reaches the card: '$st'";;
  *) ok "SM-SR1's old keys: the card does not carry out its command (refused at once; op $st)";; esac

# A receipt that does not verify: the change of BADE fails, the card stays with SM-SR1 alone.
echo $BADE >"$tmp/bad.txt"
r=$(change "$tmp/bad.txt"); rc=$?
[ $rc = 1 ] && echo "$r" | grep -q 'receipt does not verify' && ok "receipt that does not verify: change refused" \
  || bad "bad receipt: rc=$rc $r"
ICB=$(grep -o '"iccid": *"[0-9]*"' "$tmp/fleet/eis/$BADE.json" | head -1 | grep -o '[0-9]\{10,\}')
has_eis "$DB2" $BADE && bad "SM-SR2 kept the refused card" || ok "SM-SR2 kept nothing of the refused card"
op=$("$BIN" smsr submit --db "$DB1" --fn ES4.AuditEIS --eid $BADE --iccid $ICB --requester MNO1 --fcid b1 --json | field op)
st=$(wait_done "$DB1" "$op" 40)
[ "$st" = done ] && ok "SM-SR1 still manages the refused card (AuditEIS done)" || bad "SM-SR1 lost the card: $st"
show $BADE | grep -q "\"smsr_msisdn\":\"$M1\"" && ok "the refused card still sends to SM-SR1" || bad "address moved: $(show $BADE)"
# Tried again with the right CERT.ECASD: the key set the failed attempt left (KVN 2) is replaced, and the
# card moves (the card's rule: the CRT's KVN, replacing an earlier attempt's set; docs/ENCODINGS.md).
# The retry is asked by the M2M SP SP1: refused while no PLMA of MNO1 grants it ES4-SMSRChange; once
# MNO1 sets one on both SM-SRs (ES4A.SetPLMA), accepted (docs/ENCODINGS.md, PLMA function bits).
cp "$tmp/fleet/eis/$BADE.json" "$tmp/eis1/$BADE.json"
r=$(AS=sp1 change "$tmp/bad.txt"); rc=$?
[ $rc = 1 ] && echo "$r" | grep -q '8.1.1/1.2' && show $BADE | grep -q "\"smsr_msisdn\":\"$M1\"" \
  && ok "the M2M SP without a PLMA: SMSRChange refused 8.1.1/1.2, the card stays" || bad "SP without PLMA: rc=$rc $r"
PT=$(grep -o '"profileType": *"[^"]*"' "$tmp/fleet/eis/$BADE.json" | head -1 | sed 's/.*"\([^"]*\)"$/\1/')
for p in $P1 $P2; do
  "$BIN" op SetPLMA --url https://127.0.0.1:$p "${OPC[@]}" --timeout 30 --mno-id MNO1 --m2msp-id SP1 --profile-type "$PT" \
    --functions ES4-AuditEIS,ES4-SMSRChange --wait >"$tmp/plma.out" 2>&1 || bad "SetPLMA on $p: $(cat "$tmp/plma.out")"
done
"$BIN" op GetPLMA --url https://127.0.0.1:$P2 "${OPC[@]}" --timeout 30 --m2msp-id SP1 --profile-type "$PT" --wait --json \
  2>&1 | tr -d ' \n' | grep -q '"allowedFunctions":\["ES4-AuditEIS","ES4-SMSRChange"\]' \
  && ok "ES4A GetPLMA names the new function ES4-SMSRChange" || bad "GetPLMA: no ES4-SMSRChange"
r=$(AS=sp1 change "$tmp/bad.txt"); rc=$?
s=$(show $BADE)
[ $rc = 0 ] && echo "$s" | grep -q '"scp80":\[2\]' && echo "$s" | grep -q "\"smsr_msisdn\":\"$M2\"" \
  && ok "the M2M SP under PLMA: a retry after the failure moves the card (the stale KVN 2 set replaced)" || bad "retry: rc=$rc $r $s"

# RSP_SLOW=1: the demo's story ends with the fleet moved to a second SM-SR (rsp demo --smsr-change)
if [ "${RSP_SLOW:-0}" = 1 ] && command -v jq >/dev/null; then
  J=$("$BIN" demo --euiccs 4 --smsr-change --json 2>"$tmp/demo.err" | tail -1)
  [ "$(echo "$J" | jq '.moved')" = 4 ] && [ "$(echo "$J" | jq '.phases["smsr-change"].failed')" = 0 ] \
    && ok "rsp demo --smsr-change: 4 cards moved" || bad "demo --smsr-change: $(echo "$J" | jq -c '{moved, failures}')"
fi
exit $fail
