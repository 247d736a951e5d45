#!/usr/bin/env bash
# README.md's "Repeat any step by hand against a kept demo" block, run as written (between the
# walkthrough:begin/end markers; only its first line, the PATH and PKG exports, is replaced by this
# build's binary and the shared profile): a kept 3-card demo, the daemons restarted on its stores, one
# new card registered by ES1, one profile downloaded by ES2 (rsp op), enabled and audited by ES4, the
# card's own view and the SM-SR's audit trail. Checks the block ran to its end, the card ends on the
# downloaded profile, and the trail shows the enable and the audit.
set -u
RSP=${RSP_BIN:?}
SRC=${RSP_SOURCE_DIR:?}
tmp=$(mktemp -d)
cleanup() {
  for f in "$tmp"/demo-kept/pids; do [ -f "$f" ] && awk '{print $2}' "$f" | xargs -r kill -9 2>/dev/null; done
  [ -n "${BPID:-}" ] && kill -9 -- -"$BPID" 2>/dev/null # the block's daemons: its process group
  rm -rf "$tmp"
}
trap cleanup EXIT
fail=0
ok() { echo "ok - $*"; }
bad() { echo "FAIL - $*"; fail=1; }
mkdir -p "$tmp/bin" && ln -s "$(readlink -f "$RSP")" "$tmp/bin/rsp"
awk '/<!-- walkthrough:begin -->/{on=1; next} /<!-- walkthrough:end -->/{on=0} on' "$SRC/README.md" |
  sed '/^```/d' >"$tmp/block.sh"
[ "$(wc -l <"$tmp/block.sh")" -gt 20 ] && ok "README walkthrough block found ($(wc -l <"$tmp/block.sh") lines)" ||
  { bad "no walkthrough block in README.md"; exit 1; }
sed -i "1s|.*|export PATH=$tmp/bin:\$PATH PKG=${RSP_SHARED_DIR:?}/profiles/TS48v7_SAIP2.3_NoBERTLV.der|" "$tmp/block.sh"
echo 'echo "WALKTHROUGH-END EID=$EID ICCID=$ICCID"' >>"$tmp/block.sh"
(cd "$tmp" && exec setsid timeout 240 bash -e "$tmp/block.sh") >"$tmp/out" 2>&1 &
BPID=$!
wait $BPID; rc=$?
[ $rc = 0 ] && grep -q "WALKTHROUGH-END" "$tmp/out" && ok "the block ran to its end under bash -e" ||
  bad "block exit $rc: $(tail -25 "$tmp/out")"
eval "$(grep -o 'EID=[0-9]* ICCID=[0-9]*' "$tmp/out" | tail -1)"
[ -n "${ICCID:-}" ] && echo "${ICCID}" | grep -q '^8944503' && ok "downloaded MNO-B's profile $ICCID on $EID" ||
  bad "no ICCID from the download"
s=$("$RSP" euicc show --fleet "$tmp/demo-kept/fleet2" --eid "${EID:-x}" --json 2>/dev/null)
[ "$(echo "$s" | jq -r --arg i "${ICCID:-x}" '[.profiles[] | select(.state == "enabled")] | (length == 1) and (.[0].iccid == $i)')" = true ] &&
  ok "the card: the downloaded profile is the enabled one" || bad "card: $s"
grep -q "ES4.EnableProfile" "$tmp/out" && grep -q "ES4.AuditEIS" "$tmp/out" && ok "the audit trail shows the enable and the audit" ||
  bad "audit trail: $(tail -12 "$tmp/out")"
san=$(grep -l "ERROR: AddressSanitizer\|ERROR: LeakSanitizer\|runtime error:" "$tmp"/demo-kept/logs/*.log "$tmp/out" 2>/dev/null)
[ -z "$san" ] && ok "no sanitizer report in any log" || bad "sanitizer reports in: $san"
exit $fail
