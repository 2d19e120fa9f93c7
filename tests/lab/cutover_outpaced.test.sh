#!/usr/bin/env bash
# labels: lab cutover ns
# timeout: 900
# A service that writes faster than the link carries: with every stream limited to 200 KB/s
# (--bwlimit) and the service writing more than that (measured first), the pre-copy cannot converge. ferry says so with
# the figures and exits 6 (waiting for the operator) instead of looping; nothing was switched,
# the source keeps serving, the target copy is stopped, `ferry status` shows the prediction,
# and `ferry abort` removes the copy.
. "$(dirname "$0")/ns_lib.sh"
. "$(dirname "$0")/move_lib.sh"
forget_ferry_copies t-co-
cleanup "forget_ferry_copies t-co-"

port=18390
name=t-co-web
"$LAB/workload" delete --manager lxd beta $name >/dev/null 2>&1 || true
cleanup "'$LAB/workload' delete --manager lxd beta $name"
launch_workload lxd alpha $name --port $port
# ~350 KB/s, never starting over while ferry copies: every round finds all that was written since
# the last one (a file that starts over every minute would bound the increments, and their
# sizes would depend on where in that minute each snapshot falls).
start_writer alpha lxd $name 35000 6000
start_client "http://$ALPHA:$port"
a=$(load_bytes alpha lxd $name); sleep 3
b=$(load_bytes alpha lxd $name)
rate=$(( (b - a) / 3 ))
note "the service writes $rate bytes/s"
[ "$rate" -gt 250000 ] && ok "the write load outruns the 200 KB/s link" || fail "the write load ($rate bytes/s) is too slow for this test"

t0=$EPOCHREALTIME
code=0
ferry move $name --from alpha --to beta --bwlimit 200K --max-downtime 10 --no-try --json >"$WORK/move.json" 2>"$WORK/move.err" || code=$?
note "ferry move ended after $(elapsed_since "$t0") s"
report=$(cat "$WORK/move.json")
note "ferry: $(jq -c '{error, prediction, precopy_rounds}' <<<"$report")"
expect_eq "exit status 6: the operator decides" 6 "$code"
expect_json "the verdict: not converging" '.decision_needed == "not_converging"' "$report"
expect_json "the figures: write rate and link rate" '.error.detail | test("writes [0-9.]+ MB/s and the link carries [0-9.]+ MB/s")' "$report"
expect_json "the hint names --cutover-anyway" '.error.hint | test("--cutover-anyway")' "$report"
expect_json "it did not loop: one or two rounds" '(.precopy_rounds | length) <= 2' "$report"
expect_eq "the source still runs" Running "$(instance_field alpha lxd $name .status)"
expect_eq "the target copy is stopped" Stopped "$(instance_field beta lxd $name .status)"
status=$(ferry status $name --from alpha --to beta --json)
expect_json "ferry status shows the prediction" '.prediction.verdict == "not_converging" and .prediction.outage_seconds > 10' "$status"
stop_writer alpha lxd $name
note "ferry try: the trial boot on its own, with a check that fails, then with the default check"
code=0
ferry try $name --from alpha --to beta --try-check 'test -e /no/such/file' >"$WORK/try.out" 2>&1 || code=$?
expect_eq "a failing --try-check fails the trial (exit 1)" 1 "$code"
grep -q "failed its check" "$WORK/try.out" && ok "the message says the check failed" || fail "no reason given: $(tail -3 "$WORK/try.out")"
expect_eq "after the trial the copy is stopped" Stopped "$(instance_field beta lxd $name .status)"
expect_eq "its proxy device is back as imported" proxy "$(instance_field beta lxd $name '.devices.web.type')"
try=$(ferry try $name --from alpha --to beta --json)
expect_json "the default check passes and the times are measured" '.ok and .phases.try.seconds > 0' "$try"
stop_client
note "client: $CLIENT_REPORT"
# The source never stopped; a busy machine (the write load, the streams) may slow its answers.
expect_json "the client lost nothing and was served throughout" '.lost == 0 and .longest_gap_seconds < 10' "$CLIENT_REPORT"
ferry abort $name --from alpha --to beta >"$WORK/abort.out" 2>&1 || { cat "$WORK/abort.out"; fail "ferry abort failed"; }
expect_eq "abort removed the target copy" "" "$(on beta lxc list $name --format csv -c n)"
expect_eq "the source still runs after the abort" Running "$(instance_field alpha lxd $name .status)"
finish
