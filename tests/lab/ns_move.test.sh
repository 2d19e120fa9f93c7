#!/usr/bin/env bash
# labels: lab move ns
# timeout: 900
# ferry move on the ns tier (btrfs pools), with LXD and with Incus: a running busybox service
# with two instance snapshots, a custom volume and a second profile moves from alpha to beta
# while the lab client writes to it. Nothing acknowledged is lost; the snapshots, the volume
# and the profiles arrive; the source stays stopped (autostart off, moved-to recorded) even
# when its daemon restarts; the target copy stayed stopped across a daemon restart between
# prepare and cutover.
. "$(dirname "$0")/ns_lib.sh"
. "$(dirname "$0")/move_lib.sh"
forget_ferry_copies t-mv-
cleanup "forget_ferry_copies t-mv-"

port=18180
for manager in lxd incus; do
  cli=$(manager_cli $manager)
  name=t-mv-$manager
  vol=t-mv-vol-$manager
  note "$manager: launching $name on alpha"
  for h in alpha beta; do
    on "$h" "$cli" profile create ferry-web >/dev/null 2>&1 || true
    on "$h" "$cli" profile set ferry-web user.role web
  done
  launch_workload $manager alpha $name --port $port --volume $vol
  cleanup "'$LAB/workload' delete --manager $manager --volume $vol beta $name"
  on alpha "$cli" profile add $name ferry-web >/dev/null
  take_snapshot alpha $manager $name s1
  take_snapshot alpha $manager $name s2
  start_client "http://$ALPHA:$port"
  sleep 1

  # Phase by phase: prepare, then a daemon restart on the target must not start the copy.
  ferry prepare $name --from alpha --to beta >"$WORK/prepare.out" 2>&1 || { cat "$WORK/prepare.out"; die "$manager: ferry prepare failed"; }
  expect_eq "$manager: the target copy is stopped after prepare" Stopped "$(instance_field beta $manager $name .status)"
  expect_eq "$manager: the target copy has autostart off" false "$(instance_field beta $manager $name '.config["boot.autostart"]')"
  restart_daemon beta $manager
  sleep 2
  expect_eq "$manager: the target copy stays stopped when its daemon restarts" Stopped "$(instance_field beta $manager $name .status)"

  ferry sync $name --from alpha --to beta >"$WORK/sync.out" 2>&1 || { cat "$WORK/sync.out"; fail "$manager: ferry sync failed"; }
  status=$(ferry status $name --from alpha --to beta --json)
  expect_json "$manager: status says prepared, one sync round" '.state == "prepared" and .sync_rounds == 1' "$status"

  t0=$EPOCHREALTIME
  if ferry move $name --from alpha --to beta --json >"$WORK/move.json" 2>"$WORK/move.err"; then
    ok "$manager: ferry move exited 0"
  else
    cat "$WORK/move.err"; fail "$manager: ferry move failed"
  fi
  note "$manager: ferry move took $(elapsed_since "$t0") s"
  report=$(cat "$WORK/move.json")
  note "ferry: $report"
  expect_json "$manager: the report names the move" ".instance == \"$name\" and .source == \"alpha\" and .target == \"beta\"" "$report"
  expect_json "$manager: the report has the downtime" '.downtime_seconds > 0' "$report"
  expect_json "$manager: the report has bytes per phase" '.phases.prepare.bytes > 0 and .phases.cutover.seconds > 0' "$report"
  point_client "http://$BETA:$port"
  stop_client
  client=$CLIENT_REPORT
  note "client: $client"
  expect_json "$manager: nothing acknowledged was lost" '.lost == 0 and .acknowledged > 20' "$client"
  expect_json "$manager: the client was served by beta at the end" ".final_target == \"$BETA:$port\"" "$client"

  expect_eq "$manager: runs on beta" Running "$(instance_field beta $manager $name .status)"
  snaps=$(on beta "$cli" query /1.0/instances/$name/snapshots | jq -r '.[]' | sed 's#.*/##' | sort | tr '\n' ' ')
  expect_eq "$manager: both snapshots on beta" "s1 s2 " "$snaps"
  expect_eq "$manager: the second profile on beta" default,ferry-web "$(instance_field beta $manager $name '.profiles | join(",")')"
  expect_eq "$manager: the volume is attached on beta" "$vol" "$(instance_field beta $manager $name '.devices | to_entries[] | select(.value.pool) | .value.source')"
  expect_eq "$manager: the source is stopped" Stopped "$(instance_field alpha $manager $name .status)"
  expect_eq "$manager: the source has autostart off" false "$(instance_field alpha $manager $name '.config["boot.autostart"]')"
  expect_eq "$manager: the source records where it went" beta "$(instance_field alpha $manager $name '.config["user.ferry.moved-to"]')"
  expect_eq "$manager: the target's autostart is the source's again" null "$(instance_field beta $manager $name '.config["boot.autostart"]')"
  restart_daemon alpha $manager
  sleep 3
  expect_eq "$manager: the source stays stopped when its daemon restarts" Stopped "$(instance_field alpha $manager $name .status)"
  no_ferry_children
  port=$((port + 1))
done
finish
