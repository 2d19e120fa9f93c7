#!/usr/bin/env bash
# labels: lab ns faults
# timeout: 600
# The dead-man on the source (busybox on LXD, a client writing all along, --outage-deadline 10,
# so it fires 25 s after it is armed):
#  1. ferry SIGKILLed in the outage before the target's start and not rerun: the source serves
#     again by itself, its autostart as it was; the target copy stays stopped. A rerun then says
#     the outage was undone (exit 5); the dead-man is gone from the host.
#  2. the same in crash mode (the source frozen): the dead-man thaws it.
#  3. ferry SIGKILLed right after the target's start (recorded on the source first): the dead-man
#     never brings the source back; the rerun finishes the move and nothing of ferry's is left.
. "$(dirname "$0")/ns_lib.sh"
. "$(dirname "$0")/move_lib.sh"
name=t-deadman port=18096
prepared_workload lxd $name $port
start_client "http://$ALPHA:$port"
on alpha lxc config set $name boot.autostart true

status_of() { instance_field "$1" lxd $name .status; }
dead_man_runs() { pgrep -f "^sh /run/ferry/dead-man/" >/dev/null; }
dead_man_files() { on_sh alpha 'ls -A /run/ferry/dead-man 2>/dev/null || true'; }
until_status() {  # HOST STATUS SECONDS: true once the instance has that status
  for _ in $(seq "$3"); do [ "$(status_of "$1")" = "$2" ] && return 0; sleep 1; done
  return 1
}
cut=(--outage-deadline 10 --no-forward)

for mode in clean crash; do
  case_no=$([ $mode = clean ] && echo 1 || echo 2)
  note "$case_no. $mode mode: ferry SIGKILLed before the target's start, not rerun"
  rc=0
  FERRY_TEST_KILL="cutover.start-target:before" ferry cutover $name --from alpha --to beta --mode $mode "${cut[@]}" \
    --json >"$WORK/kill.json" 2>"$WORK/kill.err" || rc=$?
  expect_eq "$mode: killed in the outage" 137 "$rc"
  t0=$EPOCHREALTIME
  expect_eq "$mode: the source is down meanwhile" "$([ $mode = clean ] && echo Stopped || echo Frozen)" "$(status_of alpha)"
  dead_man_runs && ok "$mode: the dead-man waits on the source host" || fail "$mode: no dead-man runs on the source host"
  until_status alpha Running 45 && ok "$mode: the source serves again by itself ($(elapsed_since "$t0") s after ferry died)" ||
    fail "$mode: the source is still $(status_of alpha) $(elapsed_since "$t0") s after ferry died"
  if [ $mode = clean ]; then
    answers_within "http://$ALPHA:$port/health" 10 && ok "$mode: the source answers" || fail "$mode: the source does not answer"
  else
    # Thawed, it runs commands again. (It answers once its one-at-a-time server has worked through
    # the connections the client queued while it was frozen: 18 s for 40 of them, here ~250.)
    on alpha timeout 10 lxc exec $name -- true && ok "$mode: the source is thawed (a command runs in it)" ||
      fail "$mode: the source is still frozen inside"
  fi
  expect_eq "$mode: its autostart as it was" true "$(instance_field alpha lxd $name '.config["boot.autostart"]')"
  expect_eq "$mode: the target copy stays stopped" Stopped "$(status_of beta)"
  sleep 1.5
  dead_man_runs && fail "$mode: the dead-man still runs after firing" || ok "$mode: the dead-man ended after firing"
  rc=0
  ferry cutover $name --from alpha --to beta --mode $mode "${cut[@]}" --json >"$WORK/rerun.json" 2>"$WORK/rerun.err" || rc=$?
  note "$mode: rerun: $(jq -c '.error.what' "$WORK/rerun.json" 2>/dev/null)"
  expect_eq "$mode: the rerun says the outage was undone" 5 "$rc"
  expect_eq "$mode: the source still runs" Running "$(status_of alpha)"
  files=$(dead_man_files)
  [ -z "$files" ] && ok "$mode: nothing of the dead-man is left on the host" || fail "$mode: the dead-man left $files"
done

note "3. SIGKILL right after the target's start"
rc=0
FERRY_TEST_KILL="cutover.start-target:after" ferry cutover $name --from alpha --to beta "${cut[@]}" \
  --json >"$WORK/late.json" 2>"$WORK/late.err" || rc=$?
expect_eq "killed after the start" 137 "$rc"
point_client "http://$BETA:$port"
sleep 30
expect_eq "30 s later (past the dead-man's deadline) the source is still stopped" Stopped "$(status_of alpha)"
expect_eq "the target runs" Running "$(status_of beta)"
rc=0
ferry cutover $name --from alpha --to beta "${cut[@]}" --json >"$WORK/finish.json" 2>"$WORK/finish.err" || rc=$?
expect_eq "the rerun finishes the move" 0 "$rc"
expect_eq "the source is stopped" Stopped "$(status_of alpha)"
dead_man_runs && fail "a dead-man still runs" || ok "no dead-man runs"
files=$(dead_man_files)
[ -z "$files" ] && ok "nothing of the dead-man is left on the host" || fail "the dead-man left $files"
stop_client
note "client: $CLIENT_REPORT"
expect_json "nothing acknowledged was lost" '.lost == 0 and .acknowledged > 20' "$CLIENT_REPORT"
finish
