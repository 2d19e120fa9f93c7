#!/usr/bin/env bash
# labels: lab zfs move
# timeout: 900
# ferry SIGKILLed in the middle of the seed stream on the zfs tier, then the same command run
# again: the interrupted receive resumes (zfs send -t) instead of starting over. A busybox
# service (Incus) with ~200 MB of random data in its root moves from alpha to beta with
# --bwlimit, so the stream is slow enough to interrupt; ferry, run in a pseudo-terminal (script)
# as an admin runs it, is killed once beta's `zfs recv` has read about a third of it. Then: the
# screen shows the progress redrawn in place (bytes of the total, percent, rate, ETA); beta
# kept a receive resume token; nothing ferry started outlived it (here or on either VM); the
# rerun, its stderr not a terminal, prints plain progress lines, completes the move, the client
# loses nothing, the journal says the send resumed, and the bytes of the rerun plus what beta
# already had stay under 1.1x the whole stream.
# First, a partial receive that ferry did not make, where the move would receive (beta's own
# stream, cut off): the move is refused in preflight, and neither it nor an abort touches it.
. "$(dirname "$0")/zfs_lib.sh"
. "$(dirname "$0")/move_lib.sh"

manager=${ZFS_KILL_MANAGER:-incus}
cli=$(manager_cli $manager)
name=z-kill-$manager
port=18390
root=$([ $manager = lxd ] && echo tank/lxd || echo tank/incus)
ds=$root/containers/$name
# An unusual rate, so that pv's command line is this test's own (others use the tier too); under
# the link's ~8 MB/s.
bwlimit=5632K
data_mb=200

on alpha sh -c 'command -v pv' >/dev/null ||
  die "no pv on alpha (lab/zfs/up puts it on the seed disk: bring the tier up again)"

forget_instance $manager $name   # what an interrupted run left
cleanup "forget_instance $manager $name"
launch_workload $manager alpha $name --port $port
t0=$EPOCHREALTIME
on alpha "$cli" exec $name -- dd if=/dev/urandom of=/root/blob bs=1M count=$data_mb 2>/dev/null
note "$data_mb MB of random data written in $(elapsed_since "$t0") s"
blob_sum=$(on alpha "$cli" exec $name -- sha256sum /root/blob | cut -d' ' -f1)

# The move as an operator would type it. Neither the trial boot nor the downtime budget is what
# this test is about (under TCG a pre-copy round of a few KB takes ~30 s: far over the default).
move=(move $name --from alpha --to beta --bwlimit $bwlimit --no-try --max-downtime 120)

# A partial receive of beta's own, where the move would receive: not ferry's (its token names
# another stream), so the move is refused before it changes anything, and abort leaves it.
foreign=tank/z-foreign-$manager
on_sh beta "zfs destroy -r $foreign 2>/dev/null; zfs create -o mountpoint=/mnt/z-foreign $foreign &&
  dd if=/dev/urandom of=/mnt/z-foreign/blob bs=1M count=4 2>/dev/null && zfs snapshot $foreign@a &&
  { zfs send $foreign@a | head -c 2000000 | zfs recv -s -u $ds 2>/dev/null; true; }"
cleanup "on_sh beta 'zfs destroy -r $foreign 2>/dev/null; true'"   # and forget_instance the rest
ftoken=$(on beta zfs get -H -o value receive_resume_token $ds 2>/dev/null || true)
[ -n "$ftoken" ] && [ "$ftoken" != - ] || die "beta's cut-off receive left no resume token on $ds ($ftoken)"
code=0
"$FERRY" "${move[@]}" --json --ssh-config "$FERRY_LAB_SSH_CONFIG" --state-dir "$WORK/foreign-state" >"$WORK/foreign.json" 2>"$WORK/foreign.err" || code=$?
expect_eq "a move onto a partial receive ferry did not make is refused (preflight)" 3 "$code"
expect_json "the refusal names it" "(.error.what + \" \" + (.error.detail // \"\")) | test(\"$ds\")" "$(cat "$WORK/foreign.json")"
code=0
"$FERRY" abort $name --from alpha --to beta --ssh-config "$FERRY_LAB_SSH_CONFIG" --state-dir "$WORK/foreign-state" >"$WORK/foreign-abort.out" 2>&1 || code=$?
note "abort after the refusal: exit $code: $(head -c 600 "$WORK/foreign-abort.out")"
expect_eq "the partial receive survived the refused move and the abort (its token unchanged)" "$ftoken" \
  "$(on beta zfs get -H -o value receive_resume_token $ds 2>/dev/null || true)"
