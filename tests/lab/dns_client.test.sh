#!/usr/bin/env bash
# labels: lab dns
# timeout: 420
# The lab client, resolving svc.ferry.test. through the secondary, follows the service to the
# new host: the same busybox service runs on alpha (198.18.0.2) and beta (198.18.0.3) on the ns
# tier; ferry lowers, waits the old TTL, switches svc to beta; the client's final target is beta.
# Brings the ns tier up if needed (idempotent) and never down (others use it).
. "$(dirname "$0")/dns_lib.sh"
"$TOP/lab/up" --tier ns >"$WORK/lab-up.log" 2>&1 || { cat "$WORK/lab-up.log"; fail "lab/up --tier ns"; finish; }
. "$LAB_DIR/ns/env.sh"
alpha=$FERRY_LAB_ALPHA_ADDR beta=$FERRY_LAB_BETA_ADDR
port=18053 ct=dns-follow

reset_names "$PRIMARY" svc
cleanup_hooks+=("reset_names '$PRIMARY' svc"
  "'$TOP/lab/workload' delete --manager lxd alpha $ct >/dev/null 2>&1"
  "'$TOP/lab/workload' delete --manager lxd beta $ct >/dev/null 2>&1")
note "the service on both hosts"
"$TOP/lab/workload" delete --manager lxd alpha "$ct" >/dev/null 2>&1 || true
"$TOP/lab/workload" delete --manager lxd beta "$ct" >/dev/null 2>&1 || true
url_a=$("$TOP/lab/workload" launch --manager lxd --port "$port" alpha "$ct" 2>"$WORK/wa.err" | tail -n1) ||
  { cat "$WORK/wa.err"; fail "workload on alpha"; finish; }
url_b=$("$TOP/lab/workload" launch --manager lxd --port "$port" beta "$ct" 2>"$WORK/wb.err" | tail -n1) ||
  { cat "$WORK/wb.err"; fail "workload on beta"; finish; }
expect_eq "alpha serves" "http://$alpha:$port" "$url_a"
expect_eq "beta serves" "http://$beta:$port" "$url_b"
expect_eq "svc points at alpha" "$alpha" "$(addrs "$SECONDARY" "svc.$ZONE" A)"

COMMON=(--zone "$ZONE" --key-file "$KEY" --dns-server "$PRIMARY" --dns-server "$SECONDARY" --ttl 1)
run_ferry dns lower --move follow "${COMMON[@]}" --name svc
expect_rc "lower" 0

note "the client, through the secondary"
stop=$WORK/stop-client
"$TOP/lab/client" --name "svc.$ZONE" --dns-server "$SECONDARY" --port "$port" --duration 120 --stop-file "$stop" \
  >"$WORK/client.json" 2>"$WORK/client.err" &
client_pid=$!
cleanup_hooks+=("kill $client_pid 2>/dev/null")
sleep 5   # the old TTL (5 s) passes, the client works against alpha
run_ferry dns switch --move follow --new "$beta"
expect_rc "switch" 0
expect_out "verified on both" "Verified on every authoritative server (127.0.0.1:5301, 127.0.0.1:5302)"
sleep 3   # the client finds beta at its next lookup
touch "$stop"
wait "$client_pid" || true
report=$(tail -n1 "$WORK/client.json")
note "client: $report"
expect_eq "the client's final target is beta" "$beta:$port" "$(jq -r .final_target <<<"$report")"
[ "$(jq -r .acknowledged <<<"$report")" -gt 20 ] && ok "the client kept working ($(jq -r .acknowledged <<<"$report") acknowledged)" ||
  fail "the client acknowledged too little: $report"
gap=$(jq -r .longest_gap_seconds <<<"$report")
awk -v g="$gap" 'BEGIN { exit !(g < 2) }' && ok "no gap of 2 s or more (longest $gap s)" || fail "longest gap $gap s"

run_ferry dns abort --move follow
expect_rc "abort (cleanup)" 0
expect_secrets_absent
finish
