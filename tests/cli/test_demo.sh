#!/usr/bin/env bash
# `rsp demo`: the fleet switch from MNO-A to MNO-B with every role a real process (rsp smsc, rsp smsr
# run, rsp smdp run, rsp euicc run, started by the demo). Checks: the --json summary (last line of
# stdout) is complete and consistent; the cards' own state in DIR/fleet, read here with `rsp euicc
# show` (not the demo's word): MNO-B's profile enabled with the fall-back attribute, MNO-A's profile
# (its ICCID from the EUM's EIS file) gone, no notification left unconfirmed; every process the demo
# started is gone at the end, also after a SIGINT in the middle (pids from DIR/pids); usage errors;
# on PostgreSQL with ES5 over HTTPS only when scripts/with-pg set RSP_PG_DSN.
set -u
RSP=${RSP_BIN:?}
PKG=${RSP_SHARED_DIR:?}/profiles/TS48v7_SAIP2.3_NoBERTLV.der
tmp=$(mktemp -d)
DEMO_PID=
cleanup() {
  [ -n "$DEMO_PID" ] && kill -9 "$DEMO_PID" 2>/dev/null
  for f in "$tmp"/*/pids; do [ -f "$f" ] && awk '{print $2}' "$f" | xargs -r kill -9 2>/dev/null; done
  rm -rf "$tmp"
}
trap cleanup EXIT
fail=0
ok() { echo "ok - $*"; }
bad() { echo "FAIL - $*"; fail=1; }
# left DIR: the pids of DIR/pids still running that daemon (its command line names DIR, or for the
# SMSC, which gets no path, is `rsp smsc`): a pid reused by another test's process does not count
left() { while read -r name p; do
  c=$(tr '\0' ' ' 2>/dev/null <"/proc/$p/cmdline")
  case $c in *"$1"*) echo "$p";; *" smsc --listen "*) [ "$name" = smsc ] && echo "$p";; esac
done <"$1/pids"; }

out=$("$RSP" demo --euiccs 3 --concurrency 1 --json --keep "$tmp/d" --profile "$PKG" 2>"$tmp/d.err"); rc=$?
J=$(echo "$out" | tail -1)
[ $rc = 0 ] && ok "demo --euiccs 3: exit 0" || bad "demo exit $rc: $(tail -20 "$tmp/d.err")"
v() { echo "$J" | jq -r "$1" 2>/dev/null; }
[ "$(v '[.euiccs,.registered,.downloaded,.enabled,.old_deleted,.failed] | map(tostring) | join(" ")')" = "3 3 3 3 3 0" ] \
  && ok "JSON: 3 registered, downloaded, enabled, old deleted; 0 failed" || bad "JSON counts: $J"
[ "$(v .transport)" = auto ] && ok "transport auto (the default: SMS, admin sessions for the download)" || bad "transport: $(v .transport)"
[ "$(v '[.audited,.consistent] | map(tostring) | join(" ")')" = "3 3" ] && ok "JSON: 3 audited, card = SM-SR for 3" \
  || bad "audit: $J"
[ "$(v '[.phases[] | select(.run)] | length')" = 7 ] && [ "$(v '.phases.register.ok + .phases.download.ok')" = 6 ] \
  && ok "JSON: 7 phases ran, per-phase counts" || bad "phases: $(v .phases)"
[ "$(v '(.cpu_s.smsr > 0) and (.cpu_s.smdp > 0) and (.cpu_s.euicc > 0) and (.cpu_s.smsc > 0) and (.elapsed_s > 0)')" = true ] \
  && ok "JSON: CPU per process, wall time" || bad "cpu: $(v .cpu_s)"
# SMS: at least the 3 first-attach notifications in and an enable per card out; one admin session per download
[ "$(v '(.sms_in >= 3) and (.sms_out >= 3) and (.sms == .sms_in + .sms_out) and (.https_sessions >= 3)')" = true ] \
  && ok "JSON: SMS $(v .sms), admin HTTPS sessions $(v .https_sessions) (from /metrics)" || bad "sms/https: $J"
# the SM-SR's web console was served during the run: its URL printed and in the JSON, the token kept 0600
cu=$(v .console_url); cp=$(tr -d '\n' <"$tmp/d/console.port" 2>/dev/null)
[ "$cu" = "http://127.0.0.1:$cp/" ] && grep -q "^console: $cu (token in $tmp/d/console.token)" "$tmp/d.err" \
  && [ "$(stat -c %a "$tmp/d/console.token")" = 600 ] && grep -Eq '^[0-9a-f]{32} MNO-B$' "$tmp/d/console.token" \
  && ok "console URL printed and in the JSON ($cu), token file 0600" || bad "console: '$cu' port '$cp' $(grep console "$tmp/d.err")"

# The cards themselves.
n=0
for f in "$tmp"/d/fleet/eis/*.json; do
  eid=$(basename "$f" .json) old=$(jq -r '.eis.profiles[0].iccid' "$f")
  s=$("$RSP" euicc show --fleet "$tmp/d/fleet" --eid "$eid" --json 2>/dev/null)
  [ "$(echo "$s" | jq -r --arg o "$old" '[.profiles[] | select(.iccid != "")] |
      (length == 1) and (.[0].state == "enabled") and .[0].fallback and (.[0].iccid != $o) and (.[0].iccid | startswith("8944502"))')" = true ] &&
    [ "$(echo "$s" | jq '.notifications | length')" = 0 ] && n=$((n + 1)) || echo "# $eid: $s"
done
[ $n = 3 ] && ok "euicc show: 3 cards on MNO-B's profile (enabled, fall-back), MNO-A's deleted, notifications confirmed" \
  || bad "cards: $n of 3 as expected"
for l in smsc smsr smdp euicc; do [ -s "$tmp/d/logs/$l.log" ] || bad "no log $l"; done
[ "$(awk '{print $1}' "$tmp/d/pids" | sort | tr '\n' ' ')" = "euicc smdp smsc smsr " ] && ok "4 daemons started (DIR/pids)" \
  || bad "pids: $(cat "$tmp/d/pids")"
[ -z "$(left "$tmp/d")" ] && ok "no process left after the run" || bad "left running: $(left "$tmp/d")"

# SIGINT in the middle (cards up, downloads running): the demo stops everything it started.
"$RSP" demo --euiccs 8 --concurrency 1 --keep "$tmp/i" --profile "$PKG" >"$tmp/i.out" 2>&1 &
DEMO_PID=$!
for i in $(seq 300); do grep -q "^smdp " "$tmp/i/pids" 2>/dev/null && break; sleep 0.1; done
sleep 0.5
kill -INT $DEMO_PID
for i in $(seq 150); do kill -0 $DEMO_PID 2>/dev/null || break; sleep 0.1; done
kill -0 $DEMO_PID 2>/dev/null && bad "demo still running 15 s after SIGINT"
wait $DEMO_PID; rc=$?; DEMO_PID=
[ $rc = 1 ] && grep -q "stopped (signal)" "$tmp/i.out" && ok "SIGINT: exit 1, stopped" || bad "SIGINT exit $rc: $(tail -5 "$tmp/i.out")"
[ "$(wc -l <"$tmp/i/pids")" = 4 ] && [ -z "$(left "$tmp/i")" ] && ok "SIGINT: the 4 daemons it started are gone" \
  || bad "after SIGINT: left $(left "$tmp/i") of $(cat "$tmp/i/pids")"

"$RSP" demo --euiccs 0 >/dev/null 2>&1; [ $? = 2 ] && ok "--euiccs 0: usage (2)" || bad "--euiccs 0"
"$RSP" demo --transport carrier-pigeon >/dev/null 2>&1; [ $? = 2 ] && ok "--transport bogus: usage (2)" || bad "--transport"
"$RSP" demo --keep "$tmp/d" >/dev/null 2>&1; [ $? = 2 ] && ok "--keep of a used directory: usage (2)" || bad "--keep used"
"$RSP" demo --faults -3 >/dev/null 2>&1; [ $? = 2 ] && ok "--faults -3: usage (2)" || bad "--faults"
"$RSP" demo --help | grep -q -- "--euiccs N" && ok "--help" || bad "--help"

# SCP80 over SMPP only (--transport sms: no admin server, so the download's SCP03t goes by SMS too,
# ~9 SMS per 1 KB segment; the smallest TS.48 package, 2 cards): switched, no admin session at all.
SMALL=${RSP_SHARED_DIR}/profiles/TS48v7_SAIP2.3_NoBERTLV_NoRAMRFM.der
out=$("$RSP" demo --euiccs 2 --concurrency 2 --transport sms --json --keep "$tmp/s" --profile "$SMALL" 2>"$tmp/s.err"); rc=$?
J=$(echo "$out" | tail -1)
[ $rc = 0 ] && [ "$(v '[.enabled, .old_deleted, .consistent, .transport] | map(tostring) | join(" ")')" = "2 2 2 sms" ] &&
  [ "$(v '(.https_sessions // 0) == 0 and .sms_out > 100')" = true ] && ! grep -q "admin server listening" "$tmp/s/logs/smsr.log" &&
  ok "--transport sms: 2 cards switched over SCP80/SMPP only ($(v .sms_out) SMS to the cards, no admin server)" ||
  bad "--transport sms exit $rc: $(v '{sms_out, https_sessions, error, failures}') $(tail -5 "$tmp/s.err")"
[ -z "$(left "$tmp/s")" ] || bad "left running after the SMS run"

# On PostgreSQL, and with ES5 over HTTPS only (the SM-SR's --es5-transport https); the human summary.
if [ -n "${RSP_PG_DSN:-}" ]; then
  out=$("$RSP" demo --euiccs 2 --concurrency 1 --store postgres --transport https --keep "$tmp/pg" --profile "$PKG" 2>&1)
  rc=$?
  [ $rc = 0 ] && echo "$out" | grep -q "registered 2, downloaded 2, enabled 2, old deleted 2, audited 2 (card = SM-SR: 2), failed 0" &&
    echo "$out" | grep -q "(store postgresql, transport https)" && ok "PostgreSQL, ES5 over HTTPS: 2 cards switched" \
    || bad "PostgreSQL/https ($rc): $out"
  [ -z "$(left "$tmp/pg")" ] || bad "left running after the PostgreSQL run"
else
  echo "ok - # SKIP PostgreSQL / HTTPS run: RSP_PG_DSN unset (scripts/with-pg sets it)"
fi
# Under ASan/UBSan the children report into their logs, which nobody else reads.
san=$(grep -l "ERROR: AddressSanitizer\|ERROR: LeakSanitizer\|runtime error:" "$tmp"/*/logs/*.log "$tmp"/*.err "$tmp"/*.out 2>/dev/null)
[ -z "$san" ] && ok "no sanitizer report in any log" || bad "sanitizer reports in: $san"
exit $fail
