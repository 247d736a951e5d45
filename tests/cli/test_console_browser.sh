#!/usr/bin/env bash
# The SM-SR web console in a real headless browser (tests/browser/console_browser.py: Debian's
# chromium + chromium-driver driven by python3-selenium), loaded while the SM-SR works: rsp smsc,
# rsp smsr run --console-listen, a campaign of ES4.AuditEIS calls (FCIDs "batch1-<EID>") queued by
# rsp smsr submit, and rsp euicc run with the 4 cards started once the page shows the campaign. The screenshot of the
# campaign view is kept under the test's tmp (or in $RSP_CONSOLE_SHOT_DIR when set). Skips (exit 0
# with a clear line) when the browser stack is not installed (scripts/setup installs it).
. "$(dirname "$0")/daemons.sh"
for c in chromium chromedriver; do
  command -v $c >/dev/null || { echo "ok - # SKIP $c not installed (scripts/setup: chromium chromium-driver python3-selenium)"; exit 0; }
done
PY= # Debian's python3-selenium lives in the system python, which a pyenv python3 on PATH does not see
for p in /usr/bin/python3 python3; do "$p" -c 'import selenium' 2>/dev/null && { PY=$p; break; }; done
[ -n "$PY" ] || { echo "ok - # SKIP python3-selenium not installed (scripts/setup)"; exit 0; }

SMSR=447700100994
N=4
make_fleet $N 447700900140 $SMSR
EIDS=($(ls "$tmp/fleet/eis" | sed -n 's/\.json$//p' | sort))
XSS='<img src=x onerror=alert(1)>'
f="$tmp/fleet/eis/${EIDS[1]}.json"
jq --arg x "$XSS" '.eis.profiles[0].profileType = $x' "$f" >"$f.x" && mv "$f.x" "$f"
DB="sqlite:$tmp/smsr.db"
"$BIN" smsr import --db "$DB" --keys "$tmp/keys.jsonl" "$tmp"/fleet/eis/*.json >/dev/null 2>&1 || bad "import"
TOK=$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')
echo "$TOK MNO1" >"$tmp/tokens"

start_smsc
"$BIN" smsr run --db "$DB" --smsc 127.0.0.1:$SP --msisdn $SMSR --tick-ms 100 --por-wait 2 \
  --console-listen 127.0.0.1:0 --console-port-file "$tmp/con.port" --console-token-file "$tmp/tokens" \
  >"$tmp/smsr.log" 2>&1 &
pids+=($!)
for _ in $(seq 300); do [ -s "$tmp/con.port" ] && break; sleep 0.1; done
CP=$(tr -dc 0-9 <"$tmp/con.port" 2>/dev/null)
[ -n "$CP" ] || { bad "console did not start: $(tail -3 "$tmp/smsr.log")"; exit 1; }
# The batch is queued by the browser script (it runs $tmp/submit.sh) once the first views are
# checked, so the SM-SR's resend back-off (2 s doubling) has not grown by the time the cards come up.
for e in "${EIDS[@]}"; do
  icc=$(jq -r '.eis.profiles[0].iccid' "$tmp/fleet/eis/$e.json")
  [ "$e" = "${EIDS[1]}" ] && XSS_ICCID=$icc
  echo "\"$BIN\" smsr submit --db \"$DB\" --fn ES4.AuditEIS --eid $e --iccid $icc --requester MNO1 --fcid batch1-$e >/dev/null"
done >"$tmp/submit.sh"
# The cards come up only when the page shows the campaign (the script touches $tmp/go), so its
# counters are seen moving: until then every SMS to them is refused and the SM-SR resends after 2 s, doubling.
( for _ in $(seq 1200); do [ -e "$tmp/go" ] && break; sleep 0.2; done
  exec "$BIN" euicc run --fleet "$tmp/fleet" --smsc 127.0.0.1:$SP --control "$tmp/ctl.sock" --tick-ms 50 >"$tmp/run.log" 2>&1 ) &
pids+=($!)
SHOT=${RSP_CONSOLE_SHOT_DIR:-$tmp}/console_campaign.png
mkdir -p "$(dirname "$SHOT")" "$tmp/chrome"
CONSOLE_URL="http://127.0.0.1:$CP" CONSOLE_TOKEN=$TOK EIDS="${EIDS[*]}" XSS_ICCID=$XSS_ICCID XSS=$XSS SHOT=$SHOT \
  BATCH=$N PROFILE_DIR="$tmp/chrome" GO_FILE="$tmp/go" SUBMIT="$tmp/submit.sh" timeout 240 "$PY" "$(dirname "$0")/../browser/console_browser.py"
rc=$?
if [ $rc = 77 ]; then echo "ok - # SKIP browser stack incomplete"; exit 0; fi
[ $rc = 0 ] || { bad "browser checks (rc=$rc)"; tail -20 "$tmp/smsr.log"; }
exit $fail
