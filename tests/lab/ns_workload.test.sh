#!/usr/bin/env bash
# labels: lab ns
# timeout: 300
# The busybox workload on alpha, under LXD and under Incus: launched by lab/workload, it
# answers lab/client at alpha's address through the proxy device (every acknowledged record
# stored, none lost), keeps its records on a custom volume when one is attached, and stops
# cleanly and quickly when its manager asks (init halts on SIGPWR).
. "$(dirname "$0")/ns_lib.sh"

port=18080
for manager in lxd incus; do
  cli=$([ $manager = lxd ] && echo lxc || echo incus)
  name=t-wl-$manager
  volume=
  [ $manager = incus ] && volume=t-wl-vol
  note "$manager: launching $name on alpha${volume:+ with volume $volume}"
  t0=$EPOCHREALTIME
  launch_workload $manager alpha $name --port $port ${volume:+--volume $volume}
  url=$URL
  note "$manager: launched in $(elapsed_since "$t0") s at $url"
  expect_eq "$manager: the service's address is alpha's" "http://$ALPHA:$port" "$url"

  report=$("$LAB/client" --url "$url" --duration 3)
  note "client: $report"
  expect_json "$manager: records acknowledged" '.acknowledged >= 10' "$report"
  expect_json "$manager: nothing lost" '.lost == 0 and .lost_ids == []' "$report"
  expect_json "$manager: every acknowledged record present" '.present == .acknowledged' "$report"
  expect_json "$manager: no request failed" '.failures == 0' "$report"
  expect_json "$manager: records fetched from alpha" ".final_target == \"$ALPHA:$port\"" "$report"
  expect_json "$manager: a request at least every 100 ms" '.longest_gap_seconds < 0.5' "$report"

  stored=$( (on alpha "$cli" exec $name -- cat /srv/data/records || true) | grep -c . || true)
  acked=$(jq .acknowledged <<<"$report")
  [ "$stored" -ge "$acked" ] && ok "$manager: $stored records in the container's file" ||
    fail "$manager: the container's file holds $stored records, $acked were acknowledged"
  if [ -n "$volume" ]; then
    src=$( (on alpha "$cli" exec $name -- grep -w /srv/data /proc/mounts || true) | cut -d' ' -f1)
    [ -n "$src" ] && ok "$manager: /srv/data is the volume ($src)" || fail "$manager: /srv/data is not a mount"
  fi

  t0=$EPOCHREALTIME
  if on alpha timeout 20 "$cli" stop $name; then
    took=$(elapsed_since "$t0")
    state=$(on alpha "$cli" list $name --format csv -c s)
    expect_eq "$manager: stopped cleanly" STOPPED "$state"
    awk -v t="$took" 'BEGIN { exit !(t < 6) }' && ok "$manager: clean stop in $took s" ||
      fail "$manager: clean stop took $took s (init does not halt on SIGPWR?)"
  else
    fail "$manager: '$cli stop $name' did not finish within 20 s"
  fi
  port=$((port + 1))
done
finish
