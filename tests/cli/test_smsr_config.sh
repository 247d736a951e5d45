#!/bin/bash
# rsp smsr run --config: the daemon starts from a config file alone ([store], [smsr], [smpp]); a flag
# overrides the file; an unknown key or a bad value is a usage error (exit 2) naming file:line and key.
. "$(dirname "$0")/daemons.sh"
command -v curl >/dev/null || { echo "FAIL - needs curl"; exit 1; }

"$BIN" ci init --dir "$tmp/pki" >/dev/null && "$BIN" ci issue --dir "$tmp/pki" --role smsr --id SMSR-T --out "$tmp/sr" >/dev/null ||
  { bad "certificates"; exit 1; }
SP=$(port) # nothing listens there: the ESME keeps reconnecting, the daemon runs regardless
MP=$(port)
cat >"$tmp/smsr.ini" <<INI
; rsp smsr run from this file alone
[store]
uri = sqlite:$tmp/sr.db
[smpp]
host = 127.0.0.1
port = $SP
password = "s3c;r#t"
[smsr]
msisdn = 447700900000
worker = cfg1
listen = 127.0.0.1:0
port_file = $tmp/file.port
metrics_listen = 127.0.0.1:$MP
tls_cert = $tmp/sr/tls.crt.pem
tls_key = $tmp/sr/key.pem
tls_ca = $tmp/sr/ca.crt.pem
tick_ms = 100
INI

wait_file() { for _ in $(seq 1 100); do [ -s "$1" ] && return 0; sleep 0.1; done; return 1; }
stop() { kill -TERM "$1" 2>/dev/null; for _ in $(seq 1 100); do kill -0 "$1" 2>/dev/null || break; sleep 0.1; done; wait "$1"; }

# 1. the file alone
"$BIN" smsr run --config "$tmp/smsr.ini" 2>"$tmp/run1.log" &
P=$!; pids+=($P)
if wait_file "$tmp/file.port"; then
  m=$(curl -s --max-time 5 "http://127.0.0.1:$MP/metrics")
  echo "$m" | grep -q '^rsp_smsr_operations{state="queued"} ' && ok "started from the file: port_file written, metrics_listen serves /metrics" ||
    bad "metrics_listen from the file: $(echo "$m" | head -3)"
  grep -q 'worker=cfg1' "$tmp/run1.log" && ok "[smsr] worker read" || bad "worker not from the file: $(grep running "$tmp/run1.log")"
  grep -q "smsc=127.0.0.1:$SP" "$tmp/run1.log" && ok "[smpp] host/port read" || bad "smsc not from the file"
  grep -q 's3c' "$tmp/run1.log" && bad "the SMPP password reached the log" || ok "password not logged"
else
  bad "no port file from [smsr] port_file: $(tail -3 "$tmp/run1.log")"
fi
stop $P && ok "SIGTERM: exit 0" || bad "exit after SIGTERM not 0"

# 2. flags override the file
rm -f "$tmp/file.port"
"$BIN" smsr run --config "$tmp/smsr.ini" --port-file "$tmp/flag.port" --worker flagw 2>"$tmp/run2.log" &
P=$!; pids+=($P)
if wait_file "$tmp/flag.port"; then
  [ ! -e "$tmp/file.port" ] && ok "--port-file overrides [smsr] port_file" || bad "the file's port_file was written too"
  grep -q 'worker=flagw' "$tmp/run2.log" && ok "--worker overrides [smsr] worker" || bad "worker: $(grep running "$tmp/run2.log")"
else
  bad "no port file from --port-file: $(tail -3 "$tmp/run2.log")"
fi
stop $P

# 3. the environment overrides the file too (RSP_<SECTION>_<KEY>)
RSP_SMSR_WORKER=envw "$BIN" smsr run --config "$tmp/smsr.ini" --port-file "$tmp/env.port" 2>"$tmp/run3.log" &
P=$!; pids+=($P)
wait_file "$tmp/env.port" && grep -q 'worker=envw' "$tmp/run3.log" && ok "RSP_SMSR_WORKER overrides the file" ||
  bad "environment: $(grep running "$tmp/run3.log")"
stop $P

# 4. refused: unknown key (also a builtin row this daemon never reads), bad value, bad choice
refused() { # NAME LINE KEY INI-TEXT
  printf '%s\n' "$4" >"$tmp/bad.ini"
  timeout 20 "$BIN" smsr run --config "$tmp/bad.ini" >/dev/null 2>"$tmp/bad.err"
  rc=$?
  [ $rc -eq 2 ] && grep -q "bad.ini:$2:" "$tmp/bad.err" && grep -q "$3" "$tmp/bad.err" && ok "refused: $1 (exit 2, bad.ini:$2, $3)" ||
    bad "$1: rc=$rc $(cat "$tmp/bad.err")"
}
refused "unknown key" 3 "lisen" "[smsr]
msisdn = 1
lisen = 127.0.0.1:0"
refused "key of the old plan, not read" 2 "workers" "[smsr]
workers = 4"
refused "[es4] listener nobody opens" 2 "es4" "[es4]
listen = 127.0.0.1:8444"
refused "integer out of range" 3 "port" "[smpp]
host = h
port = 70000"
refused "bad choice" 2 "es5_transport" "[smsr]
es5_transport = pigeon"
refused "malformed line" 2 "bad.ini:2" "[smsr]
msisdn"
timeout 20 "$BIN" smsr run --config "$tmp/none.ini" >/dev/null 2>"$tmp/none.err"
[ $? -eq 2 ] && grep -q "none.ini" "$tmp/none.err" && ok "a missing config file: exit 2 naming it" || bad "missing file: $(cat "$tmp/none.err")"
# a refused value is never echoed (it may be a secret)
printf '[smpp]\nport = s3cr3t-port\n' >"$tmp/sec.ini"
timeout 20 "$BIN" smsr run --config "$tmp/sec.ini" >/dev/null 2>"$tmp/sec.err"
[ $? -eq 2 ] && grep -q "sec.ini:2" "$tmp/sec.err" && ! grep -q s3cr3t "$tmp/sec.err" && ok "a bad value is not echoed" ||
  bad "bad value echo: $(cat "$tmp/sec.err")"
# --smsc goes through the one host:port parser: the fault is named, nothing starts
for v in "nohostport:no port" "127.0.0.1:99999:from 0 to 65535" "::1:2775:brackets" "127.0.0.1:0:not port 0"; do
  arg=${v%:*}; want=${v##*:}
  timeout 20 "$BIN" smsr run --db "sqlite:$tmp/x.db" --msisdn 447700100997 --smsc "$arg" >/dev/null 2>"$tmp/hp.err"
  [ $? -eq 2 ] && grep -q -- "--smsc wants HOST:PORT" "$tmp/hp.err" && grep -qi "$want" "$tmp/hp.err" &&
    ok "--smsc $arg: exit 2 ($want)" || bad "--smsc $arg: $(cat "$tmp/hp.err")"
done
[ ! -e "$tmp/x.db" ] && ok "a bad --smsc opens no store" || bad "a bad --smsc created $tmp/x.db"
exit $fail
