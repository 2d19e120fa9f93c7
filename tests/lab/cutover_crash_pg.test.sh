#!/usr/bin/env bash
# labels: lab cutover ns
# timeout: 900
# Crash-consistent mode with PostgreSQL: the PostgreSQL workload, committing numbered rows for
# the lab client, moves from alpha to beta with --mode crash (freeze, snapshot, every task
# killed before any runs again). No acknowledged (committed) row is lost, the target's
# PostgreSQL log shows crash recovery from its WAL, the --after-start hook's output is in the
# report, and the source is stopped and stays so.
. "$(dirname "$0")/ns_lib.sh"
. "$(dirname "$0")/move_lib.sh"
forget_ferry_copies t-cc-
cleanup "forget_ferry_copies t-cc-"

port=18410
name=t-cc-pg
pg_log=/var/log/postgresql/postgresql-15-main.log
"$LAB/workload" delete --manager lxd beta $name >/dev/null 2>&1 || true
cleanup "'$LAB/workload' delete --manager lxd beta $name"
"$LAB/images/postgres/build" >/dev/null
launch_workload lxd alpha $name --image postgres --port $port
answers_within "http://$ALPHA:$port/health" 60 || die "PostgreSQL does not answer on alpha"
start_client "http://$ALPHA:$port"
sleep 2

t0=$EPOCHREALTIME
code=0
ferry move $name --from alpha --to beta --mode crash --health "http://db.ferry.test:$port/health" \
  --target-address "$BETA" --source-address "$ALPHA" --after-start 'tail -n 3 /var/log/postgresql/postgresql-15-main.log' \
  --json >"$WORK/move.json" 2>"$WORK/move.err" || code=$?
report=$(cat "$WORK/move.json")
[ "$code" = 0 ] && ok "ferry move --mode crash exited 0 in $(elapsed_since "$t0") s" || { cat "$WORK/move.err"; fail "ferry move exited $code"; }
note "ferry: $(jq -c '{downtime_seconds, outage}' <<<"$report")"
stop_client
note "client: $CLIENT_REPORT"
expect_json "no committed row lost" '.lost == 0 and .acknowledged > 0 and .present == .acknowledged' "$CLIENT_REPORT"
expect_json "the report says crash mode, with the freeze" '.outage.mode == "crash" and .outage.freeze_seconds > 0' "$report"
expect_json "the after-start hook's output is in the report" '.hooks["after-start"].output | length > 0' "$report"
log=$(on beta lxc exec $name -- cat $pg_log)
if grep -qE "not properly shut down|automatic recovery in progress|was interrupted" <<<"$log"; then
  ok "the target's PostgreSQL recovered from a crash: $(grep -E 'not properly shut down|automatic recovery|was interrupted' <<<"$log" | tail -n1)"
else
  fail "no crash recovery in beta's PostgreSQL log: $(tail -n 5 <<<"$log")"
fi
expect_eq "the service runs on beta" Running "$(instance_field beta lxd $name .status)"
expect_eq "the source is stopped" Stopped "$(instance_field alpha lxd $name .status)"
restart_daemon alpha lxd
sleep 2
expect_eq "the source stays stopped when its daemon restarts" Stopped "$(instance_field alpha lxd $name .status)"
ferry finish $name --from alpha --to beta >/dev/null 2>&1 || fail "ferry finish failed"
finish
