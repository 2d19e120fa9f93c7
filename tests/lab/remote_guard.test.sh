#!/usr/bin/env bash
# labels: lab ns faults
# timeout: 300
# Nothing of ferry's goes on running on a host once ferry is gone or its time is up (busybox on
# LXD; the --before-stop hook stands for any remote command):
#  1. ferry SIGTERMed while the hook runs: exit 130, and within 5 s the hook's processes are gone
#     from the source host (ferry's end of the session closed: the guard ends the command).
#  2. ferry SIGKILLed while the hook runs (it cannot clean up): the same.
#  3. the controller's link to the source cut while the hook runs (--hook-timeout 6): ferry gives
#     up on its side at 6 s; the source host, told nothing, ends the hook itself by 6 + 5 s.
#     With the link back, the same command cuts over.
. "$(dirname "$0")/ns_lib.sh"
. "$(dirname "$0")/move_lib.sh"
name=t-guard
prepared_workload lxd $name 18095

hook_runs() { pgrep -f -x "sleep $1" >/dev/null; }  # the hook's process, seen from the host
gone_within() {  # SECONDS MARKER
  for _ in $(seq $(($1 * 10))); do hook_runs "$2" || return 0; sleep 0.1; done
  return 1
}
start_with_hook() {  # MARKER [ferry options]: ferry in the background, once the hook runs
  local marker=$1; shift
  setsid "$FERRY" cutover $name --from alpha --to beta --no-forward --before-stop "sleep $marker" "$@" \
    --ssh-config "$FERRY_LAB_SSH_CONFIG" --state-dir "$STATE" --json >"$WORK/bg.json" 2>"$WORK/bg.err" &
  FERRY_PID=$!
  for _ in $(seq 200); do hook_runs "$marker" && return 0; sleep 0.1; done
  die "the hook never ran: $(tail -5 "$WORK/bg.err")"
}
wait_ferry() {  # SECONDS: ferry's exit code in rc; a ferry still running then is a failure, and killed
  for _ in $(seq $(($1 * 10))); do kill -0 "$FERRY_PID" 2>/dev/null || break; sleep 0.1; done
  if kill -0 "$FERRY_PID" 2>/dev/null; then
    fail "ferry still runs $1 s after the fault"
    kill -KILL "$FERRY_PID"
  fi
  rc=0; wait "$FERRY_PID" || rc=$?
}
expect_source_serves() {
  expect_eq "$1: the source runs" Running "$(instance_field alpha lxd $name .status)"
  expect_eq "$1: the target copy is stopped" Stopped "$(instance_field beta lxd $name .status)"
}

note "1. SIGTERM while the hook runs"
start_with_hook 3001
kill -TERM "$FERRY_PID"
wait_ferry 20
expect_eq "exit 130" 130 "$rc"
gone_within 5 3001 && ok "the hook's processes are gone from the source host" || fail "the hook still runs on the source host"
expect_source_serves "after SIGTERM in the hook"

note "2. SIGKILL while the hook runs"
start_with_hook 3002
kill -KILL "$FERRY_PID"
wait_ferry 5
expect_eq "killed" 137 "$rc"
gone_within 5 3002 && ok "the hook's processes are gone from the source host" || fail "the hook still runs on the source host"
expect_source_serves "after SIGKILL in the hook"

note "3. the controller's link to the source cut while the hook runs (--hook-timeout 6)"
cleanup "nft delete table inet ferry_test_cut 2>/dev/null || true"
start_with_hook 3003 --hook-timeout 6
t0=$EPOCHREALTIME
nft -f - <<NFT
table inet ferry_test_cut {
  chain out { type filter hook output priority 0; ip daddr $ALPHA tcp dport 22 drop; }
  chain in { type filter hook input priority 0; ip saddr $ALPHA tcp sport 22 drop; }
}
NFT
gone_within 15 3003 && ok "the source host ended the hook itself ($(elapsed_since "$t0") s after the cut; ferry's timeout was 6 s)" ||
  fail "the hook still runs on the source host $(elapsed_since "$t0") s after the cut"
nft delete table inet ferry_test_cut
wait_ferry 60
note "ferry: exit $rc after $(elapsed_since "$t0") s: $(jq -c '.error.what' "$WORK/bg.json" 2>/dev/null)"
expect_eq "ferry gave up (exit 1)" 1 "$rc"
expect_source_serves "after the cut"
rc=0
ferry cutover $name --from alpha --to beta --no-forward --json >"$WORK/again.json" 2>"$WORK/again.err" || rc=$?
expect_eq "with the link back, the same move cuts over" 0 "$rc"
expect_eq "the target runs" Running "$(instance_field beta lxd $name .status)"
expect_eq "the source is stopped" Stopped "$(instance_field alpha lxd $name .status)"
finish
