# Shared by the move tests: runs the real ferry binary against the lab's hosts, with its own
# state directory, and the lab client beside it. Source after ns_lib.sh (or zfs_lib.sh).
FERRY=${FERRY_BIN:-$TOP/build/ferry}
STATE=$WORK/state
mkdir -p "$STATE"

# ferry ARGS...: ferry as an operator on this machine runs it, with the lab's ssh config.
ferry() { "$FERRY" "$@" --ssh-config "$FERRY_LAB_SSH_CONFIG" --state-dir "$STATE"; }

manager_cli() { [ "$1" = lxd ] && echo lxc || echo incus; }

# start_client URL: the lab client in the background, pointed through a URL file the test
# switches after the move (as DNS would). stop_client prints its JSON report.
start_client() {
  CLIENT_URL_FILE=$WORK/client-url
  echo "$1" >"$CLIENT_URL_FILE"
  rm -f "$WORK/client-stop"
  # shellcheck disable=SC2086  # CLIENT_OPTIONS: extra options from the tier's lib (word-split)
  "$LAB/client" --verbose --timeout 2 ${CLIENT_OPTIONS:-} --url-file "$CLIENT_URL_FILE" --stop-file "$WORK/client-stop" >"$WORK/client.json" 2>"$WORK/client.err" &
  CLIENT_PID=$!
  cleanup "kill $CLIENT_PID 2>/dev/null || true"
}
point_client() { echo "$1" >"$CLIENT_URL_FILE"; }
# start_name_client FQDN PORT: the lab client following a DNS name, asked of the lab's primary
# as a moved service's clients ask their resolver; stop_client ends it.
start_name_client() {
  CLIENT_URL_FILE=
  rm -f "$WORK/client-stop"
  "$LAB/client" --timeout 2 --name "$1" --dns-server "$FERRY_LAB_DNS_PRIMARY" --port "$2" \
    --stop-file "$WORK/client-stop" >"$WORK/client.json" 2>"$WORK/client.err" &
  CLIENT_PID=$!
  cleanup "kill $CLIENT_PID 2>/dev/null || true"
}
# stop_client: stops the client and sets CLIENT_REPORT (not in $(...): wait needs this shell).
stop_client() {
  sleep 2
  touch "$WORK/client-stop"
  wait "$CLIENT_PID" || true
  CLIENT_REPORT=$(cat "$WORK/client.json")
  [ -n "$CLIENT_REPORT" ] || { fail "the client printed no report: $(tail -3 "$WORK/client.err")"; CLIENT_REPORT='{}'; }
}

# take_snapshot HOST MANAGER INSTANCE SNAPSHOT
take_snapshot() {
  if [ "$2" = lxd ]; then on "$1" lxc snapshot "$3" "$4"; else on "$1" incus snapshot create "$3" "$4"; fi
}

# restart_daemon HOST MANAGER: kill the manager's daemon (instances keep running) and start it
# again, as an upgrade or a crash would; on start it starts what it thinks should run.
restart_daemon() {
  local host=$1 manager=$2 t0=$EPOCHREALTIME
  trap 'note "restarted $manager on $host in $(elapsed_since $t0) s"; trap - RETURN' RETURN
  if [ "${FERRY_LAB_TIER:-ns}" = zfs ]; then  # the VMs run their daemons under systemd
    local unit=$([ "$manager" = lxd ] && echo lxd || echo incus) daemon=$([ "$manager" = lxd ] && echo lxd || echo incusd)
    on_sh "$host" "pkill -9 -x $daemon; sleep 1; systemctl reset-failed $unit; systemctl start $unit; $([ "$manager" = lxd ] && echo lxd waitready || echo incus admin waitready) --timeout 120"
  elif [ "$manager" = lxd ]; then
    on_sh "$host" 'pkill -9 -x lxd; sleep 0.5; setsid lxd --group root --logfile /var/log/lxd/lxd.log </dev/null >/var/log/lxd/daemon.out 2>&1 & lxd waitready --timeout 60'
  else
    on_sh "$host" 'pkill -9 -x incusd; sleep 0.5; setsid /usr/libexec/incus/incusd --group root --logfile /var/log/incus/incusd.log </dev/null >/var/log/incus/daemon.out 2>&1 & incus admin waitready --timeout 60'
  fi
}

