#!/usr/bin/env bash
# labels: lab cutover ns faults
# timeout: 900
# The outage under the most ordinary faults, chained on one prepared move (LXD, busybox, a
# client writing all along):
#  1. Ctrl-C (SIGINT to ferry's process group, as a terminal sends it) while the health gate
#     waits for a target that never gets healthy: ferry stops waiting at once, rolls back (the
#     rollback's own commands are not killed), exits 130; the source serves, the target copy is
#     stopped. The same command again is not refused: it cuts over again and rolls back (exit 5).
#     Killed in that rollback, the rerun carries the rollback on (exit 5), the source serves.
#  2. SIGTERM while the final increment is sent: exit 130, the source serves.
#  3. SIGINT before the outage: exit 130, nothing was stopped.
#  4. Crash mode, ferry SIGKILLed right after the target's start; rerun without --mode crash and
#     without --health: the journaled request rules (the frozen source's tasks are ended, the
#     health gate runs), the rerun is SIGINTed after the gate (the switch is secured: the source
#     is marked, exit 130); a last rerun finishes. At most one copy runs, the source's autostart
#     is off, the client lost nothing.
. "$(dirname "$0")/ns_lib.sh"
. "$(dirname "$0")/move_lib.sh"
forget_ferry_copies t-int
cleanup "forget_ferry_copies t-int"

name=t-int
port=18420
launch_workload lxd alpha $name --port $port
cleanup "'$LAB/workload' delete --manager lxd beta $name"
journal=$STATE/moves/default_$name@alpha/journal.jsonl
status_of() { instance_field "$1" lxd $name .status; }
expect_source_serves() {  # WHAT
  expect_eq "$1: the source runs" Running "$(status_of alpha)"
  expect_eq "$1: the target copy is stopped" Stopped "$(status_of beta)"
  expect_eq "$1: the source answers" ok "$(curl -sf -m 3 "http://$ALPHA:$port/health" || echo down)"
}
# run_bg ARGS...: ferry in its own process group (as a shell job), PID in FERRY_PID.
run_bg() {
  setsid "$FERRY" "$@" --ssh-config "$FERRY_LAB_SSH_CONFIG" --state-dir "$STATE" --json >"$WORK/bg.json" 2>"$WORK/bg.err" &
  FERRY_PID=$!
}
wait_for_record() {  # EVENT STEP: until the journal has it (30 s at most)
  for _ in $(seq 300); do
    grep -q "\"event\":\"$1\",\"step\":\"$2\"" "$journal" 2>/dev/null && return 0
    sleep 0.1
  done
  return 1
}

ferry prepare $name --from alpha --to beta --json >"$WORK/prepare.json" 2>"$WORK/prepare.err" ||
  die "ferry prepare failed: $(tail -5 "$WORK/prepare.err")"
ok "prepared"
start_client "http://$ALPHA:$port"

note "1. Ctrl-C while the health gate waits (40 s timeout, a path that answers 404)"
health=(--health "http://web.example:$port/nothing-here" --target-address "$BETA" --no-forward)
run_bg cutover $name --from alpha --to beta "${health[@]}" --health-timeout 40
wait_for_record begin cutover.health || die "the health gate never began: $(tail -5 "$WORK/bg.err")"
sleep 2
t0=$EPOCHREALTIME
kill -INT -- -"$FERRY_PID"
rc=0; wait "$FERRY_PID" || rc=$?
took=$(elapsed_since "$t0")
note "ferry: $(jq -c '.error | {what, hint}' "$WORK/bg.json" 2>/dev/null)"
expect_eq "exit 130 after the rollback" 130 "$rc"
awk -v t="$took" 'BEGIN { exit !(t < 20) }' && ok "ferry stopped waiting at once and rolled back ($took s from the signal to its exit; the health timeout was 40 s)" ||
  fail "ferry took $took s from the signal: it waited for the health timeout"
expect_source_serves "after Ctrl-C in the health gate"
grep -q '"event":"rolled_back"' "$journal" && ok "the journal records the rollback as done" || fail "no rolled_back record"
status=$(ferry status $name --from alpha --json)
expect_json "ferry status: the source serves" '.serving == "source" and .rollback_pending == false' "$status"
rc=0
ferry cutover $name --from alpha --to beta "${health[@]}" --health-timeout 3 --json >"$WORK/again.json" 2>"$WORK/again.err" || rc=$?
note "the same command again: exit $rc: $(jq -c '.error.what' "$WORK/again.json" 2>/dev/null)"
expect_eq "the same command again cuts over again and rolls back (not refused)" 5 "$rc"
expect_source_serves "after the retry"

note "1b. ferry SIGKILLed in its rollback (health gate failing after 3 s): the rerun carries the rollback on"
rc=0
FERRY_TEST_KILL="rollback:begun" ferry cutover $name --from alpha --to beta "${health[@]}" --health-timeout 3 \
  --json >"$WORK/rbkill.json" 2>"$WORK/rbkill.err" || rc=$?
