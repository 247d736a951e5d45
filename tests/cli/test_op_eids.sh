#!/usr/bin/env bash
# The EID list (--eids FILE) of `rsp op FUNCTION` and `rsp op smsr-change` is read by one loader
# (op_eid_rows_load): both refuse the same malformed files with exit 2 and the same message (no EID,
# a third column, no such file), both take '#' comments, commas and blank lines; smsr-change alone also
# checks each EID. No daemon: the TLS files given are missing, so an accepted list ends at the client.
. "$(dirname "$0")/daemons.sh" # BIN, tmp (removed at exit), ok/bad; no daemon is started here
E1=89049032123451234512345678901235
E2=89049032123451234512345678901236
printf '# nothing\n\n   \n' >"$tmp/empty"
printf '%s 8944000000000000001 extra\n' $E1 >"$tmp/three"
printf 'nope\n' >"$tmp/noteid"
printf '# the fleet\n%s, 8944000000000000001  # a comment\n\n%s\n' $E1 $E2 >"$tmp/good"
TLS=(--tls-cert "$tmp/x" --tls-key "$tmp/x" --tls-ca "$tmp/x")
op() { "$BIN" op GetEIS --eids "$1" --url https://127.0.0.1:1 "${TLS[@]}" 2>"$tmp/err1" >/dev/null; echo $?; }
chg() {
  "$BIN" op smsr-change --eids "$1" --from https://127.0.0.1:1 --from-id A --to https://127.0.0.1:1 --to-id B \
    "${TLS[@]}" 2>"$tmp/err2" >/dev/null; echo $?
}
for c in "empty:no EID in" "three:line 1: want 'EID \[ICCID\]'" "missing:cannot read --eids"; do
  f=${c%%:*} want=${c#*:}
  r1=$(op "$tmp/$f") r2=$(chg "$tmp/$f")
  [ "$r1$r2" = 22 ] && grep -q "rsp: op: .*$want" "$tmp/err1" && grep -q "rsp: op smsr-change: .*$want" "$tmp/err2" \
    && ok "$f: both exit 2, '$want'" || bad "$f: op $r1 $(cat "$tmp/err1") / smsr-change $r2 $(cat "$tmp/err2")"
done
[ "$(chg "$tmp/noteid")" = 2 ] && grep -q "not an EID: nope" "$tmp/err2" && ok "smsr-change checks each EID: 2" \
  || bad "noteid: $(cat "$tmp/err2")"
r1=$(op "$tmp/good") r2=$(chg "$tmp/good")
! grep -qi "eids\|EID in\|not an EID\|line [0-9]" "$tmp/err1" "$tmp/err2" && grep -q "TLS" "$tmp/err1" \
  && ok "comments, commas, blank lines: the list is accepted (op $r1, smsr-change $r2 at the missing TLS files)" \
  || bad "good list: $(cat "$tmp/err1" "$tmp/err2")"
exit $fail
