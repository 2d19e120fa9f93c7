#!/usr/bin/env bash
# labels: lab dns
# timeout: 180
# A secondary held back (Knot's zone frozen: it answers, but with old data, and takes no
# transfers): verification fails within its timeout and names the lagging server; ferry goes
# no further (no finish, no switch on an unverified lowering). Once released, verify passes.
. "$(dirname "$0")/dns_lib.sh"
reset_names "$PRIMARY" api
release() { "$TOP/lab/dns/secondary" release; }
cleanup_hooks+=("release" "reset_names '$PRIMARY' api")
COMMON=(--zone "$ZONE" --key-file "$KEY" --dns-server "$PRIMARY" --dns-server "$SECONDARY" --ttl 2 --verify-timeout 3)

note "the switch, with the secondary held back"
run_ferry dns lower --move lag "${COMMON[@]}" --name api
expect_rc "lower" 0
sleep 5
"$TOP/lab/dns/secondary" hold
run_ferry dns switch --move lag --new 198.18.0.3 --new 2001:2::3
expect_rc "switch: verification fails" 1
expect_out "the error names the lagging server" "127.0.0.1:5302 lagging"
expect_out "it says what the lagging server still answers" "127.0.0.1:5302 still answers other data"
if grep -F "lagging" "$last_err" | grep -qF "127.0.0.1:5301"; then fail "the primary is named as lagging"; else ok "the primary is not named"; fi
expect_eq "the primary has the new address" "198.18.0.3/2" "$(answers "api.$ZONE" A "$PRIMARY")"
expect_eq "the secondary still has the old one" "198.18.0.2/2" "$(answers "api.$ZONE" A "$SECONDARY")"
jq -e '.stage == "switched" and .switch_verified_at == null' "$STATE/lag/dns.json" >/dev/null &&
  ok "state: switched, not verified" || fail "state: $(cat "$STATE/lag/dns.json")"
sleep 2
run_ferry dns finish --move lag
expect_rc "finish refuses an unverified switch" 3
expect_out "finish says why" "never seen on every authoritative server"
expect_eq "nothing else changed on the primary" "198.18.0.3/2" "$(answers "api.$ZONE" A "$PRIMARY")"

note "released, the secondary catches up and verify passes"
release
run_ferry dns verify --move lag --json
expect_rc "verify" 0
expect_eq "verified on both" "true true" "$(json_field '[.verification.servers[].ok] | map(tostring) | join(" ")')"
expect_eq "both have the new address" "198.18.0.3/2 198.18.0.3/2" "$(answers "api.$ZONE" A "$PRIMARY" "$SECONDARY")"
run_ferry dns abort --move lag
expect_rc "abort (cleanup)" 0

note "a lowering the secondary never saw: the switch waits for verification"
reset_names "$PRIMARY" api
"$TOP/lab/dns/secondary" sync   # held back from here: it has the reset records, not the lowering
"$TOP/lab/dns/secondary" hold
run_ferry dns lower --move lag2 "${COMMON[@]}" --name api
expect_rc "lower: verification fails" 1
expect_out "the error names the lagging server" "127.0.0.1:5302 lagging"
sleep 5
run_ferry dns switch --move lag2 --new 198.18.0.3 --new 2001:2::3
expect_rc "switch refused: the lowering was never verified" 3
expect_out "it says to verify first" "ferry dns verify"
expect_eq "nothing switched" "198.18.0.2/2 198.18.0.2/5" "$(answers "api.$ZONE" A "$PRIMARY" "$SECONDARY")"
release
run_ferry dns abort --move lag2
expect_rc "abort (cleanup)" 0

expect_secrets_absent
finish
