#!/usr/bin/env bash
# labels: lab move ns preflight
# timeout: 900
# Each preflight failure is caught before anything changes: ferry exits 3 with a message that
# says what and how to fix it, and both hosts are exactly as before (instances' configs,
# volumes, subvolumes). Cases: missing profile on the target, target volume present and not
# ferry's, not enough space, unknown instance, unreachable host, an unknown volume already
# waiting in the target's pool, the instance's MAC and static address already another
# instance's on the target's network, a target that gives root fewer subordinate ids than the
# container's id map needs, a custom volume on a second pool that has no room for it on the
# target (while the root disk's pool has).
. "$(dirname "$0")/ns_lib.sh"
. "$(dirname "$0")/move_lib.sh"
forget_ferry_copies t-pre
cleanup "forget_ferry_copies t-pre"

name=t-pre
launch_workload lxd alpha $name --port 18195
pool=/var/lib/lxd/storage-pools/default

# expect_refused WHAT PATTERN ARGS...: ferry move must exit 3, say PATTERN, change nothing.
expect_refused() {
  local what=$1 pattern=$2 rc=0
  shift 2
  host_state alpha t-pre >"$WORK/alpha.before"
  host_state beta t-pre >"$WORK/beta.before"
  ferry move "$@" >"$WORK/out" 2>"$WORK/err" || rc=$?
  expect_eq "$what: exit code 3 (preflight)" 3 $rc
  if grep -qiE "$pattern" "$WORK/out" "$WORK/err"; then ok "$what: says /$pattern/"; else fail "$what: no /$pattern/ in: $(cat "$WORK/err")"; fi
  grep -q "what to do\|fix:" "$WORK/err" && ok "$what: says what to do" || fail "$what: no hint in: $(cat "$WORK/err")"
  host_state alpha t-pre >"$WORK/alpha.after"
  host_state beta t-pre >"$WORK/beta.after"
  if cmp -s "$WORK/alpha.before" "$WORK/alpha.after" && cmp -s "$WORK/beta.before" "$WORK/beta.after"; then
    ok "$what: nothing changed on either host"
  else
    fail "$what: a host changed: $(diff "$WORK/alpha.before" "$WORK/alpha.after"; diff "$WORK/beta.before" "$WORK/beta.after")"
  fi
  [ -z "$(ls "$STATE/moves"/*/journal.jsonl 2>/dev/null | xargs -r cat)" ] && ok "$what: nothing journaled" ||
    fail "$what: ferry journaled a move: $(cat "$STATE"/moves/*/journal.jsonl)"
}

# 1. A profile the instance uses is missing on the target.
on alpha lxc profile create t-pre-only >/dev/null
cleanup "on alpha lxc profile delete t-pre-only"
on alpha lxc profile add $name t-pre-only >/dev/null
expect_refused "missing profile" "profile 't-pre-only' does not exist on beta" $name --from alpha --to beta
on alpha lxc profile remove $name t-pre-only >/dev/null

# 2. The target already has a volume where the instance would go, and it is not ferry's.
on beta btrfs subvolume create $pool/containers/$name >/dev/null
expect_refused "foreign target volume" "already exists on beta and is not ferry's" $name --from alpha --to beta
on beta btrfs subvolume delete $pool/containers/$name >/dev/null

# 3. Not enough space on the target: fill its pool (fallocate is instant), grow the source.
on alpha lxc exec $name -- dd if=/dev/urandom of=/srv/data/big bs=1M count=150 status=none
free=$(on beta df -B1 --output=avail $pool | tail -1)
on beta fallocate -l $((free - 50 * 1024 * 1024)) $pool/filler
expect_refused "not enough space" "free, the instance needs" $name --from alpha --to beta
on beta rm -f $pool/filler
on alpha lxc exec $name -- rm -f /srv/data/big

# 4. Unknown instance; 5. unreachable host.
expect_refused "unknown instance" "does not exist on alpha" t-no-such-instance --from alpha --to beta
expect_refused "unreachable host" "cannot connect to no-such-host.invalid" $name --from alpha --to no-such-host.invalid

# 6. A volume the target's manager does not know already waits in its pool: a container whose
#    database records are gone (as after a lost database), which recover would import too.
"$LAB/workload" launch --manager lxd beta t-ghost >/dev/null
on beta lxc stop --force t-ghost
on beta lxd sql global "DELETE FROM instances WHERE name='t-ghost'" >/dev/null
on beta lxd sql global "DELETE FROM storage_volumes WHERE name='t-ghost'" >/dev/null
cleanup "on_sh beta 'btrfs subvolume delete $pool/containers/t-ghost 2>/dev/null; true'"
expect_refused "unknown volume waiting" "volumes its manager does not know.*t-ghost" $name --from alpha --to beta
on beta btrfs subvolume delete $pool/containers/t-ghost >/dev/null   # (case 7 would find it too)

