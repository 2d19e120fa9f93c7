#!/usr/bin/env bash
# labels: lab dns
# timeout: 180
# Updates that must fail clearly and change nothing: a wrong secret (BADSIG), an unknown key name
# (BADKEY), the wrong algorithm (BADKEY), an unknown zone, a primary that does not answer
# (timeout), a reply without a signature (not trusted). Each error names the server; both servers' zones stay as they were; the secret is
# in nothing ferry wrote (stdout, stderr, state directory).
. "$(dirname "$0")/dns_lib.sh"
reset_names "$PRIMARY" svc
snap_p=$(zone_snapshot "$PRIMARY"); snap_s=$(zone_snapshot "$SECONDARY"); serial_p=$(serial "$PRIMARY")
unchanged() {
  expect_eq "$1: primary zone unchanged" "$snap_p" "$(zone_snapshot "$PRIMARY")"
  expect_eq "$1: secondary zone unchanged" "$snap_s" "$(zone_snapshot "$SECONDARY")"
  expect_eq "$1: serials unchanged" "$serial_p $serial_p" "$(serial "$PRIMARY") $(serial "$SECONDARY")"
}
COMMON=(--zone "$ZONE" --dns-server "$PRIMARY" --dns-server "$SECONDARY" --ttl 2 --name svc)
keyfile() { printf '%s\n' "$2" >"$WORK/$1.key"; echo "$WORK/$1.key"; }

note "wrong secret"
run_ferry dns lower --move e1 "${COMMON[@]}" --key-file "$(keyfile wrong-secret "ferry-key:$(head -c 32 /dev/urandom | base64)")"
expect_rc "refused" 1
expect_out "BADSIG, named" "DNS server 127.0.0.1:5301 rejected the signature of key ferry-key. (hmac-sha256) (NOTAUTH, TSIG error BADSIG)"
expect_out "says nothing changed" "nothing was changed"
unchanged "wrong secret"

note "unknown key name (with the right secret)"
run_ferry dns lower --move e2 "${COMMON[@]}" --key-file "$(keyfile unknown-name "no-such-key:$SECRET")" --json
expect_rc "refused" 1
expect_eq "BADKEY, named (--json)" "DNS server 127.0.0.1:5301 does not know key no-such-key. (hmac-sha256) (NOTAUTH, TSIG error BADKEY)" "$(json_field .error.message)"
expect_eq "the error's host" "127.0.0.1:5301" "$(json_field .error.host)"
unchanged "unknown key name"

note "wrong algorithm (right name and secret)"
run_ferry dns lower --move e3 "${COMMON[@]}" --key-file "$(keyfile wrong-alg "hmac-sha512:ferry-key:$SECRET")"
expect_rc "refused" 1
expect_out "BADKEY for hmac-sha512, named" "DNS server 127.0.0.1:5301 does not know key ferry-key. (hmac-sha512) (NOTAUTH, TSIG error BADKEY)"
unchanged "wrong algorithm"
run_ferry dns lower --move e3b "${COMMON[@]}" --key-file "$(keyfile no-alg "hmac-sha384:ferry-key:$SECRET")"
expect_rc "an algorithm ferry cannot sign with is a usage error" 2
expect_out "it says so" "hmac-sha384 is not supported"

note "unknown zone"
run_ferry dns lower --move e4 --zone nosuch.test --dns-server "$PRIMARY" --dns-server "$SECONDARY" --name svc --key-file "$KEY"
expect_rc "refused" 1
expect_out "names the server and the zone" "DNS server 127.0.0.1:5301: does not serve zone nosuch.test."
unchanged "unknown zone"

# fake_primary MODE: a primary on port 5399 that relays queries to the real one and misbehaves
# on updates (tests/lab/dns_fake_primary.py); sets fake_pid.
fake_primary() {
  coproc FAKE { exec python3 "$TOP/tests/lab/dns_fake_primary.py" "$1" 5399 "$(port_of "$PRIMARY")"; }
  fake_pid=$FAKE_PID
  cleanup_hooks+=("kill $fake_pid 2>/dev/null")
  local ready
  read -r ready <&"${FAKE[0]}"
  [ "$ready" = ready ] || fail "the fake primary did not start"
}
stop_fake() { kill "$fake_pid" 2>/dev/null; wait "$fake_pid" 2>/dev/null || true; }

note "a primary that never answers the update"
fake_primary silent
run_ferry dns lower --move e5 "${COMMON[@]}" --primary 127.0.0.1:5399 --key-file "$KEY" --timeout 1
expect_rc "timed out" 1
expect_out "the timeout names the server" "DNS server 127.0.0.1:5399: no answer (timeout)"
expect_out "and says nothing changed" "nothing was changed"
stop_fake
unchanged "timeout"

note "a reply that is not signed is not trusted"
fake_primary unsigned
run_ferry dns lower --move e7 "${COMMON[@]}" --primary 127.0.0.1:5399 --key-file "$KEY"
expect_rc "untrusted" 1
expect_out "says the reply had no signature" "DNS server 127.0.0.1:5399 answered the signed update without a signature"
stop_fake
jq -e '.lowered_at == null' "$STATE/e7/dns.json" >/dev/null && ok "the lowering is not recorded as done" ||
  fail "state: $(cat "$STATE/e7/dns.json")"
unchanged "unsigned reply"

note "a key file ferry cannot read"
run_ferry dns lower --move e6 "${COMMON[@]}" --key-file "$(keyfile garbage "key \"ferry-key\" { algorithm hmac-sha256; secret \"$SECRET\" };")"
expect_rc "usage error" 2
expect_out "names the file" "garbage.key"

expect_secrets_absent
[ -z "$(find "$STATE" -name dns.json -newer "$KEY" -exec jq -r '.lowered_at // empty' {} \; 2>/dev/null)" ] &&
  ok "no state claims a lowering" || fail "a failed lowering was recorded as done"
finish
