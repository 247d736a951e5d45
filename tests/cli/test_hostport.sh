#!/usr/bin/env bash
# host:port, one parser (rsp/hostport.h) behind every flag that names an address: smsc --listen,
# euicc run --smsc and euicc attach --vpcd refuse the same malformed addresses (exit 2), among them an
# IPv6 literal without brackets; and one in brackets (RFC 3986 3.2.2) works end to end: rsp smsc
# listens on [::1]:0, writes its port file, and rsp euicc run binds to it over IPv6.
. "$(dirname "$0")/daemons.sh"
rc_of() { "$@" >"$tmp/out" 2>"$tmp/err"; echo $?; }

for a in "::1:2775" "[::1" "[::1]2775" "h:65536"; do
  r1=$(rc_of "$BIN" smsc --listen "$a")
  r2=$(rc_of "$BIN" euicc run --fleet "$tmp/f" --smsc "$a")
  # (euicc attach exits 2 for the missing fleet too: its refusal must name --vpcd)
  r3=$(rc_of "$BIN" euicc attach --fleet "$tmp/f" --eid 89049032123451234512345678901235 --vpcd "$a")
  grep -q -- "--vpcd wants HOST:PORT" "$tmp/err" || r3="$r3 ($(head -c 120 "$tmp/err"))"
  [ "$r1$r2$r3" = 222 ] && ok "'$a' refused by smsc, euicc run and euicc attach: 2" \
    || bad "'$a': smsc $r1, euicc run $r2, euicc attach $r3"
done
# the refusal says what is wrong with the address, not only that it is one
"$BIN" smsc --listen "::1:2775" 2>"$tmp/err"
grep -q "address '::1:2775': an IPv6 address goes in brackets" "$tmp/err" && ok "smsc names the fault: $(cat "$tmp/err")" \
  || bad "smsc's refusal of ::1:2775: $(cat "$tmp/err")"

"$BIN" smsc --listen '[::1]:0' --port-file "$tmp/smsc6.port" >"$tmp/smsc6.log" 2>&1 &
S6=$!; pids+=($S6)
for _ in $(seq 200); do [ -s "$tmp/smsc6.port" ] || ! kill -0 $S6 2>/dev/null && break; sleep 0.05; done
P6=$(tr -dc 0-9 <"$tmp/smsc6.port" 2>/dev/null)
if [ -z "$P6" ] && grep -q "cannot listen" "$tmp/smsc6.log"; then
  ok "# SKIP no IPv6 loopback on this machine: $(tail -1 "$tmp/smsc6.log")"
  exit $fail
fi
[ -n "$P6" ] && [ "$(cat "$tmp/smsc6.port")" = "$P6" ] && grep -q "listening.*addr=::1:$P6" "$tmp/smsc6.log" \
  && ok "smsc listens on [::1]:$P6 (port file: the number and a newline)" || bad "smsc on [::1]: $(tail -2 "$tmp/smsc6.log")"
make_fleet 1 447700900800 447700100996
"$BIN" euicc run --fleet "$tmp/fleet" --smsc "[::1]:$P6" >"$tmp/run.log" 2>&1 &
pids+=($!)
for _ in $(seq 400); do grep -q "bound.*peer=.*::1" "$tmp/smsc6.log" && break; sleep 0.05; done
grep -q "bound.*peer=.*::1" "$tmp/smsc6.log" && ok "euicc run --smsc [::1]:$P6 binds over IPv6" \
  || bad "no IPv6 bind: $(tail -3 "$tmp/smsc6.log") / $(tail -3 "$tmp/run.log")"
exit $fail
