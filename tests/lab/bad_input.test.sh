#!/usr/bin/env bash
# labels: lab ns faults input
# timeout: 600
# A corpus of bad inputs, each refused before anything changes: instance, project and host names
# with spaces, quotes, ';', '$()', a newline, a leading '-', '?', '/', '..', over-long, non-ASCII;
# malformed health checks and http without --target-address; empty hooks; addresses with a
# newline; bad ports and rates; TSIG key files empty, truncated, written SECRET:NAME:ALG, with an
# unknown algorithm or without the `secret` keyword; dns files malformed or without a zone, or
# well-formed but never lowered (in the lab's zone, or in one it does not have: exit 3). For
# each: exit 2 (unless said), the message names the flag and shows the value escaped, says what to do, and
# --json says it too; nothing journaled; no secret in stderr, --json or the state dir; both hosts
# exactly as before the corpus (compared as ns_preflight does). Then one valid input (ferry prepare), which does change beta:
# the same comparison must see it, or it proves nothing; while it runs, a second ferry from
# another state dir, naming the source host otherwise (root@alpha), exits 4 naming the first.
. "$(dirname "$0")/ns_lib.sh"
. "$(dirname "$0")/move_lib.sh"
"$TOP/lab/dns/up" >/dev/null 2>&1   # its zone and TSIG key, for the well-formed dns files
. "$LAB_DIR/dns/env.sh"
name=t-bad
forget_ferry_copies $name
cleanup "forget_ferry_copies $name"
launch_workload lxd alpha $name
secret=c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LXNlYzE=

dns_toml() {  # NAME ZONE SERVER KEY-FILE: writes $WORK/NAME.toml, moving $name to beta; prints its path
  cat >"$WORK/$1.toml" <<TOML
[dns]
provider = "rfc2136"
zone = "$2"
servers = ["$3"]
key_file = "$4"
[[dns.record]]
name = "$name"
new = ["$BETA"]
TOML
  echo "$WORK/$1.toml"
}
dns_file() {  # NAME KEY-TEXT: writes the key and a dns file that uses it; prints the dns file
  printf '%s' "$2" >"$WORK/$1.key"
  dns_toml "$1" example.test "$ALPHA" "$WORK/$1.key"
}
json_string() { jq -Rn --arg v "$1" '$v | tojson' | jq -r .; }  # the value as ferry shows it

cases=0
# refused FLAG VALUE ARGS...: ferry plan/move with ARGS must refuse VALUE of FLAG (with exit
# $WANT: 2 unless said otherwise).
refused() {
  local flag=$1 value=$2 rc=0 shown want=${WANT:-2}
  shift 2
  cases=$((cases + 1))
  # Options first: ARGS may end with `--` and a positional that begins with '-'.
  "$FERRY" move --ssh-config "$FERRY_LAB_SSH_CONFIG" --state-dir "$STATE" "$@" >"$WORK/out" 2>"$WORK/err" || rc=$?
  local what="case $cases ($flag $(json_string "$value" | head -c 60))"
  expect_eq "$what: exit $want" "$want" $rc
  shown=$(json_string "$value")
  if grep -qF -- "$flag" "$WORK/err" && grep -qF -- "$shown" "$WORK/err"; then
    ok "$what: names the flag and shows the value"
  else
    fail "$what: no '$flag' with $shown in: $(cat "$WORK/err")"
  fi
  grep -q "what to do" "$WORK/err" && ok "$what: says what to do" || fail "$what: no hint in: $(cat "$WORK/err")"
  rc=0
  "$FERRY" move --ssh-config "$FERRY_LAB_SSH_CONFIG" --state-dir "$STATE" --json "$@" >"$WORK/out" 2>>"$WORK/err" || rc=$?
  [ "$rc" = "$want" ] && jq -e '.ok == false and (.error.what | length > 0)' "$WORK/out" >/dev/null && ok "$what: --json says it too" ||
    fail "$what: --json: exit $rc, $(cat "$WORK/out")"
  [ -z "$(find "$STATE" -name 'journal*' -size +0 2>/dev/null)" ] && ok "$what: nothing journaled" ||
    fail "$what: ferry journaled: $(find "$STATE" -name 'journal*')"
  if grep -rqiF -- "$secret" "$WORK/err" "$WORK/out" "$STATE" 2>/dev/null; then fail "$what: the TSIG secret leaked"; fi
}
ok_args=(--from alpha --to beta)
# Both hosts' state before the first bad input and after the last: every case is refused, none
# can undo another's change, so one comparison covers them all (per case it cost ~4 s of ssh).
host_state alpha $name >"$WORK/alpha.before"
host_state beta $name >"$WORK/beta.before"

