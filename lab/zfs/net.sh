# The zfs tier's addresses and its bridge (source it). Everything is in 198.18.0.0/15.
#   flabzfs0        198.18.1.1/24 on the machine; taps flabzfs-alpha, flabzfs-beta
#   alpha           198.18.1.2   lxdbr0 198.18.20.1/24   incusbr0 198.18.21.1/24
#   beta            198.18.1.3   lxdbr0 198.18.22.1/24   incusbr0 198.18.23.1/24
# The machine routes each VM's container networks via that VM; each VM routes the other's.
BRIDGE=flabzfs0
BRIDGE_ADDR=198.18.1.1

host_addr() { case $1 in alpha) echo 198.18.1.2 ;; beta) echo 198.18.1.3 ;; esac; }
host_mac() { case $1 in alpha) echo 52:54:00:12:01:02 ;; beta) echo 52:54:00:12:01:03 ;; esac; }
host_tap() { echo "flabzfs-$1"; }
host_containers() { case $1 in alpha) echo 198.18.20.0/23 ;; beta) echo 198.18.22.0/23 ;; esac; }
lxd_bridge_addr() { case $1 in alpha) echo 198.18.20.1/24 ;; beta) echo 198.18.22.1/24 ;; esac; }
incus_bridge_addr() { case $1 in alpha) echo 198.18.21.1/24 ;; beta) echo 198.18.23.1/24 ;; esac; }
other_host() { case $1 in alpha) echo beta ;; beta) echo alpha ;; esac; }
# "NET GATEWAY": the other VM's container networks, reached through it
host_routes_via() { local o; o=$(other_host "$1"); echo "$(host_containers "$o") $(host_addr "$o")"; }

net_up() {
  ip link add "$BRIDGE" type bridge forward_delay 0 stp_state 0
  sysctl -qw "net.ipv6.conf.$BRIDGE.disable_ipv6=1"
  ip addr add "$BRIDGE_ADDR/24" dev "$BRIDGE"
  ip link set "$BRIDGE" up
  local h
  for h in alpha beta; do
    ip tuntap add dev "$(host_tap "$h")" mode tap
    sysctl -qw "net.ipv6.conf.$(host_tap "$h").disable_ipv6=1"
    ip link set "$(host_tap "$h")" master "$BRIDGE" up
    ip route replace "$(host_containers "$h")" via "$(host_addr "$h")" dev "$BRIDGE"
  done
}

net_down() {  # routes through the bridge go with it
  local h
  for h in alpha beta; do
    ip link show "$(host_tap "$h")" >/dev/null 2>&1 && ip link del "$(host_tap "$h")"
  done
  if ip link show "$BRIDGE" >/dev/null 2>&1; then ip link del "$BRIDGE"; fi
  return 0
}
