#!/usr/bin/env bash
# labels: lab zfs faults
# timeout: 900
# The dead-man on real OpenZFS and a systemd host (the VMs): crash mode, ferry SIGKILLed while the
# final increment streams, and not run again. The source, frozen, is thawed by the dead-man by
# itself (--outage-deadline 30: it fires 45 s after it was armed); the target copy stays
# stopped; nothing of ferry's (its guards, a zfs send or recv of the dataset) runs on either VM;
# the client lost nothing. The same command again says the outage was undone (exit 5), and the
# dead-man is gone.
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
cutover=(cutover $name --from alpha --to beta --mode crash --no-forward --outage-deadline 30 --json)

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
  left=$(on_sh $h "pgrep -af 'ferry-guard [0-9]+ [01] |zfs (send|recv|receive).*$name' || true")
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
