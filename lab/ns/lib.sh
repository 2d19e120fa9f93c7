# The ns tier: hosts alpha and beta as namespaces of this machine. Sourced by lab/ns/*.
# Each host is one network, mount, UTS, IPC and PID namespace; its PID 1 is lab/ns/hostinit,
# and everything of the host (sshd, lxd, incusd, their containers) runs below it, so killing
# that one process takes the whole host down.
. "$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/lib.sh"

NS_DIR=$LAB_DIR/ns
NS_HOSTS=(alpha beta)
NS_BRIDGE=flabns0
NS_BRIDGE_ADDR=198.18.0.1
declare -A NS_ADDR=([alpha]=198.18.0.2 [beta]=198.18.0.3)
declare -A NS_LXDBR=([alpha]=198.18.16.1/24 [beta]=198.18.18.1/24)
declare -A NS_INCUSBR=([alpha]=198.18.17.1/24 [beta]=198.18.19.1/24)
# The container subnets of each host (lxdbr0 and incusbr0), routed via the host's address.
declare -A NS_SUBNETS=([alpha]=198.18.16.0/23 [beta]=198.18.18.0/23)
# Paths a host sees as its own: per-host directories bind-mounted over the stock locations,
# so that the stock clients (lxc, incus, ssh) work inside a host with no environment.
# /root is the host's own home: its .ssh (keys, config, known_hosts), the clients' configs, and
# none of this machine's dotfiles.
NS_HOST_DIRS=(var/lib/lxd var/log/lxd var/cache/lxd var/lib/incus var/log/incus var/cache/incus root)
NS_HOST_FILES=(etc/hosts etc/resolv.conf etc/hostname)
NS_PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin

ns_netns() { echo "ferry-lab-$1"; }
ns_veth() { echo "flabns-$1"; }   # root-namespace end of the host's veth pair (eth0 inside)

# ns_init_pid HOST: the host's PID 1 as this machine sees it; fails unless it is alive and is
# really in the host's network namespace (a stale pid file never points at a stranger).
ns_init_pid() {
  local pid
  pid=$(cat "$NS_DIR/$1/init.pid" 2>/dev/null) || return 1
  [ -n "$pid" ] && [ -e "/proc/$pid" ] || return 1
  [ "$(stat -L -c %i "/proc/$pid/ns/net" 2>/dev/null)" = \
    "$(stat -L -c %i "/run/netns/$(ns_netns "$1")" 2>/dev/null)" ] || return 1
  echo "$pid"
}

# ns_enter HOST CMD...: runs CMD (an argument vector, not re-parsed by a shell) inside all of
# HOST's namespaces with the environment of a root login.
ns_enter() {
  local host=$1 pid
  shift
  pid=$(ns_init_pid "$host") || lab_die "ns: host '$host' is not up (lab/up --tier ns)"
  nsenter --target "$pid" --net --mount --uts --ipc --pid --wd=/ -- \
    env -i PATH="$NS_PATH" HOME=/root USER=root LOGNAME=root LANG=C.UTF-8 \
    TERM="${TERM:-dumb}" "$@" 9<&-   # daemons started here must not inherit ns_lock's fd
}

ns_ssh() { ssh -F "$NS_DIR/ssh_config" "$@" 9<&-; }

# ns_lock: one lab/ns/up or lab/ns/down at a time (tests and people run them concurrently).
# Locks the state directory itself, so no lock file outlives the tier; a down run by an up
# inherits the lock. Nothing long-lived may inherit fd 9 (it would hold the lock forever).
ns_lock() {
  [ -n "${FERRY_LAB_NS_LOCKED:-}" ] && return 0
  mkdir -p "$LAB_DIR"
  exec 9<"$LAB_DIR"
  flock -w 600 9 || lab_die "ns: another lab/ns/up or down has held $LAB_DIR locked for 10 minutes"
  export FERRY_LAB_NS_LOCKED=1
}
