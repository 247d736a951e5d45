#!/bin/bash
# docs/ops (Grafana dashboard, Prometheus alert rules) against the real daemons: `rsp smsr run` (with its
# SCP81 admin listener, so the rsp_smsr_admin_* families exist) and `rsp smdp run` are started from config
# files on loopback, their /metrics read, and every metric name used by an alert or a panel must be
# exposed by the daemon that owns it (tests/cli/ops_monitoring_check.py, which also checks the rules'
# YAML structure and the dashboard's JSON). The checker is shown to fail on a misspelled metric. With
# promtool on PATH (Debian's prometheus package; not installed by scripts/setup because it starts a
# server) both files are also parsed by Prometheus's own parser. Then the two SM-SR families added for
# the dashboard move as they should: an operation for a card that is not on the network yet shows as the
# oldest in-flight operation with a growing age; once the card is up, its PoR is counted in
# rsp_smsr_por_seconds (never more PoRs than SMS the SMSC delivered to the SM-SR) and the age is 0 again.
# Prometheus's Python client (python3-prometheus-client) parses both expositions as an outside check.
. "$(dirname "$0")/daemons.sh"
command -v curl >/dev/null || { echo "FAIL - needs curl"; exit 1; }
SRC=${RSP_SOURCE_DIR:?}
OPS=$SRC/docs/ops
PY=/usr/bin/python3 # Debian's, with python3-yaml (scripts/setup); a pyenv shim starts slower
$PY -c 'import yaml, prometheus_client' 2>/dev/null || PY=python3
$PY -c 'import yaml, prometheus_client' 2>/dev/null ||
  { echo "FAIL - needs python3-yaml and python3-prometheus-client (scripts/setup)"; exit 1; }

"$BIN" ci init --dir "$tmp/opki" >/dev/null &&
  "$BIN" ci issue --dir "$tmp/opki" --role smsr --id SMSR-T --out "$tmp/osr" >/dev/null &&
  "$BIN" ci issue --dir "$tmp/opki" --role smdp --id SMDP-T --out "$tmp/odp" >/dev/null &&
  "$BIN" ci issue --dir "$tmp/opki" --role eum --id EUM-T --out "$tmp/oeum" >/dev/null || { bad "certificates"; exit 1; }

start_smsc
cat >"$tmp/smsr.ini" <<INI
[store]
uri = sqlite:$tmp/sr.db
[smpp]
host = 127.0.0.1
port = $SP
[smsr]
msisdn = 447700900000
listen = 127.0.0.1:0
port_file = $tmp/sr.port
metrics_listen = 127.0.0.1:0
tls_cert = $tmp/osr/tls.crt.pem
tls_key = $tmp/osr/key.pem
tls_ca = $tmp/osr/ca.crt.pem
por_wait_s = 2
[scp81]
listen = 127.0.0.1:0
port_file = $tmp/adm.port
INI
cat >"$tmp/smdp.ini" <<INI
[smdp]
dir = $tmp/dpdir
listen = 127.0.0.1:0
port_file = $tmp/dp.port
metrics_listen = 127.0.0.1:0
ci = $tmp/opki
dp = $tmp/odp
eum = $tmp/oeum
[es3]
url = https://127.0.0.1:1/
INI
"$BIN" smsr run --config "$tmp/smsr.ini" >"$tmp/smsr.log" 2>&1 &
pids+=($!)
"$BIN" smdp run --config "$tmp/smdp.ini" >"$tmp/smdp.log" 2>&1 &
pids+=($!)

# metrics_port from the daemon's "listening" line, then its /metrics into $2
scrape() {
  local mp=""
  for _ in $(seq 600); do
    mp=$(grep -o 'metrics_port=[0-9]*' "$1" | tail -1 | cut -d= -f2)
    [ -n "$mp" ] && break
    sleep 0.1
  done
  [ -n "$mp" ] && curl -sS --max-time 20 "http://127.0.0.1:$mp/metrics" >"$2" && grep -q '^# TYPE rsp_build_info gauge' "$2"
}
scrape "$tmp/smsr.log" "$tmp/smsr.txt" && ok "rsp smsr run: /metrics read" || { bad "smsr /metrics: $(tail -3 "$tmp/smsr.log")"; exit 1; }
scrape "$tmp/smdp.log" "$tmp/smdp.txt" && ok "rsp smdp run: /metrics read" || { bad "smdp /metrics: $(tail -3 "$tmp/smdp.log")"; exit 1; }
grep -q '^rsp_build_info{daemon="smsr"' "$tmp/smsr.txt" && grep -q '^rsp_build_info{daemon="smdp"' "$tmp/smdp.txt" &&
  ok "rsp_build_info names each daemon (the rules' absent() checks select on it)" || bad "rsp_build_info daemon label"
