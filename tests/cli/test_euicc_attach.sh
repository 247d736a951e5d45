#!/usr/bin/env bash
# rsp euicc attach: a consumer card in vsmartcard's virtual reader, reached through a real pcscd by
# programs we did not write. The test runs in private mount + network namespaces (unshare): its own
# /run (pcscd's socket and pid file are fixed at /run/pcscd) and its own loopback, so pcscd loads the
# vpcd driver with the reader.conf the Debian package installs, listening on the driver's default port
# 35963, and no other pcscd or test on the machine sees it. Checked:
#   - the card dials the default port; scriptor (pcsc-tools, Perl over libpcsclite) opens a logical
#     channel, SELECTs the ISD-R (FCI with the AID and svn), sends GetEID by STORE DATA and fetches
#     the 61xx answer: the EID of the card folder (outside facts: the driver's port and reader.conf,
#     pcscd's framing, scriptor's APDUs; SGP22.md's channel/SELECT/STORE DATA bytes);
#   - `rsp lpa --reader` (our PC/SC transport) reads the same EID through pcscd, and downloads a profile
#     from `rsp smdpp run` (HTTPS inside the namespace) into the card behind the reader;
#   - kill -9 of `rsp euicc attach` in the middle of an installation: the LPA reports a failure during
#     installation, the card (its folder opened again, direct transport) lists no partial profile and no
#     PIR; the LPA recovers as seed 003 says: the next download with its --session record reports the
#     unfinished one (the card asked: not there; its session gone), drops the record and installs the
#     same activation code; the card attaches again;
#   - the card is held: a second attach and a direct `rsp lpa --card` exit 1 (busy);
#   - pcscd stopped and started again: the card is detached, dials again, answers again;
#   - SIGTERM ends attach with exit 0 and releases the card; usage errors exit 2.
# Needs pcscd, vsmartcard-vpcd and pcsc-tools (scripts/setup) and unshare; without a private
# namespace it says so and checks only the usage errors.
set -u
BIN=${RSP_BIN:?}
if [ -z "${RSP_ATTACH_NS:-}" ]; then
  # root: a mount + network namespace; otherwise (or where that is refused) inside a user namespace
  for flags in -mn -rmn; do
    if unshare "$flags" true 2>/dev/null; then
      RSP_ATTACH_NS=1 exec unshare "$flags" bash "$0" "$@"
    fi
  done
  echo "# no private mount/network namespace here (unshare refused): pcscd cannot run without touching the machine's /run/pcscd"
  RSP_ATTACH_NS=none
fi
tmp=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null && wait "$p" 2>/dev/null; done; rm -rf "$tmp"; }
trap cleanup EXIT
fail=0
ok() { echo "ok - $*"; }
bad() { echo "FAIL - $*"; fail=1; }
rc_of() { "$@" >"$tmp/out" 2>"$tmp/err"; echo $?; }
# wait_count FILE PATTERN N: FILE holds N lines matching PATTERN (bounded: 60 s on a loaded machine)
wait_count() {
  local n
  for _ in $(seq 600); do n=$(grep -c "$2" "$1" 2>/dev/null); [ "${n:-0}" -ge "$3" ] && return 0; sleep 0.1; done
  return 1
}

"$BIN" ci init --sgp22 --dir "$tmp/ci" >/dev/null &&
  "$BIN" ci issue --sgp22 --dir "$tmp/ci" --role eum --id "EUM Test" --org "RSP Test EUM" --eid-prefix 89049032 \
    --out "$tmp/eum" >/dev/null &&
  "$BIN" eum make --sgp22 --ci "$tmp/ci" --eum "$tmp/eum" --count 1 --out "$tmp/cards" >/dev/null ||
  { echo "FAIL - card setup"; exit 1; }
EID=$(ls "$tmp/cards")

