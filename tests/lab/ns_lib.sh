# Shared by tests/lab/ns_*.test.sh: the ns tier (brought up if it is not), hosts, workloads and
# assertions. Not a test itself (its name has no ".test.").
set -euo pipefail
TOP=${FERRY_SOURCE_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
LAB=$TOP/lab
LAB_DIR=${FERRY_LAB_DIR:-/var/tmp/ferry-lab}

"$LAB/ns/up" >&2   # about a second when the tier is already up
# shellcheck source=/dev/null
. "$LAB_DIR/ns/env.sh"
ALPHA=$FERRY_LAB_ALPHA_ADDR
BETA=$FERRY_LAB_BETA_ADDR

WORK=$(mktemp -d /tmp/ferry-ns-test.XXXXXX)
cleanup_hooks=()
on_exit() {
  local h
  for ((i = ${#cleanup_hooks[@]} - 1; i >= 0; i--)); do
    eval "${cleanup_hooks[$i]}" >"$WORK/hook.log" 2>&1 ||
      { echo "# cleanup failed: ${cleanup_hooks[$i]}"; sed 's/^/#   /' "$WORK/hook.log"; }
  done
  rm -rf "$WORK"
}
trap on_exit EXIT
cleanup() { cleanup_hooks+=("$1"); }

# Over ssh, as ferry does. on HOST CMD...: an argument vector, quoted once for the remote shell.
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
expect_json() { # WHAT JQ-CONDITION JSON: the condition must be true of the client's report
  # jq 1.6 exits 0 on empty input: an empty report must fail, not pass.
  if [ -n "${3//[[:space:]]/}" ] && jq -e "$2" >/dev/null <<<"$3"; then ok "$1"; else fail "$1: not ($2) in '$3'"; fi
}
elapsed_since() { awk -v a="$1" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.2f", b - a }'; }

# launch_workload MANAGER HOST NAME [lab/workload options]: the busybox service, deleted at
# exit; sets URL (with --port). Not in $(...): the cleanup hook must reach this shell.
launch_workload() {
  local manager=$1 host=$2 name=$3 volume= a
  shift 3
  for a in "$@"; do [ "${prev:-}" = --volume ] && volume=$a; prev=$a; done
  cleanup "'$LAB/workload' delete --manager $manager ${volume:+--volume $volume} $host $name"
  # A run killed before its cleanup may have left one behind.
  "$LAB/workload" delete --manager "$manager" ${volume:+--volume "$volume"} "$host" "$name" >/dev/null 2>&1 || true
  URL=$("$LAB/workload" launch --manager "$manager" "$@" "$host" "$name")
}
