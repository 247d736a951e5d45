#!/usr/bin/env bash
# rsp ci init|issue|verify --sgp22: a brainpool and a NIST SGP.22 PKI; every role's certificate read
# back by openssl (policy OID, key usage, curve, SKI = SHA-1 of the key, AKI = the CI's SKI, name
# constraints, SAN); chains verified by `rsp ci verify --sgp22` and by `openssl verify`; wrong role,
# wrong CI and malformed input refused with exit 1 / 2; the SGP.26 test certificates (outside fact)
# verify; an SGP.02 CI folder and an SGP.22 one are not mixed up.
set -u
BIN=${RSP_BIN:?}
SRC=${RSP_SOURCE_DIR:?}
S26=$SRC/tests/data/sgp26
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0
ok() { echo "ok - $*"; }
bad() { echo "FAIL - $*"; fail=1; }
rc_of() { "$@" >"$tmp/out" 2>"$tmp/err"; echo $?; }

for curve in nist brainpool; do
  d=$tmp/$curve
  rc=$(rc_of "$BIN" ci init --sgp22 --dir "$d/ci" --curve "$curve" --id "Test CI $curve" --json)
  [ "$rc" = 0 ] || { bad "$curve: ci init rc $rc $(cat "$tmp/err")"; continue; }
  ski=$(jq -r .ski "$tmp/out")
  [ "$(stat -c %a "$d/ci/ci.key.pem")" = 600 ] && ok "$curve: CI key mode 0600" || bad "$curve: CI key mode"
  want_curve=$([ "$curve" = nist ] && echo prime256v1 || echo brainpoolP256r1)
  openssl x509 -in "$d/ci/ci.crt.pem" -noout -text >"$tmp/ci.txt"
  grep -q "ASN1 OID: $want_curve" "$tmp/ci.txt" && grep -A1 "Certificate Policies: critical" "$tmp/ci.txt" | grep -q "2.23.146.1.2.1.0" \
    && grep -A1 "Key Usage: critical" "$tmp/ci.txt" | grep -q "Certificate Sign, CRL Sign" \
    && grep -A1 "Basic Constraints: critical" "$tmp/ci.txt" | grep -q "CA:TRUE" \
    && ok "$curve: CI profile (curve, policy .0 critical, keyCertSign+cRLSign, CA)" || bad "$curve: CI profile"
  # The SKI is SHA-1 of the public point (the last 65 bytes of the SubjectPublicKeyInfo).
  sha=$(openssl x509 -in "$d/ci/ci.crt.pem" -noout -pubkey | openssl pkey -pubin -outform der | tail -c 65 | openssl sha1 -r | cut -c1-40)
  [ "$sha" = "$ski" ] && ok "$curve: CI SKI = SHA-1 of the key" || bad "$curve: SKI $ski vs $sha"

  i=0
  for role in eum dpauth dppb dptls dsauth dstls; do
    extra=()
    case $role in eum) extra=(--eid-prefix 89049032 --eid-prefix 8949) ;; dptls) extra=(--dns smdp.example.test) ;; esac
    rc=$(rc_of "$BIN" ci issue --sgp22 --dir "$d/ci" --role $role --id "T $role" --out "$d/$role" "${extra[@]}" --json)
    [ "$rc" = 0 ] || { bad "$curve: issue $role rc $rc $(cat "$tmp/err")"; continue; }
    [ "$(jq -r .aki "$tmp/out")" = "$ski" ] || bad "$curve: $role AKI is not the CI's SKI"
    openssl x509 -in "$d/$role/cert.pem" -noout -text >"$tmp/c.txt"
    case $role in eum) x=2 ;; dptls) x=3 ;; dpauth) x=4 ;; dppb) x=5 ;; dstls) x=6 ;; dsauth) x=7 ;; esac
    grep -q "Policy: 2.23.146.1.2.1.$x\$" "$tmp/c.txt" || bad "$curve: $role policy"
    case $role in
      eum)
        grep -A1 "Key Usage: critical" "$tmp/c.txt" | grep -q "Certificate Sign" && grep -q "pathlen:0" "$tmp/c.txt" \
          && grep -A3 "Name Constraints: critical" "$tmp/c.txt" | grep -q "serialNumber = 89049032" \
          && grep -q "ASN1 OID: $want_curve" "$tmp/c.txt" || bad "$curve: EUM profile" ;;
      dptls|dstls)
        grep -A1 "Extended Key Usage: critical" "$tmp/c.txt" | grep -q "TLS Web Server Authentication" \
          && grep -q "ASN1 OID: prime256v1" "$tmp/c.txt" && ! grep -q "Certificate Policies: critical" "$tmp/c.txt" \
          || bad "$curve: $role TLS profile (P-256 whatever the CI)" ;;
      *)
        grep -A1 "Key Usage: critical" "$tmp/c.txt" | grep -q "Digital Signature" \
          && grep -q "Registered ID:2.999.[12]0" "$tmp/c.txt" && grep -q "ASN1 OID: $want_curve" "$tmp/c.txt" \
          || bad "$curve: $role profile" ;;
    esac
    [ "$(stat -c %a "$d/$role/key.pem")" = 600 ] || bad "$curve: $role key mode"
    # Our verifier, then OpenSSL's (CI as trust anchor; -ignore_critical for the EUM name constraints
    # is not needed: the EUM itself is the leaf here).
    [ "$(rc_of "$BIN" ci verify --sgp22 --role $role --ci "$d/ci" "$d/$role/cert.der")" = 0 ] || bad "$curve: verify $role: $(cat "$tmp/err")"
    openssl verify -CAfile "$d/ci/ci.crt.pem" "$d/$role/cert.pem" >/dev/null 2>&1 || bad "$curve: openssl verify $role"
    i=$((i + 1))
  done
  [ "$i" = 6 ] && ok "$curve: eum, dpauth, dppb, dptls, dsauth, dstls issued, profiles read back by openssl, chains verify" \
    || bad "$curve: only $i roles"
  # Serial numbers count up from 2 (the CI is 1) and are durable in ci.json.
  [ "$(jq -r .next_serial "$d/ci/ci.json")" = 8 ] && ok "$curve: serial counter" || bad "$curve: next_serial $(jq -r .next_serial "$d/ci/ci.json")"
  # Wrong role: exit 1 with the fault named.
  rc=$(rc_of "$BIN" ci verify --sgp22 --role dpauth --ci "$d/ci" "$d/dppb/cert.der" --json)
  [ "$rc" = 1 ] && [ "$(jq -r .fault "$tmp/out")" = wrong-role ] && ok "$curve: DPpb refused as DPauth (exit 1)" || bad "$curve: wrong role rc $rc"
