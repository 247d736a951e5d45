# Shared by test_smsr_change.sh and test_smsr_change_kill.sh; sourced after setting N (cards to move).
# Gives: a fleet of N + 1 cards (BADE = the first, MOVE = the others) whose SM-SR is SM-SR1, SM-SR1
# (store $DB1 with the fleet, KVN 1, MSISDN $M1, ES on $P1) and SM-SR2 (empty store $DB2, KVN 2, $M2,
# ES on $P2) running as separate processes (run_smsr 1|2 restarts one), rsp euicc run; certificates
# sr1, sr2 (role smsr), mno1 (the Operator, whose server $RP records what it gets in $tmp/notif.log),
# and unless WORLD_CERTS=lean: dp1 (an SM-DP), sp1 (the M2M SP SP1: --m2msp-ids of both SM-SRs, no
# PLMA). SM-SR1's --eis-dir is $tmp/eis1: the EUM's EIS files, except that BADE's carries another card's
# CERT.ECASD. change FILE runs rsp op smsr-change (as $AS: mno1 unless set).
. "$(dirname "$0")/daemons.sh"
command -v curl >/dev/null || { echo "curl missing"; exit 1; }

M1=447700100901 M2=447700100902
make_fleet $((N + 1)) 447700900100 $M1
EIDS=($(ls "$tmp/fleet/eis" | sed -n 's/\.json$//p'))
BADE=${EIDS[0]}
MOVE=("${EIDS[@]:1}")
# the Operator's server first (HandleSMSRChangeNotification lands in $tmp/notif.log, one JSON line per
# POST): Python's start-up runs while the rest is set up, waited for only before the SM-SRs need $RP
"$BIN" ci issue --dir "$tmp/pki" --role operator --id MNO1 --out "$tmp/mno1" >/dev/null || bad "certificate MNO1"
python3 "$(dirname "$0")/outbox_receiver.py" --port 0 --cert "$tmp/mno1/tls.crt.pem" --key "$tmp/mno1/key.pem" \
  --ca "$tmp/mno1/ca.crt.pem" --log "$tmp/notif.log" >"$tmp/recv.out" 2>&1 &
pids+=($!)
CERTS=("smsr SMSR-1 sr1" "smsr SMSR-2 sr2")
[ "${WORLD_CERTS:-all}" = lean ] || CERTS+=("smdp DP1 dp1" "m2msp SP1 sp1")
smsr_world 7 "${CERTS[@]}"
DB1=$DB
DB2="sqlite:$tmp/smsr2.db"
printf '%064d\n' 3 >"$tmp/mk2"
mkdir -p "$tmp/eis1"
cp "$tmp"/fleet/eis/*.json "$tmp/eis1/"
sed "s/${EIDS[1]}/$BADE/g" "$tmp/fleet/eis/${EIDS[1]}.json" >"$tmp/eis1/$BADE.json"

start_smsc
for i in $(seq 300); do [ -s "$tmp/recv.out" ] && break; sleep 0.1; done
RP=$(head -1 "$tmp/recv.out" | tr -dc 0-9)
[ -n "$RP" ] || { bad "the Operator's receiver did not start: $(cat "$tmp/recv.out")"; exit 1; }
P1=$(port); P2=$(port)
while [ "$P2" = "$P1" ]; do P2=$(port); done
run_smsr() { # 1|2: starts SM-SR1 or SM-SR2 (its log $tmp/smsrN.log, appended; its pid in SRN_PID). SR2_HTTPS=1:
  # SM-SR2 runs ES5 over HTTPS (SCP81: its admin server on a port it picks, in $tmp/admin2.port)
  local db=$DB1 m=$M1 mk=$tmp/mk lp=$P1 peer=SMSR-2 pp=$P2 extra=()
  [ "$1" = 2 ] && db=$DB2 m=$M2 mk=$tmp/mk2 lp=$P2 peer=SMSR-1 pp=$P1
  [ "$1" = 2 ] && [ "${SR2_HTTPS:-0}" = 1 ] && extra=(--admin-listen 127.0.0.1:0 --admin-port-file "$tmp/admin2.port" \
    --admin-idle-ms 1500 --admin-trigger-ms 2000 --es5-transport https)
  RSP_LOG_LEVEL=info "$BIN" smsr run "${extra[@]}" --db "$db" --smsc 127.0.0.1:$SP --msisdn $m --system-id "sr$1" --worker "w$1" --kvn $1 \
    --master-key "$mk" --tick-ms 100 --por-wait 2 --listen 127.0.0.1:$lp --tls-cert "$tmp/sr$1/tls.crt.pem" \
    --tls-key "$tmp/sr$1/key.pem" --tls-ca "$tmp/sr$1/ca.crt.pem" --eis-dir "$tmp/eis1" \
    --m2msp-ids SP1 --smdp-ids DP1 --callbacks "$peer=https://127.0.0.1:$pp,MNO1=https://127.0.0.1:$RP,SP1=https://127.0.0.1:$RP" >>"$tmp/smsr$1.log" 2>&1 &
  pids+=($!)
  eval "SR$1_PID=$!"
}
run_smsr 1
run_smsr 2
for i in $(seq 300); do grep -q "running" "$tmp/smsr1.log" && grep -q "running" "$tmp/smsr2.log" && break; sleep 0.1; done
grep -q running "$tmp/smsr2.log" || { bad "SM-SR2 did not start: $(tail -3 "$tmp/smsr2.log")"; exit 1; }
"$BIN" euicc run --fleet "$tmp/fleet" --smsc 127.0.0.1:$SP --control "$tmp/ctl.sock" --tick-ms 50 >"$tmp/run.log" 2>&1 &
pids+=($!)
wait_fleet "$tmp/ctl.sock" "$tmp/run.log"

OPC=(--tls-cert "$tmp/mno1/tls.crt.pem" --tls-key "$tmp/mno1/key.pem" --tls-ca "$tmp/mno1/ca.crt.pem")
change() { # EIDS_FILE [TIMEOUT]
  local as=${AS:-mno1}
  "$BIN" op smsr-change --eids "$1" --from https://127.0.0.1:$P1 --from-id SMSR-1 --to https://127.0.0.1:$P2 \
    --to-id SMSR-2 --tls-cert "$tmp/$as/tls.crt.pem" --tls-key "$tmp/$as/key.pem" --tls-ca "$tmp/$as/ca.crt.pem" --timeout ${2:-120} --poll-ms 200 --json 2>>"$tmp/op.err"
}
field() { sed -n "s/.*\"$1\": *\"\\{0,1\\}\\([^\",}]*\\).*/\\1/p" | head -1; }
show() { "$BIN" euicc show --fleet "$tmp/fleet" --eid "$1" --json 2>/dev/null | tr -d ' \n'; }
# has_eis DB EID: the SM-SR of DB knows the card (its store has the card's EIS row). Read with the sqlite3
# shell (scripts/setup installs it): a read costs no ASan process start, and a probe by `rsp smsr submit`
# (refused "Unknown EID" when the card is unknown) queued a real AuditEIS to the card when it was known.
has_eis() {
  if command -v sqlite3 >/dev/null; then
    [ "$(sqlite3 -cmd ".timeout 10000" "${1#sqlite:}" "select count(*) from eis where eid='$2'" 2>/dev/null)" = 1 ]
  else
    ! "$BIN" smsr submit --db "$1" --fn ES4.AuditEIS --eid "$2" --iccid 0 --requester MNO1 --fcid "h$RANDOM$RANDOM" \
      --json 2>/dev/null | grep -q '"8.1.1"'
  fi
}
