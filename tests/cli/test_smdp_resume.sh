#!/usr/bin/env bash
# rsp smdp killed -9 at a chosen step of a download and restarted, with every party a process (rsp smsc,
# rsp euicc run, rsp smsr run --admin-listen, rsp smdp run). The moment is chosen by the debug builds'
# test hook RSP_SMDP_TEST_KILL=<step> (lib/smdp/download.c: SIGKILL as the step begins, its cursor
# committed); a release build has no hook and says so.
#  A. killed as key establishment and CreateISDP are done and the load begins (unresumable: the ES8
#     session keys died with it); the card is offline when the SM-DP restarts, so the cleanup's
#     DeleteISDP times out and the SM-SR's live EIS still lists the ISD-P: the download stays in
#     cleanup, its identity allocated (not reused). The card comes back: the daemon runs the cleanup
#     again while it runs (--cleanup-retry-ms), the ISD-P goes, the identity is spent, the Operator's
#     replay gets FAILED 8.4/4.2.
#  B. killed at download-completed (the card holds the installed profile, the ISD-P's keys sealed in
#     the load): the restart resumes to "installed and enabled", the Operator's replay gets the ICCID,
#     and ES2.UpdateConnectivityParameters runs in the SM-DP's SCP03 session with the keys the dead
#     process sealed: the card's profile holds SGP02.md's SMSC 06 07 91 3386994211F1 (a fact from
#     outside: the spec's example bytes).
. "$(dirname "$0")/daemons.sh"

SMSR=447700100996
make_fleet 1 447700900760 $SMSR
E0=$(ls "$tmp/fleet/eis" | sed -n 's/\.json$//p' | head -1)
smsr_world
smdp_pool ts48 "$PKG" 4 8999005

"$BIN" smdp run --dir "$D" --listen 127.0.0.1:0 --smsr https://127.0.0.1:1 --ci "$tmp/pki" --dp "$tmp/dp1" \
  --eum "$tmp/eum" --cleanup-retry-ms 5 >"$tmp/usage" 2>&1
rc=$?
[ $rc = 2 ] && grep -q -- "--cleanup-retry-ms" "$tmp/usage" && ok "--cleanup-retry-ms below 100 ms: usage error (exit 2)" \
  || bad "--cleanup-retry-ms 5: exit $rc $(head -2 "$tmp/usage")"

start_smsc
"$BIN" smsr run --db "$DB" --master-key "$tmp/mk" --smsc 127.0.0.1:$SP --msisdn $SMSR --worker w1 --tick-ms 100 \
  --por-wait 1 --listen 127.0.0.1:0 --port-file "$tmp/es.port" --tls-cert "$tmp/sr/tls.crt.pem" \
  --tls-key "$tmp/sr/key.pem" --tls-ca "$tmp/sr/ca.crt.pem" --smdp-ids DP1 \
  --admin-listen 127.0.0.1:0 --admin-port-file "$tmp/admin.port" --admin-idle-ms 500 >"$tmp/smsr.log" 2>&1 &
pids+=($!)
for i in $(seq 200); do grep -q "bound system_id=smsr" "$tmp/smsc.log" && [ -s "$tmp/es.port" ] && break; sleep 0.1; done
URL=https://127.0.0.1:$(tr -d '\n' <"$tmp/es.port")
"$BIN" euicc run --fleet "$tmp/fleet" --smsc 127.0.0.1:$SP --control "$tmp/ctl.sock" --tick-ms 50 >"$tmp/run.log" 2>&1 &
RUN_PID=$!; pids+=($RUN_PID)
wait_fleet "$tmp/ctl.sock" "$tmp/run.log"
CTL=("$BIN" euicc ctl --control "$tmp/ctl.sock")
start_dp() { # start_dp [ENV=VALUE] [OPTION...]: the daemon on a port it picks
  local v=()
  case "${1:-}" in RSP_*=*) v=("$1"); shift ;; esac
  rm -f "$tmp/dp.port"
  env "${v[@]}" "$BIN" smdp run --dir "$D" --listen 127.0.0.1:0 --port-file "$tmp/dp.port" --smsr "$URL" --ci "$tmp/pki" \
    --dp "$tmp/dp1" --eum "$tmp/eum" --eis-dir "$tmp/fleet/eis" --workers 2 --operators MNO1 \
    --cleanup-retry-ms 1000 "$@" >>"$tmp/smdp.log" 2>&1 &
  DP_PID=$!; pids+=($DP_PID)
  t=$((SECONDS + 30)); while [ $SECONDS -lt $t ] && [ ! -s "$tmp/dp.port" ]; do sleep 0.1; done
  [ -s "$tmp/dp.port" ] || { bad "smdp did not start: $(tail -5 "$tmp/smdp.log")"; exit 1; }
  DPURL=https://127.0.0.1:$(tr -d '\n' <"$tmp/dp.port")
}
dl() { # dl FCID ENABLE: ES2.DownloadProfile of MNO1, answered in the HTTP response
  curl -sS --max-time 120 --cert "$tmp/mno1/tls.crt.pem" --key "$tmp/mno1/key.pem" --cacert "$tmp/mno1/ca.crt.pem" \
    -H 'Content-Type: application/json' -H 'Prefer: wait' \
    -d "{\"functionCallIdentifier\":\"$1\",\"eid\":\"$E0\",\"smsrId\":\"SMSR-T\",\"profileType\":\"ts48\",\"enableProfile\":$2}" \
    "$DPURL/es2/DownloadProfile"; }
