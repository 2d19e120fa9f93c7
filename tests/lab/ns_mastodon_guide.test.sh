#!/usr/bin/env bash
# labels: lab ns dns guide
# timeout: 600
# docs/mastodon.md as an admin follows it: every code block tagged `lab` run in order, as it is,
# with the lab's names put in for the example ones (the table below). The `toml lab file=F`
# block becomes the file F; the `sh lab` blocks run in one shell, in the test's directory, with
# `ferry` the lab's (its ssh config and a state directory of its own). The container stands in
# for Mastodon: the busybox service with a `systemctl` that records what it is asked (the
# hooks). Then: the name switched on both servers and its TTL back after finish, the client
# (following the name) lost nothing, both hooks ran where the guide says, the forwarding gone.
. "$(dirname "$0")/ns_lib.sh"
. "$(dirname "$0")/move_lib.sh"
"$TOP/lab/dns/up" >/dev/null 2>&1
. "$LAB_DIR/dns/env.sh"
forget_ferry_copies mastodon
cleanup "forget_ferry_copies mastodon"

port=18440
name=mastodon
zone=$FERRY_LAB_DNS_ZONE
fqdn=social.$zone
# The guide's example names -> the lab's, in this order (the hosts before their zone). The lab
# has no TLS: the health check is http on the service's port.
substitutions=(
  "https://social.example.org/health => http://social.${zone%.}:$port/health"
  "old.example.org => alpha"
  "new.example.org => beta"
  "192.0.2.10 => $ALPHA"
  "192.0.2.20 => $BETA"
  "ns1.example.org => $FERRY_LAB_DNS_PRIMARY"
  "ns2.example.org => $FERRY_LAB_DNS_SECONDARY"
  "/etc/ferry/tsig-example.org.key => $FERRY_LAB_TSIG_KEY_FILE"
  "example.org. => $zone"
  "ttl = 60 => ttl = 1"
)
localize() {
  local s text
  text=$(cat)
  for s in "${substitutions[@]}"; do text=${text//"${s%% => *}"/"${s#* => }"}; done
  printf '%s\n' "$text"
}

# The guide's lab blocks: files written, shell blocks collected into one script.
guide=$TOP/docs/mastodon.md
mkdir -p "$WORK/guide"
awk -v dir="$WORK/guide" '
  /^```[a-z]+ lab( file=[^ ]+)?$/ { inside = 1; n++; file = ""; if (match($0, /file=[^ ]+/)) file = substr($0, RSTART + 5, RLENGTH - 5);
                                     out = dir "/" sprintf("%02d", n) (file == "" ? ".sh" : "." file); next }
  /^```$/ && inside { inside = 0; close(out); next }
  inside { print > out }
' "$guide"
blocks=$(ls "$WORK/guide" | wc -l)
[ "$blocks" -ge 5 ] && ok "the guide has $blocks blocks tagged lab" || die "the guide has $blocks blocks tagged lab"
: >"$WORK/guide.sh"
for f in "$WORK/guide"/*; do
  case $f in
    *.sh) { echo "note 'guide block $(basename "$f"):'"; localize <"$f"; } >>"$WORK/guide.sh" ;;
    *) target=${f##*/[0-9][0-9].}; localize <"$f" >"$WORK/$target"; note "guide file $target:"; sed 's/^/#   /' "$WORK/$target" ;;
  esac
done
note "the guide's commands, localized:"; sed 's/^/#   /' "$WORK/guide.sh"

