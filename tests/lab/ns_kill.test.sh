#!/usr/bin/env bash
# labels: lab move ns kill
# timeout: 1500
# Kill tests: for every step of `ferry plan --json`, ferry is SIGKILLed right before that
# step's first journal record and right after its last one (FERRY_TEST_KILL). Each time the
# same command is run again and carries on; no process of ferry's outlives it; at the end the
# move is complete and the client lost nothing.
. "$(dirname "$0")/ns_lib.sh"
. "$(dirname "$0")/move_lib.sh"
forget_ferry_copies t-kill
cleanup "forget_ferry_copies t-kill"

manager=${KILL_TEST_MANAGER:-lxd}
name=t-kill
vol=t-kill-vol
port=18190
launch_workload $manager alpha $name --port $port --volume $vol
cleanup "'$LAB/workload' delete --manager $manager --volume $vol beta $name"
take_snapshot alpha $manager $name s1

plan=$(ferry plan $name --from alpha --to beta --json) || die "ferry plan failed: $plan"
steps=$(jq -r '.steps[].id' <<<"$plan")
count=$(wc -l <<<"$steps")
[ "$count" -ge 15 ] && ok "the plan has $count steps" || die "the plan has only $count steps: $plan"

start_client "http://$ALPHA:$port"
kills=0
for step in $steps; do
  for when in before after; do
    rc=0
    FERRY_TEST_KILL="$step:$when" ferry move $name --from alpha --to beta --json >"$WORK/run.json" 2>"$WORK/run.err" || rc=$?
    if [ $rc -eq 137 ]; then
      kills=$((kills + 1))
    else
      fail "killed at $step:$when: expected SIGKILL (137), got exit $rc: $(tail -3 "$WORK/run.err")"
    fi
    if [ "$step" = cutover.start-target ] && [ $when = after ]; then point_client "http://$BETA:$port"; fi
    # The kernel SIGKILLs them as ferry dies (PDEATHSIG); on a loaded machine one may still be
    # on its way out when the shell looks: survivors are what is there 3 s later.
    for _ in $(seq 30); do
      left=$(pgrep -af 'ferry-ssh-|ferry-pipestatus' | grep -F -- "$FERRY_LAB_SSH_CONFIG" | grep -v pgrep || true)
      [ -n "$left" ] || break
      sleep 0.1
    done
    [ -z "$left" ] || fail "after the kill at $step:$when, ferry's children survive: $left"
  done
done
expect_eq "ferry was killed at every point" $((count * 2)) $kills
# The last kill came after the last step: the move is done, and a rerun says so.
rc=0
ferry move $name --from alpha --to beta --json >"$WORK/final.json" 2>"$WORK/final.err" || rc=$?
note "final run: exit $rc: $(cat "$WORK/final.json")"
status=$(ferry status $name --from alpha --to beta --json)
expect_json "the move finished" '.state == "finished"' "$status"
point_client "http://$BETA:$port"
stop_client
note "client: $CLIENT_REPORT"
expect_json "nothing acknowledged was lost" '.lost == 0 and .acknowledged > 20' "$CLIENT_REPORT"
expect_json "served by beta at the end" ".final_target == \"$BETA:$port\"" "$CLIENT_REPORT"
expect_eq "runs on beta" Running "$(instance_field beta $manager $name .status)"
expect_eq "stopped on alpha" Stopped "$(instance_field alpha $manager $name .status)"
expect_eq "the snapshot on beta" s1 "$(on beta "$(manager_cli $manager)" query /1.0/instances/$name/snapshots | jq -r '.[]' | sed 's#.*/##')"
no_ferry_children
finish
