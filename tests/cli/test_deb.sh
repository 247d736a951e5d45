#!/bin/bash
# The Debian package (scripts/mkdeb, `make deb`) installed on this machine: built from $RSP_BIN's binary
# (uncompressed, version <project>~rsptest), `dpkg -i`; the openrsp user, /etc/openrsp (root:openrsp 0750,
# conffiles 0640), the SM-SR master key, /var/lib/openrsp; `systemd-analyze verify` of the four units; each
# daemon started as the openrsp user with its unit's ExecStart and installed config (no systemd PID 1 here:
# setpriv, what systemd's User= does; listen ports moved to 0 through the RSP_* environment the configs
# honour, so nothing of the machine's is disturbed): rsp smsc, rsp smsr run and rsp smdp run answer
# /metrics, rsp euicc run binds to the SMSC; each stops on SIGTERM with exit 0; a reinstall keeps an edited
# conffile, the master key and the store; `dpkg -r` keeps the
# configuration, the state and the user; `dpkg -P` leaves nothing: no file of the package, no state, no user.
# Runs only as root with dpkg, and refuses (skips, saying why) when an openrsp package, user or directory
# that this test did not make is present.
set -u
BIN=${RSP_BIN:?}
SRC=${RSP_SOURCE_DIR:?}
PKG=${RSP_SHARED_DIR:?}/profiles/TS48v7_SAIP2.3_NoBERTLV.der
skip() { echo "ok - skipped: $*"; exit 0; }
[ "$(id -u)" -eq 0 ] || skip "not root (dpkg -i needs it)"
for t in dpkg dpkg-deb dpkg-query systemd-analyze setpriv useradd readelf curl; do
  command -v $t >/dev/null || skip "$t not found"
done
# one run at a time on a machine (several checkouts may run their suites at once): a ~rsptest package
# found while holding the lock is a leftover of a killed run, never another run's
command -v flock >/dev/null || skip "flock not found"
exec 9>/var/lock/openrsp-test-deb.lock
flock -w 300 9 || skip "another test_deb.sh held the lock for 5 minutes"
VER="$("$BIN" version | awk '{print $NF}')~rsptest"
inst=$(dpkg-query -W -f='${Version} ${db:Status-Status}' openrsp 2>/dev/null || true)
if [ -n "$inst" ] && [ "$inst" != "${inst#*~rsptest}" ]; then
  dpkg -P openrsp >/dev/null 2>&1 # a test run that was killed before its cleanup
  inst=$(dpkg-query -W -f='${Version} ${db:Status-Status}' openrsp 2>/dev/null || true)
fi
[ -z "$inst" ] || [ "${inst#* }" = not-installed ] || skip "an openrsp package not built by this test is on this machine ($inst)"
getent passwd openrsp >/dev/null && skip "a user openrsp exists that no openrsp package owns"
for d in /etc/openrsp /var/lib/openrsp; do [ -e $d ] && skip "$d exists and no openrsp package owns it"; done

tmp=$(mktemp -d)
chmod 0755 "$tmp"
pids=()
fail=0
ok() { echo "ok - $*"; }
bad() { echo "FAIL - $*"; fail=1; }
cleanup() {
  for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null; done
  if dpkg-query -W -f='${Version}' openrsp 2>/dev/null | grep -q '~rsptest'; then dpkg -P openrsp >/dev/null 2>&1; fi
  rm -rf "$tmp"
}
trap cleanup EXIT

deb=$("$SRC/scripts/mkdeb" --fast --version "$VER" --out "$tmp" "$BIN") && [ -s "$deb" ] && ok "mkdeb: $(basename "$deb")" ||
  { bad "mkdeb failed"; exit 1; }
dpkg-deb -f "$deb" Depends | grep -q 'libssl3' && ok "Depends names the libraries' packages: $(dpkg-deb -f "$deb" Depends | cut -c1-80)..." ||
  bad "Depends: $(dpkg-deb -f "$deb" Depends)"
dpkg -i "$deb" >"$tmp/dpkg-i.log" 2>&1 && ok "dpkg -i" || { bad "dpkg -i: $(tail -5 "$tmp/dpkg-i.log")"; exit 1; }
dpkg -L openrsp >"$tmp/files"

# what postinst made
getent passwd openrsp | grep -q ':/var/lib/openrsp:/usr/sbin/nologin$' && ok "system user openrsp (no login, home /var/lib/openrsp)" ||
  bad "user: $(getent passwd openrsp)"
[ "$(stat -c '%U:%G %a' /var/lib/openrsp)" = "openrsp:openrsp 750" ] && ok "/var/lib/openrsp openrsp:openrsp 0750" ||
  bad "/var/lib/openrsp: $(stat -c '%U:%G %a' /var/lib/openrsp)"
[ "$(stat -c '%U:%G %a' /etc/openrsp /etc/openrsp/smsr.ini | sort -u | paste -sd' ')" = "root:openrsp 640 root:openrsp 750" ] &&
  ok "/etc/openrsp root:openrsp 0750, configs 0640 (they hold passwords)" || bad "/etc/openrsp: $(stat -c '%n %U:%G %a' /etc/openrsp /etc/openrsp/*)"