# 7. Another instance on the target's network already has the instance's MAC address and its
#    static address (a stopped one, in another project: it would clash once either starts).
#    beta's bridge takes alpha's subnet for it (the hosts' bridges are apart: no clash between them).
mac=$(instance_field alpha lxd $name '.config["volatile.eth0.hwaddr"]')
beta_net=$(on beta lxc network get lxdbr0 ipv4.address)
on beta lxc network set lxdbr0 ipv4.address="$(on alpha lxc network get lxdbr0 ipv4.address)"
cleanup "on beta lxc network set lxdbr0 ipv4.address=$beta_net"
on alpha lxc config device override $name eth0 ipv4.address=198.18.16.77 >/dev/null
on beta lxc project create t-pre-p2 -c features.images=false -c features.profiles=false >/dev/null
cleanup "on beta lxc project delete t-pre-p2"
on beta lxc init --empty t-pre-twin --project t-pre-p2 >/dev/null
cleanup "on beta lxc delete --force t-pre-twin --project t-pre-p2"
on beta lxc config device add t-pre-twin eth0 nic network=lxdbr0 hwaddr=$mac ipv4.address=198.18.16.77 --project t-pre-p2 >/dev/null
expect_refused "MAC and address taken on the target" \
  "MAC address $mac is already used on beta by instance 't-pre-p2/t-pre-twin'.*|static IPv4 address 198.18.16.77 is already used" \
  $name --from alpha --to beta
grep -q "MAC address $mac is already used" "$WORK/err" && grep -q "static IPv4 address 198.18.16.77 is already used" "$WORK/err" &&
  ok "both clashes named" || fail "not both clashes named: $(cat "$WORK/err")"
on alpha lxc config device remove $name eth0 >/dev/null

# 8. The target gives root 1000 subordinate ids: the container's map (65536 and more here) does
#    not fit, and LXD could not start it there. Only beta's view of /etc/subuid changes (a bind
#    mount in its own mount namespace; its daemon keeps the map it read at its start).
printf 'root:100000:1000\n' >"$WORK/subuid.small"
on beta mount --bind "$WORK/subuid.small" /etc/subuid
cleanup "on_sh beta 'umount /etc/subuid 2>/dev/null; true'"
expect_refused "id map the target cannot give" "needs 65536 uids and 65536 gids for its id map; beta gives root only 1000 and" \
  $name --from alpha --to beta
grep -q "fix: give root at least 65536 ids in /etc/subuid" "$WORK/err" && ok "id map: the fix names the files" ||
  fail "id map: no fix naming /etc/subuid in: $(cat "$WORK/err")"
on beta umount /etc/subuid

# 9. A custom volume on a second pool, t-pre-side: 1 GiB on alpha, 300 MiB on beta (~230 MiB
#    free), 260 MiB written to it. The root disk's pool has room; the volume's pool does not.
on alpha lxc storage create t-pre-side btrfs size=1GiB >/dev/null
cleanup "on_sh alpha 'lxc storage delete t-pre-side 2>/dev/null; true'"
on beta lxc storage create t-pre-side btrfs size=300MiB >/dev/null
cleanup "on_sh beta 'lxc storage delete t-pre-side 2>/dev/null; true'"
on alpha lxc storage volume create t-pre-side side >/dev/null
cleanup "on_sh alpha 'lxc storage volume delete t-pre-side side 2>/dev/null; true'"
on alpha lxc storage volume attach t-pre-side side $name /mnt/side >/dev/null
cleanup "on_sh alpha 'lxc storage volume detach t-pre-side side $name 2>/dev/null; true'"
on alpha lxc exec $name -- dd if=/dev/urandom of=/mnt/side/big bs=1M count=260 status=none
expect_refused "no room in the custom volume's pool" "free, the instance needs about .* in pool 't-pre-side'" \
  $name --from alpha --to beta
grep -q "fix: free space in the target's pool 't-pre-side'" "$WORK/err" && ok "space: the fix names the pool" ||
  fail "space: no fix naming the pool in: $(cat "$WORK/err")"
on alpha lxc storage volume detach t-pre-side side $name >/dev/null
finish
