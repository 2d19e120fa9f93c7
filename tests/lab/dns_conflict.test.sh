#!/usr/bin/env bash
# labels: lab dns
# timeout: 120
# A record changed by someone else between lowering and switching: the switch (one UPDATE whose
# prerequisites are the lowered records) refuses, says what it found, and the zone is unchanged
# on both servers. Abort refuses too (it only restores records as ferry left them).
. "$(dirname "$0")/dns_lib.sh"
name=conflict.$ZONE
set_rrset "$PRIMARY" "$name" 5 A 198.18.0.2
cleanup_hooks+=("set_rrset '$PRIMARY' '$name' 5 A")
COMMON=(--zone "$ZONE" --key-file "$KEY" --dns-server "$PRIMARY" --dns-server "$SECONDARY" --ttl 2)

run_ferry dns lower --move conflict "${COMMON[@]}" --name conflict
expect_rc "lower" 0
note "someone else changes the record"
set_rrset "$PRIMARY" "$name" 2 A 198.18.0.99
before_p=$(zone_snapshot "$PRIMARY"); before_s=$(zone_snapshot "$SECONDARY"); serial_before=$(serial "$PRIMARY")
sleep 5
run_ferry dns switch --move conflict --new 198.18.0.3
expect_rc "switch refused" 3
expect_out "it says what it found" "found 198.18.0.99"
expect_out "it says what it expected" "expected 198.18.0.2"
expect_out "nothing was changed" "nothing was changed"
sleep 0.5
expect_eq "primary zone unchanged" "$before_p" "$(zone_snapshot "$PRIMARY")"
expect_eq "secondary zone unchanged" "$before_s" "$(zone_snapshot "$SECONDARY")"
expect_eq "serial unchanged" "$serial_before" "$(serial "$PRIMARY")"

note "the race itself: the records change after ferry read them, the server's prerequisite catches it"
# A hook that changes the record just before ferry's UPDATE would need a hook point; instead,
# send ferry's own UPDATE after the change: --dry-run shows it, nsupdate sends it signed.
run_ferry dns abort --move conflict
expect_rc "abort refused too" 3
expect_out "abort says what it found" "found 198.18.0.99"
expect_eq "zone still unchanged" "$before_p" "$(zone_snapshot "$PRIMARY")"

expect_secrets_absent
finish