note "instance names"
for bad in 'c1?' 'a b' 'a;b' 'a$(id)' 'a/b' '..' $'a\nb' 'café' "$(printf 'a%.0s' {1..64})" '1abc' "'q'"; do
  refused instance "$bad" "${ok_args[@]}" -- "$bad"
done
refused instance '-c1' "${ok_args[@]}" -- '-c1'
note "project names"
for bad in 'a b' '../x' '*' 'p;rm'; do refused --project "$bad" $name "${ok_args[@]}" --project "$bad"; done
note "hosts"
refused --from '-oProxyCommand=touch /tmp/ferry-pwned' $name --from='-oProxyCommand=touch /tmp/ferry-pwned' --to beta
[ -e /tmp/ferry-pwned ] && fail "a host name ran a command here" && rm -f /tmp/ferry-pwned
refused --to 'root@-x' $name --from alpha --to 'root@-x'
refused --from 'a b' $name --from 'a b' --to beta
refused --to 'h;id' $name --from alpha --to 'h;id'
refused --target-from-source '$(id)' $name "${ok_args[@]}" --target-from-source '$(id)'
refused --from $'alpha\n' $name --from $'alpha\n' --to beta
refused --to 'bêta' $name --from alpha --to 'bêta'
note "health checks"
for bad in 'htp://x/' 'http://' 'http://a b/' 'tcp:0' 'tcp:99999'; do
  refused --health "$bad" $name "${ok_args[@]}" --health "$bad" --target-address "$BETA"
done
refused --health 'http://web.example/health' $name "${ok_args[@]}" --health 'http://web.example/health'
note "hooks, addresses, ports, rates"
refused --before-stop '' $name "${ok_args[@]}" --before-stop ''
refused --after-start '  ' $name "${ok_args[@]}" --after-start '  '
refused --source-address $'198.18.0.2\nadd table inet x' $name "${ok_args[@]}" --source-address $'198.18.0.2\nadd table inet x'
refused --target-address 'beta.example' $name "${ok_args[@]}" --target-address 'beta.example'
refused --forward-port 70000 $name "${ok_args[@]}" --forward-port 70000
refused --bwlimit fast $name "${ok_args[@]}" --bwlimit fast
note "TSIG key files and dns files"
for k in empty:'' truncated:'key "k" { algorithm hmac-sha256; secret "'"${secret:0:10}" \
  reversed:"$secret:k:hmac-sha256" unknown:"hmac-foo:k:$secret" nokeyword:'key "k" { algorithm hmac-sha256; "'"$secret"'"; };'; do
  f=$(dns_file "${k%%:*}" "${k#*:}")
  refused --dns "$f" $name "${ok_args[@]}" --dns "$f" --health tcp:80 --target-address "$BETA"
