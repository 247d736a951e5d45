#!/usr/bin/env bash
# Packets the SM-SR must refuse, and a counter that went backwards, as separate processes (rsp smsc,
# rsp euicc run with 3 cards, rsp smsr run --listen for /metrics):
# - card A: the SM-SR holds a wrong KID for it (a key mix-up): its first-attach notification (MO)
#   fails the MAC check: counted in rsp_smsr_sms_refused_total{kind="mo",reason="bad_mac"} and never
#   acted on (no smsr.notif audit entry, its profile rows unchanged); an operation on A expires (the
#   card's unsecured error PoR matches nothing);
# - forged PoRs sent through the SMSC by a bind of the test's own as C's number (python3 SMPP):
#   one with a wrong CC (por/bad_mac), one that does not decode (por/unreadable);
# - card B: not registered: its MO SMS come from an unknown number (reason="unknown_number");
# - card C: registered; an AuditEIS completes; then, with the SM-SR stopped, its stored SCP80 counter
#   (5000 and more) is set back to 0 (a store restored from an old backup) and the SM-SR restarted: the
#   card answers the next packets with PoR status 02 "counter too low" (TS 102 225 response status, outside fact:
#   the value our own SCP80 table names cntr-low), the SM-SR raises (doubles) the stored counter and
#   the next AuditEIS completes in a few resends instead of 5000 (or being refused until it expires).
. "$(dirname "$0")/daemons.sh"
for t in curl sqlite3 jq python3 xxd openssl; do
  command -v $t >/dev/null || { echo "FAIL - needs curl, sqlite3, jq, python3, xxd and openssl ($t missing)"; exit 1; }
done

SMSR=447700100981
make_fleet 3 447700900950 $SMSR
EIDS=($(ls "$tmp/fleet/eis" | sed -n 's/\.json$//p'))
EA=${EIDS[0]} EB=${EIDS[1]} EC=${EIDS[2]}
ICCA=$(jq -r '.eis.profiles[0].iccid' "$tmp/fleet/eis/$EA.json")
ICCC=$(jq -r '.eis.profiles[0].iccid' "$tmp/fleet/eis/$EC.json")
MNOC=$(jq -r '.eis.profiles[0].mnoId' "$tmp/fleet/eis/$EC.json")
MNOA=$(jq -r '.eis.profiles[0].mnoId' "$tmp/fleet/eis/$EA.json")
# A's KID flipped in the SM-SR's copy of the keys; B left out
jq -c --arg a "$EA" 'if .eid == $a then .scp80.kid = "00112233445566778899AABBCCDDEEFF" else . end' \
  "$tmp/keys.jsonl" | grep -v "\"$EB\"" >"$tmp/keys-sr.jsonl"
DBF=$tmp/smsr.db
DB="sqlite:$DBF"
export RSP_SMSR_MASTER_KEY=000102030405060708090A0B0C0D0E0F101112131415161718191A1B1C1D1E1F
"$BIN" smsr import --db "$DB" --keys "$tmp/keys-sr.jsonl" "$tmp/fleet/eis/$EA.json" "$tmp/fleet/eis/$EC.json" \
  >"$tmp/imp" 2>&1 && grep -q "imported 2 EIS" "$tmp/imp" || { bad "import: $(cat "$tmp/imp")"; exit 1; }
"$BIN" ci issue --dir "$tmp/pki" --role smsr --id SMSR-T --out "$tmp/sr" >/dev/null &&
  "$BIN" ci issue --dir "$tmp/pki" --role operator --id MNO1 --out "$tmp/mno" >/dev/null || bad "certificates"
# C's card has used many counters already (5000: the SM-SR's copy starts there, the card follows)
sqlite3 "$DBF" "UPDATE keyset SET counter = 5000 WHERE eid = '$EC' AND kvn = 1" || bad "counter 5000"
profiles_a() { sqlite3 "$DBF" "SELECT iccid||':'||state||':'||fallback FROM profile WHERE eid = '$EA' ORDER BY iccid"; }
BEFORE_A=$(profiles_a)

start_smsc
start_smsr() {
  rm -f "$tmp/es.port"
  "$BIN" smsr run --db "$DB" --smsc 127.0.0.1:$SP --msisdn $SMSR --worker w1 --tick-ms 50 --por-wait 2 \
    --listen 127.0.0.1:0 --port-file "$tmp/es.port" --tls-cert "$tmp/sr/tls.crt.pem" --tls-key "$tmp/sr/key.pem" \
    --tls-ca "$tmp/sr/ca.crt.pem" >>"$tmp/smsr.log" 2>&1 &
  SMSR_PID=$!; pids+=($SMSR_PID)
  for i in $(seq 300); do [ -s "$tmp/es.port" ] && [ "$(grep -c "bound system_id=smsr" "$tmp/smsc.log")" -ge "$1" ] && break
    sleep 0.1; done
  EP=$(tr -d '\n' <"$tmp/es.port")
}
stop_smsr() { kill -TERM $SMSR_PID; for i in $(seq 100); do kill -0 $SMSR_PID 2>/dev/null || break; sleep 0.1; done; }
start_smsr 1
"$BIN" euicc run --fleet "$tmp/fleet" --smsc 127.0.0.1:$SP --control "$tmp/ctl.sock" --tick-ms 50 >"$tmp/run.log" 2>&1 &
pids+=($!)
wait_fleet "$tmp/ctl.sock" "$tmp/run.log"

