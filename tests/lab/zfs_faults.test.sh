#!/usr/bin/env bash
# labels: lab zfs faults
# timeout: 900
# The outage's faults on real OpenZFS and systemd hosts (the VMs), crash mode, chained on one
# prepared move, --outage-deadline 20:
#  1. the alpha<->beta link cut for 60 s while the final increment streams: the outage's
#     deadline (or ssh's 30 s keepalive) ends the stream, ferry thaws the source (exit 5); within
#     the deadline + 5 s nothing of ferry's runs on either VM, the receiving end on beta included
#     (beta was told nothing: its guard ends it); the partial receive left on beta does not stand
#     in the way of the next attempt.
#  2. ferry SIGKILLed while the final increment streams, and not run again: the dead-man thaws
#     the frozen source by itself (it fires 35 s after it was armed); the target copy stays
#     stopped; nothing of ferry's runs on either VM. The same command again says the outage was
#     undone (exit 5), and the dead-man is gone.
# The client lost nothing.
. "$(dirname "$0")/zfs_lib.sh"
. "$(dirname "$0")/move_lib.sh"

manager=${ZFS_DEAD_MAN_MANAGER:-lxd}
name=z-deadman port=18391
forget_instance $manager $name
cleanup "forget_instance $manager $name"
launch_workload $manager alpha $name --port $port
ferry prepare $name --from alpha --to beta --json >"$WORK/prepare.json" 2>"$WORK/prepare.err" ||
  die "ferry prepare failed: $(tail -5 "$WORK/prepare.err")"
ok "prepared"
start_client "http://$ALPHA:$port"
sleep 2
status_of() { instance_field "$1" $manager $name .status; }
cutover=(cutover $name --from alpha --to beta --mode crash --no-forward --outage-deadline 20 --json)

grow_increment() { on alpha lxc exec $name -- dd if=/dev/urandom of=/root/blob bs=1M count="$1" 2>/dev/null; }
ferry_left_on() {  # HOST: ferry's guards and zfs streams of this instance still running there
  on_sh "$1" "pgrep -af 'ferry-guard [0-9]+ [01] |zfs (send|recv|receive).*$name|ferry-recv' | grep -v pgrep || true"
}

note "1. the alpha<->beta link cut for 60 s in the final send"
cleanup "on_sh alpha 'nft delete table inet ferry_test_link' 2>/dev/null || true"
cut_link=$WORK/cut-link
cat >"$cut_link" <<SH
#!/usr/bin/env bash
ssh -F $FERRY_LAB_SSH_CONFIG alpha 'nft -f - <<NFT
table inet ferry_test_link {
  chain out { type filter hook output priority 0; ip daddr $BETA drop; }
  chain in { type filter hook input priority 0; ip saddr $BETA drop; }
}
NFT
setsid sh -c "sleep 60; nft delete table inet ferry_test_link" </dev/null >/dev/null 2>&1 &'
SH
chmod +x "$cut_link"
grow_increment 8
rc=0 t0=$EPOCHREALTIME
FERRY_TEST_FAULT="cutover.send:instance:during:exec:$cut_link@300" ferry "${cutover[@]}" >"$WORK/cut.json" 2>"$WORK/cut.err" || rc=$?
t1=$EPOCHREALTIME
note "ferry: exit $rc after $(elapsed_since "$t0") s: $(jq -c '.error.what' "$WORK/cut.json" 2>/dev/null)"
expect_eq "link cut in the final send: rolled back" 5 "$rc"
expect_eq "the source runs again (thawed)" Running "$(status_of alpha)"
expect_eq "the target copy stays stopped" Stopped "$(status_of beta)"
on_sh alpha 'nft list table inet ferry_test_link >/dev/null 2>&1' && note "the link is still cut" || fail "the link came back too early for the test"
sleep 5
for h in alpha beta; do
  left=$(ferry_left_on $h)
  [ -z "$left" ] && ok "with the link still cut, nothing of ferry's runs on $h ($(elapsed_since "$t1") s after ferry's exit)" ||
    fail "with the link still cut, still running on $h: $left"
done
on_sh alpha 'nft delete table inet ferry_test_link'  # the link back (its own timer, a fallback, finds nothing)
ok "the link is back"

note "2. ferry SIGKILLed in the final send, not run again"
rc=0
FERRY_TEST_FAULT="cutover.send:instance:during:SIGKILL@300" ferry "${cutover[@]}" >"$WORK/kill.json" 2>"$WORK/kill.err" || rc=$?
t0=$EPOCHREALTIME
expect_eq "ferry killed in the final send" 137 "$rc"
expect_eq "the source is frozen meanwhile" Frozen "$(status_of alpha)"
on_sh alpha 'pgrep -f "^sh /run/ferry/dead-man/" >/dev/null' && ok "the dead-man waits on the source VM" ||
  fail "no dead-man runs on the source VM"
back=
for _ in $(seq 120); do [ "$(status_of alpha)" = Running ] && { back=yes; break; }; sleep 1; done
[ -n "$back" ] && ok "the source serves again by itself, $(elapsed_since "$t0") s after ferry died" ||
  fail "the source is still $(status_of alpha) $(elapsed_since "$t0") s after ferry died"
expect_eq "the target copy stays stopped" Stopped "$(status_of beta)"
for h in alpha beta; do
  left=$(ferry_left_on $h)
  [ -z "$left" ] && ok "nothing of ferry's runs on $h" || fail "still running on $h: $left"
done
rc=0
ferry "${cutover[@]}" >"$WORK/rerun.json" 2>"$WORK/rerun.err" || rc=$?
note "rerun: $(jq -c '.error.what' "$WORK/rerun.json" 2>/dev/null)"
expect_eq "the same command again says the outage was undone" 5 "$rc"
expect_eq "the source still runs" Running "$(status_of alpha)"
expect_eq "nothing of the dead-man is left on the source VM" "" "$(on_sh alpha 'ls -A /run/ferry/dead-man 2>/dev/null || true')"
# Thawed, the one-connection-at-a-time busybox server first works through the connections the
# client queued while it was frozen (minutes under TCG): the client's final read waits for that.
t1=$EPOCHREALTIME
answers_within "http://$ALPHA:$port/health" 300 && note "the source answered again $(elapsed_since "$t1") s after the rerun" ||
  fail "the source did not answer within 300 s of the rerun"
stop_client
note "client: $CLIENT_REPORT"
expect_json "nothing acknowledged was lost" '.lost == 0 and .acknowledged > 5' "$CLIENT_REPORT"
finish
