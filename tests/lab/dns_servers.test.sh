#!/usr/bin/env bash
# labels: lab dns
# timeout: 120
# The lab's DNS servers: a TSIG-signed update reaches the primary, and the secondary follows by
# NOTIFY + IXFR; updates with no key, a wrong secret or an unknown key name are refused, and the
# zone is unchanged on both. PowerDNS takes the same signed update and refuses unsigned ones.
. "$(dirname "$0")/dns_lib.sh"

name=servers-test.$ZONE
set_rrset "$PRIMARY" "$name" 5 A
before_serial=$(serial "$PRIMARY")

note "signed update on the primary"
ixfr_before=$(grep -c "IXFR, incoming.*finished" "$LAB_DIR/dns/knot/knot.log" || true)
echo "update add $name 5 A 198.18.0.7" | nsupdate_to "$PRIMARY" "$KEY"
expect_eq "primary serves the new record" 198.18.0.7 "$(addrs "$PRIMARY" "$name" A)"
"$TOP/lab/dns/secondary" sync
after_serial=$(serial "$PRIMARY")
[ "$after_serial" -gt "$before_serial" ] && ok "primary serial grew ($before_serial -> $after_serial)" ||
  fail "primary serial did not grow ($before_serial -> $after_serial)"
expect_eq "secondary followed the serial" "$after_serial" "$(serial "$SECONDARY")"
expect_eq "secondary serves the new record" 198.18.0.7 "$(addrs "$SECONDARY" "$name" A)"
ixfr_after=$(grep -c "IXFR, incoming.*finished" "$LAB_DIR/dns/knot/knot.log" || true)
[ "$ixfr_after" -gt "$ixfr_before" ] && ok "secondary got it by IXFR (after a NOTIFY)" ||
  fail "no new IXFR in the secondary's log ($ixfr_before -> $ixfr_after)"

snap_p=$(zone_snapshot "$PRIMARY"); snap_s=$(zone_snapshot "$SECONDARY"); serial_p=$(serial "$PRIMARY")
[ -n "$snap_p" ] && [ "$snap_p" = "$snap_s" ] && ok "both serve the same zone (AXFR)" ||
  fail "primary and secondary differ before the refused updates"
refused() {  # WHAT KEY-ARGS EXPECTED-ERROR
  local what=$1 expected=$3 out=$WORK/nsupdate.out
  if printf 'server %s %s\nzone %s\nupdate add %s 5 A 198.18.0.66\nsend\n' \
    "$(host_of "$PRIMARY")" "$(port_of "$PRIMARY")" "$ZONE" "$name" | eval "nsupdate $2" >"$out" 2>&1; then
    fail "$what: update accepted"
  else
    expect_contains "$what: refused with $expected" "$expected" "$out"
  fi
}
note "updates that must be refused"
refused "no key" "" "REFUSED"
refused "wrong secret" "-y hmac-sha256:ferry-key:$(head -c 32 /dev/urandom | base64)" "NOTAUTH(BADSIG)"
refused "unknown key name" "-y hmac-sha256:no-such-key:$SECRET" "NOTAUTH(BADKEY)"
sleep 0.3
expect_eq "primary zone unchanged" "$snap_p" "$(zone_snapshot "$PRIMARY")"
expect_eq "secondary zone unchanged" "$snap_s" "$(zone_snapshot "$SECONDARY")"
expect_eq "primary serial unchanged" "$serial_p" "$(serial "$PRIMARY")"
expect_eq "secondary serial unchanged" "$serial_p" "$(serial "$SECONDARY")"
expect_eq "no refused record on the secondary" 198.18.0.7 "$(addrs "$SECONDARY" "$name" A)"

note "PowerDNS: signed update accepted, unsigned refused"
set_rrset "$PDNS" "$name" 5 A 198.18.0.8
expect_eq "powerdns serves the signed update" 198.18.0.8 "$(addrs "$PDNS" "$name" A)"
if echo "update add $name 5 A 198.18.0.66" | nsupdate_to "$PDNS" - >"$WORK/p.out" 2>&1; then
  fail "powerdns accepted an unsigned update"
else
  expect_contains "powerdns refuses an unsigned update" REFUSED "$WORK/p.out"
fi
expect_eq "powerdns record unchanged" 198.18.0.8 "$(addrs "$PDNS" "$name" A)"

set_rrset "$PRIMARY" "$name" 5 A
set_rrset "$PDNS" "$name" 5 A
finish
