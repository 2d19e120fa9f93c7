#!/usr/bin/env bash
# labels: lab dns
# timeout: 180
# The manual provider: ferry prints exactly what to change (zone-file lines and an nsupdate
# script) and polls the primary until it sees it, then verifies on every server. Here "the
# operator" is this test, feeding the printed script to nsupdate.
. "$(dirname "$0")/dns_lib.sh"
reset_names "$PRIMARY" api
cleanup_hooks+=("reset_names '$PRIMARY' api")
COMMON=(--provider manual --zone "$ZONE" --dns-server "$PRIMARY" --dns-server "$SECONDARY" --ttl 2
  --poll-interval 0.2 --manual-timeout 20 --verify-timeout 5)

# operate STEP ARGS...: runs the ferry step in the background, applies what it prints, waits.
operate() {
  local out=$WORK/manual-$1.out err=$WORK/manual-$1.err
  shift
  "$FERRY" dns "$@" >"$out" 2>"$err" &
  local pid=$!
  for _ in $(seq 100); do grep -q '^    send$' "$out" 2>/dev/null && break; sleep 0.1; done
  if ! grep -q '^    send$' "$out"; then fail "no instructions from ferry dns $*"; cat "$out" "$err"; kill "$pid"; return; fi
  ok "ferry prints the change and waits"
  { echo "server $(host_of "$PRIMARY") $(port_of "$PRIMARY")"
    sed -n '/^The same change as an nsupdate script:$/,/^    send$/p' "$out" | tail -n +2 | sed 's/^    //'
  } | nsupdate -k "$KEY"
  set +e; wait "$pid"; rc=$?; set -e
  last_out=$out last_err=$err
  cp "$out" "$err" "$OUT/"
}

operate lower lower --move m1 "${COMMON[@]}" --name api
expect_rc "lower, once the operator made the change" 0
expect_out "shows the records now" "now:  api.ferry.test. 5 IN A 198.18.0.2"
expect_out "shows the records to make" "make: api.ferry.test. 2 IN A 198.18.0.2"
expect_out "verified" "Verified on every authoritative server (127.0.0.1:5301, 127.0.0.1:5302)"
sleep 5
operate switch switch --move m1 --new 198.18.0.3 --new 2001:2::3
expect_rc "switch" 0
expect_out "the nsupdate script has the prerequisite" "prereq yxrrset api.ferry.test. IN A 198.18.0.2"
expect_eq "switched on both" "198.18.0.3/2 198.18.0.3/2" "$(answers "api.$ZONE" A "$PRIMARY" "$SECONDARY")"

note "nobody makes the change: ferry gives up at the manual timeout"
run_ferry dns abort --move m1 --manual-timeout 1
expect_rc "abort not done by hand" 1
expect_out "says it did not appear" "the manual change did not appear on 127.0.0.1:5301 within 1 s"
expect_eq "still switched" "198.18.0.3/2" "$(answers "api.$ZONE" A "$PRIMARY")"
finish
