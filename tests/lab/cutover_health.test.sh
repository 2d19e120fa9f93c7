#!/usr/bin/env bash
# labels: lab cutover ns dns
# timeout: 900
# The health gate, with DNS: the service's name t-ch.ferry.test (BIND primary, Knot secondary)
# is lowered with `ferry dns lower`; the client follows the name. A move whose health check
# finds nothing listening on the target rolls back: exit 5, the source serves again, nothing
# acknowledged is lost, the target copy is stopped and DNS is unchanged on both servers. The
# same command with a health check that passes then moves the service, switches the name on
# both servers, and the client follows it to beta.
. "$(dirname "$0")/ns_lib.sh"
. "$(dirname "$0")/move_lib.sh"
"$TOP/lab/dns/up" >/dev/null 2>&1
. "$LAB_DIR/dns/env.sh"
forget_ferry_copies t-ch-
cleanup "forget_ferry_copies t-ch-"

port=18400
name=t-ch-web
fqdn=t-ch.$FERRY_LAB_DNS_ZONE
answer() { dig +norec +short +time=1 +tries=2 @"${1%:*}" -p "${1##*:}" "$fqdn" A | tr '\n' ' ' | sed 's/ $//'; }
set_name() {  # ADDR: the name's A record, TTL 2, on the primary (the secondary follows)
  printf 'server %s %s\nzone %s\nupdate delete %s A\nupdate add %s 2 A %s\nsend\n' "${FERRY_LAB_DNS_PRIMARY%:*}" \
    "${FERRY_LAB_DNS_PRIMARY##*:}" "$FERRY_LAB_DNS_ZONE" "$fqdn" "$fqdn" "$1" | nsupdate -k "$FERRY_LAB_TSIG_KEY_FILE"
  "$TOP/lab/dns/secondary" sync >/dev/null 2>&1 || true
}
set_name "$ALPHA"
cleanup "printf 'server ${FERRY_LAB_DNS_PRIMARY%:*} ${FERRY_LAB_DNS_PRIMARY##*:}\nzone $FERRY_LAB_DNS_ZONE\nupdate delete $fqdn A\nsend\n' | nsupdate -k '$FERRY_LAB_TSIG_KEY_FILE'"
cat >"$WORK/migration.toml" <<TOML
instance = "$name"
[dns]
provider = "rfc2136"
zone = "$FERRY_LAB_DNS_ZONE"
servers = ["$FERRY_LAB_DNS_PRIMARY", "$FERRY_LAB_DNS_SECONDARY"]
key_file = "$FERRY_LAB_TSIG_KEY_FILE"
ttl = 1
[[dns.record]]
name = "t-ch"
new = ["$BETA"]
TOML

"$LAB/workload" delete --manager lxd beta $name >/dev/null 2>&1 || true
cleanup "'$LAB/workload' delete --manager lxd beta $name"
launch_workload lxd alpha $name --port $port
ferry dns lower -f "$WORK/migration.toml" >"$WORK/lower.out" 2>&1 || { cat "$WORK/lower.out"; die "ferry dns lower failed"; }
sleep 3  # the old TTL (2 s) passes
start_name_client "$fqdn" $port
sleep 1

note "a health check that fails (nothing listens on port 18999 on beta)"
code=0
ferry move $name --from alpha --to beta --dns "$WORK/migration.toml" --health tcp:18999 --health-timeout 5 \
  --target-address "$BETA" --source-address "$ALPHA" --json >"$WORK/fail.json" 2>"$WORK/fail.err" || code=$?
report=$(cat "$WORK/fail.json")
note "ferry: $(jq -c '.error' <<<"$report")"
expect_eq "exit status 5: rolled back" 5 "$code"
expect_json "the report says what failed" '.error.detail | test("tcp connect to .*18999")' "$report"
expect_json "and what ferry did about it" '.error.hint | test("stopped the target copy; started the instance on the source again")' "$report"
expect_eq "DNS unchanged on the primary" "$ALPHA" "$(answer "$FERRY_LAB_DNS_PRIMARY")"
expect_eq "DNS unchanged on the secondary" "$ALPHA" "$(answer "$FERRY_LAB_DNS_SECONDARY")"
expect_eq "the source serves again" Running "$(instance_field alpha lxd $name .status)"
expect_eq "the target copy is stopped" Stopped "$(instance_field beta lxd $name .status)"
expect_eq "no forwarding on alpha" "" "$(on_sh alpha 'nft list tables' | grep -F ferry_fwd_default/t-ch || true)"
answers_within "http://$ALPHA:$port/records" 10 && ok "alpha answers" || fail "alpha does not answer after the rollback"

note "the same command with a health check that passes"
code=0
ferry move $name --from alpha --to beta --dns "$WORK/migration.toml" --health "http://$fqdn:$port/records" \
  --target-address "$BETA" --source-address "$ALPHA" --json >"$WORK/move.json" 2>"$WORK/move.err" || code=$?
report=$(cat "$WORK/move.json")
[ "$code" = 0 ] && ok "ferry move exited 0" || { cat "$WORK/move.err"; fail "ferry move exited $code"; }
note "ferry: $(jq -c '{downtime_seconds, outage}' <<<"$report")"
expect_eq "DNS switched on the primary" "$BETA" "$(answer "$FERRY_LAB_DNS_PRIMARY")"
expect_eq "DNS switched on the secondary" "$BETA" "$(answer "$FERRY_LAB_DNS_SECONDARY")"
sleep 2
touch "$WORK/client-stop"
wait "$CLIENT_PID" || true
client=$(cat "$WORK/client.json")
note "client: $client"
expect_json "the client lost nothing over both attempts" '.lost == 0 and .acknowledged > 0' "$client"
expect_json "the client followed the name to beta" ".final_target == \"$BETA:$port\"" "$client"
ferry finish $name --from alpha --to beta >"$WORK/finish.out" 2>&1 || { cat "$WORK/finish.out"; fail "ferry finish failed"; }
finish
