#!/usr/bin/env bash
# An example program for ferry's exec provider (docs/dns.md): applies the change document on
# stdin with nsupdate, as one UPDATE whose prerequisites are the old records.
#   dns_nsupdate_hook.sh SERVER PORT KEYFILE
# Exit 0: applied; 3: the old records were not there (nothing changed); 1: anything else.
set -euo pipefail
server=$1 port=$2 key=$3
doc=$(cat)
[ "$(jq -r .format <<<"$doc")" = ferry-dns-change ] || { echo "not a ferry change document" >&2; exit 1; }
zone=$(jq -r .zone <<<"$doc")
script=$(jq -r '
  (.changes[] | if .old == null then "prereq nxrrset \(.name) IN \(.type)"
                else (.old.addresses[] as $a | "prereq yxrrset \(.name) IN \(.type) \($a)") end),
  (.changes[] | "update delete \(.name) IN \(.type)",
                (if .new == null then empty else (.new.addresses[] as $a | "update add \(.name) \(.new.ttl) IN \(.type) \($a)") end))
' <<<"$doc")
out=$(printf 'server %s %s\nzone %s\n%s\nsend\n' "$server" "$port" "$zone" "$script" | nsupdate -k "$key" 2>&1) && exit 0
echo "$out" >&2
case "$out" in *NXRRSET* | *YXRRSET*) exit 3 ;; esac
exit 1