grep -qxE '[0-9a-f]{64}' /etc/openrsp/smsr-master.key && [ "$(stat -c '%U:%G %a' /etc/openrsp/smsr-master.key)" = "root:openrsp 640" ] &&
  ok "SM-SR master key made (64 hex digits, root:openrsp 0640)" || bad "master key: $(stat -c '%U:%G %a' /etc/openrsp/smsr-master.key)"
[ "$(dpkg-query -W -f='${Conffiles}' openrsp | grep -c '/etc/openrsp/')" -eq 5 ] && ok "5 conffiles under /etc/openrsp" ||
  bad "conffiles: $(dpkg-query -W -f='${Conffiles}' openrsp)"
units=(rsp-smsr rsp-smdp rsp-smsc rsp-euicc)
for u in "${units[@]}"; do [ -f /lib/systemd/system/$u.service ] || bad "unit $u missing"; done
if systemd-analyze verify "${units[@]/%/.service}" >"$tmp/verify.log" 2>&1 && [ ! -s "$tmp/verify.log" ]; then
  ok "systemd-analyze verify: the four units, no warning"
else
  bad "systemd-analyze verify: $(cat "$tmp/verify.log")"
fi

# a PKI and a one-card fleet where the installed configs look for them
P=/etc/openrsp/pki
{ rsp ci init --dir $P/ci && rsp ci issue --dir $P/ci --role smsr --id SMSR1 --out $P/smsr &&
  rsp ci issue --dir $P/ci --role smdp --id SMDP1 --out $P/smdp && rsp ci issue --dir $P/ci --role eum --id EUM1 --out $P/eum &&
  rsp eum make --ci $P/ci --eum $P/eum --count 1 --profile "$PKG" --smsr-id SMSR1 --out /var/lib/openrsp/fleet \
    --transport-key 000102030405060708090a0b0c0d0e0f --msisdn-start 447700900001 --smsr-msisdn 447700900000; } >"$tmp/pki.log" 2>&1 &&
  chgrp -R openrsp $P && chmod -R g+rX $P && chown -R openrsp:openrsp /var/lib/openrsp/fleet &&
  ok "PKI in /etc/openrsp/pki, a card in /var/lib/openrsp/fleet (installed /usr/bin/rsp)" || { bad "pki: $(tail -3 "$tmp/pki.log")"; exit 1; }

