#!/usr/bin/env bash
# labels: lab zfs
# timeout: 600
# The busybox workload on alpha under LXD on the zfs pool: launched by lab/workload, it answers
# lab/client at alpha's address through the proxy device, every acknowledged record stored and
# none lost; its root is a zfs dataset cloned from the image's.
. "$(dirname "$0")/zfs_lib.sh"

name=z-wl
port=18180
t0=$EPOCHREALTIME
launch_workload lxd alpha $name --port $port
note "launched in $(elapsed_since "$t0") s at $URL"
expect_eq "the service's address is alpha's" "http://$ALPHA:$port" "$URL"

origin=$(on alpha zfs get -H -o value origin "tank/lxd/containers/$name")
case "$origin" in
  tank/lxd/images/*@readonly) ok "the container is a zfs clone of its image ($origin)" ;;
  *) fail "the container's dataset is not a clone of an image (origin '$origin')" ;;
esac

# Under TCG an append (fork + fsync on ZFS) can take over 1 s: the client waits 3 s for each.
report=$("$LAB/client" --url "$URL" --duration 3 --timeout 3)
note "client: $report"
expect_json "records acknowledged" '.acknowledged >= 10' "$report"
expect_json "nothing lost" '.lost == 0 and .lost_ids == []' "$report"
expect_json "every acknowledged record present" '.present == .acknowledged' "$report"
expect_json "records fetched from alpha" ".final_target == \"$ALPHA:$port\"" "$report"
finish
