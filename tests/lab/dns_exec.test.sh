#!/usr/bin/env bash
# labels: lab dns
# timeout: 180
# The same flow with the exec provider: ferry runs a program (argv, no shell) with the change as
# JSON on stdin; the lab's program (dns_nsupdate_hook.sh) applies it with nsupdate, its exit 3
# meaning "old records not there". lower -> early switch refused -> switch -> verified on both
# servers -> abort; a conflict; a failing program; the program gets no secret from ferry.
. "$(dirname "$0")/dns_lib.sh"
reset_names "$PRIMARY" www
cleanup_hooks+=("reset_names '$PRIMARY' www")
HOOK=("$TOP/tests/lab/dns_nsupdate_hook.sh" "$(host_of "$PRIMARY")" "$(port_of "$PRIMARY")" "$KEY")
COMMON=(--provider exec --zone "$ZONE" --dns-server "$PRIMARY" --dns-server "$SECONDARY" --ttl 2 --verify-timeout 5)

note "dry run"
run_ferry dns lower --dry-run --move x1 "${COMMON[@]}" --name www -- "${HOOK[@]}"
expect_rc "dry run" 0
expect_out "shows the argv" "run (no shell): ${HOOK[*]}"
expect_out "shows the document" '"format": "ferry-dns-change"'

note "lower, wait, switch, abort"
run_ferry dns lower --move x1 "${COMMON[@]}" --name www -- "${HOOK[@]}"
expect_rc "lower" 0
expect_eq "lowered on both" "198.18.0.2/2 198.18.0.2/2" "$(answers "www.$ZONE" A "$PRIMARY" "$SECONDARY")"
run_ferry dns switch --move x1 --new 198.18.0.3 --new 2001:2::3
expect_rc "early switch refused" 6
sleep 5
run_ferry dns switch --move x1 --new 198.18.0.3 --new 2001:2::3
expect_rc "switch (the program recorded at lowering runs again)" 0
expect_out "verified on both" "Verified on every authoritative server (127.0.0.1:5301, 127.0.0.1:5302)"
expect_eq "A on both" "198.18.0.3/2 198.18.0.3/2" "$(answers "www.$ZONE" A "$PRIMARY" "$SECONDARY")"
expect_eq "AAAA on both" "2001:2::3/2 2001:2::3/2" "$(answers "www.$ZONE" AAAA "$PRIMARY" "$SECONDARY")"
run_ferry dns abort --move x1
expect_rc "abort" 0
expect_eq "restored on both" "198.18.0.2/5 198.18.0.2/5" "$(answers "www.$ZONE" A "$PRIMARY" "$SECONDARY")"

note "the program reports a conflict (exit 3)"
reset_names "$PRIMARY" www
run_ferry dns lower --move x2 "${COMMON[@]}" --name www -- "${HOOK[@]}"
expect_rc "lower" 0
# The record changes after ferry read it: ferry's own compare sees it first...
set_rrset "$PRIMARY" "www.$ZONE" 2 A 198.18.0.99
run_ferry dns switch --move x2 --new 198.18.0.3 --new 2001:2::3 --force
expect_rc "refused by ferry's compare" 3
expect_out "found" "found 198.18.0.99"
# ...and the program's prerequisite catches a change ferry could not see (a stale read).
jq -n --arg zone "$ZONE" '{format: "ferry-dns-change", version: 1, action: "switch", zone: $zone, move: "x2",
  changes: [{name: "www.ferry.test.", type: "A", old: {ttl: 2, addresses: ["198.18.0.2"]}, new: {ttl: 2, addresses: ["198.18.0.3"]}}]}' |
  { set +e; "${HOOK[@]}" 2>"$WORK/hook.err"; echo $? >"$WORK/hook.rc"; }
expect_eq "the program exits 3 on a failed prerequisite" 3 "$(cat "$WORK/hook.rc")"
expect_eq "unchanged" "198.18.0.99/2 198.18.0.99/2" "$(answers "www.$ZONE" A "$PRIMARY" "$SECONDARY")"

note "a program that fails"
reset_names "$PRIMARY" www
run_ferry dns lower --move x3 "${COMMON[@]}" --name www -- /bin/sh -c 'cat >/dev/null; echo "provider API down" >&2; exit 7'
expect_rc "failure" 1
expect_out "names the program and its exit" "the DNS program /bin/sh failed (exit 7)"
expect_out "shows its stderr" "provider API down"
expect_eq "unchanged" "198.18.0.2/5 198.18.0.2/5" "$(answers "www.$ZONE" A "$PRIMARY" "$SECONDARY")"
run_ferry dns lower --move x4 "${COMMON[@]}" --name www -- /nonexistent/hook
expect_rc "missing program" 1
expect_out "names it" "cannot run /nonexistent/hook"

expect_secrets_absent
finish