# run NAME [ENV=V ...] [-- EXTRA ARGS]: the unit's ExecStart with its EnvironmentFile, as User=openrsp
run() {
  local u=$1; shift
  local envs=() extra=()
  while [ $# -gt 0 ] && [ "$1" != -- ]; do envs+=("$1"); shift; done
  [ $# -gt 0 ] && { shift; extra=("$@"); }
  local unit=/lib/systemd/system/$u.service
  local cmd ef
  cmd=$(sed -n 's/^ExecStart=//p' $unit)
  ef=$(sed -n 's/^EnvironmentFile=//p' $unit)
  # systemd expands ${VAR} as one word and $VAR split on white space: the shell's own rules for these
  (
    set -a
    [ -z "$ef" ] || . "$ef"
    for e in "${envs[@]}"; do export "$e"; done
    set +a
    eval "exec setpriv --reuid openrsp --regid openrsp --init-groups -- $cmd \"\${extra[@]}\""
  ) >"$tmp/$u.log" 2>&1 &
  LASTPID=$!
  pids+=($LASTPID)
}
wait_log() { for _ in $(seq 300); do grep -qE "$2" "$1" && return 0; sleep 0.1; done; return 1; }
stop() { # stop NAME PID: SIGTERM, exit 0 within 30 s
  kill -TERM "$2" 2>/dev/null
  for _ in $(seq 300); do kill -0 "$2" 2>/dev/null || break; sleep 0.1; done
  wait "$2"; local rc=$?
  [ $rc -eq 0 ] && ok "$1 stopped on SIGTERM (exit 0)" || bad "$1 exit $rc on SIGTERM: $(tail -3 "$tmp/$1.log")"
}
metrics() { # metrics NAME DAEMON: metrics_port from the log, rsp_build_info{daemon=...} in /metrics
  local mp
  wait_log "$tmp/$1.log" 'metrics_port=[0-9]+' || { bad "$1 did not start: $(tail -3 "$tmp/$1.log")"; return 1; }
  mp=$(grep -o 'metrics_port=[0-9]*' "$tmp/$1.log" | tail -1 | cut -d= -f2)
  curl -sS --max-time 20 "http://127.0.0.1:$mp/metrics" | grep -q "^rsp_build_info{daemon=\"$2\"" &&
    ok "$1 from /etc/openrsp answers /metrics, running as $(ps -o user= -p "$LASTPID")" || bad "$1 /metrics"
}

run rsp-smsc RSP_SMSC_LISTEN=127.0.0.1:0 -- --port-file /var/lib/openrsp/smsc.port
SMSC=$LASTPID
for _ in $(seq 300); do [ -s /var/lib/openrsp/smsc.port ] && break; sleep 0.1; done
SP=$(tr -dc 0-9 </var/lib/openrsp/smsc.port 2>/dev/null)
[ -n "$SP" ] && ok "rsp-smsc listening (port $SP)" || { bad "smsc: $(tail -3 "$tmp/rsp-smsc.log")"; exit 1; }

run rsp-smsr RSP_SMPP_PORT=$SP RSP_SMSR_LISTEN=127.0.0.1:0 RSP_SMSR_METRICS_LISTEN=127.0.0.1:0 \
  RSP_SMSR_PORT_FILE=/var/lib/openrsp/smsr.port
SMSR=$LASTPID
metrics rsp-smsr smsr
[ "$(stat -c %U /var/lib/openrsp/smsr.db 2>/dev/null)" = openrsp ] && ok "the SM-SR store /var/lib/openrsp/smsr.db belongs to openrsp" ||
  bad "smsr.db: $(ls -la /var/lib/openrsp)"
wait_log "$tmp/rsp-smsc.log" 'bound system_id=smsr ' && ok "rsp-smsr bound to rsp-smsc ([smpp] of smsr.ini)" ||
  bad "smsr not bound: $(tail -3 "$tmp/rsp-smsc.log")"
for _ in $(seq 100); do [ -s /var/lib/openrsp/smsr.port ] && break; sleep 0.1; done
SRP=$(tr -dc 0-9 </var/lib/openrsp/smsr.port 2>/dev/null)

run rsp-smdp RSP_SMDP_LISTEN=127.0.0.1:0 RSP_SMDP_METRICS_LISTEN=127.0.0.1:0 RSP_ES3_URL=https://127.0.0.1:${SRP:-1}/
SMDP=$LASTPID
metrics rsp-smdp smdp

run rsp-euicc RSP_EUICC_SMSC=127.0.0.1:$SP
EUICC=$LASTPID
wait_log "$tmp/rsp-euicc.log" 'bound to the SMSC binds_up=([0-9]+) of=\1' && [ -S /var/lib/openrsp/euicc.sock ] &&
  ok "rsp-euicc bound to the SMSC, control socket /var/lib/openrsp/euicc.sock" || bad "euicc: $(tail -3 "$tmp/rsp-euicc.log")"

stop rsp-euicc $EUICC
stop rsp-smdp $SMDP
stop rsp-smsr $SMSR
stop rsp-smsc $SMSC
pids=()

# reinstall over itself (the upgrade path: prerm upgrade, unpack, postinst configure): an edited
# conffile, the master key and the state are kept
mk=$(cat /etc/openrsp/smsr-master.key)
echo "; edited by the admin" >>/etc/openrsp/smsr.ini
dpkg -i "$deb" >"$tmp/dpkg-i2.log" 2>&1 && [ "$(cat /etc/openrsp/smsr-master.key)" = "$mk" ] &&
  tail -1 /etc/openrsp/smsr.ini | grep -q 'edited by the admin' && [ -f /var/lib/openrsp/smsr.db ] &&
  ok "reinstall: edited smsr.ini, master key and store kept" || bad "reinstall: $(tail -3 "$tmp/dpkg-i2.log")"

# remove: binary and units go; configuration, state and user stay
dpkg -r openrsp >"$tmp/dpkg-r.log" 2>&1 && ok "dpkg -r" || bad "dpkg -r: $(tail -3 "$tmp/dpkg-r.log")"
[ ! -e /usr/bin/rsp ] && [ ! -e /lib/systemd/system/rsp-smsr.service ] && [ -f /etc/openrsp/smsr.ini ] &&
  [ -f /var/lib/openrsp/smsr.db ] && getent passwd openrsp >/dev/null &&
  [ "$(dpkg-query -W -f='${db:Status-Status}' openrsp)" = config-files ] &&
  ok "after remove: binary and units gone; /etc/openrsp, /var/lib/openrsp and the user kept" || bad "after remove: $(ls /etc/openrsp /var/lib/openrsp 2>&1 | head -5)"

# purge: nothing left
dpkg -P openrsp >"$tmp/dpkg-p.log" 2>&1 && ok "dpkg -P" || bad "dpkg -P: $(tail -3 "$tmp/dpkg-p.log")"
left=""
while read -r f; do
  case "$f" in /. | /etc | /lib | /lib/systemd | /lib/systemd/system | /usr | /usr/bin | /usr/share | /usr/share/doc) continue ;; esac
  [ -e "$f" ] && left="$left $f"
done <"$tmp/files"
[ -z "$left" ] && [ ! -e /etc/openrsp ] && [ ! -e /var/lib/openrsp ] && ok "after purge: no file of the package, no /etc/openrsp, no /var/lib/openrsp" ||
  bad "left after purge:$left $(ls -d /etc/openrsp /var/lib/openrsp 2>/dev/null)"
! getent passwd openrsp >/dev/null && ! getent group openrsp >/dev/null && ok "after purge: user and group openrsp removed" ||
  bad "user/group openrsp still there"
dpkg-query -W openrsp >/dev/null 2>&1 && bad "dpkg still knows openrsp" || ok "dpkg no longer knows openrsp"
exit $fail