# instance_field HOST MANAGER NAME JQ: a field of the instance as the manager reports it.
instance_field() {
  on "$1" "$(manager_cli "$2")" query "/1.0/instances/$3" | jq -r "$4"
}

# no_ferry_children: nothing ferry started survives it (ssh masters, streams), here or on the hosts.
no_ferry_children() {
  local left
  # Only this lab's (other ferry runs may use another tier of the lab meanwhile).
  left=$(pgrep -af 'ferry-ssh-|ferry-pipestatus' | grep -F -- "$FERRY_LAB_SSH_CONFIG" | grep -v pgrep || true)
  [ -z "$left" ] || { fail "ferry's children outlived it: $left"; return; }
  for h in alpha beta; do
    left=$(on_sh "$h" "pgrep -af 'btrfs send|btrfs receive|zfs send|zfs recv|ferry-pipestatus' | grep -v pgrep" || true)
    [ -z "$left" ] || { fail "ferry's processes left on $h: $left"; return; }
  done
  ok "no process of ferry's is left"
}

# host_state HOST PREFIX: what preflight must not change: the configs of the instances named
# PREFIX*, their volumes, every subvolume or dataset of theirs or of ferry's, and holds.
# (Other tests may use the lab at the same time: only what this test owns is compared.)
host_state() {
  local h=$1 p=$2
  on_sh "$h" "for c in lxc incus; do \$c query '/1.0/instances?recursion=1' | jq -S '[.[] | select(.name | startswith(\"$p\")) | {name, config, devices, profiles, status}]'; \$c storage volume list default --format csv | grep '$p' || true; done;
    for d in /var/lib/lxd/storage-pools/default /var/lib/incus/storage-pools/default; do btrfs subvolume list -o \"\$d\" 2>/dev/null | awk '{print \$NF}' | grep -E '$p|ferry' | sort; done;
    zfs list -H -t all -o name,guid,userrefs 2>/dev/null | grep -E '$p|ferry'; true"
}

