#!/usr/bin/env bash
# The SM-SR web console (docs/modules/console.md) black-box: a real `rsp smsr run --console-listen`
# (and rsp smsc) over loopback with 3 cards from `rsp eum make`, one of them carrying an XSS-shaped
# profile type, and operations queued by `rsp smsr submit` (a 3-card campaign "batch1-<EID>" and a
# second operation queued behind it on one card; no card answers, so they stay queued / in flight).
# Checks: 401 without or with a wrong token (API and page); search by EID / ICCID / MSISDN prefix
# with paging (two pages, disjoint, complete); bad input answered 400 naming the fault; the
# XSS-shaped name comes back as \u003c... (no markup anywhere in the JSON); the login form's cookie
# works; actions off by default (403); with --console-actions: the cancel of the queued op (200,
# then failed 8.7/3.8 by `rsp smsr result`, audit row console.cancel by the identity), a cancel
# without X-Requested-With or by an identity not authorised on the profile refused 403, the
# campaign seen with its 3 operations; no key material in any answer (the cards' SCP80 keys);
# --console-mtls: the client certificate's CN is the identity, no certificate no connection.
. "$(dirname "$0")/daemons.sh"
command -v curl >/dev/null && command -v jq >/dev/null || { echo "FAIL - needs curl and jq"; exit 1; }

