#!/usr/bin/env bash
# labels: lab cutover ns faults
# timeout: 1200
# The fault matrix: a signal at every step of the outage, for LXD and Incus, clean and crash mode
# (FAULT_MATRIX_CHAINS below). One chain per manager and mode, on one prepared move of busybox
# with a client writing all along:
#  - SIGINT or SIGTERM (in turn; the next chain the other) while each step before the health
#    gate runs (100 ms into it; at the gate, right before it: a healthy busybox passes it in
#    less, and a signal after the gate secures the switch instead, as it should;
#    cutover_interrupt signals a gate that waits): ferry rolls back, exit 130, the source
#    serves, the target copy is stopped;
#  - then SIGKILL while each step of the outage runs, each rerun of the same command killed at
#    the next step, after the gate too: at most one copy runs after every kill, and the last
#    rerun finishes the move (the target serves, the source is stopped and marked).
# After every case: at most one copy runs; nothing of ferry's (the remote guard of a command)
# runs on either host 10 s later (an armed dead-man aside). At the end: the client lost nothing.
# One line per case, then a summary.
. "$(dirname "$0")/ns_lib.sh"
. "$(dirname "$0")/move_lib.sh"
# MANAGER:MODE pairs. By default two chains (each step gets SIGINT in one, SIGTERM in the other);
# FAULT_MATRIX_CHAINS="lxd:clean lxd:crash incus:clean incus:crash" runs all four (~7.5 min).
chains=${FAULT_MATRIX_CHAINS:-lxd:clean incus:crash}
before_gate=(cutover.stop-source cutover.snapshot cutover.send:instance cutover.activate cutover.start-target cutover.health)
cases=0 one_copy=0 no_orphans=0 lost_total=0 t_all=$EPOCHREALTIME

status_of() { instance_field "$1" "$manager" "$name" .status; }
# settle HOST: the manager's operations on the instance end first, so that what is counted is at
# rest. A SIGKILL leaves the request ferry sent running in the daemon: a start on the target ends
# with a copy that runs (counted), and Incus's stop of the frozen source, whose tasks end-source
# killed, reads Running while those tasks exit (measured: 1-2 polls; none runs user code again).
settle() {
  local i
  for i in $(seq 75); do
    on "$1" "$(manager_cli "$manager")" query "/1.0/operations?recursion=1" |
      jq -e --arg i "/1.0/instances/$name" '[.running[]? | select(any(.resources.instances[]?; . == $i or startswith($i + "?") or startswith($i + "/")))] | length == 0' \
        >/dev/null && return
    sleep 0.2
  done
}
running_copies() {
  local n=0
  settle alpha
  settle beta
  [ "$(status_of alpha)" = Running ] && n=$((n + 1))
  [ "$(status_of beta)" = Running ] && n=$((n + 1))
  echo $n
}
orphans() {  # the remote guard of any command of ferry's still running 10 s after the case (TERM, then KILL 5 s later; room for a loaded machine)
  local i
  for i in $(seq 100); do pgrep -f "ferry-guard [0-9]+ [01] " >/dev/null || { echo 0; return; }; sleep 0.1; done
  pgrep -f "ferry-guard [0-9]+ [01] " | wc -l
}
# run_case SIGNAL STEP WANT_RC: one cutover with the fault, its checks, one line.
run_case() {
  local sig=$1 step=$2 want=$3 rc=0 t0=$EPOCHREALTIME when=during:$1@100
  [ "$sig" = none ] && when=none
  [ "$step" = cutover.health ] && [ "$sig" != SIGKILL ] && when=before:$1
  FERRY_TEST_FAULT="$step:$when" ferry cutover "$name" --from alpha --to beta --mode "$mode" "${opts[@]}" \
    --json >"$WORK/case.json" 2>"$WORK/case.err" || rc=$?
  local took copies left
  took=$(elapsed_since "$t0")
  copies=$(running_copies)
  left=$(orphans)
  cases=$((cases + 1))
  [ "$copies" -le 1 ] && one_copy=$((one_copy + 1))
  [ "$left" = 0 ] && no_orphans=$((no_orphans + 1))
  printf 'case %2d: %-5s %-5s %-22s %-22s exit %3s (want %s), %.1f s; source %s, target %s; copies running %s; orphans %s\n' \
    "$cases" "$manager" "$mode" "${when%@*}" "$step" "$rc" "$want" "$took" "$(status_of alpha)" "$(status_of beta)" "$copies" "$left"
  [ "$rc" = "$want" ] || fail "$manager $mode $sig at $step: exit $rc, want $want: $(jq -c '.error | {what, hint}' "$WORK/case.json" 2>/dev/null)"
  [ "$copies" -le 1 ] || fail "$manager $mode $sig at $step: two copies run"
  [ "$left" = 0 ] || fail "$manager $mode $sig at $step: $left of ferry's commands still run on the hosts"
  LAST_RC=$rc
}

chain() {  # MANAGER MODE PORT
  manager=$1 mode=$2 port=$3 name=t-fm-$1-$2
  opts=(--no-forward --health "http://web.example:$port/health" --target-address "$BETA")
  prepared_workload "$manager" "$name" "$port"
  start_client "http://$ALPHA:$port"
  # SIGINT and SIGTERM take one path (the same handler): each step gets one of them, in turn,
  # and the next chain the other, so that every step sees both across the chains.
  local step sig k=$((chain_no % 2))
  for step in "${before_gate[@]}"; do
    sig=$([ $((k % 2)) = 0 ] && echo SIGINT || echo SIGTERM)
    k=$((k + 1))
    run_case "$sig" "$step" 130
    [ "$(status_of alpha)" = Running ] && [ "$(status_of beta)" = Stopped ] ||
      fail "$manager $mode $sig at $step: the source does not serve after the rollback"
  done
  local kill_steps=("${before_gate[@]}")
  [ "$mode" = crash ] && kill_steps+=(cutover.end-source)
  kill_steps+=(cutover.mark-source)
  for step in "${kill_steps[@]}"; do
    [ "$step" = cutover.health ] && point_client "http://$BETA:$port"  # the target may serve from its start on
    run_case SIGKILL "$step" 137
  done
  run_case none "" 0  # the same command once more, no fault: it finishes
  [ "$(status_of beta)" = Running ] && [ "$(status_of alpha)" = Stopped ] ||
    fail "$manager $mode: the move did not end with the target serving and the source stopped"
  expect_eq "$manager $mode: the source says where it went" beta \
    "$(instance_field alpha "$manager" "$name" '.config["user.ferry.moved-to"]')"
  stop_client
  local lost
  lost=$(jq '.lost' <<<"$CLIENT_REPORT")
  lost_total=$((lost_total + ${lost:-1}))
  note "$manager $mode: client: $(jq -c '{acknowledged, lost, longest_gap_seconds}' <<<"$CLIENT_REPORT")"
  expect_json "$manager $mode: nothing acknowledged was lost" '.lost == 0 and .acknowledged > 20' "$CLIENT_REPORT"
}

port=18110 chain_no=0
for pair in $chains; do
  chain "${pair%%:*}" "${pair##*:}" "$port"
  port=$((port + 1)) chain_no=$((chain_no + 1))
done
echo "summary: $cases cases in $(elapsed_since "$t_all") s; at most one copy running after $one_copy; no orphans after $no_orphans; acknowledged writes lost: $lost_total"
[ "$one_copy" = "$cases" ] && [ "$no_orphans" = "$cases" ] && [ "$lost_total" = 0 ] || fail "the summary is not clean"
finish
