#!/usr/bin/env bash
# labels: lab dns
# timeout: 180
# The rfc2136 flow against the lab's BIND primary and Knot secondary (issue 5):
# lower -> switch refused until the old TTL (12 s) has passed -> switch (one CAS update) ->
# verified on both servers -> finish refused until the lowered TTL (8 s) has passed -> finish restores
# the original TTL; then abort before the target served restores the old records, and a target
# that has served refuses abort.
. "$(dirname "$0")/dns_lib.sh"
reset_names "$PRIMARY" svc www
cleanup_hooks+=("reset_names '$PRIMARY' svc www")
# Longer TTLs than the zone's 5 s, so that "too early" is still too early on a loaded machine.
set_rrset "$PRIMARY" "svc.$ZONE" 12 A 198.18.0.2
set_rrset "$PRIMARY" "www.$ZONE" 12 A 198.18.0.2
set_rrset "$PRIMARY" "www.$ZONE" 12 AAAA 2001:2::2
COMMON=(--zone "$ZONE" --key-file "$KEY" --dns-server "$PRIMARY" --dns-server "$SECONDARY" --verify-timeout 10)

note "dry run: the exact update, no secret, nothing changed"
run_ferry dns lower --dry-run --move flow "${COMMON[@]}" --name svc --name www --ttl 8
expect_rc "dry-run lower" 0
expect_out "dry run prints the update's prerequisite" "svc.ferry.test.	0	IN	A	198.18.0.2"
expect_out "dry run prints the new TTL" "svc.ferry.test.	8	IN	A	198.18.0.2"
expect_out "dry run names the key, not the secret" "TSIG key ferry-key. (hmac-sha256)"
[ ! -e "$STATE/flow" ] && ok "dry run wrote no state" || fail "dry run wrote $STATE/flow"
expect_eq "dry run changed nothing" "198.18.0.2/12 198.18.0.2/12" "$(answers "svc.$ZONE" A "$PRIMARY" "$SECONDARY")"

note "lower, and at once a switch that is too early"
run_ferry dns lower --move flow "${COMMON[@]}" --name svc --name www --ttl 8
expect_rc "lower" 0
cp "$last_out" "$WORK/lower.out"
# Right away (the old TTL is 12 s), so that even a slow machine is still inside the wait.
run_ferry dns switch --move flow --new 198.18.0.3 --new 2001:2::3 --json
expect_rc "early switch refused" 6
expect_out "it says how long to wait" "wait "
expect_out "it mentions --force" "--force"
wait_s=$(json_field .next_step_in_seconds)
[ "$wait_s" -ge 1 ] && [ "$wait_s" -le 12 ] && ok "--json says to wait $wait_s s" || fail "next_step_in_seconds '$wait_s'"
expect_eq "nothing switched" "198.18.0.2/8 198.18.0.2/8" "$(answers "svc.$ZONE" A "$PRIMARY" "$SECONDARY")"
last_out=$WORK/lower.out
expect_out "lower says it verified on both" "Verified on every authoritative server (127.0.0.1:5301, 127.0.0.1:5302)"
expect_eq "svc lowered on both servers" "198.18.0.2/8 198.18.0.2/8" "$(answers "svc.$ZONE" A "$PRIMARY" "$SECONDARY")"
expect_eq "www AAAA lowered on both servers" "2001:2::2/8 2001:2::2/8" "$(answers "www.$ZONE" AAAA "$PRIMARY" "$SECONDARY")"
jq -e '.stage == "lowered" and (.original | length) == 3 and (.original[0].ttl == 12) and .lowered_verified_at != null' \
  "$STATE/flow/dns.json" >/dev/null && ok "state records the original records and TTLs, and the time" ||
  fail "state file: $(cat "$STATE/flow/dns.json")"
run_ferry dns lower --move flow
expect_rc "lower again is a no-op" 0
expect_out "lower again says so" "Already done"
jq -e '.original[0].ttl == 12' "$STATE/flow/dns.json" >/dev/null && ok "a second lower keeps the original TTL" ||
  fail "a second lower overwrote the original TTL"
allowed=$(jq -r '.lowered_verified_at + 12' "$STATE/flow/dns.json")
left=$(awk -v a="$allowed" -v now="$(date +%s.%N)" 'BEGIN { d = a - now + 0.2; print (d > 0 ? d : 0) }')
sleep "$left"