st() { jq -r '.functionExecutionStatus | .status + " " + (.statusCodeData.subjectCode // "") + "/" + (.statusCodeData.reasonCode // "")' 2>/dev/null; }
row() { sqlite3 "$D/smdp.db" "select step, isdp, iccid, outcome from smdp_dl where id = '$1'" 2>/dev/null; }
# [allocated, on a card (installed, enabled or disabled), deleted]
states() { "$BIN" smdp inventory --dir "$D" --json | jq -c '.pools[0].states | [.allocated, .installed + .enabled + .disabled, .deleted]'; }
sr_isdps() { sqlite3 "$tmp/smsr.db" "select iccid from profile where eid='$E0' order by iccid" 2>/dev/null | tr '\n' ' '; }
# killed FCID ENABLE STEP: a download of FCID started under RSP_SMDP_TEST_KILL=STEP; true when the
# daemon died of SIGKILL (then J = its journal id), false when it finished the download (no hook)
killed() {
  start_dp RSP_SMDP_TEST_KILL=$3
  dl "$1" "$2" >"$tmp/$1.out" 2>&1 &
  local c=$! t=$((SECONDS + 90))
  while [ $SECONDS -lt $t ] && kill -0 $DP_PID 2>/dev/null && kill -0 $c 2>/dev/null; do sleep 0.05; done
  wait $c
  if kill -0 $DP_PID 2>/dev/null; then kill -TERM $DP_PID; wait $DP_PID; return 1; fi
  { wait $DP_PID; } 2>/dev/null; [ $? = 137 ] || bad "smdp ended without SIGKILL"
  J=$(sqlite3 "$D/smdp.db" "select id from smdp_dl where step not in (7, 9)" 2>/dev/null)
  [ -n "$J" ]
}

# A. kill -9 at the start of the load; restart while the card is offline; the cleanup retried while running
if ! killed a1 false load; then
  ok "(kill -9 at the load not checked: a release build has no RSP_SMDP_TEST_KILL hook)"
