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
    die "$manager: ferry prepare of $name failed: $(tail -5 "$WORK/prepare.err")"
}
