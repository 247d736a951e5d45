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

# smsr_world [DIGIT [ "ROLE ID OUT"...]]: the SM-SR's store $DB with the fleet's EIS imported (ISD-R keys
# sealed under the master key $tmp/mk, 64 times DIGIT, default 7), and a certificate from $tmp/pki for each
# "ROLE ID OUT" (default: the SM-SR, SM-DP DP1 and Operator MNO1 as $tmp/sr, $tmp/dp1 and $tmp/mno1).
smsr_world() {
  local digit=${1:-7} r role id out
  [ $# -gt 0 ] && shift
  [ $# -gt 0 ] || set -- "smsr SMSR-T sr" "smdp DP1 dp1" "operator MNO1 mno1"
  DB="sqlite:$tmp/smsr.db"
  printf '%064d\n' "$digit" >"$tmp/mk"
  "$BIN" smsr import --db "$DB" --master-key "$tmp/mk" --keys "$tmp/keys.jsonl" "$tmp"/fleet/eis/*.json >"$tmp/imp" 2>&1 \
    || bad "import: $(cat "$tmp/imp")"
  for r in "$@"; do
    read -r role id out <<<"$r"
    "$BIN" ci issue --dir "$tmp/pki" --role "$role" --id "$id" --out "$tmp/$out" >/dev/null || bad "certificate $id"
  done
}

# smdp_pool TYPE PACKAGE COUNT ICCID_PREFIX: the SM-DP inventory $D ($tmp/dp): PACKAGE as Operator MNO1's
# profile type TYPE and COUNT generated identities.
smdp_pool() {
  D=$tmp/dp
  "$BIN" smdp import package --dir "$D" --operator MNO1 --type "$1" "$2" >"$tmp/impp" 2>&1 &&
    "$BIN" smdp import generate --dir "$D" --operator MNO1 --type "$1" --count "$3" --iccid-prefix "$4" \
    >>"$tmp/impp" 2>&1 || bad "smdp inventory: $(cat "$tmp/impp")"
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
