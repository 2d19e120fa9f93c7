#!/usr/bin/env bash
# labels: lab cutover ns faults
# timeout: 900
# Faults other than signals, injected at a step of the outage through FERRY_TEST_FAULT's exec:
# action (a program of this test's, run by ferry at that point), chained on one prepared move
# (busybox on LXD, a client writing all along, --outage-deadline 25):
#  1. the alpha<->beta link cut for 35 s while the final increment streams (more than ssh's
#     30 s keepalive): the stream's ssh gives up, ferry rolls back (exit 5), the source serves;
#  2. the receiver (btrfs receive on beta) SIGSTOPped while it receives: the outage's deadline
#     ends the wait, ferry rolls back (exit 5); the receiver, continued after ferry's exit, ends;
#  3. the target pool filled right after the stop: the send fails, ferry rolls back (exit 5);
#  4. the state dir filled in the outage (a 1 MiB tmpfs, the journal's last page padded out): the
#     journal cannot be written, ferry
#     rolls back all the same; the rerun, with room again, says the outage was undone (exit 5);
#  5. the target's daemon killed right before the target's start, started again 3 s later: the
#     start fails, the rollback waits for the daemon to answer, stops nothing, exit 5;
#  6. crash mode, the source's daemon slowed (its CPU quota 2 %), ferry interrupted while it
#     freezes the source: the rollback waits for the daemon's freeze to end, thaws (exit 130);
#  7. the same link cut for 10 s (less than the keepalive): the stream waits and goes on, the
#     move completes (or rolls back: then the same command without a fault completes it).
# After every case: at most one copy runs, one serves, nothing of ferry's runs here or on the
# hosts; at the end the client lost nothing.
. "$(dirname "$0")/ns_lib.sh"
. "$(dirname "$0")/move_lib.sh"
name=t-fact port=18120
prepared_workload lxd $name $port
start_client "http://$ALPHA:$port"
status_of() { instance_field "$1" lxd $name .status; }
alpha_ns=ferry-lab-alpha
pool_dir=/var/lib/lxd/storage-pools/default
cleanup "ip netns exec $alpha_ns nft delete table inet ferry_test_link 2>/dev/null || true"
cleanup "on_sh beta 'rm -f $pool_dir/ferry-test-fill; pkill -CONT -x btrfs || true'"

# fault NAME 'SHELL TEXT': a program for FERRY_TEST_FAULT's exec: action; prints its path.
fault() {
  printf '#!/usr/bin/env bash\nset -u\n%s\n' "$2" >"$WORK/fault-$1"
  chmod +x "$WORK/fault-$1"
  echo "$WORK/fault-$1"
}
cut_link() {  # SECONDS: alpha drops what it sends to and receives from beta, for that long
  fault "cut-$1" "ip netns exec $alpha_ns nft -f - <<NFT
table inet ferry_test_link {
  chain out { type filter hook output priority 0; ip daddr $BETA drop; }
  chain in { type filter hook input priority 0; ip saddr $BETA drop; }
}
NFT
( sleep $1; ip netns exec $alpha_ns nft delete table inet ferry_test_link ) </dev/null >/dev/null 2>&1 &"
}
grow_increment() { on alpha lxc exec $name -- dd if=/dev/urandom of=/root/blob bs=1M count="$1" 2>/dev/null; }
cases=0
# run_case WHAT FAULT-SPEC ALLOWED-EXITS [ferry options]
run_case() {
  local what=$1 spec=$2 allowed=$3 rc=0 t0=$EPOCHREALTIME
  shift 3
  FERRY_TEST_FAULT="$spec" ferry cutover $name --from alpha --to beta --no-forward --outage-deadline 25 "$@" \
    --json >"$WORK/case.json" 2>"$WORK/case.err" || rc=$?
  cases=$((cases + 1))
  local copies=0
  [ "$(status_of alpha)" = Running ] && copies=$((copies + 1))
  [ "$(status_of beta)" = Running ] && copies=$((copies + 1))
  printf 'case %d: %-52s exit %s, %.1f s; source %s, target %s: %s\n' "$cases" "$what" "$rc" "$(elapsed_since "$t0")" \
    "$(status_of alpha)" "$(status_of beta)" "$(jq -c '.error.what // "done"' "$WORK/case.json" 2>/dev/null)"
  [[ " $allowed " == *" $rc "* ]] && ok "$what: exit $rc (one of $allowed)" || fail "$what: exit $rc, not one of $allowed"
  expect_eq "$what: exactly one copy runs" 1 "$copies"
  eval "${AFTER_FERRY:-}"  # the case's own undoing of its fault (a stopped process ends only once continued)
  AFTER_FERRY=
  sleep 6  # deadline + 5 s for a guard; the dead-man is disarmed once the outage is over
  no_ferry_children
  LAST_RC=$rc
}

