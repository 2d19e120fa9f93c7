#!/usr/bin/env bash
# labels: lab ns
# timeout: 600
# The dry run is the list of what runs: every state-changing command that `ferry move -v`
# executes appears, as a template, in `ferry plan` of the same move just before. An instance of
# a non-default project, with a custom volume, hooks, the trial, forwarding, moved there and
# back (the way back in crash mode: the freeze, the kill, the earlier forwarding removed).
# Templates: a dry-run word <...> stands for any words (a snapshot's parent, a script's text);
# snapshot names and move ids are compared with their numbers aside (tests/lab/dry_run_match.py).
. "$(dirname "$0")/ns_lib.sh"
. "$(dirname "$0")/move_lib.sh"
name=t-dry proj=t-dry-p vol=t-dry-vol port=18095
forget_ferry_copies "${proj}_$name"
cleanup "forget_ferry_copies ${proj}_$name"
for h in alpha beta; do
  cleanup "'$LAB/workload' delete --project $proj --volume $vol $h $name"
  "$LAB/workload" delete --project $proj --volume $vol $h $name >/dev/null 2>&1 || true
done
"$LAB/workload" launch --project $proj --volume $vol --port $port alpha $name >/dev/null
on_sh beta "lxc project show $proj >/dev/null 2>&1 || lxc project create $proj -c features.images=false -c features.profiles=false >/dev/null"
addr_of() { [ "$1" = alpha ] && echo "$ALPHA" || echo "$BETA"; }
cleanup "'$FERRY' finish $name --project $proj --from beta --to alpha --ssh-config '$FERRY_LAB_SSH_CONFIG' --state-dir '$STATE'"

# leg N FROM TO ARGS...: the plan, then the move with -v; every command the move ran is in the plan.
leg() {
  local n=$1 from=$2 to=$3; shift 3
  local args=($name --project $proj --from $from --to $to --precopy-rounds 1 --before-stop 'sync' --after-start 'true'
    --source-address "$(addr_of $from)" --target-address "$(addr_of $to)" "$@")
  ferry plan "${args[@]}" --json >"$WORK/plan$n.json" 2>"$WORK/plan$n.err" ||
    { cat "$WORK/plan$n.err"; die "leg $n: ferry plan failed"; }
  jq -e '.schema_version == 1 and .preflight_ok' "$WORK/plan$n.json" >/dev/null && ok "leg $n: plan --json, schema_version 1" ||
    fail "leg $n: the plan's document has no schema_version 1 or its preflight failed: $(head -c 300 "$WORK/plan$n.json")"
  ferry move "${args[@]}" -v >"$WORK/move$n.out" 2>"$WORK/move$n.trace" ||
    { tail -20 "$WORK/move$n.trace"; die "leg $n ($from -> $to): ferry move failed"; }
  ok "leg $n ($from -> $to, $*): moved"
  local checked
  if checked=$(python3 "$(dirname "$0")/dry_run_match.py" "$WORK/plan$n.json" "$WORK/move$n.trace" ${FERRY_TEST_ARTIFACTS:-}); then
    ok "leg $n: each of the $checked state-changing commands the move ran is in its dry run"
  else
    fail "leg $n: commands the dry run did not show:"; printf '%s\n' "$checked" | sed 's/^/#   /'
  fi
}
leg 1 alpha beta
leg 2 beta alpha --mode crash
expect_eq "it serves on alpha again" Running "$(on alpha lxc query "/1.0/instances/$name?project=$proj" | jq -r .status)"
finish
