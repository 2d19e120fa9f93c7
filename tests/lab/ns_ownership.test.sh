#!/usr/bin/env bash
# labels: lab ns faults
# timeout: 600
# ferry acts only on what it made, in the project it was told. One instance name, $name, in two
# projects: project $proj on alpha (with custom volume $vol) is the one moved; project default on
# beta holds a same-named instance and volume that are not ferry's.
#  1. prepare --project, then someone snapshots the target copy: the next sync is refused with
#     the reason and the snapshot stays; abort --project removes ferry's copy in $proj only.
#  2. prepare killed right after the seed streams (before the import), then abort: nothing of
#     ferry's is left on beta; a `ferry-*` snapshot an admin made on alpha survives the abort.
#  3. Same-named instances of two projects moved with forwarding on both: two tables; each
#     finish removes its own; IP forwarding stays on until the last is gone, then is put back.
. "$(dirname "$0")/ns_lib.sh"
. "$(dirname "$0")/move_lib.sh"
name=t-own proj=t-own-p vol=t-own-vol
pool_dir=/var/lib/lxd/storage-pools/default
forget_ferry_copies "${proj}_$name" $name
cleanup "forget_ferry_copies ${proj}_$name $name"
for h in alpha beta; do
  cleanup "'$LAB/workload' delete --project $proj --volume $vol $h $name"
  cleanup "'$LAB/workload' delete --volume $vol $h $name"
  "$LAB/workload" delete --project $proj --volume $vol $h $name >/dev/null 2>&1 || true
  "$LAB/workload" delete --volume $vol $h $name >/dev/null 2>&1 || true
done
"$LAB/workload" launch --project $proj --volume $vol --port 18093 alpha $name >/dev/null
"$LAB/workload" launch --volume $vol beta $name >/dev/null   # project default's, not ferry's
# The project on beta, as an admin makes it for the move (preflight checks it is there).
on_sh beta "lxc project show $proj >/dev/null 2>&1 || lxc project create $proj -c features.images=false -c features.profiles=false >/dev/null"
in_proj=(--project $proj --from alpha --to beta)
# What of $name is on beta in project default (the decoy) and on disk for project $proj.
decoy() { on beta lxc query "/1.0/instances/$name" | jq -r .status; on beta lxc storage volume show default $vol >/dev/null && echo "volume $vol"; }
ferry_on_beta() {
  on_sh beta "ls -d $pool_dir/{containers,containers-snapshots,custom,custom-snapshots,.ferry/containers,.ferry/custom}/${proj}_* 2>/dev/null; true"
}
decoy_before=$(decoy)

note "1. prepare in project $proj; a snapshot of the target copy stops the next sync; abort --project"
ferry prepare $name "${in_proj[@]}" >"$WORK/prepare.out" 2>&1 && ok "prepare --project $proj" || { cat "$WORK/prepare.out"; fail "prepare failed"; }
on beta lxc snapshot $name someones-snap --project $proj
rc=0
ferry sync $name "${in_proj[@]}" >"$WORK/sync.out" 2>&1 || rc=$?
[ $rc != 0 ] && ok "the sync is refused (exit $rc)" || fail "the sync went on beside someone's snapshot of the target copy"
grep -q "has snapshots the source does not: someones-snap" "$WORK/sync.out" && ok "it names the snapshot" ||
  fail "no reason given: $(cat "$WORK/sync.out")"
on beta lxc query "/1.0/instances/$name/snapshots/someones-snap?project=$proj" >/dev/null 2>&1 &&
  on_sh beta "test -d $pool_dir/containers-snapshots/${proj}_$name/someones-snap" &&
  ok "the snapshot is still there" || fail "the snapshot of the target copy is gone"
ferry abort $name "${in_proj[@]}" >"$WORK/abort.out" 2>&1 && ok "abort --project $proj: $(tail -1 "$WORK/abort.out")" ||
  { cat "$WORK/abort.out"; fail "abort failed"; }
expect_eq "beta's project default keeps its $name and $vol" "$decoy_before" "$(decoy)"
expect_eq "no $name in project $proj on beta" "" "$(on beta lxc list --project $proj --format csv -c n)"
expect_eq "no custom volume in project $proj on beta" "" "$(on beta lxc storage volume list default --project $proj --format csv | grep custom || true)"
expect_eq "nothing of ferry's copy on beta's disk" "" "$(ferry_on_beta)"
expect_eq "the source still serves" Running "$(on alpha lxc query "/1.0/instances/$name?project=$proj" | jq -r .status)"

