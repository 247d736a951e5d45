#!/usr/bin/env bash
# rsp euicc run / ctl from the outside: --help, usage errors (exit 2), an unreachable daemon (exit 1),
# a missing fleet, and a control socket path that is a regular file (refused, file left alone).
# The daemon's behaviour over SMPP and SCP81 is tested by tests/unit/test_euicc_fleet_e2e.c and _dl.c.
set -u
BIN=${RSP_BIN:?}
PKG=${RSP_SHARED_DIR:?}/profiles/TS48v7_SAIP2.3_NoBERTLV.der
tmp=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null; done; rm -rf "$tmp"; }
trap cleanup EXIT
fail=0
ok() { echo "ok - $*"; }
bad() { echo "FAIL - $*"; fail=1; }
rc_of() { "$@" >"$tmp/out" 2>"$tmp/err"; echo $?; }

[ "$(rc_of "$BIN" euicc run --help)" = 0 ] && grep -q "usage: rsp euicc run --fleet DIR --smsc HOST:PORT" "$tmp/out" \
  && ok "run --help" || bad "run --help"
[ "$(rc_of "$BIN" euicc ctl --help)" = 0 ] && grep -q "net-down EID" "$tmp/out" && ok "ctl --help" || bad "ctl --help"
[ "$(rc_of "$BIN" euicc run)" = 2 ] && grep -q "required" "$tmp/err" && ok "run without arguments: 2" || bad "run no args"
[ "$(rc_of "$BIN" euicc run --fleet "$tmp/f" --smsc nohostport)" = 2 ] && grep -q "HOST:PORT" "$tmp/err" \
  && ok "bad --smsc: 2" || bad "bad --smsc: $(cat "$tmp/err")"
[ "$(rc_of "$BIN" euicc run --fleet "$tmp/f" --smsc 127.0.0.1:1 --binds 9)" = 2 ] && ok "--binds 9: 2" || bad "--binds 9"
[ "$(rc_of "$BIN" euicc run --fleet "$tmp/f" --smsc 127.0.0.1:1 --tick-ms x)" = 2 ] && ok "--tick-ms x: 2" || bad "--tick-ms"
[ "$(rc_of "$BIN" euicc run --fleet "$tmp/f" --smsc 127.0.0.1:1 --system-id abcdefghijklm)" = 2 ] \
  && ok "--system-id too long: 2" || bad "--system-id"
rc=$(rc_of "$BIN" euicc run --fleet "$tmp/none" --smsc 127.0.0.1:1)
[ "$rc" != 0 ] && grep -q "cannot open the fleet" "$tmp/err" && ok "missing fleet: exit $rc" || bad "missing fleet: rc $rc"

[ "$(rc_of "$BIN" euicc ctl status)" = 2 ] && ok "ctl without --control: 2" || bad "ctl no control"
[ "$(rc_of "$BIN" euicc ctl --control "$tmp/none.sock" explode)" = 2 ] && grep -q "unknown command" "$tmp/err" \
  && ok "ctl unknown command: 2" || bad "ctl unknown: $(cat "$tmp/err")"
[ "$(rc_of "$BIN" euicc ctl --control "$tmp/none.sock" drop-sms 101)" = 2 ] && ok "ctl drop-sms 101: 2" || bad "drop 101"
[ "$(rc_of "$BIN" euicc ctl --control "$tmp/none.sock" status)" = 1 ] && grep -q "no answer" "$tmp/err" \
  && ok "ctl with no daemon: 1" || bad "ctl no daemon"

# A real (one-card) fleet; the control path is a regular file: refused, and the file is not deleted.
"$BIN" ci init --dir "$tmp/pki" >/dev/null && "$BIN" ci issue --dir "$tmp/pki" --role eum --id EUM-T --out "$tmp/eum" >/dev/null &&
  "$BIN" eum make --ci "$tmp/pki" --eum "$tmp/eum" --profile "$PKG" --smsr-id SMSR-T --count 1 --out "$tmp/fleet" \
    --transport-key 000102030405060708090a0b0c0d0e0f >/dev/null || { bad "fleet setup"; exit 1; }
echo keep >"$tmp/not-a-socket"
rc=$(rc_of timeout 20 "$BIN" euicc run --fleet "$tmp/fleet" --smsc 127.0.0.1:1 --control "$tmp/not-a-socket")
[ "$rc" = 1 ] && grep -q "cannot listen on control socket" "$tmp/err" && [ "$(cat "$tmp/not-a-socket")" = keep ] \
  && ok "control path is a regular file: refused, file kept" || bad "control file: rc $rc $(cat "$tmp/err")"

# Started, answering, stopped by SIGTERM (exit 0) even with no SMSC reachable.
"$BIN" euicc run --fleet "$tmp/fleet" --smsc 127.0.0.1:1 --control "$tmp/ctl.sock" >"$tmp/run.out" 2>"$tmp/run.err" &
pids+=($!)
for _ in $(seq 1 100); do [ -S "$tmp/ctl.sock" ] && break; sleep 0.1; done
[ "$(rc_of "$BIN" euicc ctl --control "$tmp/ctl.sock" status)" = 0 ] && grep -q "^ok cards=1 binds=1 binds_up=0" "$tmp/out" \
  && ok "status while the SMSC is unreachable" || bad "status: $(cat "$tmp/out" "$tmp/err")"
kill -TERM "${pids[0]}"; wait "${pids[0]}"; rc=$?
[ "$rc" = 0 ] && [ ! -e "$tmp/ctl.sock" ] && grep -q "^stopped" "$tmp/run.out" && ok "SIGTERM: exit 0, socket removed" \
  || bad "SIGTERM: rc $rc"
exit $fail