# Usage errors (no reader needed).
[ "$(rc_of "$BIN" euicc attach --fleet "$tmp/cards")" = 2 ] && ok "no --eid: exit 2" || bad "no --eid"
[ "$(rc_of "$BIN" euicc attach --fleet "$tmp/cards" --eid "$EID" --vpcd nohostport)" = 2 ] && ok "bad --vpcd: exit 2" || bad "--vpcd"
[ "$(rc_of "$BIN" euicc attach --fleet "$tmp/cards" --eid 89049032000000000000000000000999)" = 2 ] \
  && ok "card folder missing: exit 2" || bad "missing folder: $(cat "$tmp/err")"
"$BIN" euicc attach --help | grep -q "vpcd" && ok "--help" || bad "--help"

if [ "$RSP_ATTACH_NS" = none ]; then
  [ "$fail" = 0 ] && echo "# pcscd part not run: no namespace" ; exit "$fail"
fi
for need in pcscd scriptor; do
  command -v "$need" >/dev/null || { bad "$need missing (scripts/setup installs pcscd, pcsc-tools)"; exit 1; }
done
[ -f /etc/reader.conf.d/vpcd ] || { bad "vsmartcard-vpcd missing (scripts/setup)"; exit 1; }
grep -q '0x8C7B' /etc/reader.conf.d/vpcd || bad "the package's vpcd reader.conf no longer names port 0x8C7B (35963)"

# Inside the namespaces: our own /run and a loopback that is up.
mount -t tmpfs tmpfs /run && mkdir -p /run/pcscd && ip link set lo up || { bad "namespace setup"; exit 1; }

start_pcscd() {
  pcscd -f -c /etc/reader.conf.d >>"$tmp/pcscd.log" 2>&1 &
  PCSCD=$!; pids+=($PCSCD)
}
start_pcscd
# --trace from the start: the kill -9 below counts the C-APDUs the card has seen (one attach, not two)
"$BIN" euicc attach --fleet "$tmp/cards" --eid "$EID" --trace >"$tmp/attach.log" 2>"$tmp/trace.log" &
ATTACH=$!; pids+=($ATTACH)
wait_count "$tmp/attach.log" "^attached $EID to localhost:35963" 1 && ok "card dialled the driver's default port 35963" \
  || { bad "not attached: $(grep -v '^[<>]' "$tmp/trace.log" | cat - "$tmp/pcscd.log" | tail -5)"; exit 1; }

# rsp lpa over PC/SC once the reader reports the card: pcscd polls the driver, so a card just attached
# may still read "No smart card inserted" for a moment
lpa_pcsc() {
  local rc
  for _ in $(seq 150); do
    rc=$(rc_of timeout 120 "$BIN" lpa --reader "Virtual PCD" "$@")
    grep -q "No smart card inserted\|was removed\|was reset\|unavailable" "$tmp/err" || break
    sleep 0.2
  done
  echo "$rc"
}
spaced() { echo "$1" | sed 's/../& /g; s/ $//'; }
eid_sp=$(spaced "$EID")
# scriptor: one APDU a line, hex bytes separated by spaces. GetEID answers 21 bytes by 61 15.
cat >"$tmp/s.txt" <<EOF
00 70 00 00 01
01 A4 04 00 10 A0 00 00 05 59 10 10 FF FF FF FF 89 00 00 01 00 00
81 E2 91 00 06 BF 3E 03 5C 01 5A
01 C0 00 00 15
00 70 80 01 00
EOF
scriptor_eid() {
  # the reader may take a moment to report the card present after an attach
  for _ in $(seq 100); do
    timeout 30 scriptor -r "Virtual PCD 00 00" "$tmp/s.txt" >"$tmp/scr.out" 2>&1 && grep -q "^< BF 3E" "$tmp/scr.out" && return 0
    sleep 0.2
  done
  return 1
}
if scriptor_eid; then
  tr -d '\n' <"$tmp/scr.out" >"$tmp/scr.flat"
  grep -q "< 01 90 00" "$tmp/scr.out" && ok "scriptor: MANAGE CHANNEL opened channel 1" || bad "channel: $(cat "$tmp/scr.out")"
  grep -q "< 6F 19 84 10 A0 00 00 05 59 10 10 FF FF FF FF 89" "$tmp/scr.out" && ok "scriptor: SELECT ISD-R answered its FCI" \
    || bad "FCI: $(cat "$tmp/scr.out")"
  grep -q "< 61 15" "$tmp/scr.out" && grep -q "BF 3E 12 5A 10 $eid_sp 90 00" "$tmp/scr.flat" \
    && ok "scriptor: GetEID by STORE DATA + GET RESPONSE = the card folder's EID" || bad "EID: $(cat "$tmp/scr.out")"
