#!/usr/bin/env bash
# labels: lab ns faults
# timeout: 600
# The dead-man on the source (busybox on LXD, a client writing all along, --outage-deadline 10,
# so it fires 25 s after it is armed):
#  1. ferry SIGKILLed in the outage before the target's start and not rerun: the source serves
#     again by itself, its autostart as it was; the target copy stays stopped. A rerun then says
#     the outage was undone (exit 5); the dead-man is gone from the host.
#  2. the same in crash mode (the source frozen): the dead-man thaws it.
#  3. the controller's link to the source cut right before the target's start, for 30 s: the
#     source host cannot acknowledge the start, so the target is never asked; ferry's rollback
#     cannot reach the source either, and the dead-man brings it back by itself (~25 s after it
#     was armed); once the link is back ferry finds it running and ends its rollback (exit 5; or
#     exit 1 if its rollback ran out of time first: then the rerun ends it, exit 5).
#  4. ferry SIGKILLed right after the target's start (recorded on the source first): the dead-man
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

note "3. the controller's link to the source cut right before the target's start, for 30 s"
cleanup "nft delete table inet ferry_test_cut 2>/dev/null || true"
cut_source=$WORK/cut-source
cat >"$cut_source" <<SH
#!/usr/bin/env bash
nft -f - <<NFT
table inet ferry_test_cut {
  chain out { type filter hook output priority 0; ip daddr $ALPHA tcp dport 22 drop; }
  chain in { type filter hook input priority 0; ip saddr $ALPHA tcp sport 22 drop; }
}
NFT
( sleep 30; nft delete table inet ferry_test_cut ) </dev/null >/dev/null 2>&1 &
SH
chmod +x "$cut_source"
rc=0 t0=$EPOCHREALTIME
FERRY_TEST_FAULT="cutover.start-target:before:exec:$cut_source" ferry cutover $name --from alpha --to beta "${cut[@]}" \
  --json >"$WORK/cut.json" 2>"$WORK/cut.err" || rc=$?
note "ferry: exit $rc after $(elapsed_since "$t0") s: $(jq -c '{what: .error.what, hint: .error.hint}' "$WORK/cut.json" 2>/dev/null)"
for _ in $(seq 60); do nft list table inet ferry_test_cut >/dev/null 2>&1 || break; sleep 1; done  # the link is back
if [ "$rc" = 1 ]; then
  jq -e '.error.hint | test("dead-man")' "$WORK/cut.json" >/dev/null && ok "its message names the dead-man" ||
    fail "a rollback cut off from the source does not say that the dead-man brings it back"
  rc=0
  ferry cutover $name --from alpha --to beta "${cut[@]}" --json >"$WORK/cut-rerun.json" 2>"$WORK/cut-rerun.err" || rc=$?
  note "rerun: exit $rc: $(jq -c '.error.what' "$WORK/cut-rerun.json" 2>/dev/null)"
fi
expect_eq "cut off from the source: rolled back" 5 "$rc"
expect_eq "the source serves" Running "$(status_of alpha)"
expect_eq "the target copy was never started" Stopped "$(status_of beta)"
expect_eq "the dead-man brought it back (journaled)" fired "$(ferry status $name --from alpha --to beta --json | jq -r .dead_man)"
answers_within "http://$ALPHA:$port/health" 10 && ok "the source answers" || fail "the source does not answer"
files=$(dead_man_files)
[ -z "$files" ] && ok "nothing of the dead-man is left on the host" || fail "the dead-man left $files"
no_ferry_children

note "4. SIGKILL right after the target's start"
rc=0
FERRY_TEST_KILL="cutover.start-target:after" ferry cutover $name --from alpha --to beta "${cut[@]}" \
  --json >"$WORK/late.json" 2>"$WORK/late.err" || rc=$?
expect_eq "killed after the start" 137 "$rc"
point_client "http://$BETA:$port"
fires_at=$(ferry status $name --from alpha --to beta --json | jq -r .dead_man_fires_at)
wait_s=$(( $(date -d "$fires_at" +%s) + 3 - $(date +%s) ))
note "the dead-man's deadline: $fires_at (in $wait_s s)"
[ "$wait_s" -le 0 ] || sleep "$wait_s"
expect_eq "3 s past the dead-man's deadline the source is still stopped" Stopped "$(status_of alpha)"
expect_eq "the target runs" Running "$(status_of beta)"
rc=0
ferry cutover $name --from alpha --to beta "${cut[@]}" --json >"$WORK/finish.json" 2>"$WORK/finish.err" || rc=$?
[ "$rc" = 0 ] || note "the rerun: $(jq -c .error "$WORK/finish.json" 2>/dev/null); $(tail -5 "$WORK/finish.err")"
expect_eq "the rerun finishes the move" 0 "$rc"
expect_eq "the source is stopped" Stopped "$(status_of alpha)"
dead_man_runs && fail "a dead-man still runs" || ok "no dead-man runs"
files=$(dead_man_files)
[ -z "$files" ] && ok "nothing of the dead-man is left on the host" || fail "the dead-man left $files"
stop_client
note "client: $CLIENT_REPORT"
expect_json "nothing acknowledged was lost" '.lost == 0 and .acknowledged > 20' "$CLIENT_REPORT"
finish