# the two families added for the dashboard exist from the start (an alert needs a series to compare)
grep -q '^rsp_smsr_operation_oldest_seconds{state="queued"} 0$' "$tmp/smsr.txt" &&
  grep -q '^rsp_smsr_por_seconds_count 0$' "$tmp/smsr.txt" &&
  ok "rsp_smsr_operation_oldest_seconds and rsp_smsr_por_seconds exposed at 0" || bad "new SM-SR families: $(grep -E 'oldest|por_' "$tmp/smsr.txt")"

out=$($PY "$SRC/tests/cli/ops_monitoring_check.py" "$OPS/openrsp-alerts.yml" "$OPS/openrsp-dashboard.json" \
  "$tmp/smsr.txt" "$tmp/smdp.txt" "$tmp/dashboard-rules.yml" 2>&1) &&
  ok "alerts and dashboard: $out" || bad "docs/ops: $out"

# the checker can fail: a misspelled metric, an alert without severity, a panel with a broken query
sed 's/rsp_smsr_operation_oldest_seconds{state="queued"}/rsp_smsr_operation_oldest_secs{state="queued"}/' \
  "$OPS/openrsp-alerts.yml" >"$tmp/bad-alerts.yml"
out=$($PY "$SRC/tests/cli/ops_monitoring_check.py" "$tmp/bad-alerts.yml" "$OPS/openrsp-dashboard.json" \
  "$tmp/smsr.txt" "$tmp/smdp.txt" 2>&1)
[ $? -eq 1 ] && echo "$out" | grep -q 'rsp_smsr_operation_oldest_secs' && ok "a misspelled metric in a rule is caught" ||
  bad "misspelled metric not caught: $out"
sed '0,/severity: critical/s//severity: loud/' "$OPS/openrsp-alerts.yml" >"$tmp/bad-sev.yml"
$PY "$SRC/tests/cli/ops_monitoring_check.py" "$tmp/bad-sev.yml" "$OPS/openrsp-dashboard.json" "$tmp/smsr.txt" \
  "$tmp/smdp.txt" 2>&1 | grep -q 'labels.severity' && ok "a bad severity is caught" || bad "bad severity not caught"
sed '0,/"expr": "max by (state) (/s//"expr": "max by (state) ((/' "$OPS/openrsp-dashboard.json" >"$tmp/bad-dash.json"
$PY "$SRC/tests/cli/ops_monitoring_check.py" "$OPS/openrsp-alerts.yml" "$tmp/bad-dash.json" "$tmp/smsr.txt" \
  "$tmp/smdp.txt" 2>&1 | grep -q 'unbalanced' && ok "an unbalanced panel query is caught" || bad "broken query not caught"

PROMTOOL=${RSP_PROMTOOL:-$(command -v promtool || true)}
if [ -n "$PROMTOOL" ]; then
  "$PROMTOOL" check rules "$OPS/openrsp-alerts.yml" >"$tmp/pt1.log" 2>&1 && ok "promtool check rules: alert rules" ||
    bad "promtool on the alerts: $(cat "$tmp/pt1.log")"
  "$PROMTOOL" check rules "$tmp/dashboard-rules.yml" >"$tmp/pt2.log" 2>&1 && ok "promtool parses every dashboard query" ||
    bad "promtool on the dashboard queries: $(cat "$tmp/pt2.log")"
else
  echo "ok - promtool not on PATH: the PromQL was checked by the python checker only (brackets, quotes, names)"
fi

# The families move: an operation for a card that is offline, then online.
SMSR=447700900000
make_fleet 1 447700900301 $SMSR
E0=$(ls "$tmp/fleet/eis" | sed -n 's/\.json$//p' | head -1)
ICC0=$(grep -o '"iccid": *"[0-9]*"' "$tmp/fleet/eis/$E0.json" | head -1 | grep -o '[0-9]\{10,\}')
"$BIN" smsr import --db "sqlite:$tmp/sr.db" --keys "$tmp/keys.jsonl" "$tmp"/fleet/eis/*.json >"$tmp/imp" 2>&1 ||
  { bad "import: $(cat "$tmp/imp")"; exit 1; }
op=$("$BIN" smsr submit --db "sqlite:$tmp/sr.db" --json --fn ES4.AuditEIS --eid "$E0" --iccid "$ICC0" --requester MNO1 \
  --fcid mon1 2>"$tmp/sub.err" | sed -n 's/.*"op": *\([0-9]*\).*/\1/p')