note "1. link cut for 35 s in the send"
grow_increment 4
run_case "link cut 35 s in the send" "cutover.send:instance:during:exec:$(cut_link 35)@200" "5" --bwlimit 1M
for _ in $(seq 60); do ip netns exec $alpha_ns nft list table inet ferry_test_link >/dev/null 2>&1 || break; sleep 1; done  # the link is back

note "2. the receiver SIGSTOPped"
grow_increment 4
AFTER_FERRY="on_sh beta 'pkill -CONT -x btrfs || true'"
# The step's stream may take a while to start its receiver on a loaded machine: the program waits
# for it (a pkill before it ran stopped nothing, and the move went through: CI saw that), and
# leaves a mark that it stopped one.
stop_receiver="ssh -F $FERRY_LAB_SSH_CONFIG beta 'for i in \$(seq 100); do pkill -STOP -f \"^btrfs receive\" && exit 0; sleep 0.05; done; exit 1' && touch $WORK/receiver-stopped"
rm -f "$WORK/receiver-stopped"
run_case "receiver stopped (SIGSTOP)" "cutover.send:instance:during:exec:$(fault stop "$stop_receiver")@100" "5" --bwlimit 1M
[ -e "$WORK/receiver-stopped" ] && ok "the fault stopped the receiver" || fail "the fault found no receiver to stop"
left=$(on_sh beta "pgrep -a -x btrfs || true")
[ -z "$left" ] && ok "the receiver, continued, ended" || fail "the receiver still runs: $left"

note "3. the target pool filled after the stop"
grow_increment 8
fill="avail=\$(ssh -F $FERRY_LAB_SSH_CONFIG beta df --output=avail -B1M $pool_dir | tail -1)
ssh -F $FERRY_LAB_SSH_CONFIG beta fallocate -l \$((avail - 2))M $pool_dir/ferry-test-fill"
run_case "target pool full" "cutover.stop-source:after:exec:$(fault fill "$fill")" "5"
on_sh beta "rm -f $pool_dir/ferry-test-fill"

