# Shared by tests/lab/dns_*.test.sh: the lab's DNS servers, queries, fixtures and assertions.
# Not a test itself (its name has no ".test.").
set -euo pipefail
TOP=${FERRY_SOURCE_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
FERRY=${FERRY_BIN:-$TOP/build/ferry}
LAB_DIR=${FERRY_LAB_DIR:-/var/tmp/ferry-lab}

"$TOP/lab/dns/up" 2>/dev/null
# shellcheck source=/dev/null
. "$LAB_DIR/dns/env.sh"
PRIMARY=$FERRY_LAB_DNS_PRIMARY
SECONDARY=$FERRY_LAB_DNS_SECONDARY
PDNS=$FERRY_LAB_DNS_PDNS
ZONE=$FERRY_LAB_DNS_ZONE
KEY=$FERRY_LAB_TSIG_KEY_FILE
SECRET=$(sed -n 's/.*secret "\(.*\)";.*/\1/p' "$KEY")

WORK=$(mktemp -d /tmp/ferry-dns-test.XXXXXX)
cleanup_hooks=()
on_exit() { local h; for h in "${cleanup_hooks[@]}"; do eval "$h" || true; done; rm -rf "$WORK"; }
trap on_exit EXIT

failures=0
note() { printf '# %s\n' "$*"; }
ok() { printf 'ok: %s\n' "$*"; }
fail() { printf 'FAIL: %s\n' "$*"; failures=$((failures + 1)); }
finish() {
  if [ "$failures" -gt 0 ]; then echo "$failures check(s) failed"; exit 1; fi
  echo "all checks passed"
}
expect_eq() {  # WHAT EXPECTED ACTUAL
  if [ "$2" = "$3" ]; then ok "$1"; else fail "$1: expected '$2', got '$3'"; fi
}
expect_contains() {  # WHAT NEEDLE FILE
  if grep -qF -- "$2" "$3"; then ok "$1"; else fail "$1: '$2' not in $(basename "$3"):"; sed 's/^/    /' "$3"; fi
}

host_of() { echo "${1%:*}"; }
port_of() { echo "${1##*:}"; }

# addrs SERVER NAME TYPE: the sorted addresses an authoritative server answers (non-recursive)
addrs() {
  dig +norec +short +time=1 +tries=2 @"$(host_of "$1")" -p "$(port_of "$1")" "$2" "$3" | sort | tr '\n' ' ' | sed 's/ $//'
}
# ttl SERVER NAME TYPE: the TTL it answers (empty if no such RRset)
ttl() {
  dig +norec +noall +answer +time=1 +tries=2 @"$(host_of "$1")" -p "$(port_of "$1")" "$2" "$3" | awk 'NR==1 {print $2}'
}
serial() { dig +norec +short +time=1 +tries=2 @"$(host_of "$1")" -p "$(port_of "$1")" SOA "$ZONE" | awk '{print $3}'; }

# nsupdate_to SERVER KEYFILE|-: sends the update read from stdin (lines after "zone")
nsupdate_to() {
  local server=$1 key=$2 body
  body=$(cat)
  local args=()
  [ "$key" != - ] && args=(-k "$key")
  printf 'server %s %s\nzone %s\n%s\nsend\n' "$(host_of "$server")" "$(port_of "$server")" "$ZONE" "$body" |
    nsupdate "${args[@]}"
}

# set_rrset SERVER NAME TTL TYPE ADDR...: makes the RRset exactly this (signed update); with no
# ADDR it deletes the RRset. For the primary, waits until the secondary has it too.
set_rrset() {
  local server=$1 name=$2 ttl=$3 type=$4; shift 4
  {
    echo "update delete $name $type"
    local a; for a in "$@"; do echo "update add $name $ttl $type $a"; done
  } | nsupdate_to "$server" "$KEY"
  [ "$server" = "$PRIMARY" ] && "$TOP/lab/dns/secondary" sync
  return 0
}

# zone_snapshot SERVER: the zone's A/AAAA records (not SOA), sorted, to compare before/after
zone_snapshot() {
  dig +norec +noall +answer @"$(host_of "$1")" -p "$(port_of "$1")" "$ZONE" AXFR 2>/dev/null |
    awk '$4=="A" || $4=="AAAA" {print $1, $2, $4, $5}' | sort
}

# expect_no_secret FILE...: the TSIG secret (and the PowerDNS API key) appear in none of them
expect_no_secret() {
  local api_key f hit=0
  api_key=$(cat "$FERRY_LAB_PDNS_API_KEY_FILE")
  for f in "$@"; do
    [ -e "$f" ] || continue
    if grep -rqF -- "$SECRET" "$f" || grep -rqF -- "$api_key" "$f"; then
      fail "a secret appears in $f"; hit=1
    fi
  done
  [ $hit = 0 ] && ok "no secret in: $*"
  return 0
}

# --- driving ferry ---------------------------------------------------------------------------
STATE=$WORK/state
export FERRY_STATE_DIR=$STATE
OUT=$WORK/out
mkdir -p "$OUT"
n_run=0
# run_ferry ARGS...: runs the binary; its stdout and stderr stay in $OUT (checked for secrets at
# the end); sets rc, last_out, last_err.
run_ferry() {
  n_run=$((n_run + 1))
  last_out=$OUT/$n_run.out last_err=$OUT/$n_run.err
  set +e
  "$FERRY" "$@" >"$last_out" 2>"$last_err"
  rc=$?
  set -e
  printf '$ ferry %s   (exit %s)\n' "$*" "$rc"
}
show_last() { sed 's/^/    | /' "$last_out" "$last_err"; }
expect_rc() {  # WHAT EXPECTED
  if [ "$rc" = "$2" ]; then ok "$1 (exit $rc)"; else fail "$1: expected exit $2, got $rc"; show_last; fi
}
expect_out() {  # WHAT NEEDLE: in the last run's stdout or stderr
  if grep -qF -- "$2" "$last_out" "$last_err"; then ok "$1"; else fail "$1: '$2' not in the output"; show_last; fi
}
# json_field EXPR: jq on the last run's stdout
json_field() { jq -r "$1" "$last_out"; }

# The zone file's records for the names tests move, put back (signed update) on a server.
reset_names() {  # SERVER NAME...
  local server=$1 n; shift
  for n in "$@"; do
    case "$n" in
      svc) set_rrset "$server" "svc.$ZONE" 5 A 198.18.0.2; set_rrset "$server" "svc.$ZONE" 5 AAAA ;;
      www | api)
        set_rrset "$server" "$n.$ZONE" 5 A 198.18.0.2; set_rrset "$server" "$n.$ZONE" 5 AAAA 2001:2::2 ;;
      *) set_rrset "$server" "$n.$ZONE" 5 A 198.18.0.2; set_rrset "$server" "$n.$ZONE" 5 AAAA ;;
    esac
  done
}

# both SERVER... : "addresses/ttl" of NAME TYPE on each server, space separated
answers() {  # NAME TYPE SERVER...
  local name=$1 type=$2 s out=(); shift 2
  for s in "$@"; do out+=("$(addrs "$s" "$name" "$type" | tr ' ' ',')/$(ttl "$s" "$name" "$type")"); done
  echo "${out[*]}"
}

# The secret of the lab key and the PowerDNS API key are nowhere in what ferry wrote.
expect_secrets_absent() { expect_no_secret "$OUT" "$STATE"; }