on_sh beta "zfs recv -A $ds && zfs destroy -r $foreign"

start_client "http://$ALPHA:$port"
sleep 1
# In a pseudo-terminal. In the background, in_pty runs in a subshell: script is its child, and
# script's child is ferry, the pid to kill.
in_pty "$WORK/run1.typescript" "$FERRY" "${move[@]}" --ssh-config "$FERRY_LAB_SSH_CONFIG" --state-dir "$STATE" &
pty_pid=$!
cleanup "pkill -9 -P $pty_pid 2>/dev/null; kill -9 $pty_pid 2>/dev/null || true"
ferry_pid=
for _ in $(seq 50); do
  script_pid=$(pgrep -P $pty_pid -x script || true)
  [ -n "$script_pid" ] && ferry_pid=$(pgrep -P "$script_pid" -x ferry || true)
  [ -n "$ferry_pid" ] && break
  sleep 0.1
done
[ -n "$ferry_pid" ] || die "ferry did not start under script"
cleanup "kill -9 $ferry_pid 2>/dev/null || true"

# recv_read: bytes beta's `zfs recv` of this dataset has read so far (empty while none runs).
recv_read() {
  on_sh beta "for p in \$(pgrep -x zfs); do grep -q -- '$ds' /proc/\$p/cmdline 2>/dev/null &&
    tr '\\0' ' ' </proc/\$p/cmdline | grep -q recv && awk '/^rchar/ {print \$2}' /proc/\$p/io; done; true" 2>/dev/null |
    head -n1 || true
}
t0=$EPOCHREALTIME
threshold=$((data_mb * 1024 * 1024 / 3))
read_bytes=
while :; do
  kill -0 $ferry_pid 2>/dev/null || { tail -c 2000 "$WORK/run1.typescript"; die "ferry ended before it could be killed mid-stream"; }
  read_bytes=$(recv_read)
  [ -n "$read_bytes" ] && [ "$read_bytes" -ge "$threshold" ] && break
  [ "$(elapsed_since "$t0" | cut -d. -f1)" -lt 600 ] || die "beta's zfs recv did not reach $threshold bytes in 600 s"
  sleep 0.5
done
# Every process ferry started, just before the kill: each must be gone after it.
kids=$(pgrep -P $ferry_pid | tr '\n' ' ')
kill -9 $ferry_pid
wait $pty_pid 2>/dev/null || true
note "ferry killed $(elapsed_since "$t0") s after it started, beta's zfs recv had read $read_bytes bytes; its children were: $kids"
sleep 3
expect_redrawn "the seed copy in a terminal" "$WORK/run1.typescript"

token=$(on beta zfs get -H -o value receive_resume_token $ds 2>/dev/null || true)
if [ -n "$token" ] && [ "$token" != - ]; then ok "beta kept a receive resume token for $ds"; else fail "no receive resume token on beta ($token)"; fi