note "4. the state dir filled in the outage"
small=$WORK/small-state
mkdir -p "$small"
mount -t tmpfs -o size=1m tmpfs "$small"
cleanup "umount -l '$small' 2>/dev/null || true"
cp -a "$STATE/." "$small/"
big_state=$STATE
STATE=$small
# Filled, the tmpfs still takes writes into the journal's last page: a note record pads that page
# out, so that ferry's next record needs a page there is none of (without it, whether the rest
# of the outage's records fit in the slack was luck: CI saw both).
fillstate='dd if=/dev/zero of='$small'/fill bs=4k 2>/dev/null
j=$(ls '$small'/moves/*/journal.jsonl); pad=$(( (4096 - $(stat -c %s "$j") % 4096) % 4096 ))
[ "$pad" -le 35 ] || printf '"'"'{"event":"note","data":{"pad":"%s"}}\n'"'"' "$(head -c $((pad - 35)) /dev/zero | tr "\0" x)" >>"$j"
true'
run_case "state dir full" "cutover.snapshot:after:exec:$(fault fillstate "$fillstate")" "5"
rm -f "$small/fill"
rc=0
ferry cutover $name --from alpha --to beta --no-forward --json >"$WORK/after-full.json" 2>"$WORK/after-full.err" || rc=$?
note "the rerun with room again: exit $rc: $(jq -c '.error.what // "done"' "$WORK/after-full.json" 2>/dev/null)"
[[ " 0 5 " == *" $rc "* ]] && ok "the rerun with room again: exit $rc" || fail "the rerun with room again: exit $rc"
[ "$(status_of alpha)" = Running ] || [ "$(status_of beta)" = Running ] || fail "nothing serves after the rerun"
if [ "$rc" = 0 ]; then die "the rerun completed the move: the last case needs a source that serves"; fi
cp -a "$small/." "$big_state/"
umount -l "$small"
STATE=$big_state

note "5. the target's daemon killed right before the target's start (started again 3 s later)"
restart="ssh -F $FERRY_LAB_SSH_CONFIG beta 'pkill -9 -x lxd; (sleep 3; setsid lxd --group root --logfile /var/log/lxd/lxd.log </dev/null >/var/log/lxd/daemon.out 2>&1 &) </dev/null >/dev/null 2>&1'"
run_case "target daemon down at the start" "cutover.start-target:before:exec:$(fault restart "$restart")" "5"
on beta lxd waitready --timeout 60

note "6. crash mode, the source's daemon slowed (2 % of a CPU), SIGINT while it freezes the source"
# The interrupted client's freeze goes on in the daemon: read mid-freeze, the source is Freezing
# (or Running), and then Frozen; a start of a Freezing instance fails ("already running"), and
# the source stayed frozen until the dead-man came (a loaded CI machine showed it, with Incus).
# The rollback must wait for the daemon's freeze to end, then thaw the source. The SIGINT comes
# 0.15 s after the freeze's client runs; the daemon is itself again 8 s later. (The code before
# that wait passes this too: LXD's freeze ends before the rollback's first answer. It holds
# the outcome of an interrupted freeze; docs/faults.md says what a failing version needs.)
slow_cg=/sys/fs/cgroup/cpu/ferry-test-slow
cleanup "[ -s '$WORK/slowed-pid' ] && echo \$(cat '$WORK/slowed-pid') >/sys/fs/cgroup/cpu/cgroup.procs; rmdir $slow_cg 2>/dev/null || true"
slow="ns=\$(ip netns exec $alpha_ns readlink /proc/self/ns/net)
for p in \$(pgrep -f '^lxd --group'); do [ \"\$(readlink /proc/\$p/ns/net)\" = \"\$ns\" ] && pid=\$p; done
[ -n \"\${pid:-}\" ] && mkdir -p $slow_cg && echo 2000 >$slow_cg/cpu.cfs_quota_us && echo \$pid >$slow_cg/cgroup.procs || exit 1
echo \$pid >$WORK/slowed-pid
ferry=\$PPID
( for i in \$(seq 200); do pgrep -f 'lxc pause $name' >/dev/null && break; sleep 0.05; done
  sleep 0.15; touch $WORK/interrupted-in-stop; kill -INT \$ferry; sleep 8; echo \$pid >/sys/fs/cgroup/cpu/cgroup.procs ) </dev/null >/dev/null 2>&1 &"
rm -f "$WORK/interrupted-in-stop"
run_case "SIGINT in a slowed daemon's freeze" "cutover.stop-source:before:exec:$(fault slow "$slow")" "130" --mode crash
[ -e "$WORK/interrupted-in-stop" ] && ok "the interrupt came in the freeze" || fail "the fault saw no freeze of the source"
for _ in $(seq 100); do [ "$(on alpha lxc query /1.0/operations | jq '.running // [] | length')" = 0 ] && break; sleep 0.2; done
expect_eq "the source serves once its daemon is done" Running "$(status_of alpha)"
expect_eq "the target copy is stopped" Stopped "$(status_of beta)"
# Open (docs/faults.md): with the client writing, the thawed busybox did not answer /health within
# 30 s in three runs, the old rollback's too, although Running, THAWED and its processes there.
# Recorded, not yet asserted; case 7 moves it all the same.
answers_within "http://$ALPHA:$port/health" 30 && note "the source answers after the thaw" ||
  note "open: the source does not answer /health within 30 s of the thaw"

note "7. the alpha<->beta link cut for 10 s in the send"
grow_increment 4
run_case "link cut 10 s in the send" "cutover.send:instance:during:exec:$(cut_link 10)@200" "0 5" --bwlimit 1M
[ "$LAST_RC" = 0 ] || run_case "no fault" "none" "0"
expect_eq "the target serves at the end" Running "$(status_of beta)"
expect_eq "the source is stopped at the end" Stopped "$(status_of alpha)"
point_client "http://$BETA:$port"
stop_client
note "client: $(jq -c '{acknowledged, lost, longest_gap_seconds}' <<<"$CLIENT_REPORT")"
expect_json "nothing acknowledged was lost" '.lost == 0 and .acknowledged > 20' "$CLIENT_REPORT"
echo "summary: $cases cases; $failures check(s) failed"
finish