metric() { # NAME{LABELS} -> value (empty when absent)
  curl -s --max-time 5 --cacert "$tmp/sr/ca.crt.pem" --cert "$tmp/mno/tls.crt.pem" --key "$tmp/mno/key.pem" \
    "https://127.0.0.1:$EP/metrics" | grep -F "$1 " | awk '{print $2}'
}
wait_metric() { # NAME{LABELS} MIN
  v=""; for i in $(seq 200); do v=$(metric "$1"); [ -n "$v" ] && [ "${v%.*}" -ge "$2" ] && return 0; sleep 0.1; done; return 1
}
submit() { "$BIN" smsr submit --db "$DB" --json "$@" 2>>"$tmp/sub.err"; }
field() { sed -n "s/.*\"$1\": *\"\\{0,1\\}\\([^\",}]*\\).*/\\1/p"; }
wait_state() { # OP STATE [SECONDS]
  local s
  for i in $(seq $((${3:-30} * 10))); do
    s=$("$BIN" smsr result --db "$DB" --op "$1" --json 2>/dev/null | field state)
    [ "$s" = "$2" ] && return 0
    case $s in done|failed|expired) return 1;; esac
    sleep 0.1
  done
  return 1
}

# The first-attach notifications: C's is confirmed; A's fails its MAC check; B's number is unknown.
wait_metric 'rsp_smsr_sms_refused_total{kind="mo",reason="bad_mac"}' 1 &&
  ok "A's notification (wrong KID at the SM-SR): refused, counted mo/bad_mac ($v)" ||
  bad "mo bad_mac: '$v' $(grep -i 'MO packet' "$tmp/smsr.log" | tail -3)"
wait_metric 'rsp_smsr_sms_refused_total{kind="mo",reason="unknown_number"}' 1 &&
  ok "B's notification (not registered): refused, counted mo/unknown_number ($v)" || bad "unknown_number: '$v'"
for i in $(seq 100); do grep -q "MO packet eid=$EC result=ok" "$tmp/smsr.log" && break; sleep 0.1; done
grep -q "MO packet eid=$EC result=ok" "$tmp/smsr.log" && ok "C's notification: handled" || bad "C's notification"

# An operation on A: the card cannot open the packet (CC), answers an unsecured error PoR that matches
# no packet in flight: nothing settles, the op expires.
op=$(submit --fn ES4.AuditEIS --eid $EA --iccid $ICCA --requester $MNOA --fcid a1 --validity 3 | field op)
wait_state "$op" expired 30 && ok "A's AuditEIS: expired, never settled by the card's error PoR" ||
  bad "A's op: $("$BIN" smsr result --db "$DB" --op "$op" --json)"

# Forged PoRs through the SMSC (a bind of our own, as C's number): one ciphered under C's KIc with a
# wrong CC (bad_mac), one whose deciphered PCNTR exceeds its data (unreadable). Built here with openssl
# from TS 102 225's PoR layout: UDH 027100, RPL, RHL 12 (CC of 8), TAR, then ciphered CNTR PCNTR RSC CC
# data.
KICC=$(jq -r --arg e "$EC" 'select(.eid == $e) | .scp80.kic' "$tmp/keys.jsonl")
MSC=$(jq -r --arg e "$EC" 'select(.eid == $e) | .msisdn' "$tmp/keys.jsonl")
forge() { # the 16 plain bytes from CNTR on (hex) -> the PoR's user data (hex)
  printf '027100001412000001'
  printf '%s' "$1" | xxd -r -p | openssl enc -aes-128-cbc -nopad -K "$KICC" -iv 00000000000000000000000000000000 |
    xxd -p | tr -d '\n'
}
P1=$(forge 0000000001"00"00"0000000000000000"00)  # CNTR, PCNTR 0, RSC, a CC of zeros, 1 data byte
P2=$(forge 0000000001"FF"00"0000000000000000"00)  # PCNTR 255 > the 1 data byte
python3 - "$SP" "$MSC" "$SMSR" "$P1" "$P2" >"$tmp/forge.out" 2>&1 <<'PY' || bad "forger: $(cat "$tmp/forge.out")"
import socket, struct, sys
port, src, dst = int(sys.argv[1]), sys.argv[2].encode(), sys.argv[3].encode()
s = socket.create_connection(("127.0.0.1", port), timeout=10)
def pdu(cid, seq, body):
    s.sendall(struct.pack(">IIII", 16 + len(body), cid, 0, seq) + body)
    h = b""
    while len(h) < 16:
        h += s.recv(16 - len(h))
    n, rid, st, _ = struct.unpack(">IIII", h)
    rest = b""
    while len(rest) < n - 16:
        rest += s.recv(n - 16 - len(rest))
    assert rid == (cid | 0x80000000) and st == 0, (hex(rid), st)