else
  IFS='|' read -r step isdp K out <<<"$(row "$J")"
  # key establishment and load are not journalled (the same cleanup as create-isdp's): the cursor says 2
  [ "$step" = 2 ] && [ "$isdp" = 1 ] && sr_isdps | grep -q "$K" && [ "$(states)" = "[1,0,0]" ] \
    && ok "rsp smdp killed -9 as the load began: journal at create-isdp (2, isdp=1), ISD-P of $K in the SM-SR's store, identity allocated" \
    || bad "after the kill: row '$(row "$J")', SM-SR '$(sr_isdps)', states $(states)"
  "${CTL[@]}" offline "$E0" >/dev/null || bad "euicc ctl offline"
  start_dp --es3-timeout-ms 3000   # gives up on the offline card's DeleteISDP within the test
  t=$((SECONDS + 60))
  while [ $SECONDS -lt $t ] && ! grep -q "download ended dl=$J .*step=cleanup" "$tmp/smdp.log"; do sleep 0.1; done
  IFS='|' read -r step isdp K2 out <<<"$(row "$J")"
  [ "$step" = 8 ] && [ "$out" = "interrupted in create-isdp" ] && [ "$(states)" = "[1,0,0]" ] && kill -0 $DP_PID \
    && ok "restarted with the card offline: DeleteISDP timed out, the SM-SR still lists the ISD-P, so the download stays in cleanup ($out), identity still allocated" \
    || bad "first cleanup: row '$(row "$J")' states $(states) // $(grep "dl=$J" "$tmp/smdp.log" | tail -3)"
  "${CTL[@]}" online "$E0" >/dev/null || bad "euicc ctl online"
  t=$((SECONDS + 90))
  while [ $SECONDS -lt $t ] && [ "$(row "$J" | cut -d'|' -f1)" != 9 ]; do sleep 0.2; done
  n=$(grep -c "retrying cleanup dl=$J " "$tmp/smdp.log")
  [ "$(row "$J" | cut -d'|' -f1)" = 9 ] && [ "$n" -ge 1 ] && kill -0 $DP_PID && [ "$(states)" = "[0,0,1]" ] \
    && ok "card back: the running daemon retried the cleanup ($n time(s)), ISD-P deleted, identity $K spent" \
    || bad "cleanup retry: row '$(row "$J")' retries $n states $(states)"
  t=$((SECONDS + 30)); while [ $SECONDS -lt $t ] && sr_isdps | grep -q "$K"; do sleep 0.2; done
  ! sr_isdps | grep -q "$K" && ok "the SM-SR's store no longer lists $K ($(sr_isdps))" || bad "SM-SR still has $K: $(sr_isdps)"
  r=$(dl a1 false | st)
  [ "$r" = "FAILED 8.4/4.2" ] && ok "the Operator's replay of a1: $r" || bad "a1 replay: $r"
  kill -TERM $DP_PID; wait $DP_PID
fi

# B. kill -9 at download-completed; the restart resumes; UpdateConnectivityParameters with the keys it sealed
if ! killed b1 true download-completed; then
  ok "(kill -9 at download-completed not checked: a release build has no RSP_SMDP_TEST_KILL hook)"
  start_dp
  J=$(sqlite3 "$D/smdp.db" "select id from smdp_dl where step = 7 and enable = 1" 2>/dev/null)
else
  IFS='|' read -r step isdp ICC out <<<"$(row "$J")"
  kl=$(sqlite3 "$D/smdp.db" "select length(isdp_keys) from inv where iccid='$ICC'" 2>/dev/null)
  [ "$step" = 5 ] && [ "$kl" = 114 ] \
    && ok "rsp smdp killed -9 at download-completed (5): the ISD-P's keys already sealed in its inventory row ($kl bytes)" \
    || bad "after the kill: row '$(row "$J")' keys '$kl'"
  start_dp
  t=$((SECONDS + 60)); while [ $SECONDS -lt $t ] && [ "$(row "$J" | cut -d'|' -f1)" != 7 ]; do sleep 0.2; done
  [ "$(row "$J" | cut -d'|' -f1)" = 7 ] && [ "$(row "$J" | cut -d'|' -f4)" = "installed and enabled" ] &&
    grep -q "resuming download dl=$J step=download-completed" "$tmp/smdp.log" \
    && ok "restart resumed it at download-completed: installed and enabled" || bad "resume: row '$(row "$J")'"
fi
ICC=$(row "$J" | cut -d'|' -f3)
r=$(dl b1 true)
[ "$(echo "$r" | st)" = "EXECUTED_SUCCESS /" ] && [ "$(echo "$r" | jq -r .iccid)" = "$ICC" ] \
  && ok "the Operator's replay of b1: Executed-Success, ICCID $ICC" || bad "b1 replay: $r"
r=$(curl -sS --max-time 120 --cert "$tmp/mno1/tls.crt.pem" --key "$tmp/mno1/key.pem" --cacert "$tmp/mno1/ca.crt.pem" \
  -H 'Content-Type: application/json' -H 'Prefer: wait' \
  -d "{\"functionCallIdentifier\":\"c1\",\"eid\":\"$E0\",\"smsrId\":\"SMSR-T\",\"iccid\":\"$ICC\",\"connectivityParameters\":\"A0090607913386994211F1\"}" \
  "$DPURL/es2/UpdateConnectivityParameters")
