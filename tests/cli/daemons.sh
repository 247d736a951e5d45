# Shared by the daemon tests (test_smsr_e2e.sh, test_smsr_es3.sh, test_smdp_e2e.sh); sourced, not run.
# Gives: $BIN, $PKG, a scratch $tmp removed at exit with every pid in pids() killed (so a failing test
# still stops what it started), ok/bad reporting, a random loopback port, and make_fleet.
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
# A port for something that cannot take port 0. Below Linux's ephemeral range (32768-60999): a port
# from inside it could be the local end of some other test's connection, and the bind then failed.
port() { echo $((10000 + (RANDOM * 7 + $$) % 22000)); }

# start_smsc: rsp smsc on a port the kernel picks (--port-file), its log in $tmp/smsc.log; sets SP and
# SMSC_PID. A test that restarts it gives SP back: `--listen 127.0.0.1:$SP`.
start_smsc() {
  rm -f "$tmp/smsc.port"
  "$BIN" smsc --listen 127.0.0.1:0 --port-file "$tmp/smsc.port" >>"$tmp/smsc.log" 2>&1 &
  SMSC_PID=$!; pids+=($SMSC_PID)
  for _ in $(seq 200); do [ -s "$tmp/smsc.port" ] && break; sleep 0.05; done
  SP=$(tr -dc 0-9 <"$tmp/smsc.port" 2>/dev/null)
  [ -n "$SP" ] || { bad "rsp smsc did not start: $(tail -3 "$tmp/smsc.log")"; exit 1; }
}

# make_fleet COUNT MSISDN_START SMSR_MSISDN: a PKI (CI, EUM-T) in $tmp/pki and $tmp/eum and COUNT
# cards in $tmp/fleet with their keys in $tmp/keys.jsonl; exits the test when that fails.
make_fleet() {
  "$BIN" ci init --dir "$tmp/pki" >/dev/null && "$BIN" ci issue --dir "$tmp/pki" --role eum --id EUM-T --out "$tmp/eum" >/dev/null &&
    "$BIN" eum make --ci "$tmp/pki" --eum "$tmp/eum" --profile "$PKG" --smsr-id SMSR-T --count "$1" --out "$tmp/fleet" \
      --keys-out "$tmp/keys.jsonl" --transport-key 000102030405060708090a0b0c0d0e0f --msisdn-start "$2" \
      --smsr-msisdn "$3" >/dev/null 2>&1 || { bad "fleet setup"; exit 1; }
}

# wait_fleet SOCK LOG: rsp euicc run is up (its control socket) and all its binds to the SMSC are up. The
# SMSC stores nothing: an SMS to a card not bound yet is refused, and an ES3 call sent then (CreateISDP,
# SendData: not engine operations) is never resent, so a loaded machine made such tests time out.
wait_fleet() {
  for _ in $(seq 300); do
    [ -S "$1" ] && grep -qE 'bound to the SMSC.*binds_up=([0-9]+) of=\1( |$)' "$2" && return 0
    sleep 0.1
  done
  return 0
}
