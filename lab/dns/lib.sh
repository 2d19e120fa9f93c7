# Shared by lab/dns/{up,down,status}: where the DNS servers live and how they are reached.
# shellcheck source=../lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
DNS_DIR=$LAB_DIR/dns
DNS_ZONE=ferry.test
# Ports on 127.0.0.1; override if taken (docs/dns.md, "The lab's DNS servers").
DNS_PRIMARY_PORT=${FERRY_LAB_DNS_PRIMARY_PORT:-5301}
DNS_SECONDARY_PORT=${FERRY_LAB_DNS_SECONDARY_PORT:-5302}
DNS_PDNS_PORT=${FERRY_LAB_DNS_PDNS_PORT:-5303}
DNS_PDNS_API_PORT=${FERRY_LAB_PDNS_API_PORT:-8081}
DNS_SERVERS=(bind knot pdns)

# dns_pid NAME: the pid of a server this lab started, if it still runs (empty otherwise)
dns_pid() {
  local f=$DNS_DIR/$1.pid pid
  [ -s "$f" ] || return 0
  read -r pid <"$f"
  # The pid must still be our process: its command line names our config directory.
  dns_cmdline "$pid"
  case "$DNS_CMDLINE" in *" $DNS_DIR/"* | *"=$DNS_DIR/"*) echo "$pid" ;; esac
}

# dns_cmdline PID: sets DNS_CMDLINE to the process's command line, words joined by spaces
# (builtins only, no subshell: forks are slow here, and this runs for every process)
dns_cmdline() {
  local -a words=()
  DNS_CMDLINE=
  [ -r "/proc/$1/cmdline" ] && mapfile -d '' words <"/proc/$1/cmdline" 2>/dev/null
  DNS_CMDLINE="${words[*]}"
}

# dns_serial PORT: the SOA serial a server answers for the zone (empty if none)
dns_serial() {
  dig +norec +short +time=1 +tries=1 @127.0.0.1 -p "$1" SOA "$DNS_ZONE." 2>/dev/null | awk 'NF>=3 {print $3}'
}

# dns_stray_pids: processes running our configs whose pid files are lost (an interrupted up)
dns_stray_pids() {
  local p
  for p in /proc/[0-9]*; do
    dns_cmdline "${p#/proc/}"
    case "$DNS_CMDLINE" in
      named\ *"$DNS_DIR/"* | knotd\ *"$DNS_DIR/"* | pdns_server\ *"$DNS_DIR/"* | /usr/sbin/*"$DNS_DIR/"*)
        echo "${p#/proc/}" ;;
    esac
  done
}
