# Shared by the benchmarks (source it): the zfs tier, ssh to its hosts, the busybox workload with
# a custom volume, incompressible data written inside it, ferry as an operator runs it, the
# outage probe, and the JSON result lines. Not a benchmark itself.
#
# Every benchmark compares figures measured in the same run on the same workload (ratios): the
# lab is two TCG VMs on a shared 2-core machine, where absolute times vary with the load.
set -euo pipefail
BENCH=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
TOP=$(cd "$BENCH/.." && pwd)
LAB=$TOP/lab
LAB_DIR=${FERRY_LAB_DIR:-/var/tmp/ferry-lab}
FERRY=${FERRY_BIN:-$TOP/build/ferry}
RESULTS=${FERRY_BENCH_RESULTS:-$BENCH/results}
# Debian packages copied into the VMs at bench time (sanoid): the host's apt downloads them here.
BENCH_CACHE=${FERRY_BENCH_CACHE:-/var/cache/ferry-bench}
mkdir -p "$RESULTS"

bench_log() { printf '[bench %s] %s\n' "$(date +%T)" "$*" >&2; }
bench_die() { printf 'bench: %s\n' "$*" >&2; exit 1; }

# The zfs tier is brought up if it is not (~2-3 min from its cache). A tier that answers is left
# alone: others may be using it, and `up` rebuilds a tier whose recipe changed under it.
bench_tier_up() {
  if ! { [ -f "$LAB_DIR/zfs/env.sh" ] && ssh -F "$LAB_DIR/zfs/ssh_config" alpha true 2>/dev/null &&
    ssh -F "$LAB_DIR/zfs/ssh_config" beta true 2>/dev/null; }; then
    "$LAB/up" --tier zfs >&2
  fi
  # shellcheck source=/dev/null
  . "$LAB_DIR/zfs/env.sh"
  ALPHA=$FERRY_LAB_ALPHA_ADDR
  BETA=$FERRY_LAB_BETA_ADDR
}

# on HOST CMD...: an argument vector, quoted once for the remote shell (over the lab's
# ControlMaster). on_sh HOST 'SHELL TEXT': a command line for the remote shell.
on() { local h=$1; shift; ssh -F "$FERRY_LAB_SSH_CONFIG" "$h" "$(printf '%q ' "$@")"; }
on_sh() { ssh -F "$FERRY_LAB_SSH_CONFIG" "$1" "$2"; }

now() { printf '%s' "$EPOCHREALTIME"; }
# secs A B: B - A with two decimals
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b - a }'; }

