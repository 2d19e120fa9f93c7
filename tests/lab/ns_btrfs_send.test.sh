#!/usr/bin/env bash
# labels: lab ns
# timeout: 300
# A btrfs stream from alpha to beta over ssh, as ferry sends one: a read-only snapshot of a
# running LXD container's subvolume on alpha, `btrfs send | ssh beta btrfs receive` run on
# alpha, then an incremental one (send -p) after more writes. Each received subvolume must
# carry the sent snapshot's UUID as its Received UUID, and every file must have the same
# sha256 on both hosts.
. "$(dirname "$0")/ns_lib.sh"

name=t-send
pool=/var/lib/lxd/storage-pools/default
dir=$pool/ferry-test-send     # on the pool's filesystem: snapshots must be
launch_workload lxd alpha $name
cleanup "on_sh beta 'btrfs subvolume delete $dir/s1 $dir/s2; rmdir $dir'"
cleanup "on_sh alpha 'btrfs subvolume delete $dir/s1 $dir/s2; rmdir $dir'"

subvol=$pool/containers/$name
on alpha btrfs subvolume show "$subvol" >/dev/null && ok "the container is a subvolume, visible over ssh" ||
  die "$subvol is not a btrfs subvolume on alpha"
on alpha lxc exec $name -- sh -c 'dd if=/dev/urandom of=/root/blob1 bs=1M count=64 2>/dev/null; echo one >/root/note'

field() { # HOST SUBVOL FIELD: a field of `btrfs subvolume show`
  on "$1" btrfs subvolume show "$2" | awk -v f="$3:" '$1 " " $2 == f || $1 == f { print $NF; exit }'
}
sums() { # HOST SUBVOL: sha256 of every file, by path
  on_sh "$1" "cd $2 && find . -type f -print0 | sort -z | xargs -0 -r sha256sum"
}
check_received() { # SNAPSHOT: the copy on beta is that snapshot
  local snap=$1 sent recv
  sent=$(field alpha "$dir/$snap" UUID)
  recv=$(field beta "$dir/$snap" "Received UUID")
  [ -n "$sent" ] && [ "$sent" != - ] || fail "$snap: no UUID on alpha"
  expect_eq "$snap: beta's Received UUID is alpha's UUID" "$sent" "$recv"
  sums alpha "$dir/$snap" >"$WORK/$snap.alpha"
  sums beta "$dir/$snap" >"$WORK/$snap.beta"
  files=$(grep -c . "$WORK/$snap.alpha" || true)
  [ "$files" -gt 10 ] || fail "$snap: only $files files on alpha"
  if cmp -s "$WORK/$snap.alpha" "$WORK/$snap.beta"; then
    ok "$snap: sha256 of all $files files equal on both hosts"
  else
    fail "$snap: checksums differ:"; diff "$WORK/$snap.alpha" "$WORK/$snap.beta" | head -20
  fi
}

on alpha mkdir -p $dir
on beta mkdir -p $dir
on alpha btrfs subvolume snapshot -r "$subvol" "$dir/s1" >/dev/null
t0=$EPOCHREALTIME
on_sh alpha "btrfs send -q $dir/s1 | ssh beta btrfs receive -q $dir"
note "full send of s1 (64 MiB of data + rootfs) alpha -> beta: $(elapsed_since "$t0") s"
check_received s1
grep -q '\./rootfs/root/blob1$' "$WORK/s1.beta" && ok "s1: the written file arrived" || fail "s1: blob1 missing on beta"

on alpha lxc exec $name -- sh -c 'dd if=/dev/urandom of=/root/blob2 bs=1M count=16 2>/dev/null; echo two >/root/note; rm /root/blob1'
on alpha btrfs subvolume snapshot -r "$subvol" "$dir/s2" >/dev/null
t0=$EPOCHREALTIME
on_sh alpha "btrfs send -q -p $dir/s1 $dir/s2 | ssh beta btrfs receive -q $dir"
note "incremental send s1 -> s2 (16 MiB changed): $(elapsed_since "$t0") s"
check_received s2
grep -q '\./rootfs/root/blob1$' "$WORK/s2.beta" && fail "s2: blob1 deleted on alpha still on beta" ||
  ok "s2: the deleted file is gone on beta too"
expect_eq "s2: the rewritten file" two "$(on beta cat $dir/s2/rootfs/root/note)"
parent=$(field beta "$dir/s2" "Parent UUID")
expect_eq "s2 on beta is a snapshot of s1 on beta (incremental)" "$(field beta "$dir/s1" UUID)" "$parent"
finish