note "2. prepare killed before the import (after the seed streams), then abort"
# An admin's own snapshot that happens to be named like ferry's, where ferry keeps its own.
admin_snap=$pool_dir/.ferry/containers/${proj}_$name/ferry-admin-1
on_sh alpha "mkdir -p ${admin_snap%/*} && btrfs subvolume snapshot -r $pool_dir/containers/${proj}_$name $admin_snap >/dev/null"
rc=0
FERRY_TEST_KILL=prepare.import:before ferry prepare $name "${in_proj[@]}" >"$WORK/killed.out" 2>&1 || rc=$?
expect_eq "ferry was killed before the import" 137 $rc
[ -n "$(ferry_on_beta)" ] && ok "the streams left their copy on beta: $(ferry_on_beta | wc -l) subvolume(s)" ||
  fail "nothing was received: the case proves nothing"
ferry abort $name "${in_proj[@]}" >"$WORK/abort2.out" 2>&1 && ok "abort: $(tail -1 "$WORK/abort2.out")" ||
  { cat "$WORK/abort2.out"; fail "abort failed"; }
expect_eq "nothing of ferry's left on beta" "" "$(ferry_on_beta)"
expect_eq "no $name in project $proj on beta" "" "$(on beta lxc list --project $proj --format csv -c n)"
on_sh alpha "test -d $admin_snap" && ok "the admin's ferry-admin-1 on alpha survived" || fail "ferry destroyed the admin's ferry-admin-1"
expect_eq "beta's project default keeps its $name and $vol" "$decoy_before" "$(decoy)"
on_sh alpha "btrfs subvolume delete $admin_snap >/dev/null"

note "3. $name of project default and of $proj, both moved with forwarding; finish one, then the other"
"$LAB/workload" delete --volume $vol beta $name >/dev/null
"$LAB/workload" launch --no-nic --port 18094 alpha $name >/dev/null   # one DNS name per network
forwarding_was=$(on alpha sysctl -n net.ipv4.ip_forward)
on alpha sysctl -q -w net.ipv4.ip_forward=0
cleanup "ssh -F '$FERRY_LAB_SSH_CONFIG' alpha sysctl -q -w net.ipv4.ip_forward=$forwarding_was"
tables() { on_sh alpha "nft list tables ip" | grep -o 'ferry_fwd_[^ ]*' | sort | tr '\n' ' '; }
for p in default $proj; do
  ferry move $name --project $p --from alpha --to beta --no-try --precopy-rounds 0 --source-address "$ALPHA" \
    --target-address "$BETA" >"$WORK/move-$p.out" 2>&1 && ok "moved $p/$name with forwarding" ||
    { tail -5 "$WORK/move-$p.out"; fail "the move of $p/$name failed"; }
done
expect_eq "two tables on alpha, one per project" "ferry_fwd_default/$name ferry_fwd_$proj/$name " "$(tables)"
expect_eq "IP forwarding on" 1 "$(on alpha sysctl -n net.ipv4.ip_forward)"
curl -sf -m 3 -o /dev/null "http://$ALPHA:18093/health" && curl -sf -m 3 -o /dev/null "http://$ALPHA:18094/health" &&
  ok "alpha forwards both services to beta" || fail "alpha does not forward both services"
ferry finish $name --from alpha --to beta >"$WORK/finish1.out" 2>&1 || { cat "$WORK/finish1.out"; fail "finish of default/$name failed"; }
expect_eq "finish (default) removed only its table" "ferry_fwd_$proj/$name " "$(tables)"
expect_eq "IP forwarding stays on for the other move" 1 "$(on alpha sysctl -n net.ipv4.ip_forward)"
grep -q "stays on" "$WORK/finish1.out" && ok "finish says why forwarding stays on" || fail "finish does not say: $(cat "$WORK/finish1.out")"
curl -sf -m 3 -o /dev/null "http://$ALPHA:18093/health" && ok "$proj/$name is still forwarded" || fail "$proj/$name lost its forwarding"
ferry finish $name --project $proj --from alpha --to beta >"$WORK/finish2.out" 2>&1 || { cat "$WORK/finish2.out"; fail "finish of $proj/$name failed"; }
expect_eq "no ferry table left" "" "$(tables)"
expect_eq "IP forwarding back to what it was before the first move" 0 "$(on alpha sysctl -n net.ipv4.ip_forward)"
finish
