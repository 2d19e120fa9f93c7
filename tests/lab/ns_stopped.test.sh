#!/usr/bin/env bash
# labels: lab move ns
# timeout: 600
# A stopped instance moves and stays stopped: the dry run says nothing is stopped or started
# (no stop, pause or start in its commands), the move starts nothing on either host (no trial
# boot either, no budget to keep, no health gate, hook or kill: there is no outage), and what
# the instance holds (a file in its root and one in its custom volume) arrives on beta.
. "$(dirname "$0")/ns_lib.sh"
. "$(dirname "$0")/move_lib.sh"
forget_ferry_copies t-stopped
cleanup "forget_ferry_copies t-stopped"

name=t-stopped
vol=t-stopped-vol
port=18195
launch_workload lxd alpha $name --volume $vol --port $port
cleanup "'$LAB/workload' delete --manager lxd --volume $vol beta $name"
token=$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')
on alpha lxc exec $name -- sh -c "echo $token >/root-token && echo $token >/srv/data/volume-token && sync"
on alpha lxc stop $name
expect_eq "stopped on alpha before the move" Stopped "$(instance_field alpha lxd $name .status)"

# What only a running instance needs is asked for too: a health gate, a hook, crash mode.
opts=(--from alpha --to beta --mode crash --health "tcp:$port" --target-address "$BETA" --after-start true)
ferry move $name "${opts[@]}" --dry-run >"$WORK/plan.out" 2>&1 || { cat "$WORK/plan.out"; die "the dry run failed"; }
if grep -Eq 'lxc (start|stop|pause|exec) |kill -KILL|probe ' "$WORK/plan.out"; then
  fail "the dry run of a stopped instance stops, starts, checks or kills it: $(grep -E 'lxc (start|stop|pause|exec) |kill -KILL|probe ' "$WORK/plan.out")"
else
  ok "the dry run neither stops, starts, checks nor kills the stopped instance"
fi
grep -q "is stopped on alpha: nothing to stop" "$WORK/plan.out" && ok "the dry run says so" ||
  fail "the dry run does not say the instance is stopped: $(cat "$WORK/plan.out")"

ferry move $name "${opts[@]}" --json >"$WORK/move.json" 2>"$WORK/move.err" ||
  { cat "$WORK/move.err"; die "ferry move of a stopped instance failed"; }
ok "ferry move exited 0"
if grep -q "trial boot" "$WORK/move.err"; then fail "the copy of a stopped instance was booted for a trial: $(cat "$WORK/move.err")"
else ok "no trial boot of the copy"; fi
grep -q "is stopped on alpha: no outage" "$WORK/move.err" && ok "ferry says there is no outage to keep within a budget" ||
  fail "ferry does not say the instance is stopped: $(cat "$WORK/move.err")"
expect_json "the report has no outage (nothing ran)" '.ok == true and .downtime_seconds == null and .outage == null' "$(cat "$WORK/move.json")"
expect_eq "still stopped on alpha" Stopped "$(instance_field alpha lxd $name .status)"
expect_eq "stopped on beta" Stopped "$(instance_field beta lxd $name .status)"
expect_eq "the source records where it went" beta "$(instance_field alpha lxd $name '.config["user.ferry.moved-to"]')"

on beta lxc start $name
expect_eq "the root's file arrived" "$token" "$(on beta lxc exec $name -- cat /root-token)"
expect_eq "the volume's file arrived" "$token" "$(on beta lxc exec $name -- cat /srv/data/volume-token)"
no_ferry_children
finish