SMSR=447700100993
make_fleet 3 447700900120 $SMSR
EIDS=($(ls "$tmp/fleet/eis" | sed -n 's/\.json$//p' | sort))
E0=${EIDS[0]}; E2=${EIDS[2]}
XSS='<img src=x onerror=alert(1)>'
f="$tmp/fleet/eis/$E2.json"
jq --arg x "$XSS" '.eis.profiles[0].profileType = $x' "$f" >"$f.x" && mv "$f.x" "$f"
DB="sqlite:$tmp/smsr.db"
"$BIN" smsr import --db "$DB" --keys "$tmp/keys.jsonl" "$tmp"/fleet/eis/*.json >/dev/null 2>&1 || bad "import"
ICC=(); for e in "${EIDS[@]}"; do ICC+=($(jq -r '.eis.profiles[0].iccid' "$tmp/fleet/eis/$e.json")); done
for i in 0 1 2; do
  "$BIN" smsr submit --db "$DB" --fn ES4.AuditEIS --eid "${EIDS[$i]}" --iccid "${ICC[$i]}" --requester MNO1 \
    --fcid "batch1-${EIDS[$i]}" >/dev/null || bad "submit $i"
done
Q=$("$BIN" smsr submit --db "$DB" --fn ES4.AuditEIS --eid "$E0" --iccid "${ICC[0]}" --requester MNO1 --fcid q2 --json |
  jq -r .op) || bad "submit queued"
TOK=0123456789abcdef0123456789abcdef
printf '# console tokens\n%s MNO1\nfedcba9876543210fedcba9876543210 MNO9\n' "$TOK" >"$tmp/tokens"
chmod 600 "$tmp/tokens"

start_smsc
run_smsr() { # extra flags...
  rm -f "$tmp/con.port"
  "$BIN" smsr run --db "$DB" --smsc 127.0.0.1:$SP --msisdn $SMSR --tick-ms 100 --por-wait 30 \
    --console-listen 127.0.0.1:0 --console-port-file "$tmp/con.port" --console-token-file "$tmp/tokens" "$@" \
    >>"$tmp/smsr.log" 2>&1 &
  SMSR_PID=$!; pids+=($SMSR_PID)
  for _ in $(seq 300); do [ -s "$tmp/con.port" ] && break; sleep 0.1; done
  CP=$(tr -dc 0-9 <"$tmp/con.port" 2>/dev/null)
  [ -n "$CP" ] || { bad "console did not start: $(tail -3 "$tmp/smsr.log")"; exit 1; }
  U="http://127.0.0.1:$CP"
}
stop_smsr() { kill -TERM $SMSR_PID; for _ in $(seq 100); do kill -0 $SMSR_PID 2>/dev/null || break; sleep 0.1; done; }
code() { curl -s -o "$tmp/body" -w '%{http_code}' --max-time 20 "$@"; }
api() { curl -s --max-time 20 -H "Authorization: Bearer $TOK" "$U/api/$1"; }

run_smsr
# --- authentication
[ "$(code "$U/api/search?q=8904")" = 401 ] && ok "API without a token: 401" || bad "no token: $(cat "$tmp/body")"
[ "$(code -H 'Authorization: Bearer 0123456789abcdef0123456789abcdee' "$U/api/search")" = 401 ] &&
  ok "API with a wrong token: 401" || bad "wrong token"
[ "$(code "$U/")" = 401 ] && grep -q 'action="/login"' "$tmp/body" && ok "page without a token: 401 with the login form" ||
  bad "page without token"
[ "$(code -D "$tmp/hdr" --data-urlencode "token=$TOK" "$U/login")" = 303 ] && grep -qi '^Set-Cookie: rsp_console=.*HttpOnly; SameSite=Strict' "$tmp/hdr" &&
  [ "$(code -b "rsp_console=$TOK" "$U/api/whoami")" = 200 ] && [ "$(jq -r .identity "$tmp/body")" = MNO1 ] &&
  ok "login form: 303 with an HttpOnly SameSite=Strict cookie that opens the API as MNO1" || bad "login: $(cat "$tmp/hdr")"
[ "$(code --data-urlencode "token=nope-nope-nope-nope" "$U/login")" = 401 ] && ok "login with a wrong token: 401" || bad "bad login"
[ "$(code -H "Authorization: Bearer $TOK" "$U/")" = 200 ] && grep -q 'src="/console.js"' "$tmp/body" &&
  code -D "$tmp/hdr" -H "Authorization: Bearer $TOK" "$U/console.js" >/dev/null && grep -qi "^Content-Security-Policy: default-src 'none'; script-src 'self'" "$tmp/hdr" &&
  ! grep -q innerHTML "$tmp/body" && ok "page and script served with a CSP; the script never uses innerHTML" || bad "page"

# --- search and paging
r=$(api "search?by=eid&q=8904&limit=2")
n1=$(echo "$r" | jq -r '.items | length'); t=$(echo "$r" | jq -r .total); after=$(echo "$r" | jq -r .next.after)
r2=$(api "search?by=eid&q=8904&limit=2&after=$after")
all=$( (echo "$r"; echo "$r2") | jq -r '.items[].eid' | sort | tr '\n' ' ')
[ "$t" = 3 ] && [ "$n1" = 2 ] && [ "$(echo "$r2" | jq -r '.items | length')" = 1 ] && [ "$(echo "$r2" | jq -r .next)" = null ] &&
  [ "$all" = "$(printf '%s ' "${EIDS[@]}")" ] && ok "search by EID prefix: 3 matches over two pages (2 + 1), disjoint and complete" ||
  bad "eid paging: $r / $r2"
r=$(api "search?by=eid&q=$E2"); [ "$(echo "$r" | jq -r '.items[0].eid')" = "$E2" ] && [ "$(echo "$r" | jq -r .total)" = 1 ] &&
  ok "search by a whole EID: that card" || bad "eid exact: $r"
r=$(api "search?by=iccid&q=${ICC[1]:0:18}"); echo "$r" | jq -e --arg i "${ICC[1]}" '.items | map(.iccid) | index($i) != null' >/dev/null &&
  ok "search by ICCID prefix" || bad "iccid: $r"
M1=$(jq -r '.eis.profiles[0].subscriptionAddress.msisdn' "$tmp/fleet/eis/${EIDS[1]}.json")
r=$(api "search?by=msisdn&q=%2B$M1"); [ "$(echo "$r" | jq -r '.items[0].eid')" = "${EIDS[1]}" ] &&
  ok "search by MSISDN (a leading + accepted)" || bad "msisdn: $r"
r=$(api "search?by=msisdn&q=4477009001&limit=1"); a1=$(echo "$r" | jq -r .next.after); i1=$(echo "$r" | jq -r .next.after_iccid)
r2=$(api "search?by=msisdn&q=4477009001&limit=5&after=$a1&after_iccid=$i1")
[ "$(echo "$r2" | jq -r '.items | length')" = 2 ] && ! echo "$r2" | jq -r '.items[].iccid' | grep -qx "$i1" &&
  ok "MSISDN paging: the next page starts after (msisdn, iccid)" || bad "msisdn paging: $r / $r2"

# --- bad input: 400 naming the fault
for q in "search?q=89abc" "search?by=imsi" "search?q=$(printf '1%.0s' $(seq 40))" "search?limit=1000" "search?q=1&q=2" \
  "search?q=%zz" "search?q=%0a" "card?eid=123" "op?id=0" "ops?state=weird" "ops?requester=%3Cscript%3E" \
  "search?$(printf 'a%.0s' $(seq 1100))=1"; do
  c=$(code -H "Authorization: Bearer $TOK" "$U/api/$q")
  [ "$c" = 400 ] && jq -e '.error | length > 0' "$tmp/body" >/dev/null || bad "bad input $q: $c $(cat "$tmp/body")"
done
[ $fail = 0 ] && ok "12 malformed queries (letters in an EID, unknown key, too long, limit, duplicate, bad escape, control byte, ...) answered 400 with the fault"

# --- escaping and no key material
raw=$(api "card?eid=$E2")
echo "$raw" | grep -qF '\u003cimg src=x onerror=alert(1)\u003e' && ! echo "$raw" | grep -q '[<>]' &&
  [ "$(echo "$raw" | jq -r '.profiles[0].profile_type')" = "$XSS" ] &&
  ok "an XSS-shaped profile type comes back escaped (\\u003c...\\u003e, no markup in the JSON), the same text once decoded" ||
  bad "escaping: $raw"
k=$(jq -r '.eis.isdR.keySets[0].keys[0].components[0].value' "$tmp/fleet/eis/$E2.json")
all=$(for p in "card?eid=$E2" "ops" "op?id=$Q" "campaigns" "search?by=iccid"; do api "$p"; done)
[ -n "$k" ] && ! echo "$all" | grep -qi "${k:0:16}" && ! echo "$all" | grep -qi signed && ! echo "$all" | grep -qi script &&
  ok "no key material, signature or script in card, ops, op, campaigns, search answers" || bad "key material shown"

# --- operations, campaign, actions off
r=$(api "ops?state=queued"); echo "$r" | jq -e --argjson q "$Q" '.items | map(.id) | index($q) != null' >/dev/null &&
  [ "$(echo "$r" | jq -r '.counts.queued')" -ge 1 ] && ok "ops filtered by state: the queued one listed, counts given" || bad "ops: $r"
r=$(api "ops?eid=$E0&function=ES4.AuditEIS&requester=MNO1"); [ "$(echo "$r" | jq -r '.items | length')" = 2 ] &&
  ok "ops filtered by EID, function, requester: the card's 2" || bad "ops filter: $r"
r=$(api "op?id=$Q"); [ "$(echo "$r" | jq -r .iccid)" = "${ICC[0]}" ] && echo "$r" | jq -e '.steps | map(.event) | index("smsr.queued") != null' >/dev/null &&
  ok "one operation: its ICCID and its steps (smsr.queued)" || bad "op: $r"
for _ in $(seq 50); do r=$(api "campaigns"); echo "$r" | jq -e '.items | map(select(.pattern == "batch1-*")) | length == 1' >/dev/null && break; sleep 0.1; done
[ "$(echo "$r" | jq -r '.items[] | select(.pattern == "batch1-*") | .total')" = 3 ] && ok "campaigns: batch1-* with its 3 operations" || bad "campaigns: $r"
r=$(api "campaign?requester=MNO1&fcid=batch1-$E2"); [ "$(echo "$r" | jq -r .total)" = 3 ] && [ "$(echo "$r" | jq -r '.function')" = ES4.AuditEIS ] &&
  echo "$r" | jq -e '.failures | type == "array"' >/dev/null && ok "one campaign: counters, function, failures by reason" || bad "campaign: $r"
c=$(code -d '' -X POST -H "Authorization: Bearer $TOK" -H 'X-Requested-With: rsp-console' "$U/api/op/cancel?id=$Q")
[ "$c" = 403 ] && grep -q -- '--console-actions' "$tmp/body" && ok "actions off by default: cancel refused 403" || bad "actions off: $c"
stop_smsr

# --- actions on (from the config file's [console] section)
printf '[console]\nactions = true\n' >"$tmp/console.ini"
run_smsr --config "$tmp/console.ini"
c=$(code -d '' -X POST -H "Authorization: Bearer $TOK" "$U/api/op/cancel?id=$Q")
[ "$c" = 403 ] && ok "cancel without X-Requested-With: 403 (a cross-site form cannot send it)" || bad "xrw: $c"
c=$(code -d '' -X POST -H "Authorization: Bearer fedcba9876543210fedcba9876543210" -H 'X-Requested-With: rsp-console' "$U/api/op/cancel?id=$Q")
[ "$c" = 403 ] && ok "cancel by MNO9 (not the profile's Operator, not the requester): 403" || bad "MNO9: $c $(cat "$tmp/body")"
c=$(code -d '' -X POST -H "Authorization: Bearer $TOK" -H 'X-Requested-With: rsp-console' "$U/api/op/cancel?id=$Q")
r=$("$BIN" smsr result --db "$DB" --op "$Q" --json)
[ "$c" = 200 ] && [ "$(echo "$r" | jq -r .state)" = failed ] && [ "$(echo "$r" | jq -r .subject)/$(echo "$r" | jq -r .reason)" = 8.7/3.8 ] &&
  ok "cancel of the queued operation by MNO1: 200, the operation failed 8.7/3.8 \"$(echo "$r" | jq -r .message)\"" || bad "cancel: $c $r"
r=$(api "card?eid=$E0"); echo "$r" | jq -e --argjson q "$Q" '.audit | map(select(.event == "console.cancel" and .actor == "MNO1" and .op == $q)) | length == 1' >/dev/null &&
  ok "audit row console.cancel by MNO1 on that operation" || bad "audit: $r"
c=$(code -d '' -X POST -H "Authorization: Bearer $TOK" -H 'X-Requested-With: rsp-console' "$U/api/op/cancel?id=$Q")
[ "$c" = 409 ] && ok "a second cancel: 409 (no longer queued)" || bad "second cancel: $c"
c=$(code -d '' -X POST -H "Authorization: Bearer $TOK" -H 'X-Requested-With: rsp-console' "$U/api/op/retry?id=$Q")
n=$(jq -r .new_op "$tmp/body"); [ "$c" = 200 ] && [ "$n" -gt "$Q" ] && [ "$("$BIN" smsr result --db "$DB" --op "$n" --json | jq -r .state)" != failed ] &&
  ok "retry of it: a new operation $n queued under MNO1" || bad "retry: $c $(cat "$tmp/body")"
stop_smsr

# --- client certificates instead of tokens (--console-mtls with the SM-SR's TLS identity)
for r in "smsr SMSR-T sr" "operator MNO1 mno"; do
  set -- $r
  "$BIN" ci issue --dir "$tmp/pki" --role $1 --id $2 --out "$tmp/$3" >/dev/null || bad "certificate $2"
done
run_smsr --console-mtls --tls-cert "$tmp/sr/tls.crt.pem" --tls-key "$tmp/sr/key.pem" --tls-ca "$tmp/sr/ca.crt.pem"
U="https://127.0.0.1:$CP"
r=$(curl -s --max-time 20 --cacert "$tmp/sr/ca.crt.pem" --cert "$tmp/mno/tls.crt.pem" --key "$tmp/mno/key.pem" "$U/api/whoami")
[ "$(echo "$r" | jq -r .identity)" = MNO1 ] && ok "--console-mtls: MNO1's client certificate is the identity" || bad "mtls: $r"
! curl -s --max-time 20 --cacert "$tmp/sr/ca.crt.pem" "$U/api/whoami" >/dev/null 2>&1 && ok "--console-mtls: no client certificate, no connection" ||
  bad "mtls without a certificate answered"
stop_smsr
grep -q "console: operation cancelled.*by=MNO1" "$tmp/smsr.log" && ok "the SM-SR logged the cancel" || bad "log"
! grep -q "$TOK" "$tmp/smsr.log" && ok "the token never reached the log" || bad "token logged"
[ $fail = 0 ] || { echo "--- smsr.log"; tail -20 "$tmp/smsr.log"; }
exit $fail