pdu(0x2, 1, b"forger\0x\0\0" + bytes([0x34, 0, 0]) + b"\0")  # bind_transmitter
for i, hexdata in enumerate(sys.argv[4:]):
    sm = bytes.fromhex(hexdata)
    body = (b"\0" + bytes([1, 1]) + src + b"\0" + bytes([1, 1]) + dst + b"\0" + bytes([0x40, 0x7F, 0]) + b"\0\0"
            + bytes([0, 0, 0xF6, 0, len(sm)]) + sm)
    pdu(0x4, 2 + i, body)  # submit_sm
pdu(0x6, 9, b"")  # unbind
print("sent", len(sys.argv) - 4)
PY
wait_metric 'rsp_smsr_sms_refused_total{kind="por",reason="bad_mac"}' 1 &&
  ok "a forged PoR (wrong CC) from C's number: refused, counted por/bad_mac ($v)" ||
  bad "por bad_mac: '$v' $(cat "$tmp/forge.out") $(grep PoR "$tmp/smsr.log" | tail -3)"
wait_metric 'rsp_smsr_sms_refused_total{kind="por",reason="unreadable"}' 1 &&
  ok "a forged PoR that does not decode: refused, counted por/unreadable ($v)" || bad "por unreadable: '$v'"
[ "$(sqlite3 "$DBF" "SELECT COUNT(*) FROM audit WHERE eid = '$EA' AND event = 'smsr.notif'")" = 0 ] &&
  [ "$(profiles_a)" = "$BEFORE_A" ] && ok "nothing acted on for A: no notification recorded, profiles unchanged" ||
  bad "A's EIS changed: $(profiles_a) / $BEFORE_A"
[ "$(sqlite3 "$DBF" "SELECT COUNT(*) FROM audit WHERE eid = '$EC' AND event = 'smsr.notif'")" -ge 1 ] &&
  ok "C's notification recorded (the check above can see one)" || bad "no smsr.notif for C"

# C: an AuditEIS, then the store's counter goes back to 0 (restore from an old backup).
op=$(submit --fn ES4.AuditEIS --eid $EC --iccid $ICCC --requester $MNOC --fcid c1 | field op)
wait_state "$op" done && ok "C's AuditEIS: done" || bad "C's AuditEIS: $("$BIN" smsr result --db "$DB" --op "$op" --json)"
stop_smsr
CN=$(sqlite3 "$DBF" "SELECT counter FROM keyset WHERE eid = '$EC' AND kvn = 1")
sqlite3 "$DBF" "UPDATE keyset SET counter = 0 WHERE eid = '$EC' AND kvn = 1" || bad "counter reset"
start_smsr 2
op=$(submit --fn ES4.AuditEIS --eid $EC --iccid $ICCC --requester $MNOC --fcid c2 --validity 60 | field op)
wait_state "$op" done 60 && ok "after the counter went back ($CN -> 0): the next AuditEIS is done" ||
  bad "C after restore: $("$BIN" smsr result --db "$DB" --op "$op" --json) $(grep -i 'counter\|PoR' "$tmp/smsr.log" | tail -4)"
# one resend per refusal with counter + 1 would need 5000 round trips; doubling needs 3 (1 -> 1026 ->
# 3078 -> 7182)
n=$(grep -c "SCP80 counter too low for the card: raised eid=$EC" "$tmp/smsr.log")
grep -q "PoR with a security status: sending again.*status=cntr-low" "$tmp/smsr.log" && [ "$n" -ge 2 ] && [ "$n" -le 4 ] &&
  ok "the card said cntr-low (PoR status 02) $n times, the SM-SR raised its counter each time" ||
  bad "raises logged: $n"
CN2=$(sqlite3 "$DBF" "SELECT counter FROM keyset WHERE eid = '$EC' AND kvn = 1")
[ "$CN2" -gt "$CN" ] && ok "stored counter now $CN2 (above the card's $CN)" || bad "counter $CN2 (card $CN)"
stop_smsr
[ $fail = 0 ] || { echo "--- smsr.log"; tail -25 "$tmp/smsr.log"; }
[ -z "${KEEP_LOGS:-}" ] || cp "$tmp"/*.log "$KEEP_LOGS"/
exit $fail