done

# A chain of the other CI: ci-unknown. Both trusted: the right one is picked.
rc=$(rc_of "$BIN" ci verify --sgp22 --role dpauth --ci "$tmp/nist/ci" "$tmp/brainpool/dpauth/cert.pem" --json)
[ "$rc" = 1 ] && [ "$(jq -r .fault "$tmp/out")" = ci-unknown ] && ok "brainpool DPauth refused by the NIST CI" || bad "other CI rc $rc"
rc=$(rc_of "$BIN" ci verify --sgp22 --role dpauth --ci "$tmp/nist/ci" --ci "$tmp/brainpool/ci" "$tmp/brainpool/dpauth/cert.pem" --json)
[ "$rc" = 0 ] && [ "$(jq -r .ci "$tmp/out")" = "$tmp/brainpool/ci" ] && ok "two CIs: the chain's own is chosen" || bad "two CIs rc $rc"

# SGP.26 (outside fact): the test CI's SKI as SGP22.md lists it, and its DPauth/DPpb chains, at a time
# inside the TLS certificate's validity (2026-01-01); the TLS certificate expired later.
T=1767225600
rc=$(rc_of "$BIN" ci verify --sgp22 --role dpauth --ci "$S26/CERT_CI_ECDSA_NIST.der" --ci "$S26/CERT_CI_ECDSA_BRP.der" --at $T \
       "$S26/CERT_S_SM_DPauth_ECDSA_NIST.der" --json)
