#!/usr/bin/env bash
# labels: lab dns
# timeout: 180
# The same flow with the powerdns provider (HTTP API) against the lab's PowerDNS: lower -> early
# switch refused -> switch -> verified -> finish; abort; someone else's change refused; a wrong
# API key and an unknown zone give clear errors; no key or secret in anything ferry wrote.
. "$(dirname "$0")/dns_lib.sh"
reset_names "$PDNS" svc www
cleanup_hooks+=("reset_names '$PDNS' svc www")
API_KEY_FILE=$FERRY_LAB_PDNS_API_KEY_FILE
# The lab's API is plain http on the lab's own network: said so with --insecure-api.
COMMON=(--provider powerdns --api-url "$FERRY_LAB_PDNS_API" --insecure-api --api-key-file "$API_KEY_FILE" --zone "$ZONE"
  --dns-server "$PDNS" --verify-timeout 5)

note "plain http without --insecure-api: refused before any request"
run_ferry dns lower --move p0 --provider powerdns --api-url "$FERRY_LAB_PDNS_API" --api-key-file "$API_KEY_FILE" --zone "$ZONE" --dns-server "$PDNS" --name svc
expect_rc "http refused" 2
expect_out "says why" "is plain http: the API key would cross the network unencrypted"
expect_out "says what to do" "--insecure-api"

note "dry run"
run_ferry dns lower --dry-run --move p1 "${COMMON[@]}" --ttl 4 --name svc --name www
expect_rc "dry run" 0
expect_out "shows the PATCH" "PATCH $FERRY_LAB_PDNS_API/api/v1/servers/localhost/zones/ferry.test."
expect_out "shows the body" '"changetype": "REPLACE"'
expect_out "hides the API key" "X-API-Key: (from the API key file; not shown)"
expect_eq "nothing changed" "198.18.0.2/5" "$(answers "svc.$ZONE" A "$PDNS")"

note "lower, wait, switch, finish"
run_ferry dns lower --move p1 "${COMMON[@]}" --name svc --name www --ttl 4
expect_rc "lower" 0
expect_eq "lowered" "198.18.0.2/4" "$(answers "svc.$ZONE" A "$PDNS")"
run_ferry dns switch --move p1 --new 198.18.0.3 --new 2001:2::3
expect_rc "early switch refused" 6
expect_out "it says how long to wait" "wait "
sleep 5
run_ferry dns switch --move p1 --new 198.18.0.3 --new 2001:2::3 --json
expect_rc "switch" 0
expect_eq "verified on PowerDNS" "127.0.0.1:5303:true" "$(json_field '[.verification.servers[] | "\(.server):\(.ok)"] | join(" ")')"
run_ferry dns finish --move p1
expect_rc "early finish refused" 6
expect_eq "svc A switched" "198.18.0.3/4" "$(answers "svc.$ZONE" A "$PDNS")"
expect_eq "svc AAAA added" "2001:2::3/4" "$(answers "svc.$ZONE" AAAA "$PDNS")"
expect_eq "www AAAA switched" "2001:2::3/4" "$(answers "www.$ZONE" AAAA "$PDNS")"
sleep 4
run_ferry dns finish --move p1
expect_rc "finish" 0
expect_eq "TTL restored" "198.18.0.3/5 2001:2::3/5" "$(answers "svc.$ZONE" A "$PDNS") $(answers "svc.$ZONE" AAAA "$PDNS")"

note "abort before the target served"
reset_names "$PDNS" svc www
run_ferry dns lower --move p2 "${COMMON[@]}" --ttl 2 --record svc=198.18.0.3 --record www=198.18.0.3,2001:2::3
expect_rc "lower" 0
run_ferry dns switch --move p2 --force
expect_rc "switch --force (early, with a warning)" 0
expect_out "warns" "warning: switching before it is safe (--force)"
run_ferry dns abort --move p2
expect_rc "abort" 0
expect_eq "restored" "198.18.0.2/5 2001:2::2/5" "$(answers "svc.$ZONE" A "$PDNS") $(answers "www.$ZONE" AAAA "$PDNS")"
expect_eq "the added AAAA is gone" "/" "$(answers "svc.$ZONE" AAAA "$PDNS")"

note "someone else's change between lower and switch"
reset_names "$PDNS" svc
run_ferry dns lower --move p3 "${COMMON[@]}" --ttl 2 --name svc
expect_rc "lower" 0
set_rrset "$PDNS" "svc.$ZONE" 2 A 198.18.0.99
run_ferry dns switch --move p3 --new 198.18.0.3 --force
expect_rc "switch refused" 3
expect_out "says what it found" "found 198.18.0.99"
expect_eq "unchanged" "198.18.0.99/2" "$(answers "svc.$ZONE" A "$PDNS")"

note "wrong API key, unknown zone"
reset_names "$PDNS" svc
printf 'not-the-key\n' >"$WORK/wrong.key"
run_ferry dns lower --move p4 --provider powerdns --api-url "$FERRY_LAB_PDNS_API" --insecure-api --api-key-file "$WORK/wrong.key" --zone "$ZONE" --dns-server "$PDNS" --name svc
expect_rc "wrong API key" 1
expect_out "names the API and HTTP 401" "the PowerDNS API at $FERRY_LAB_PDNS_API refused to read zone ferry.test. (HTTP 401)"
expect_out "hints at the key" "the API key is wrong"
run_ferry dns lower --move p5 --provider powerdns --api-url "$FERRY_LAB_PDNS_API" --insecure-api --api-key-file "$API_KEY_FILE" --zone nosuch.test --dns-server "$PDNS" --name svc
expect_rc "unknown zone" 1
expect_out "HTTP 404 with a hint" "PowerDNS has no zone nosuch.test."
run_ferry dns lower --move p6 --provider powerdns --api-url http://127.0.0.1:1 --insecure-api --api-key-file "$API_KEY_FILE" --zone "$ZONE" --dns-server "$PDNS" --name svc
expect_rc "API not reachable" 1
expect_out "names the URL" "cannot reach the PowerDNS API at http://127.0.0.1:1"
expect_eq "still unchanged" "198.18.0.2/5" "$(answers "svc.$ZONE" A "$PDNS")"

expect_secrets_absent
finish