else
  bad "scriptor session: $(tail -5 "$tmp/scr.out")"
fi

rc=$(lpa_pcsc --json chip info)
[ "$rc" = 0 ] && [ "$(jq -r .eid "$tmp/out")" = "$EID" ] && ok "rsp lpa over PC/SC: chip info EID" \
  || bad "lpa pcsc rc $rc $(cat "$tmp/out" "$tmp/err")"

# A whole download through pcscd: our LPA over PC/SC, the card behind vpcd, `rsp smdpp run` over HTTPS.
PKG=${RSP_SHARED_DIR:?}/profiles/TS48v7_SAIP2.3_NoBERTLV.der
( cd "$tmp" && mkdir smdpp &&
  "$BIN" ci issue --sgp22 --dir ci --role dpauth --id DPauth --oid 2.999.10 --out smdpp/dpauth &&
  "$BIN" ci issue --sgp22 --dir ci --role dppb --id DPpb --oid 2.999.10 --out smdpp/dppb &&
  "$BIN" ci issue --sgp22 --dir ci --role dptls --id DPtls --dns localhost --oid 2.999.10 --out smdpp/dptls &&
  "$BIN" smdp import package --dir smdpp --operator MNO --type T48 "$PKG" &&
  "$BIN" smdp import generate --dir smdpp --operator MNO --type T48 --count 3 --iccid-prefix 8944502 ) \
  >/dev/null 2>"$tmp/smdpp.err" || bad "SM-DP+ setup: $(tail -3 "$tmp/smdpp.err")"
"$BIN" smdpp run --dir "$tmp/smdpp" --address localhost --listen 127.0.0.1:0 --port-file "$tmp/port" >"$tmp/smdpp.log" 2>&1 &
pids+=($!)
for _ in $(seq 600); do [ -s "$tmp/port" ] && break; sleep 0.1; done
P=$(tr -dc 0-9 <"$tmp/port" 2>/dev/null)
AC=$("$BIN" smdpp order --dir "$tmp/smdpp" --address "localhost:$P" --matching-id PCSC-1 --operator MNO --type T48 --json 2>/dev/null | jq -r .activationCode)
rc=$(rc_of timeout 120 "$BIN" lpa --reader "Virtual PCD" --block 255 profile download --activation-code "$AC" --ca "$tmp/ci/ci.crt.pem")
ICCID=$(sed -n 's/^\[prepare\] profile \([0-9]*\) .*/\1/p' "$tmp/out")
[ "$rc" = 0 ] && grep -q '^\[notify\] result sent' "$tmp/out" && ok "download through pcscd: installed, PIR delivered" \
  || bad "pcsc download rc $rc $(cat "$tmp/out" "$tmp/err" | tail -5)"
rc=$(lpa_pcsc --json profile list)
[ "$rc" = 0 ] && [ -n "$ICCID" ] && [ "$(jq -r '.[0].iccid' "$tmp/out")" = "$ICCID" ] && ok "profile list through pcscd: $ICCID" \
  || bad "pcsc list rc $rc $(cat "$tmp/out" "$tmp/err")"