# leftovers WHEN: nothing of ferry's runs here or on the VMs. On the VMs, every stage of the
# stream names the dataset (the bash running the pipeline, zfs send, ssh to beta, zfs recv) but
# pv, which this test's rate identifies. ssh's shared master on alpha (ferry-stream-*,
# ControlPersist 300 s) is meant to outlive a run.
leftovers() {
  local left="" p h
  for p in $kids; do
    if [ -e /proc/$p ] && [ "$(awk '{print $3}' /proc/$p/stat 2>/dev/null)" != Z ]; then
      left+=" $p:$(tr '\0' ' ' </proc/$p/cmdline | cut -c1-80)"
    fi
  done
  [ -z "$left" ] && ok "$1: no child of ferry's left here" || fail "$1: ferry's children left here:$left"
  for h in alpha beta; do
    left=$(on_sh "$h" "pgrep -af -- '$ds|pv -q -L $bwlimit' | grep -v -e pgrep -e '\\[mux\\]'" || true)
    [ -z "$left" ] && ok "$1: nothing of ferry's left on $h" || fail "$1: left on $h: $left"
  done
}
leftovers "after the kill"

# What the rerun must not send again: the token's "bytes" (what beta holds), and the whole
# stream's size, from a dry run of the same snapshot with ferry's flags.
snap=$(jq -r 'select(.event == "done" and .step == "prepare.snapshot") | .data.snapshot' "$STATE"/moves/*/journal.jsonl | tail -n1)
[ -n "$snap" ] && [ "$snap" != null ] || die "no snapshot step in the journal: $(cat "$STATE"/moves/*/journal.jsonl)"
full=$(on alpha zfs send -n -v -P -L -e -c "$ds@$snap" | awk '$1 == "size" {print $2}')
had=0
if [ -n "$token" ] && [ "$token" != - ]; then
  had=$(on alpha zfs send -n -v -t "$token" | awk '$1 == "bytes" {print $3}')
  had=$((had))
fi
note "stream of @$snap: $full bytes; beta held $had bytes of it after the kill"

t0=$EPOCHREALTIME
if "$FERRY" "${move[@]}" --ssh-config "$FERRY_LAB_SSH_CONFIG" --state-dir "$STATE" >"$WORK/run2.out" 2>"$WORK/run2.err"; then
  ok "the same command again completed the move ($(elapsed_since "$t0") s)"
else
  cat "$WORK/run2.err"; fail "the rerun failed: $(cat "$WORK/run2.out")"
fi
note "rerun: $(cat "$WORK/run2.out")"
expect_plain_progress "the rerun with stderr not a terminal" "$WORK/run2.err"
point_client "http://$BETA:$port"
stop_client
note "client: $CLIENT_REPORT"
expect_json "nothing acknowledged was lost" '.lost == 0 and .acknowledged > 0' "$CLIENT_REPORT"
expect_eq "runs on beta" Running "$(instance_field beta $manager $name .status)"
expect_eq "the data arrived whole (sha256 of the $data_mb MB file)" "$blob_sum" \
  "$(on beta "$cli" exec $name -- sha256sum /root/blob | cut -d' ' -f1)"

journal=$(cat "$STATE"/moves/*/journal*.jsonl)
send=$(jq -c 'select(.event == "done" and .step == "prepare.send:instance") | .data' <<<"$journal" | tail -n1)
expect_json "the rerun resumed the seed stream (zfs send -t)" '.resumed == true' "$send"
grep -q 'zfs send -t\|resuming the interrupted stream' "$WORK/run2.err" "$WORK/run2.out" &&
  ok "ferry said it resumed" || fail "ferry did not say it resumed: $(head -c 2000 "$WORK/run2.err")"
sent=$(jq -r '.bytes' <<<"$send")
note "the rerun sent $sent bytes of the seed; with what beta held: $((sent + had)) of $full"
if [ -n "$full" ] && [ "$full" -gt 0 ] && [ $(((sent + had) * 10)) -le $((full * 11)) ]; then
  ok "rerun + held before the kill <= 1.1 x the stream ($((sent + had)) <= 1.1 x $full)"
else
  fail "rerun ($sent) + held before the kill ($had) > 1.1 x the stream ($full)"
fi
leftovers "after the rerun"
finish
