#!/usr/bin/env bash
# labels: lab zfs move
# timeout: 900
# ferry SIGKILLed in the middle of the seed stream on the zfs tier, then the same command run
# again: the interrupted receive resumes (zfs send -t) instead of starting over. A busybox
# service (Incus) with ~40 MB of random data in its root moves from alpha to beta with
# --bwlimit, so the stream is slow enough to interrupt; ferry is killed once beta's `zfs recv`
# has read about a third of it. Then: beta kept a receive resume token; nothing ferry started
# outlived it (here or on either VM); the rerun completes the move, the client loses nothing,
# the journal says the send resumed, and the bytes of the rerun plus what beta already had stay
# under 1.1x the whole stream.
. "$(dirname "$0")/zfs_lib.sh"
. "$(dirname "$0")/move_lib.sh"

manager=${ZFS_KILL_MANAGER:-incus}
cli=$(manager_cli $manager)
name=z-kill-$manager
port=18390
root=$([ $manager = lxd ] && echo tank/lxd || echo tank/incus)
ds=$root/containers/$name
# An unusual rate, so that pv's command line is this test's own (others use the tier too).
bwlimit=1536K
data_mb=40

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
move=(move $name --from alpha --to beta --bwlimit $bwlimit --no-try --max-downtime 120 --json)
start_client "http://$ALPHA:$port"
sleep 1
"$FERRY" "${move[@]}" --ssh-config "$FERRY_LAB_SSH_CONFIG" --state-dir "$STATE" >"$WORK/run1.json" 2>"$WORK/run1.err" &
ferry_pid=$!
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
  kill -0 $ferry_pid 2>/dev/null || { cat "$WORK/run1.err"; die "ferry ended before it could be killed mid-stream"; }
  read_bytes=$(recv_read)
  [ -n "$read_bytes" ] && [ "$read_bytes" -ge "$threshold" ] && break
  [ "$(elapsed_since "$t0" | cut -d. -f1)" -lt 600 ] || die "beta's zfs recv did not reach $threshold bytes in 600 s"
  sleep 0.5
done
# Every process ferry started, just before the kill: each must be gone after it.
kids=$(pgrep -P $ferry_pid | tr '\n' ' ')
kill -9 $ferry_pid
wait $ferry_pid 2>/dev/null || true
note "ferry killed $(elapsed_since "$t0") s after it started, beta's zfs recv had read $read_bytes bytes; its children were: $kids"
sleep 3

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
if "$FERRY" "${move[@]}" --ssh-config "$FERRY_LAB_SSH_CONFIG" --state-dir "$STATE" >"$WORK/run2.json" 2>"$WORK/run2.err"; then
  ok "the same command again completed the move ($(elapsed_since "$t0") s)"
else
  cat "$WORK/run2.err"; fail "the rerun failed: $(cat "$WORK/run2.json")"
fi
note "rerun: $(cat "$WORK/run2.json")"
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
grep -q 'zfs send -t\|resuming the interrupted stream' "$WORK/run2.err" "$WORK/run2.json" &&
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