[ -n "$op" ] || { bad "submit: $(cat "$tmp/sub.err")"; exit 1; }
MP=$(grep -o 'metrics_port=[0-9]*' "$tmp/smsr.log" | tail -1 | cut -d= -f2)
val() { curl -sS --max-time 20 "http://127.0.0.1:$MP/metrics" | awk -v k="$1" '$1 == k {print $2}'; }
age=0
for _ in $(seq 300); do
  age=$(val 'rsp_smsr_operation_oldest_seconds{state="awaiting"}')
  [ "${age:-0}" -ge 2 ] 2>/dev/null && break
  age=$(val 'rsp_smsr_operation_oldest_seconds{state="sent"}')
  [ "${age:-0}" -ge 2 ] 2>/dev/null && break
  sleep 0.2
done
[ "${age:-0}" -ge 2 ] 2>/dev/null && ok "a card offline: its operation is the oldest in flight, age ${age} s and growing" ||
  bad "oldest in-flight age stayed ${age:-none}: $(grep oldest "$tmp/smsr.txt")"
"$BIN" euicc run --fleet "$tmp/fleet" --smsc 127.0.0.1:$SP --control "$tmp/ctl.sock" --tick-ms 50 >"$tmp/run.log" 2>&1 &
pids+=($!)
wait_fleet "$tmp/ctl.sock" "$tmp/run.log"
# the engine resends after por_wait_s (2 s) doubling: the card may wait a while for the next resend
st=""
t=$((SECONDS + 180))
while [ $SECONDS -lt $t ]; do
  st=$("$BIN" smsr result --db "sqlite:$tmp/sr.db" --op "$op" --json 2>/dev/null | sed -n 's/.*"state": *"\([a-z]*\)".*/\1/p')
  case "$st" in done|failed|expired) break ;; esac
  sleep 0.1
done
[ "$st" = done ] && ok "the card came up: AuditEIS done" || bad "AuditEIS: $st"
por=$(val rsp_smsr_por_seconds_count); inf=$(val 'rsp_smsr_por_seconds_bucket{le="+Inf"}'); sin=$(val rsp_smsr_sms_in_total)
# outside the SM-SR: what the SMSC delivered to it (every PoR is at least one deliver_sm)
[ "${por:-0}" -ge 1 ] && [ "$por" = "$inf" ] && [ "$por" -le "${sin:-0}" ] &&
  ok "rsp_smsr_por_seconds counted $por PoR(s) (<= $sin SMS in), _count = +Inf bucket" ||
  bad "PoR histogram: count=$por inf=$inf sms_in=$sin"
# outside the project: Prometheus's Python client parses both expositions (the SM-SR's with a PoR
# observed): every family with the type it declares, histograms cumulative with _count = the +Inf bucket
curl -sS --max-time 20 "http://127.0.0.1:$MP/metrics" >"$tmp/smsr2.txt"
out=$($PY - "$tmp/smsr2.txt" "$tmp/smdp.txt" <<'PY' 2>&1
import re, sys
from prometheus_client.parser import text_string_to_metric_families
for path in sys.argv[1:]:
    text = open(path).read()
    declared = dict(re.findall(r"^# TYPE (\S+) (\S+)$", text, re.M))
    # the client names a counter X_total family X: the gauge rsp_outbox_dead and the counter
    # rsp_outbox_dead_total then share a name (Prometheus keeps them apart); match by type too
    fams = {}
    for f in text_string_to_metric_families(text):
        fams[(f.name, f.type)] = f
    for name, typ in declared.items():
        base = name[:-6] if typ == "counter" and name.endswith("_total") else name
        f = fams.get((base, typ))
        assert f is not None, (path, name, typ, "not parsed with its type")
        if typ == "histogram":
            series = {}
            for s in f.samples:
                key = tuple(sorted((k, v) for k, v in s.labels.items() if k != "le"))
                series.setdefault(key, {})[s.name[len(name):] + (s.labels.get("le") or "")] = s.value
            for key, v in series.items():
                bk = [v[k] for k in v if k.startswith("_bucket")]
                assert bk == sorted(bk) and v["_bucket+Inf"] == v["_count"], (name, key, v)
    print(f"{path.split('/')[-1]}: {len(declared)} families", end="; ")
PY
)
[ $? -eq 0 ] && ok "prometheus_client parses both /metrics: $out" || bad "prometheus_client: $out"
a1=$(val 'rsp_smsr_operation_oldest_seconds{state="awaiting"}'); a2=$(val 'rsp_smsr_operation_oldest_seconds{state="sent"}')
[ "$a1" = 0 ] && [ "$a2" = 0 ] && ok "nothing in flight: oldest ages back to 0" || bad "ages after done: awaiting=$a1 sent=$a2"
exit $fail