expect_eq "killed in the rollback" 137 "$rc"
status=$(ferry status $name --from alpha --json)
expect_json "ferry status: a rollback is pending, the serving host unknown" '.rollback_pending == true and .serving == "unknown"' "$status"
rc=0
ferry cutover $name --from alpha --to beta --json >"$WORK/rbrerun.json" 2>"$WORK/rbrerun.err" || rc=$?
note "rerun: $(jq -c '.error | {what, hint}' "$WORK/rbrerun.json" 2>/dev/null)"
expect_eq "the rerun finishes the rollback, and only that (exit 5)" 5 "$rc"
expect_source_serves "after the rollback carried on"
status=$(ferry status $name --from alpha --json)
expect_json "ferry status: the source serves" '.serving == "source" and .rollback_pending == false' "$status"

note "2. SIGTERM while the final increment is sent (8 MB at 1 MB/s)"
on alpha lxc exec $name -- dd if=/dev/urandom of=/root/blob bs=1M count=8 2>/dev/null
rc=0
FERRY_TEST_FAULT="cutover.send:instance:during:SIGTERM" ferry cutover $name --from alpha --to beta --no-forward \
  --bwlimit 1M --json >"$WORK/term.json" 2>"$WORK/term.err" || rc=$?
note "ferry: $(jq -c '.error.what' "$WORK/term.json" 2>/dev/null)"
expect_eq "exit 130 after the rollback" 130 "$rc"
expect_source_serves "after SIGTERM in the send"

note "3. SIGINT before the outage"
stops_before=$(grep -c '"event":"begin","step":"cutover.stop-source"' "$journal")
rc=0
FERRY_TEST_FAULT="cutover.check-target:before:SIGINT" ferry cutover $name --from alpha --to beta --no-forward \
  --json >"$WORK/early.json" 2>"$WORK/early.err" || rc=$?
expect_eq "exit 130" 130 "$rc"
expect_source_serves "after SIGINT before the outage"
expect_eq "the stop never began" "$stops_before" "$(grep -c '"event":"begin","step":"cutover.stop-source"' "$journal")"

note "4. crash mode: SIGKILL after the target's start, reruns without --mode crash and --health"
good_health=(--health "http://web.example:$port/health" --target-address "$BETA")
rc=0
FERRY_TEST_KILL="cutover.start-target:after" ferry cutover $name --from alpha --to beta --mode crash "${good_health[@]}" \
  --no-forward --json >"$WORK/crash.json" 2>"$WORK/crash.err" || rc=$?
expect_eq "killed after the start" 137 "$rc"
point_client "http://$BETA:$port"
expect_eq "the source is frozen meanwhile" Frozen "$(status_of alpha)"
status=$(ferry status $name --from alpha --json)
expect_json "ferry status: nobody known to serve before the gate" '.serving == "none"' "$status"
rc=0
ferry cutover $name --from alpha --to beta --mode clean --json >"$WORK/differs.json" 2>"$WORK/differs.err" || rc=$?
expect_eq "a rerun with another --mode is refused" 2 "$rc"
expect_json "the refusal names both values" '.error.detail | test("--mode: clean on this command line, crash in the journal")' \
  "$(cat "$WORK/differs.json")"
expect_eq "nothing changed: the source is still frozen" Frozen "$(status_of alpha)"
rc=0
FERRY_TEST_FAULT="cutover.mark-source:before:SIGINT" ferry cutover $name --from alpha --to beta \
  --json >"$WORK/rerun.json" 2>"$WORK/rerun.err" || rc=$?
note "rerun: exit $rc: $(jq -c '.error.what // .ok' "$WORK/rerun.json" 2>/dev/null)"
expect_eq "the rerun, SIGINTed after the gate, exits 130" 130 "$rc"
grep '"event":"done","step":"cutover.health"' "$journal" | grep -q '"check"' &&
  ok "the rerun ran the journaled health gate" || fail "the health gate was skipped on the rerun"
grep -q '"event":"done","step":"cutover.end-source"' "$journal" &&
  ok "the rerun ended the frozen source's tasks (crash mode from the journal)" || fail "end-source did not run"
grep -q '"event":"done","step":"cutover.mark-source"' "$journal" && ok "the switch was secured before exiting" ||
  fail "mark-source did not run on SIGINT after the gate"
expect_eq "the source is stopped, not frozen" Stopped "$(status_of alpha)"
expect_eq "the target runs" Running "$(status_of beta)"
expect_eq "the source's autostart is off" false "$(instance_field alpha lxd $name '.config["boot.autostart"]')"
expect_eq "the source says where it went" beta "$(instance_field alpha lxd $name '.config["user.ferry.moved-to"]')"
rc=0
ferry cutover $name --from alpha --to beta --json >"$WORK/last.json" 2>"$WORK/last.err" || rc=$?
expect_eq "the last rerun finishes" 0 "$rc"
status=$(ferry status $name --from alpha --json)
expect_json "ferry status: finished, the target serves" '.state == "finished" and .serving == "target"' "$status"
stop_client
note "client: $CLIENT_REPORT"
expect_json "nothing acknowledged was lost" '.lost == 0 and .acknowledged > 20' "$CLIENT_REPORT"
expect_json "served by beta at the end" ".final_target == \"$BETA:$port\"" "$CLIENT_REPORT"
no_ferry_children
finish
