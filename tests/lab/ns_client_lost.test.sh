#!/usr/bin/env bash
# labels: lab ns
# timeout: 300
# lab/client's loss count is set membership: while the client runs against the workload on
# alpha, one record it has had acknowledged is deleted inside the container; the client must
# report exactly that record lost (lost 1, lost_ids [it]) and every other one present.
. "$(dirname "$0")/ns_lib.sh"

name=t-lost
port=18085
launch_workload lxd alpha $name --port $port
url=$URL

stop=$WORK/stop
"$LAB/client" --url "$url" --stop-file "$stop" >"$WORK/report" 2>"$WORK/client.log" &
client=$!
cleanup "kill $client 2>/dev/null || true"

# Wait for a few records, then forget one written a while ago (acknowledged long before).
victim=
for _ in $(seq 100); do
  ids=$(curl -sf -m 1 "$url/records" || true)
  if [ "$(grep -c . <<<"$ids")" -ge 10 ]; then victim=$(sed -n 3p <<<"$ids"); break; fi
  sleep 0.1
done
[ -n "$victim" ] || die "the workload stored fewer than 10 records in 10 s"
sleep 0.5
on alpha lxc exec $name -- workload-forget "$victim"
note "deleted record $victim in the container"
curl -sf -m 1 "$url/records" | grep -qx "$victim" && fail "record $victim still listed after the delete" ||
  ok "record $victim no longer listed by the service"
sleep 1   # the client keeps writing after the delete
touch "$stop"
wait "$client" || fail "the client exited with status $?"
report=$(cat "$WORK/report")
note "client: $report"
expect_json "records acknowledged" '.acknowledged >= 15' "$report"
expect_json "exactly one record lost" '.lost == 1' "$report"
expect_json "the deleted record is the lost one" ".lost_ids == [$victim]" "$report"
expect_json "every other acknowledged record present" '.present == .acknowledged - 1' "$report"
finish