done
printf '[dns\nzone = \n' >"$WORK/malformed.toml"
refused --dns "$WORK/malformed.toml" $name "${ok_args[@]}" --dns "$WORK/malformed.toml"
printf '[dns]\nprovider = "rfc2136"\n[[dns.record]]\nname = "%s"\nnew = ["%s"]\n' "$name" "$BETA" >"$WORK/nozone.toml"
refused --dns "$WORK/nozone.toml" $name "${ok_args[@]}" --dns "$WORK/nozone.toml"
# Well-formed, but the switch after the health gate would refuse them: never lowered (exit 3).
for zone in "$FERRY_LAB_DNS_ZONE" nosuch.test; do
  f=$(dns_toml "unlowered-$zone" "$zone" "$FERRY_LAB_DNS_PRIMARY" "$FERRY_LAB_TSIG_KEY_FILE")
  WANT=3 refused --dns "$f" $name "${ok_args[@]}" --dns "$f" --health tcp:80 --target-address "$BETA"
  grep -q "was never lowered" "$WORK/err" && ok "it says the names were never lowered" || fail "no reason: $(cat "$WORK/err")"
done

host_state alpha $name >"$WORK/alpha.after"
host_state beta $name >"$WORK/beta.after"
if cmp -s "$WORK/alpha.before" "$WORK/alpha.after" && cmp -s "$WORK/beta.before" "$WORK/beta.after"; then
  ok "after $cases bad inputs nothing changed on either host"
else
  fail "a bad input changed a host: $(diff "$WORK/alpha.before" "$WORK/alpha.after"; diff "$WORK/beta.before" "$WORK/beta.after")"
fi

note "a valid input changes beta (the comparison sees it); meanwhile a second ferry, from another state dir and"
note "with another spelling of the source host, waits for the move's lock on alpha (30 s), then exits 4 naming the first"
on alpha lxc exec $name -- dd if=/dev/urandom of=/root/blob bs=1M count=8 2>/dev/null  # a seed copy of ~40 s at 200K/s
host_state beta $name >"$WORK/beta.before"
ferry prepare $name "${ok_args[@]}" --bwlimit 200K --json >"$WORK/first.json" 2>"$WORK/first.err" &
first=$!
holder=/run/lock/ferry-move-default_$name.lock.holder
for _ in $(seq 100); do on_sh alpha "grep -qF 'state dir $STATE)' $holder 2>/dev/null" && break; sleep 0.2; done
on_sh alpha "grep -qF 'state dir $STATE)' $holder" && ok "the first ferry holds the move's lock on alpha" || fail "no lock holder on alpha"
mkdir -p "$WORK/other-state"
rc=0 t0=$EPOCHREALTIME
"$FERRY" prepare $name --from root@alpha --to beta --ssh-config "$FERRY_LAB_SSH_CONFIG" --state-dir "$WORK/other-state" \
  --json >"$WORK/second.json" 2>"$WORK/second.err" || rc=$?
note "the second: exit $rc after $(elapsed_since "$t0") s: $(jq -c .error.what "$WORK/second.json" 2>/dev/null)"
expect_eq "the second ferry exits 4 (locked)" 4 $rc
jq -e --arg d "$STATE" '.error.what | contains("state dir " + $d)' "$WORK/second.json" >/dev/null &&
  ok "it names the holder" || fail "it does not name the holder: $(cat "$WORK/second.json")"
rc=0
wait $first || rc=$?
expect_eq "the first ferry (valid) completes its prepare" 0 $rc
host_state beta $name >"$WORK/beta.after"
cmp -s "$WORK/beta.before" "$WORK/beta.after" && fail "the comparison did not see the valid input's change" ||
  ok "the comparison sees the valid input's change"
expect_eq "one copy runs: the source" Running "$(instance_field alpha lxd $name .status)"
expect_eq "the target copy is stopped" Stopped "$(instance_field beta lxd $name .status)"
[ -z "$(find "$WORK/other-state" -name 'journal*' -size +0)" ] && ok "the second ferry journaled nothing" || fail "the second ferry journaled a move"
ferry abort $name "${ok_args[@]}" >/dev/null 2>&1 || true
echo "summary: $cases bad inputs; $failures check(s) failed"
finish
