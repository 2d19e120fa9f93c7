#!/usr/bin/env bash
# labels: lab down
# timeout: 300
# lab/down leaves nothing behind, on every tier: no lab network namespace, no process of the
# lab (lxd, incusd, their container monitors and proxies, the lab's sshd and DNS servers,
# qemu), no mount, no loop device on a lab file, no lab bridge, veth or tap, no route into
# 198.18.0.0/15, no file under the lab's state directory; and a second lab/down is a no-op.
# Named zz_ so that it runs last: it leaves the lab down.
set -uo pipefail
TOP=${FERRY_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
LAB_DIR=${FERRY_LAB_DIR:-/var/tmp/ferry-lab}
LAB_CACHE=${FERRY_LAB_CACHE:-/var/cache/ferry-lab}

failures=0
ok() { printf 'ok: %s\n' "$*"; }
fail() { printf 'FAIL: %s\n' "$*"; failures=$((failures + 1)); }
none() { # WHAT OUTPUT: OUTPUT must be empty
  if [ -z "$2" ]; then ok "no $1"; else fail "$1 left behind:"; printf '%s\n' "$2" | sed 's/^/    /'; fi
}

t0=$EPOCHREALTIME
"$TOP/lab/down" && ok "lab/down succeeded" || fail "lab/down exited with status $?"
printf '# lab/down took %s s\n' "$(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }')"

none "lab network namespace" "$(ip netns list | grep -E '^(ferry-lab|flab)' || true; ls /run/netns 2>/dev/null | grep -E '^(ferry-lab|flab)' || true)"
procs() { ps -eo pid=,args= | grep -vE '^ *[0-9]+ (grep|ps) ' | grep -E "$1" | grep -v "^ *$$ " || true; }
none "lxd or incusd daemon" "$(procs '(^ *[0-9]+ (/usr/bin/)?lxd( |$))|/incusd( |$)')"
none "container monitor, proxy or init of a lab container" "$(procs '\[lxc monitor\]|forkproxy|forkstart|lxd fork|incusd fork')"
none "process naming the lab's state directory" "$(procs "$LAB_DIR")"
none "sshd of the lab" "$(procs 'sshd.*ferry-lab')"
none "dnsmasq of a lab bridge" "$(procs 'dnsmasq.*(lxd|incus|lxdbr|incusbr)')"
none "qemu" "$(procs 'qemu-system')"
none "mount of the lab" "$(grep -E "ferry-lab|/var/lib/(lxd|incus)|$LAB_DIR" /proc/self/mountinfo || true)"
none "loop device on a lab file" "$(losetup -l -n -O NAME,BACK-FILE 2>/dev/null |
  grep -E "$LAB_DIR|$LAB_CACHE|ferry-lab|/var/lib/(lxd|incus)" || true)"
none "lab link (bridge, veth, tap)" "$(ip -o link show | awk -F': ' '{print $2}' | grep -E '^flab' || true)"
none "veth" "$(ip -o link show type veth || true)"
none "tap or tun device" "$(ip -o link show type tun || true)"
none "route into 198.18.0.0/15" "$(ip route show | grep -E '^198\.1[89]\.' || true)"
none "file under $LAB_DIR" "$(find "$LAB_DIR" -mindepth 1 ! -type d 2>/dev/null | head -20)"

"$TOP/lab/down" && ok "a second lab/down succeeds (idempotent)" || fail "a second lab/down exited with status $?"

if [ "$failures" -gt 0 ]; then echo "$failures check(s) failed"; exit 1; fi
echo "all checks passed"
