#!/usr/bin/env bash
# labels: lab cutover ns
# timeout: 900
# The downtime budget, kept: a busybox service under a steady write load moves from alpha to
# beta with --max-downtime set from its measured stop and start times plus 2 s. ferry converges
# (its prediction fits), the outage it reports fits the budget, and the lab client, which holds
# alpha's address the whole time, sees no gap longer than the budget plus 1 s and loses nothing:
# the old host forwards to the new one once it passed the health gate. `ferry finish` removes
# the forwarding. A budget below what stop and start take is refused before any outage, with
# the figures, and the source keeps serving.
. "$(dirname "$0")/ns_lib.sh"
. "$(dirname "$0")/move_lib.sh"
forget_ferry_copies t-cb-
cleanup "forget_ferry_copies t-cb-"

port=18380
name=t-cb-web
launch_workload lxd alpha $name --port $port
cleanup "'$LAB/workload' delete --manager lxd beta $name"
measure_stop_start alpha lxd $name "http://$ALPHA:$port/records"
budget=$(awk -v a="$STOP_S" -v b="$START_S" 'BEGIN { printf "%.1f", a + b + 2 }')
note "measured on alpha: stop $STOP_S s, start $START_S s; budget $budget s"
start_writer alpha lxd $name 20000   # ~200 KB/s
start_client "http://$ALPHA:$port"
sleep 2
load=$(load_bytes alpha lxd $name)
[ "${load:-0}" -gt 0 ] && ok "the write load runs ($load bytes so far)" || fail "the write load does not run"


t0=$EPOCHREALTIME
if ferry move $name --from alpha --to beta --max-downtime "$budget" \
  --health "http://$name.ferry.test:$port/records" --target-address "$BETA" --source-address "$ALPHA" \
  --json >"$WORK/move.json" 2>"$WORK/move.err"; then
  ok "ferry move exited 0 in $(elapsed_since "$t0") s"
else
  cat "$WORK/move.err"; fail "ferry move failed"
fi
report=$(cat "$WORK/move.json")
note "ferry: $(jq -c '{downtime_seconds, outage, prediction, precopy_rounds}' <<<"$report")"
stop_client
note "client: $CLIENT_REPORT"

expect_json "the prediction fitted the budget before the outage" '.prediction.verdict == "cut_over"' "$report"
expect_json "at least one pre-copy round ran while the service wrote" '(.precopy_rounds | length) >= 1 and .precopy_rounds[0].bytes > 0' "$report"
expect_json "the trial boot measured start and stop" '.prediction.start_seconds > 0 and .prediction.stop_seconds > 0' "$report"
expect_json "ferry's measured outage fits the budget" ".downtime_seconds > 0 and .downtime_seconds <= $budget" "$report"
expect_json "the report breaks the outage down" '.outage.mode == "clean" and .outage.stop_seconds > 0 and .outage.start_seconds > 0 and .outage.final_sync_seconds > 0' "$report"
expect_json "the client lost nothing" '.lost == 0 and .acknowledged > 0' "$CLIENT_REPORT"
expect_json "the client's longest gap is within the budget + 1 s" ".longest_gap_seconds <= $budget + 1" "$CLIENT_REPORT"
expect_json "the client kept using alpha's address (forwarded to beta)" ".final_target == \"$ALPHA:$port\"" "$CLIENT_REPORT"
expect_json "the report names the forwarding" ".forwarding.from == \"$ALPHA\" and .forwarding.to == \"$BETA\" and .forwarding.ports == [$port]" "$report"
expect_eq "the service runs on beta" Running "$(instance_field beta lxd $name .status)"
expect_eq "the source is stopped" Stopped "$(instance_field alpha lxd $name .status)"
stored_beta=$(curl -sf -m 3 "http://$BETA:$port/records" | wc -l)
stored_alpha=$(curl -sf -m 3 "http://$ALPHA:$port/records" | wc -l)
expect_eq "alpha's address serves beta's records" "$stored_beta" "$stored_alpha"

ferry finish $name --from alpha --to beta >"$WORK/finish.out" 2>&1 || { cat "$WORK/finish.out"; fail "ferry finish failed"; }
if curl -sf -m 2 -o /dev/null "http://$ALPHA:$port/records"; then fail "alpha still forwards after ferry finish"
else ok "after ferry finish alpha no longer forwards"; fi
expect_eq "ferry's nftables table is gone from alpha" "" "$(on_sh alpha 'nft list tables' | grep -F ferry_fwd_default/t-cb-web || true)"

note "a budget below stop + start is refused before any outage"
small=t-cb-small
launch_workload lxd alpha $small --port $((port + 1))
start_client "http://$ALPHA:$((port + 1))"
code=0
ferry move $small --from alpha --to beta --max-downtime 0.5 --json >"$WORK/small.json" 2>"$WORK/small.err" || code=$?
expect_eq "exit status 6 (the operator decides)" 6 "$code"
expect_json "the refusal says why, with the figures" '.decision_needed == "budget_too_small" and (.error.detail | test("stopping \\([0-9.]+ s\\) and starting \\([0-9.]+ s\\)"))' "$(cat "$WORK/small.json")"
expect_eq "the source still runs" Running "$(instance_field alpha lxd $small .status)"
expect_eq "the target copy is stopped" Stopped "$(instance_field beta lxd $small .status)"
stop_client
expect_json "the client lost nothing and was served throughout" '.lost == 0 and .longest_gap_seconds < 2' "$CLIENT_REPORT"
ferry abort $small --from alpha --to beta >/dev/null 2>&1 || fail "ferry abort failed"
expect_eq "abort removed the target copy" "" "$(on beta lxc list $small --format csv -c n)"
finish
