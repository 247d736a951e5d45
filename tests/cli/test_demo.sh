#!/usr/bin/env bash
# The demo end to end: runs twice on one SQLite store (state and counters persist between runs), and
# once on PostgreSQL when a test cluster is up (RSP_PG_DSN, set by scripts/with-pg).
set -u
RSP=${RSP_BIN:?}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0 fail=0
ok() { pass=$((pass+1)); }
ko() { fail=$((fail+1)); echo "FAIL $*"; }
field() { grep -o "\"$1\":[0-9]*" | head -1 | cut -d: -f2; }

out=$("$RSP" demo --dir "$tmp/d" --cards 3 --json 2>"$tmp/err") && ok || { ko "demo run 1"; cat "$tmp/err"; }
[ "$(echo "$out" | field ops_done)" = 3 ] && ok || ko "run 1 ops_done: $out"
[ "$(echo "$out" | grep -o '"iccid":"[0-9]*"' | wc -l)" = 3 ] && ok || ko "run 1 iccids"
out=$("$RSP" demo --dir "$tmp/d" --cards 3 --json 2>"$tmp/err") && ok || { ko "demo run 2"; cat "$tmp/err"; }
[ "$(echo "$out" | field ops_done)" = 6 ] && ok || ko "run 2 ops_done (state kept): $out"
human=$("$RSP" demo --dir "$tmp/d" --cards 1 2>&1) && ok || ko "demo human output"
echo "$human" | grep -q "counter 5" && ok || ko "SCP80 counter did not continue from the store: $human"
echo "$human" | grep -q "receipt verified" && ok || ko "no key establishment line"
"$RSP" demo --dir "$tmp/x" --profile "$tmp/none.der" >/dev/null 2>"$tmp/err"
[ $? = 2 ] && grep -q "cannot read the profile package" "$tmp/err" && ok || ko "missing profile not reported"
"$RSP" demo --cards 0 >/dev/null 2>&1; [ $? = 2 ] && ok || ko "--cards 0 accepted"
if [ -n "${RSP_PG_DSN:-}" ]; then
  out=$("$RSP" demo --dir "$tmp/pg" --store "$RSP_PG_DSN" --cards 2 --json 2>"$tmp/err") && ok || { ko "demo on PostgreSQL"; cat "$tmp/err"; }
  [ "$(echo "$out" | grep -o '"iccid":"[0-9]*"' | wc -l)" = 2 ] && ok || ko "PostgreSQL run: $out"
else
  echo "note: RSP_PG_DSN unset, the PostgreSQL run of the demo was not made"
fi
echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
