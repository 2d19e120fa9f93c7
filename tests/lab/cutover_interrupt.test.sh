#!/usr/bin/env bash
# labels: lab cutover ns faults
# timeout: 900
# The outage under the most ordinary faults, chained on one prepared move per manager (LXD by
# default; INTERRUPT_TEST_MANAGERS="lxd incus" runs Incus too), busybox, a client writing all along:
#  1. Ctrl-C (SIGINT to ferry's process group, as a terminal sends it) while the health gate
#     waits for a target that never gets healthy: ferry stops waiting at once, rolls back (the
#     rollback's own commands are not killed), exits 130; the source serves, the target copy is
#     stopped. The same command again is not refused: it cuts over again and rolls back (exit 5).
#     Killed in that rollback, the rerun carries the rollback on (exit 5), the source serves.
#  2. SIGTERM while the final increment streams: exit 130, the source serves (and the next
#     cutover's increment is not based on the subvolume that stream left half-received).
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

status_of() { instance_field "$1" $manager $name .status; }
expect_source_serves() {  # WHAT
  expect_eq "$manager: $1: the source runs" Running "$(status_of alpha)"
  expect_eq "$manager: $1: the target copy is stopped" Stopped "$(status_of beta)"
  expect_eq "$manager: $1: the source answers" ok "$(curl -sf -m 3 "http://$ALPHA:$port/health" || echo down)"
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

run_cases() {  # MANAGER PORT
manager=$1 port=$2 name=t-int-$1
cli=$(manager_cli $manager)
journal=$STATE/moves/default_$name@alpha/journal.jsonl
launch_workload $manager alpha $name --port $port
cleanup "'$LAB/workload' delete --manager $manager beta $name"
ferry prepare $name --from alpha --to beta --json >"$WORK/prepare.json" 2>"$WORK/prepare.err" ||
  die "$manager: ferry prepare failed: $(tail -5 "$WORK/prepare.err")"
ok "$manager: prepared"
start_client "http://$ALPHA:$port"

note "$manager: 1. Ctrl-C while the health gate waits (40 s timeout, a path that answers 404)"
health=(--health "http://web.example:$port/nothing-here" --target-address "$BETA" --no-forward)
run_bg cutover $name --from alpha --to beta "${health[@]}" --health-timeout 40
wait_for_record begin cutover.health || die "$manager: the health gate never began: $(tail -5 "$WORK/bg.err")"
sleep 2
t0=$EPOCHREALTIME
kill -INT -- -"$FERRY_PID"
rc=0; wait "$FERRY_PID" || rc=$?
took=$(elapsed_since "$t0")
note "$manager: ferry: $(jq -c '.error | {what, hint}' "$WORK/bg.json" 2>/dev/null)"
expect_eq "$manager: exit 130 after the rollback" 130 "$rc"
awk -v t="$took" 'BEGIN { exit !(t < 20) }' && ok "$manager: ferry stopped waiting at once and rolled back ($took s from the signal to its exit; the health timeout was 40 s)" ||
  fail "$manager: ferry took $took s from the signal: it waited for the health timeout"
expect_source_serves "after Ctrl-C in the health gate"
grep -q '"event":"rolled_back"' "$journal" && ok "$manager: the journal records the rollback as done" || fail "$manager: no rolled_back record"
status=$(ferry status $name --from alpha --json)
expect_json "$manager: ferry status: the source serves" '.serving == "source" and .rollback_pending == false' "$status"
rc=0
ferry cutover $name --from alpha --to beta "${health[@]}" --health-timeout 3 --json >"$WORK/again.json" 2>"$WORK/again.err" || rc=$?
note "$manager: the same command again: exit $rc: $(jq -c '.error.what' "$WORK/again.json" 2>/dev/null)"
expect_eq "$manager: the same command again cuts over again and rolls back (not refused)" 5 "$rc"
expect_source_serves "after the retry"

note "$manager: 1b. ferry SIGKILLed in its rollback (health gate failing after 3 s): the rerun carries the rollback on"
rc=0
FERRY_TEST_KILL="rollback:begun" ferry cutover $name --from alpha --to beta "${health[@]}" --health-timeout 3 \
  --json >"$WORK/rbkill.json" 2>"$WORK/rbkill.err" || rc=$?
expect_eq "$manager: killed in the rollback" 137 "$rc"
status=$(ferry status $name --from alpha --json)
expect_json "$manager: ferry status: a rollback is pending, the serving host unknown" '.rollback_pending == true and .serving == "unknown"' "$status"
rc=0
ferry cutover $name --from alpha --to beta --json >"$WORK/rbrerun.json" 2>"$WORK/rbrerun.err" || rc=$?
note "$manager: rerun: $(jq -c '.error | {what, hint}' "$WORK/rbrerun.json" 2>/dev/null)"
expect_eq "$manager: the rerun finishes the rollback, and only that (exit 5)" 5 "$rc"
expect_source_serves "after the rollback carried on"
status=$(ferry status $name --from alpha --json)
expect_json "$manager: ferry status: the source serves" '.serving == "source" and .rollback_pending == false' "$status"

note "$manager: 2. SIGTERM while the final increment is sent (8 MB at 1 MB/s)"
on alpha $cli exec $name -- dd if=/dev/urandom of=/root/blob bs=1M count=8 2>/dev/null
rc=0
FERRY_TEST_FAULT="cutover.send:instance:during:SIGTERM@3000" ferry cutover $name --from alpha --to beta --no-forward \
  --bwlimit 1M --json >"$WORK/term.json" 2>"$WORK/term.err" || rc=$?
note "$manager: ferry: $(jq -c '.error.what' "$WORK/term.json" 2>/dev/null)"
expect_eq "$manager: exit 130 after the rollback" 130 "$rc"
expect_source_serves "after SIGTERM in the send"
grep -q '"event":"failed","step":"cutover.send:instance"' "$journal" && ok "$manager: the signal cut the stream itself" ||
  fail "$manager: the SIGTERM did not land in the stream"

note "$manager: 3. SIGINT before the outage"
stops_before=$(grep -c '"event":"begin","step":"cutover.stop-source"' "$journal")
rc=0
FERRY_TEST_FAULT="cutover.check-target:before:SIGINT" ferry cutover $name --from alpha --to beta --no-forward \
  --json >"$WORK/early.json" 2>"$WORK/early.err" || rc=$?
expect_eq "$manager: exit 130" 130 "$rc"
expect_source_serves "after SIGINT before the outage"
expect_eq "$manager: the stop never began" "$stops_before" "$(grep -c '"event":"begin","step":"cutover.stop-source"' "$journal")"

note "$manager: 4. crash mode: SIGKILL after the target's start, reruns without --mode crash and --health"
good_health=(--health "http://web.example:$port/health" --target-address "$BETA")
rc=0
FERRY_TEST_KILL="cutover.start-target:after" ferry cutover $name --from alpha --to beta --mode crash "${good_health[@]}" \
  --no-forward --json >"$WORK/crash.json" 2>"$WORK/crash.err" || rc=$?
expect_eq "$manager: killed after the start" 137 "$rc"
point_client "http://$BETA:$port"
expect_eq "$manager: the source is frozen meanwhile" Frozen "$(status_of alpha)"
status=$(ferry status $name --from alpha --json)
expect_json "$manager: ferry status: nobody known to serve before the gate" '.serving == "none"' "$status"
rc=0
ferry cutover $name --from alpha --to beta --mode clean --json >"$WORK/differs.json" 2>"$WORK/differs.err" || rc=$?
expect_eq "$manager: a rerun with another --mode is refused" 2 "$rc"
expect_json "$manager: the refusal names both values" '.error.detail | test("--mode: clean on this command line, crash in the journal")' \
  "$(cat "$WORK/differs.json")"
expect_eq "$manager: nothing changed: the source is still frozen" Frozen "$(status_of alpha)"
rc=0
FERRY_TEST_FAULT="cutover.mark-source:before:SIGINT" ferry cutover $name --from alpha --to beta \
  --json >"$WORK/rerun.json" 2>"$WORK/rerun.err" || rc=$?
note "$manager: rerun: exit $rc: $(jq -c '.error.what // .ok' "$WORK/rerun.json" 2>/dev/null)"
expect_eq "$manager: the rerun, SIGINTed after the gate, exits 130" 130 "$rc"
grep '"event":"done","step":"cutover.health"' "$journal" | grep -q '"check"' &&
  ok "$manager: the rerun ran the journaled health gate" || fail "$manager: the health gate was skipped on the rerun"
grep -q '"event":"done","step":"cutover.end-source"' "$journal" &&
  ok "$manager: the rerun ended the frozen source's tasks (crash mode from the journal)" || fail "$manager: end-source did not run"
grep -q '"event":"done","step":"cutover.mark-source"' "$journal" && ok "$manager: the switch was secured before exiting" ||
  fail "$manager: mark-source did not run on SIGINT after the gate"
expect_eq "$manager: the source is stopped, not frozen" Stopped "$(status_of alpha)"
expect_eq "$manager: the target runs" Running "$(status_of beta)"
expect_eq "$manager: the source's autostart is off" false "$(instance_field alpha $manager $name '.config["boot.autostart"]')"
expect_eq "$manager: the source says where it went" beta "$(instance_field alpha $manager $name '.config["user.ferry.moved-to"]')"
rc=0
ferry cutover $name --from alpha --to beta --json >"$WORK/last.json" 2>"$WORK/last.err" || rc=$?
expect_eq "$manager: the last rerun finishes" 0 "$rc"
status=$(ferry status $name --from alpha --json)
expect_json "$manager: ferry status: finished, the target serves" '.state == "finished" and .serving == "target"' "$status"
stop_client
note "$manager: client: $CLIENT_REPORT"
expect_json "$manager: nothing acknowledged was lost" '.lost == 0 and .acknowledged > 20' "$CLIENT_REPORT"
expect_json "$manager: served by beta at the end" ".final_target == \"$BETA:$port\"" "$CLIENT_REPORT"
no_ferry_children
}

port=18420
# LXD by default (the faults budget): the btrfs and zfs drivers are the same under Incus, and
# fault_matrix's Incus chain signals every outage step; INTERRUPT_TEST_MANAGERS="lxd incus" runs both.
for m in ${INTERRUPT_TEST_MANAGERS:-lxd}; do
  run_cases "$m" $port
  port=$((port + 1))
done
finish