WORK=$(mktemp -d /tmp/ferry-bench.XXXXXX)
cleanup_hooks=()
bench_on_exit() {
  local i
  for ((i = ${#cleanup_hooks[@]} - 1; i >= 0; i--)); do eval "${cleanup_hooks[$i]}" >/dev/null 2>&1 || true; done
  [ -n "${FERRY_BENCH_KEEP_WORK:-}" ] || rm -rf "$WORK"
}
trap bench_on_exit EXIT
trap 'exit 130' INT TERM
at_exit() { cleanup_hooks+=("$1"); }

# ferry_op ARGS...: ferry as an operator on this machine runs it (control over ssh masters, the
# data from alpha straight to beta), with the lab's ssh config and this run's state directory.
ferry_op() { "$FERRY" "$@" --ssh-config "$FERRY_LAB_SSH_CONFIG" --state-dir "$WORK/state"; }
ferry_has_flag() { "$FERRY" "$1" --help 2>/dev/null | grep -q -- "$2"; }

# --- the workload -------------------------------------------------------------------------------

# workload_launch NAME VOL PORT SEED_MB: the busybox service on alpha under LXD, its custom
# volume at /srv/data, a proxy on PORT; then SEED_MB of random bytes, half in the volume and half
# in the container's root dataset (both datasets carry data).
workload_launch() {
  local name=$1 vol=$2 port=$3 seed=$4
  workload_delete "$name" "$vol"
  "$LAB/workload" launch --tier zfs --volume "$vol" --port "$port" alpha "$name" >/dev/null
  write_random "$name" "$seed" seed
}

# workload_delete NAME VOL: the instance and its volume, on both hosts, and what ferry kept (its
# last common snapshot is held: released first).
workload_delete() {
  local name=$1 vol=$2 h
  for h in alpha beta; do
    on_sh "$h" "root=\$(lxc storage get default source 2>/dev/null || echo tank/lxd)
      for ds in \$root/containers/$name \$root/custom/default_$vol; do
        for s in \$(zfs list -H -t snapshot -o name -d 1 \$ds 2>/dev/null); do
          for t in \$(zfs holds -H \$s 2>/dev/null | awk '{print \$2}'); do zfs release \$t \$s; done
        done
      done
      lxc delete --force $name >/dev/null 2>&1; lxc storage volume delete default $vol >/dev/null 2>&1
      # a copy that was sent but never imported (a failed prepare) is not LXD's to delete
      for ds in \$root/containers/$name \$root/custom/default_$vol; do zfs destroy -r \$ds >/dev/null 2>&1; done
      zfs destroy -r tank/ferry-bench-staging/$name >/dev/null 2>&1; zfs destroy -r tank/ferry-bench-staging/$vol >/dev/null 2>&1; true"
  done
}

# write_random NAME MB TAG: MB of random (incompressible: zfs send -c gains nothing) bytes
# written inside the container, half into the volume and half into its root, then synced.
write_random() {
  local name=$1 mb=$2 tag=$3
  local a=$((mb / 2)) b=$((mb - mb / 2))
  on alpha lxc exec "$name" -- sh -c "dd if=/dev/urandom of=/srv/data/bench-$tag bs=1M count=$a 2>/dev/null &&
    dd if=/dev/urandom of=/bench-$tag bs=1M count=$b 2>/dev/null && sync"
}

# --- a quiet lab before each outage -------------------------------------------------------------

# vm_cpu_ms: CPU time used so far by both VMs' qemu processes together, in ms.
vm_cpu_ms() {
  local h pid total=0 f
  for h in alpha beta; do
    pid=$(cat "$LAB_DIR/zfs/$h.pid")
    # fields 14 and 15 of /proc/PID/stat (after the command name in parentheses): utime, stime
    f=$(sed 's/^.*) //' "/proc/$pid/stat" | awk '{ print $12 + $13 }')
    total=$((total + f))
  done
  echo $((total * 1000 / $(getconf CLK_TCK)))
}

# settle: waits until the lab has finished what the case's setup left behind (the guests' and
# this machine's write-back of the data just written, a VM still busy with it), so that the
# outages of different cases start from the same quiet lab: both pools synced, this machine's
# dirty pages written, then both VMs together below SETTLE_CPU_PCT of one core for 3 s in a row
# (60 s at most). Sets SETTLE_S (how long it took) and SETTLE_CPU_PCT_LAST (the last 1 s).
SETTLE_CPU_PCT=${FERRY_BENCH_SETTLE_CPU_PCT:-20}
settle() {
  local t0 quiet=0 a b pct
  t0=$(now)
  on alpha zpool sync
  on beta zpool sync
  sync
  while :; do
    a=$(vm_cpu_ms)
    sleep 1
    b=$(vm_cpu_ms)
    pct=$(((b - a) / 10))
    if [ "$pct" -lt "$SETTLE_CPU_PCT" ]; then quiet=$((quiet + 1)); else quiet=0; fi
    [ "$quiet" -lt 3 ] || break
    if awk -v a="$t0" -v b="$(now)" 'BEGIN { exit !(b - a > 60) }'; then
      bench_log "settle: the VMs still use ${pct}% of a core after 60 s; going on"
      break
    fi
  done
  SETTLE_S=$(secs "$t0" "$(now)")
  SETTLE_CPU_PCT_LAST=$pct
}

# --- the outage probe ---------------------------------------------------------------------------

# probe_start PORT: asks GET /health of beta every 0.1 s (of alpha every 1 s) from this machine (the lab
# client's view) until probe_stop; probe_stop prints the analysis as JSON (gap_s: last answer
# from alpha to first answer from beta; first_beta_ok: epoch seconds).
probe_start() {
  rm -f "$WORK/probe.stop"
  python3 "$BENCH/probe.py" run --stop-file "$WORK/probe.stop" --out "$WORK/probe.log" \
    "http://$ALPHA:$1/health" "http://$BETA:$1/health" &
  PROBE_PID=$!
  at_exit "kill $PROBE_PID"
}
probe_stop() {
  touch "$WORK/probe.stop"
  wait "$PROBE_PID" || true
  python3 "$BENCH/probe.py" analyze "$WORK/probe.log"
}

# --- results ------------------------------------------------------------------------------------

# emit FILE JSON: one line to stdout and appended to bench/results/FILE, with the machine's load,
# the tree's commit and the ferry binary's build time (build/ferry is shared: others rebuild it).
emit() {
  local line
  line=$(jq -c --arg at "$(date -u +%FT%TZ)" --arg load "$(cut -d' ' -f1 /proc/loadavg)" \
    --arg commit "$(git -C "$TOP" rev-parse --short HEAD 2>/dev/null || echo unknown)" \
    --arg built "$(date -u -r "$FERRY" +%FT%TZ 2>/dev/null || echo unknown)" \
    '. + {at: $at, load1: ($load | tonumber), commit: $commit, ferry_built: $built}' <<<"$2")
  printf '%s\n' "$line" | tee -a "$RESULTS/$1"
}
