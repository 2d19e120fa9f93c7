#!/usr/bin/env bash
# labels: lab zfs
# timeout: 600
# A zfs stream from alpha to beta, as ferry sends one: `zfs send | ssh beta zfs recv` run on
# alpha (source to target directly), a full stream of @s1 then an incremental one (-i @s1 @s2).
# Each received snapshot must have the sent one's guid, and every file in it the same sha256 on
# both hosts (read through .zfs/snapshot/, so later writes do not blur the comparison).
. "$(dirname "$0")/zfs_lib.sh"

ds=tank/ferry-test-send
mnt=/mnt/ferry-test-send
for h in alpha beta; do
  on "$h" sh -c "zfs destroy -r $ds 2>/dev/null; true"   # a leftover of an aborted run
  cleanup "on $h zfs destroy -r $ds"
done

on_sh alpha "set -e; zfs create -o mountpoint=$mnt $ds; cd $mnt
  head -c 4M /dev/urandom >blob1; mkdir d; head -c 1M /dev/urandom >d/blob2
  echo one >note; ln -s note link; zfs snapshot $ds@s1"

guid() { on "$1" zfs get -Hp -o value guid "$2"; }
sums() { # HOST SNAPSHOT: sha256 of every file in it, by path
  on_sh "$1" "cd $mnt/.zfs/snapshot/$2 && find . -type f -print0 | sort -z | xargs -0 -r sha256sum"
}
check_received() { # SNAPSHOT MIN_FILES
  local snap=$1 files
  sent=$(guid alpha "$ds@$snap")
  [ -n "$sent" ] || fail "$snap: no guid on alpha"
  expect_eq "$snap: the received snapshot's guid is the sent one's" "$sent" "$(guid beta "$ds@$snap")"
  sums alpha "$snap" >"$WORK/$snap.alpha"
  sums beta "$snap" >"$WORK/$snap.beta"
  files=$(grep -c . "$WORK/$snap.alpha" || true)
  [ "$files" -ge "$2" ] || fail "$snap: only $files files on alpha"
  if cmp -s "$WORK/$snap.alpha" "$WORK/$snap.beta"; then
    ok "$snap: sha256 of all $files files equal on both hosts"
  else
    fail "$snap: checksums differ:"; diff "$WORK/$snap.alpha" "$WORK/$snap.beta" | head -20
  fi
}

# Received read-only: no atime update on beta makes the next incremental refuse.
t0=$EPOCHREALTIME
on_sh alpha "zfs send $ds@s1 | ssh beta zfs recv -u -o readonly=on -o mountpoint=$mnt $ds"
note "full send of @s1 (5 MiB) alpha -> beta, run on alpha: $(elapsed_since "$t0") s"
on beta zfs mount $ds
check_received s1 3
expect_eq "the symlink arrived" note "$(on beta readlink $mnt/.zfs/snapshot/s1/link)"

on_sh alpha "set -e; cd $mnt; head -c 1M /dev/urandom >blob3; echo two >note; rm blob1
  zfs snapshot $ds@s2"
t0=$EPOCHREALTIME
on_sh alpha "zfs send -i @s1 $ds@s2 | ssh beta zfs recv -u $ds"
note "incremental send @s1 -> @s2 (1 MiB changed): $(elapsed_since "$t0") s"
check_received s2 3
expect_eq "s2: the rewritten file" two "$(on beta cat $mnt/note)"
on beta test ! -e $mnt/blob1 && ok "s2: the deleted file is gone on beta too" ||
  fail "s2: blob1, deleted on alpha, is still on beta"
finish
