# Shared by tests/lab/zfs_*.test.sh: the zfs tier (brought up if it is not), hosts, workloads
# and assertions. Not a test itself (its name has no ".test.").
set -euo pipefail
TOP=${FERRY_SOURCE_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
LAB=$TOP/lab
LAB_DIR=${FERRY_LAB_DIR:-/var/tmp/ferry-lab}

"$LAB/zfs/up" >&2   # a few seconds when the tier is already up; ~2-3 min from the cached image
# shellcheck source=/dev/null
. "$LAB_DIR/zfs/env.sh"
ALPHA=$FERRY_LAB_ALPHA_ADDR
BETA=$FERRY_LAB_BETA_ADDR

# The lab client's rate here (move_lib.sh's start_client): one append every 0.5 s. The busybox
# service under TCG serves ~5-8 appends a second on an idle VM (a shell and an fsync each);
# at the client's default 10 a second, anything else on the VM (a zfs send, another test)
# tips it into a backlog it never leaves, and every request times out.
CLIENT_OPTIONS=${CLIENT_OPTIONS:---interval 0.5}

WORK=$(mktemp -d /tmp/ferry-zfs-test.XXXXXX)
cleanup_hooks=()
on_exit() {
  for ((i = ${#cleanup_hooks[@]} - 1; i >= 0; i--)); do eval "${cleanup_hooks[$i]}" >/dev/null 2>&1 || true; done
  rm -rf "$WORK"
}
trap on_exit EXIT
cleanup() { cleanup_hooks+=("$1"); }

# Over ssh, as ferry does (a new connection costs ~2 s under TCG: the ssh_config's
# ControlMaster keeps one open per host).
# on HOST CMD...: an argument vector, quoted once for the remote shell.
# on_sh HOST 'SHELL TEXT': a command line for the remote shell (pipes, cd, redirections).
on() { local h=$1; shift; ssh -F "$FERRY_LAB_SSH_CONFIG" "$h" "$(printf '%q ' "$@")"; }
on_sh() { ssh -F "$FERRY_LAB_SSH_CONFIG" "$1" "$2"; }

failures=0
note() { printf '# %s\n' "$*"; }
ok() { printf 'ok: %s\n' "$*"; }
fail() { printf 'FAIL: %s\n' "$*"; failures=$((failures + 1)); }
die() { printf 'FAIL: %s\n' "$*"; exit 1; }
finish() {
  if [ "$failures" -gt 0 ]; then echo "$failures check(s) failed"; exit 1; fi
  echo "all checks passed"
}
expect_eq() { # WHAT EXPECTED ACTUAL
  if [ "$2" = "$3" ]; then ok "$1 ($3)"; else fail "$1: expected '$2', got '$3'"; fi
}
expect_json() { # WHAT JQ-CONDITION JSON
  # jq 1.6 exits 0 on empty input: an empty report must fail, not pass.
  if [ -n "${3//[[:space:]]/}" ] && jq -e "$2" >/dev/null <<<"$3"; then ok "$1"; else fail "$1: not ($2) in '$3'"; fi
}
elapsed_since() { awk -v a="$1" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.2f", b - a }'; }

# launch_workload MANAGER HOST NAME [lab/workload options]: the busybox service on this tier,
# deleted at exit; sets URL (with --port). Not in $(...): the cleanup hook must reach this shell.
launch_workload() {
  local manager=$1 host=$2 name=$3
  shift 3
  cleanup "'$LAB/workload' delete --tier zfs --manager $manager $host $name"
  URL=$("$LAB/workload" launch --tier zfs --manager "$manager" "$@" "$host" "$name")
}

# forget_instance MANAGER NAME [VOLUME]: removes NAME (and custom volume VOLUME) from both hosts,
# whatever state a move left them in: ferry's holds on their snapshots first (a failed move
# keeps them, and a held snapshot makes the manager's delete fail), then the instance, the
# volume and any dataset left (a partial receive the manager never knew).
forget_instance() {
  local manager=$1 name=$2 vol=${3:-} cli root h ds
  cli=$([ "$manager" = lxd ] && echo lxc || echo incus)
  root=$([ "$manager" = lxd ] && echo tank/lxd || echo tank/incus)
  ds="$root/containers/$name${vol:+ $root/custom/default_$vol}"
  for h in alpha beta; do
    on_sh "$h" "for s in \$(zfs list -H -t snapshot -o name -r $ds 2>/dev/null | grep @ferry-); do zfs release ferry \$s; done
      $cli delete --force $name; ${vol:+$cli storage volume delete default $vol;} zfs destroy -r ${ds// / ; zfs destroy -r }" >/dev/null 2>&1 || true
  done
}