note "switch"
run_ferry dns switch --move flow --new 198.18.0.3 --new 2001:2::3 --json
expect_rc "switch after the wait" 0
cp "$last_out" "$WORK/switch.json"
run_ferry dns finish --move flow
expect_rc "finish before the lowered TTL (8 s) passed is refused" 6
expect_out "finish says how long to wait" "wait "
last_out=$WORK/switch.json
expect_eq "switch verified" true "$(json_field .verification.ok)"
expect_eq "verified on both servers" "127.0.0.1:5301 127.0.0.1:5302" "$(json_field '[.verification.servers[] | select(.ok) | .server] | join(" ")')"
expect_eq "svc A on both" "198.18.0.3/8 198.18.0.3/8" "$(answers "svc.$ZONE" A "$PRIMARY" "$SECONDARY")"
expect_eq "svc AAAA added on both" "2001:2::3/8 2001:2::3/8" "$(answers "svc.$ZONE" AAAA "$PRIMARY" "$SECONDARY")"
expect_eq "www AAAA on both" "2001:2::3/8 2001:2::3/8" "$(answers "www.$ZONE" AAAA "$PRIMARY" "$SECONDARY")"

note "finish"
allowed=$(jq -r '.switch_verified_at + 8' "$STATE/flow/dns.json")
sleep "$(awk -v a="$allowed" -v now="$(date +%s.%N)" 'BEGIN { d = a - now + 0.2; print (d > 0 ? d : 0) }')"
run_ferry dns finish --move flow
expect_rc "finish" 0
expect_eq "svc A TTL restored on both" "198.18.0.3/12 198.18.0.3/12" "$(answers "svc.$ZONE" A "$PRIMARY" "$SECONDARY")"
expect_eq "svc AAAA takes the name's TTL" "2001:2::3/12 2001:2::3/12" "$(answers "svc.$ZONE" AAAA "$PRIMARY" "$SECONDARY")"
expect_eq "www AAAA TTL restored on both" "2001:2::3/12 2001:2::3/12" "$(answers "www.$ZONE" AAAA "$PRIMARY" "$SECONDARY")"
run_ferry dns abort --move flow
expect_rc "abort after the target served is refused" 3
expect_out "abort says moving back is a move" "moving back is a move in the other direction"
expect_eq "records stay" "198.18.0.3/12 198.18.0.3/12" "$(answers "svc.$ZONE" A "$PRIMARY" "$SECONDARY")"

note "abort before the target served restores the old records"
reset_names "$PRIMARY" svc www
cat >"$WORK/flow2.toml" <<TOML
instance = "flow2"
[dns]
zone = "$ZONE"
key_file = "$KEY"
servers = ["$PRIMARY", "$SECONDARY"]
ttl = 2
[[dns.record]]
name = "svc"
new = ["198.18.0.3"]
[[dns.record]]
name = "www.$ZONE"
new = ["198.18.0.3", "2001:2::3"]
TOML
run_ferry dns lower -f "$WORK/flow2.toml"
expect_rc "lower (second move, from a migration file)" 0
sleep 5
run_ferry dns switch --move flow2
expect_rc "switch with the addresses from the file, recorded at lowering" 0
expect_eq "switched" "198.18.0.3/2 198.18.0.3/2" "$(answers "svc.$ZONE" A "$PRIMARY" "$SECONDARY")"
run_ferry dns abort --move flow2
expect_rc "abort" 0
expect_eq "svc A restored on both, with its TTL" "198.18.0.2/5 198.18.0.2/5" "$(answers "svc.$ZONE" A "$PRIMARY" "$SECONDARY")"
expect_eq "www AAAA restored on both" "2001:2::2/5 2001:2::2/5" "$(answers "www.$ZONE" AAAA "$PRIMARY" "$SECONDARY")"
run_ferry dns abort --move flow2
expect_rc "abort again is a no-op" 0
run_ferry dns status --move flow2 --json
expect_rc "status" 0
expect_eq "status shows the stage" aborted "$(json_field .state.stage)"
expect_eq "status asked both servers" true "$(json_field .verification.ok)"

expect_secrets_absent
finish