# The lab's stand-in for Mastodon, its name on both servers at the old address (TTL 2 s).
set_name() {
  printf 'server %s %s\nzone %s\nupdate delete %s A\nupdate add %s 2 A %s\nsend\n' "${FERRY_LAB_DNS_PRIMARY%:*}" \
    "${FERRY_LAB_DNS_PRIMARY##*:}" "$zone" "$fqdn" "$fqdn" "$1" | nsupdate -k "$FERRY_LAB_TSIG_KEY_FILE"
  "$TOP/lab/dns/secondary" sync >/dev/null 2>&1 || true
}
set_name "$ALPHA"
cleanup "printf 'server ${FERRY_LAB_DNS_PRIMARY%:*} ${FERRY_LAB_DNS_PRIMARY##*:}\nzone $zone\nupdate delete $fqdn A\nsend\n' | nsupdate -k '$FERRY_LAB_TSIG_KEY_FILE'"
answer() { dig +norec +time=1 +tries=2 @"${1%:*}" -p "${1##*:}" "$fqdn" A | awk -v n="$fqdn" '$1 == n && $4 == "A" { print $2, $5 }'; }
cleanup "'$LAB/workload' delete --manager lxd beta $name"
launch_workload lxd alpha $name --port $port
on alpha lxc exec $name -- sh -c 'mkdir -p /usr/local/bin && cat >/usr/local/bin/systemctl && chmod +x /usr/local/bin/systemctl' <<'SH'
#!/bin/sh
# The lab's stand-in: answers ferry's trial-boot check as systemd would, and records any other
# call in the container's own file system.
[ "$1" = is-system-running ] && { echo running; exit 0; }
echo "$*" >>/root/systemctl.log
SH
start_name_client "$fqdn" $port
sleep 1

# The guide, block by block; between `dns lower` and the move the old TTL (2 s) passes, as the
# guide says to wait for it.
sed -i 's/^\(ferry dns lower .*\)$/\1 \&\& guide_wait/' "$WORK/guide.sh"
sed -i 's/^\(ferry finish .*\)$/sleep 2 \&\& \1/' "$WORK/guide.sh"   # the lowered TTL (1 s) passes
# A shell of its own, as an admin's: errexit holds there (it would not in a subshell under `if`).
{
  printf 'set -euo pipefail\ncd %q\n' "$WORK"
  printf 'ferry() { %q "$@" --ssh-config %q --state-dir %q; }\n' "$FERRY" "$FERRY_LAB_SSH_CONFIG" "$STATE"
  echo 'note() { printf "# %s\n" "$*"; }'
  echo 'guide_wait() { sleep 3; }'
  cat "$WORK/guide.sh"
} >"$WORK/guide-run.sh"
t0=$EPOCHREALTIME
if bash "$WORK/guide-run.sh" >"$WORK/guide.out" 2>&1; then
  ok "every lab block of the guide ran ($(elapsed_since "$t0") s)"
else
  sed 's/^/#   /' "$WORK/guide.out"; die "a block of the guide failed"
fi
# What the admin saw, less the plan's command lines and ferry's step titles.
grep -vE '^ {6,}\[|^ferry: ' "$WORK/guide.out" | sed 's/^/#   /'


sleep 2
touch "$WORK/client-stop"
wait "$CLIENT_PID" || true
client=$(cat "$WORK/client.json")
note "client: $client"
expect_json "the client lost nothing" '.lost == 0 and .acknowledged > 0' "$client"
expect_json "the client followed the name to beta" ".final_target == \"$BETA:$port\"" "$client"
expect_eq "the name points at beta on the primary, its TTL back after finish" "2 $BETA" "$(answer "$FERRY_LAB_DNS_PRIMARY")"
expect_eq "and on the secondary" "2 $BETA" "$(answer "$FERRY_LAB_DNS_SECONDARY")"
expect_eq "it runs on beta" Running "$(instance_field beta lxd $name .status)"
expect_eq "stopped on alpha" Stopped "$(instance_field alpha lxd $name .status)"
log=$(on beta lxc exec $name -- cat /root/systemctl.log)
expect_eq "the hooks ran: Sidekiq stopped on alpha before the stop (its record came over), the check after the start" \
  "stop mastodon-sidekiq|is-active --quiet mastodon-web mastodon-streaming mastodon-sidekiq" "$(tr '\n' '|' <<<"$log" | sed 's/|$//')"
expect_eq "no forwarding left on alpha after finish" "" "$(on_sh alpha 'nft list tables' | grep -F "ferry_fwd_default/$name" || true)"
grep -q '  phase  *finished' "$WORK/guide.out" && ok "the guide's status block shows the finished move" ||
  fail "the guide's status block: $(grep -A12 'guide block' "$WORK/guide.out" | head -30)"
finish