[ "$rc" = 0 ] && [ "$(jq -r .aki "$tmp/out")" = f54172bdf98a95d65cbeb88a38a1c11d800a85c3 ] && [ "$(jq -r .oid "$tmp/out")" = 2.999.10 ] \
  && ok "SGP.26 DPauth (NIST) verifies; AKI = the notes' test CI SKI; SM-DP+ OID 2.999.10" || bad "SGP.26 DPauth rc $rc $(cat "$tmp/out" "$tmp/err")"
rc=$(rc_of "$BIN" ci verify --sgp22 --role dppb --ci "$S26/CERT_CI_ECDSA_BRP.der" --at $T "$S26/CERT_S_SM_DPpb_ECDSA_BRP.der" --json)
[ "$rc" = 0 ] && [ "$(jq -r .aki "$tmp/out")" = c0bc70ba36929d43b467ff57570530e57ab8fcd8 ] && ok "SGP.26 DPpb (brainpool) verifies" || bad "SGP.26 DPpb rc $rc"
rc=$(rc_of "$BIN" ci verify --sgp22 --role dptls --ci "$S26/CERT_CI_ECDSA_NIST.der" --at 1798761600 "$S26/CERT_S_SM_DP_TLS_NIST.der" --json)
[ "$rc" = 1 ] && [ "$(jq -r .fault "$tmp/out")" = expired ] && ok "SGP.26 DP TLS refused in 2027 (expired)" || bad "SGP.26 TLS expiry rc $rc"

# Refusals of the tools: an SGP.02 folder with --sgp22, an SGP.22 folder without it, a role without its
# options, a non-certificate (exit 2).
"$BIN" ci init --dir "$tmp/gp" >/dev/null || bad "SGP.02 ci init"
[ "$(rc_of "$BIN" ci issue --sgp22 --dir "$tmp/gp" --role dpauth --id X --out "$tmp/x")" = 2 ] && ok "SGP.02 CI refused by --sgp22" || bad "SGP.02 CI accepted"
[ "$(rc_of "$BIN" ci issue --dir "$tmp/nist/ci" --role smdp --id X --out "$tmp/x")" = 2 ] && ok "SGP.22 CI refused without --sgp22" || bad "SGP.22 CI used as SGP.02"
[ "$(rc_of "$BIN" ci issue --sgp22 --dir "$tmp/nist/ci" --role eum --id X --out "$tmp/x")" = 2 ] && grep -q eid-prefix "$tmp/err" \
  && ok "an EUM without --eid-prefix: exit 2" || bad "EUM without prefix"
[ "$(rc_of "$BIN" ci issue --sgp22 --dir "$tmp/nist/ci" --role euicc --id X --out "$tmp/x")" = 2 ] && ok "euicc role refused (eum make)" || bad "euicc role"
[ "$(rc_of "$BIN" ci issue --sgp22 --dir "$tmp/nist/ci" --role eum --eid-prefix 89AB --id X --out "$tmp/x")" = 2 ] && ok "non-digit prefix: exit 2" || bad "non-digit prefix"
head -c 100 "$tmp/nist/dpauth/cert.der" >"$tmp/trunc.der"
[ "$(rc_of "$BIN" ci verify --sgp22 --role dpauth --ci "$tmp/nist/ci" "$tmp/trunc.der")" = 2 ] && ok "truncated certificate: exit 2" || bad "truncated cert"
[ "$(rc_of "$BIN" ci verify --sgp22 --role bogus --ci "$tmp/nist/ci" "$tmp/nist/dpauth/cert.der")" = 2 ] && ok "unknown role: exit 2" || bad "unknown role"
"$BIN" ci issue --sgp22 --help | grep -q -- "--eid-prefix" && ok "--help" || bad "--help"

exit $fail