[ "$(echo "$r" | st)" = "EXECUTED_SUCCESS /" ] && ok "UpdateConnectivityParameters on the resumed profile: executed" \
  || bad "UCP: $r // $(grep -i "UpdateConn\|ES3 call failed" "$tmp/smdp.log" | tail -3)"

# C. a profile deleted at the SM-SR behind the SM-DP's back (the Operator's own ES4.DeleteProfile; this
# SM-SR has no callback URL for the SM-DP, so no notification): the SM-DP counts it installed until the
# Operator's ES2.AuditEIS through it shows the card without it (es2_api.c follow_audit)
r=$(dl c1 false); IC=$(echo "$r" | jq -r '.iccid // empty' 2>/dev/null)
[ "$(echo "$r" | st)" = "EXECUTED_SUCCESS /" ] && [ -n "$IC" ] && ok "c1 downloaded: $IC" || bad "c1: $r"
before=$(states)
r=$("$BIN" op ES4.DeleteProfile --url "$URL" --tls-cert "$tmp/mno1/tls.crt.pem" --tls-key "$tmp/mno1/key.pem" \
  --tls-ca "$tmp/mno1/ca.crt.pem" --timeout 60 --eid "$E0" --iccid "$IC" --wait --json 2>&1); rc=$?
[ $rc = 0 ] && ! sr_isdps | grep -q "$IC" && [ "$(states)" = "$before" ] \
  && ok "ES4.DeleteProfile at the SM-SR: $IC gone there, the SM-DP still counts it installed $(states)" \
  || bad "ES4 delete ($rc): $r // SM-SR $(sr_isdps) // states $before -> $(states)"
r=$(curl -sS --max-time 120 --cert "$tmp/mno1/tls.crt.pem" --key "$tmp/mno1/key.pem" --cacert "$tmp/mno1/ca.crt.pem" \
  -H 'Content-Type: application/json' -H 'Prefer: wait' \
  -d "{\"functionCallIdentifier\":\"au1\",\"eid\":\"$E0\",\"smsrId\":\"SMSR-T\"}" "$DPURL/es2/AuditEIS")
[ "$(echo "$r" | st)" = "EXECUTED_SUCCESS /" ] && ! echo "$r" | grep -q "$IC" && echo "$r" | grep -q "$ICC" &&
  [ "$(states)" = "$(echo "$before" | jq -c '[.[0], .[1] - 1, .[2] + 1]')" ] && grep -q "profile gone from the card eid=$E0 iccid=$IC " "$tmp/smdp.log" \
  && ok "ES2.AuditEIS relayed: the card holds $ICC, not $IC; the SM-DP spent $IC's identity $(states)" \
  || bad "AuditEIS: $(echo "$r" | head -c 300) // states $(states)"
kill -TERM $DP_PID; wait $DP_PID
kill -TERM $RUN_PID; for i in $(seq 50); do kill -0 $RUN_PID 2>/dev/null || break; sleep 0.1; done
# `rsp euicc show` has no SMSC field: the card's state row (lib/euicc/nvm.c) keeps the A0 content as sent
FDB=$(ls "$tmp"/fleet/*.db 2>/dev/null | head -1)
blob=$(sqlite3 "$FDB" "select hex(state) from card where eid='$E0'" 2>/dev/null)
s=$("$BIN" euicc show --fleet "$tmp/fleet" --eid "$E0" --json 2>&1)
echo "$s" | jq -e --arg i "$ICC" '.profiles[] | select(.iccid == $i and .state == "enabled")' >/dev/null 2>&1 &&
  echo "$blob" | grep -q 0607913386994211F1 \
  && ok "the card: $ICC enabled, holding the SMSC of SGP02.md's example (06 07 91 3386994211F1)" || bad "card: $s // ${blob:0:80}"
if [ -n "${K:-}" ]; then
  ! echo "$s" | jq -r '.profiles[].iccid' | grep -q "^$K$" && ok "no ISD-P of the cleaned-up $K on the card" \
    || bad "the card still holds $K: $s"
fi
[ $fail = 0 ] || { echo "--- smdp.log"; tail -40 "$tmp/smdp.log"; echo "--- smsr.log"; tail -20 "$tmp/smsr.log"; }
exit $fail
