#!/usr/bin/env bash
# labels: lab ns
# timeout: 900
# The PostgreSQL workload (lab/images/postgres) on alpha, under LXD and under Incus: launched
# by lab/workload --image postgres, it answers lab/client at alpha's address through the proxy
# device with every acknowledged row committed in PostgreSQL (none lost); it stops cleanly
# (PostgreSQL's fast shutdown, within 30 s) when its manager asks; after a forced stop (every
# process killed) PostgreSQL recovers from its WAL at the next start and every acknowledged
# row is still there. Prints the figures docs/lab.md quotes (build, start, stop times).
. "$(dirname "$0")/ns_lib.sh"

t0=$EPOCHREALTIME
image=$("$LAB/images/postgres/build")
note "image $image ($(du -h "$image" | cut -f1)), build (or cache hit) $(elapsed_since "$t0") s"

pg_log=/var/log/postgresql/postgresql-15-main.log
psql_in() { # CLI NAME SQL: one value, as user postgres inside the container
  on alpha "$1" exec "$2" --cwd / -- setpriv --reuid=postgres --regid=postgres --init-groups \
    psql -X -q -t -A -c "$3"
}
health_within() { # URL SECONDS: true once URL/health answers 200
  local end=$((SECONDS + $2))
  until curl -sf -m 1 -o /dev/null "$1/health"; do
    [ $SECONDS -lt $end ] || return 1
    sleep 0.05
  done
}

port=18280
for manager in lxd incus; do
  cli=$([ $manager = lxd ] && echo lxc || echo incus)
  name=t-pg-$manager
  note "$manager: launching $name on alpha"
  t0=$EPOCHREALTIME
  launch_workload $manager alpha $name --image postgres --port $port
  url=$URL
  note "$manager: launched in $(elapsed_since "$t0") s at $url (image import, unpack, first start)"
  expect_eq "$manager: the service's address is alpha's" "http://$ALPHA:$port" "$url"

  report=$("$LAB/client" --url "$url" --duration 5)
  note "client: $report"
  expect_json "$manager: rows acknowledged" '.acknowledged > 0' "$report"
  expect_json "$manager: nothing lost" '.lost == 0 and .lost_ids == []' "$report"
  expect_json "$manager: every acknowledged row present" '.present == .acknowledged' "$report"
  expect_json "$manager: records fetched from alpha" ".final_target == \"$ALPHA:$port\"" "$report"
  rows=$(psql_in $cli $name 'SELECT count(*) FROM records' || echo 0)
  acked=$(jq .acknowledged <<<"$report")
  [ "$rows" -ge "$acked" ] && ok "$manager: $rows rows in table records ($acked acknowledged)" ||
    fail "$manager: table records holds $rows rows, $acked were acknowledged"

  # Clean stop: the manager's SIGPWR makes init ask PostgreSQL for a fast shutdown.
  t0=$EPOCHREALTIME
  if on alpha timeout 40 "$cli" stop $name; then
    took=$(elapsed_since "$t0")
    expect_eq "$manager: stopped" STOPPED "$(on alpha "$cli" list $name --format csv -c s)"
    awk -v t="$took" 'BEGIN { exit !(t < 30) }' && ok "$manager: clean stop in $took s" ||
      fail "$manager: clean stop took $took s (30 s allowed)"
  else
    fail "$manager: '$cli stop $name' did not finish within 40 s"
  fi
  last=$(on alpha "$cli" file pull "$name$pg_log" - | grep -v 'FATAL: .*shutting down' | tail -n1)
  grep -q 'database system is shut down' <<<"$last" && ok "$manager: PostgreSQL shut down cleanly" ||
    fail "$manager: PostgreSQL's last log line is not a clean shutdown: $last"

  # Start of an existing container: until the front answers through the proxy device.
  t0=$EPOCHREALTIME
  on alpha "$cli" start $name
  if health_within "$url" 60; then ok "$manager: started, /health 200 after $(elapsed_since "$t0") s"
  else fail "$manager: /health does not answer 60 s after '$cli start'"; fi

  # Crash: kill everything while the client writes, start again; WAL recovery keeps every
  # acknowledged row.
  stop=$WORK/stop-$manager
  "$LAB/client" --url "$url" --stop-file "$stop" --final-timeout 30 >"$WORK/report-$manager" \
    2>"$WORK/client-$manager.log" &
  client=$!
  cleanup "kill $client 2>/dev/null || true"
  sleep 2
  on alpha "$cli" stop --force $name
  t0=$EPOCHREALTIME
  on alpha "$cli" start $name
  health_within "$url" 60 && note "$manager: after the kill, /health 200 after $(elapsed_since "$t0") s"
  sleep 1
  touch "$stop"
  wait "$client" || fail "$manager: the client exited with status $?"
  report=$(cat "$WORK/report-$manager")
  note "client across the kill: $report"
  expect_json "$manager: rows acknowledged before the kill" '.acknowledged > 0' "$report"
  expect_json "$manager: no acknowledged row lost in the crash" '.lost == 0' "$report"
  on alpha "$cli" file pull "$name$pg_log" - | grep -q 'database system was not properly shut down; automatic recovery in progress' &&
    ok "$manager: PostgreSQL ran crash recovery (logged)" ||
    fail "$manager: no crash recovery in $pg_log"

  t0=$EPOCHREALTIME
  on alpha timeout 40 "$cli" stop $name && note "$manager: second clean stop in $(elapsed_since "$t0") s" ||
    fail "$manager: second stop failed"
  port=$((port + 1))
done
finish