# forget_ferry_copies NAME...: removes what ferry kept of these instances on both hosts (the last
# common snapshot it keeps for a move back), so that a test starts and ends clean.
forget_ferry_copies() {
  local h n
  for h in alpha beta; do
    for n in "$@"; do
      on_sh "$h" "for d in /var/lib/lxd/storage-pools/default/.ferry /var/lib/incus/storage-pools/default/.ferry; do
        for s in \$d/*/*$n*/*; do [ -e \"\$s\" ] && btrfs subvolume delete \"\$s\" >/dev/null; done; rm -rf \$d/*/*$n*; done; true"
    done
  done
}

# start_writer HOST MANAGER NAME BYTES [WRITES]: a steady write load inside the instance: BYTES of
# random data appended to /root/load every 0.1 s; the file starts over after WRITES writes (600:
# about a minute, which bounds what a copy round can find changed). An exec session kept open from
# here (busybox has no nohup); it ends when the instance stops, or with stop_writer.
start_writer() {
  on "$1" "$(manager_cli "$2")" exec "$3" -- sh -c "rm -f /root/stop-load; i=0; while [ ! -e /root/stop-load ]; do head -c $4 /dev/urandom >>/root/load; i=\$((i + 1)); [ \$i -lt ${5:-600} ] || { : >/root/load; i=0; }; sleep 0.1; done" >/dev/null 2>&1 &
  cleanup "kill $! 2>/dev/null || true"
  local end=$((SECONDS + 20))
  until [ "$(load_bytes "$1" "$2" "$3")" -gt 0 ]; do  # under way before the caller measures
    [ $SECONDS -lt $end ] || die "the write load in $3 did not start"
    sleep 0.2
  done
}

# load_bytes HOST MANAGER NAME: the size of the write load's file (0 before its first write).
load_bytes() { on "$1" "$(manager_cli "$2")" exec "$3" -- sh -c 'wc -c 2>/dev/null </root/load || echo 0'; }

# stop_writer HOST MANAGER NAME
stop_writer() { on "$1" "$(manager_cli "$2")" exec "$3" -- touch /root/stop-load; }

# answers_within URL SECONDS: true once URL answers 200.
answers_within() {
  local end=$((SECONDS + $2))
  until curl -sf -m 1 -o /dev/null "$1"; do
    [ $SECONDS -lt $end ] || return 1
    sleep 0.05
  done
}

# measure_stop_start HOST MANAGER NAME URL: stops and starts the instance as its manager does,
# timing each (the start until URL answers); sets STOP_S and START_S.
measure_stop_start() {
  local cli t0
  cli=$(manager_cli "$2")
  t0=$EPOCHREALTIME
  on "$1" "$cli" stop "$3"
  STOP_S=$(elapsed_since "$t0")
  t0=$EPOCHREALTIME
  on "$1" "$cli" start "$3"
  answers_within "$4" 60 || die "$3 did not answer at $4 after its start"
  START_S=$(elapsed_since "$t0")
}

# prepared_workload MANAGER NAME PORT: the busybox service on alpha, nothing of an earlier run
# left, and `ferry prepare` done for a move to beta (the fault tests' starting point; both
# copies are deleted at exit). Not in $(...): the cleanup hooks must reach this shell.
prepared_workload() {
  local manager=$1 name=$2 port=$3
  forget_ferry_copies "$name"
  cleanup "forget_ferry_copies $name"
  launch_workload "$manager" alpha "$name" --port "$port"
  cleanup "'$LAB/workload' delete --manager $manager beta $name"
  ferry prepare "$name" --from alpha --to beta --json >"$WORK/prepare.json" 2>"$WORK/prepare.err" ||
    die "$manager: ferry prepare of $name failed: $(jq -c '.error' "$WORK/prepare.json" 2>/dev/null) $(tail -5 "$WORK/prepare.err")"
}

# The progress a person sees, as a screen or a log holds it: bytes of the total, a bar, percent,
# rate and ETA.
PROGRESS_RE='[0-9.]+ [KMG]iB of [0-9.]+ [KMG]iB \[[#.]{20}\] +[0-9]+%  [0-9.]+ [KMG]?i?B/s  ETA [0-9hms]+'

# in_pty TYPESCRIPT CMD...: CMD with a pseudo-terminal as its stdin, stdout and stderr (script);
# what it wrote is kept in TYPESCRIPT. CMD replaces script's shell: script's child is CMD.
in_pty() {
  local out=$1
  shift
  script -qfec "exec $(printf '%q ' "$@")" "$out" >/dev/null </dev/null
}

# expect_redrawn LABEL TYPESCRIPT: the progress was redrawn in place (each redraw clears the line
# it writes, "\033[K") at least 5 times, with the figures.
expect_redrawn() {
  local redraws
  redraws=$(grep -aoE $'\033\\[K[^[:cntrl:]]*'"$PROGRESS_RE" "$2" | wc -l || true)
  [ "$redraws" -ge 5 ] && ok "$1: the progress redrawn in place $redraws times with bytes of the total, percent, rate, ETA" ||
    fail "$1: $redraws redraws with the figures; the screen: $(tr '\r\033' '|~' <"$2" | tail -c 1500)"
}

# expect_redrawn_block LABEL TYPESCRIPT: two streams at once, redrawn as a block of two lines (the
# cursor moved up one line, "\033[1A"), a line for each volume.
expect_redrawn_block() {
  local ups both
  ups=$(grep -ac $'\033\\[1A' "$2" || true)
  [ "$ups" -ge 3 ] && ok "$1: two streams at once, redrawn as a block of two lines ($ups cursor-ups)" ||
    fail "$1: no block of two lines redrawn ($ups cursor-ups): $(tr '\r\033' '|~' <"$2" | tail -c 1500)"
  both=$(tr '\r' '\n' <"$2" | sed -E $'s/\033\\[[0-9]*[A-Z]//g' | { grep -aE "$PROGRESS_RE" || true; } | awk '{print $1}' | sort -u | tr '\n' ' ')
  [ "$(wc -w <<<"$both")" -ge 2 ] && ok "$1: a line for each volume ($both)" || fail "$1: one line only ($both)"
}

# expect_plain_progress LABEL FILE: stderr that was not a terminal: no escapes, no carriage
# returns, at least two plain progress lines.
expect_plain_progress() {
  local lines
  if grep -q $'[\r\033]' "$2"; then fail "$1: escapes or carriage returns in stderr"; else ok "$1: no escapes, no carriage returns"; fi
  lines=$(grep -cE "$PROGRESS_RE|100%" "$2" || true)
  [ "$lines" -ge 2 ] && ok "$1: $lines plain progress lines" || fail "$1: $lines progress lines: $(tail -c 1500 "$2")"
}