# kill -9 of the simulator in the middle of an installation (block 64: ~40 C-APDUs to authenticate and
# prepare, then ~220 for the 12.8 KB BPP; the kill 60 C-APDUs after the LPA says it loads): the LPA
# says it failed during installation; the card, attached again, holds no partial profile and no PIR.
AC=$("$BIN" smdpp order --dir "$tmp/smdpp" --address "localhost:$P" --matching-id PCSC-2 --operator MNO --type T48 --json 2>/dev/null | jq -r .activationCode)
timeout 300 "$BIN" lpa --reader "Virtual PCD" --block 64 profile download --activation-code "$AC" --ca "$tmp/ci/ci.crt.pem" \
  --session "$tmp/sess" >"$tmp/cut.out" 2>"$tmp/cut.err" &
LPA=$!; pids+=($LPA)
wait_count "$tmp/cut.out" '^\[install\] loading' 1 && at=$(grep -c '^>>' "$tmp/trace.log") &&
  wait_count "$tmp/trace.log" '^>>' $((at + 60)) && ! grep -q '^\[install\] installed' "$tmp/cut.out" \
  && kill -9 "$ATTACH" && ok "kill -9 of the simulator 60 C-APDUs into the installation" || bad "no kill: $(cat "$tmp/cut.out")"
wait "$ATTACH" 2>/dev/null
wait "$LPA"; rc=$?
[ "$rc" = 1 ] && grep -q "failed during installation" "$tmp/cut.err" && ok "LPA: failed during installation, exit 1, no 'safe to retry'" \
  || bad "LPA after kill rc $rc $(cat "$tmp/cut.out" "$tmp/cut.err" | tail -4)"
# The card after its process died (the kill released its lock): read through the direct transport, the
# way the next process to open the card folder sees it (cheaper than pcscd for the recovery below).
lpa_direct() { rc_of timeout 120 "$BIN" lpa --card "$tmp/cards/$EID" "$@"; }
rc=$(lpa_direct --json profile list)
[ "$rc" = 0 ] && [ "$(jq length "$tmp/out")" = 1 ] && [ "$(jq -r '.[0].iccid' "$tmp/out")" = "$ICCID" ] \
  && ok "after kill -9: only the first profile, nothing half-installed" || bad "after kill rc $rc $(cat "$tmp/out" "$tmp/err")"
rc=$(lpa_direct --json notification list)
[ "$rc" = 0 ] && [ "$(jq length "$tmp/out")" = 0 ] && ok "after kill -9: no PIR pending" || bad "notifs after kill $(cat "$tmp/out")"
# Seed 003's recovery: the record of the killed download (--session) is kept; the next download with it
# reports the unfinished one, asks the card (the profile is not there), finds the card's session gone
# with the reset, drops the record, and the same activation code then installs (the SM-DP+ ends the
# lost session of the same eUICC and binds the order anew).
grep -q '^phase=install$' "$tmp/sess" && grep -q '^matching_id=PCSC-2$' "$tmp/sess" \
  && ok "after kill -9: the session record kept (phase install, PCSC-2)" || bad "record $(cat "$tmp/sess" 2>&1)"
# show2: "STATE ICCID" of PCSC-2 on the SM-DP+
show2() { "$BIN" smdpp show --dir "$tmp/smdpp" --address localhost --matching-id PCSC-2 --json 2>/dev/null | jq -r '.state + " " + .iccid'; }
read -r ST2 OLD2 <<<"$(show2)"
[ "$ST2" = bound ] || bad "PCSC-2 after the kill: $ST2, not bound"
rc=$(lpa_direct --json profile download --activation-code "$AC" --ca "$tmp/ci/ci.crt.pem" --session "$tmp/sess")
ICCID2=$(jq -r .iccid "$tmp/out" 2>/dev/null)
read -r ST2 SM2 <<<"$(show2)"
[ "$rc" = 0 ] && [ "$(jq -r .previous.phase "$tmp/out")" = install ] && [ "$(jq -r .previous.profile_on_card "$tmp/out")" = false ] \
  && grep -q "previous download of 'PCSC-2'.*is not on the card; card session already gone" "$tmp/err" && [ ! -e "$tmp/sess" ] \
  && [ "$(jq -r .installed "$tmp/out")" = true ] && [ "$ST2" = installed ] && grep -q 'es9+ session replaced' "$tmp/smdpp.log" \
  && ok "retry with the record: previous reported (not on the card, card session gone), record dropped, PCSC-2 installed" \
  || bad "recovery rc $rc $(cat "$tmp/out" "$tmp/err" | tail -6)"
