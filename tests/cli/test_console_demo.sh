#!/usr/bin/env bash
# The SM-SR web console during a running `rsp demo` (issue 12: tested in a real headless browser,
# "including a screenshot taken during a running demo"): rsp demo --euiccs N --keep DIR runs every
# daemon; once it prints its console line, tests/browser/demo_shot.py logs in with the demo's token
# (DIR/console.token), checks the fleet and campaign views show the demo's real cards and operations,
# and saves a screenshot while the demo process is still running; then the demo must end 0 (every card
# switched). Skips cleanly when the browser stack is not installed (scripts/setup installs it).
. "$(dirname "$0")/daemons.sh"
for c in chromium chromedriver; do
  command -v $c >/dev/null || { echo "ok - # SKIP $c not installed (scripts/setup: chromium chromium-driver python3-selenium)"; exit 0; }
done
PY=
for p in /usr/bin/python3 python3; do "$p" -c 'import selenium' 2>/dev/null && { PY=$p; break; }; done
[ -n "$PY" ] || { echo "ok - # SKIP python3-selenium not installed (scripts/setup)"; exit 0; }
command -v jq >/dev/null || { echo "FAIL - needs jq"; exit 1; }

N=16
"$BIN" demo --euiccs $N --keep "$tmp/demo" --json >"$tmp/demo.out" 2>"$tmp/demo.err" &
DEMO_PID=$!; pids+=($DEMO_PID)
line=
for _ in $(seq 1200); do
  line=$(grep -m1 '^console: http' "$tmp/demo.err" 2>/dev/null) && break
  kill -0 $DEMO_PID 2>/dev/null || break
  sleep 0.1
done
[ -n "$line" ] || { bad "no console line from rsp demo: $(tail -5 "$tmp/demo.err")"; exit 1; }
URL=$(echo "$line" | sed -n 's/^console: \(http[^ ]*\) (token in \(.*\))$/\1/p')
TF=$(echo "$line" | sed -n 's/^console: \(http[^ ]*\) (token in \(.*\))$/\2/p')
[ -n "$URL" ] && [ -s "$TF" ] && [ "$(stat -c %a "$TF")" = 600 ] && ok "rsp demo printed its console: $URL (token file 0600)" \
  || bad "console line '$line' / token file $TF"
TOK=$(awk '{print $1; exit}' "$TF")
SHOT=${RSP_CONSOLE_SHOT_DIR:-$tmp}/console_demo.png
mkdir -p "$(dirname "$SHOT")" "$tmp/chrome"
CONSOLE_URL=$URL CONSOLE_TOKEN=$TOK N=$N DEMO_PID=$DEMO_PID SHOT=$SHOT PROFILE_DIR="$tmp/chrome" \
  timeout 240 "$PY" "$(dirname "$0")/../browser/demo_shot.py"
rc=$?
if [ $rc = 77 ]; then echo "ok - # SKIP browser stack incomplete"; exit 0; fi
[ $rc = 0 ] || bad "browser checks during the demo (rc=$rc)"
wait $DEMO_PID; drc=$?
J=$(tail -1 "$tmp/demo.out")
[ $drc = 0 ] && [ "$(echo "$J" | jq -r .enabled)" = $N ] && [ "$(echo "$J" | jq -r .console_url)" = "$URL" ] &&
  ok "the demo ended 0 with all $N cards on operator B; its JSON names the same console URL" \
  || bad "demo rc=$drc: $J $(tail -5 "$tmp/demo.err")"
exit $fail