rc=$(lpa_direct --json profile list)
# The SM-DP+ may bind the order anew to the same identity (its package protected once) or to a fresh
# one (the old retired): either way the card holds the identity the SM-DP+ names for PCSC-2 exactly
# once, and never the other.
[ "$rc" = 0 ] && [ "$(jq length "$tmp/out")" = 2 ] && [ -n "$OLD2" ] && [ "$ICCID2" = "$SM2" ] \
  && [ "$(jq --arg i "$ICCID2" '[.[] | select(.iccid == $i)] | length' "$tmp/out")" = 1 ] \
  && { [ "$OLD2" = "$ICCID2" ] || ! jq -e --arg i "$OLD2" 'any(.[]; .iccid == $i)' "$tmp/out" >/dev/null; } \
  && ok "after the recovery: two profiles, PCSC-2's identity $ICCID2 once (bound before the kill: $OLD2)" \
  || bad "list after recovery (before $OLD2 after $ICCID2) $(cat "$tmp/out" "$tmp/err")"
"$BIN" euicc attach --fleet "$tmp/cards" --eid "$EID" >"$tmp/attach.log" 2>"$tmp/attach.err" &
ATTACH=$!; pids+=($ATTACH)
wait_count "$tmp/attach.log" "^attached" 1 && ok "attached again after the kill -9" || bad "re-attach after kill -9: $(cat "$tmp/attach.err")"

rc=$(rc_of timeout 30 "$BIN" euicc attach --fleet "$tmp/cards" --eid "$EID" --once)
[ "$rc" = 1 ] && grep -q "in use" "$tmp/err" && ok "second attach of the same card: exit 1 (busy)" || bad "second attach rc $rc $(cat "$tmp/err")"
rc=$(rc_of timeout 30 "$BIN" lpa --card "$tmp/cards/$EID" chip info)
[ "$rc" = 1 ] && ok "direct rsp lpa while attached: exit 1" || bad "direct while attached rc $rc $(cat "$tmp/err")"

# pcscd goes away and comes back: the card is pulled, dials again, answers again.
kill "$PCSCD"; wait "$PCSCD" 2>/dev/null
wait_count "$tmp/attach.log" "^detached $EID" 1 && ok "pcscd stopped: card detached" || bad "no detach: $(cat "$tmp/attach.log")"
start_pcscd
wait_count "$tmp/attach.log" "^attached $EID" 2 && ok "pcscd restarted: card attached again" || bad "no re-attach: $(cat "$tmp/attach.err")"
scriptor_eid && tr -d '\n' <"$tmp/scr.out" | grep -q "BF 3E 12 5A 10 $eid_sp 90 00" && ok "scriptor after the restart: EID" \
  || bad "after restart: $(tail -5 "$tmp/scr.out")"

kill -TERM "$ATTACH"; wait "$ATTACH"; rc=$?
[ "$rc" = 0 ] && ok "SIGTERM: attach exits 0" || bad "attach exit $rc"
rc=$(rc_of "$BIN" lpa --card "$tmp/cards/$EID" --json chip info)
[ "$rc" = 0 ] && [ "$(jq -r .eid "$tmp/out")" = "$EID" ] && ok "card released: direct rsp lpa reads it" || bad "after attach rc $rc $(cat "$tmp/err")"
exit "$fail"
