#!/usr/bin/env bash
# labels: lab ns package
# timeout: 900
# ferry as an admin installs and runs it: the .deb of the binary under test (scripts/package
# --prebuilt) installed with `apt install ./ferry_*.deb` into a clean Debian 12 root
# (lab/images/debian) and every command below run from there with /usr/bin/ferry:
#   - the package: the binary, the man page, the completion, the docs; its Depends name the
#     libraries it links (shlibs) and openssh-client;
#   - bash completion through compgen: commands, options, hosts of the ssh config, an instance
#     name fetched from alpha;
#   - the seed copy of ~200 MB under --bwlimit in a real pseudo-terminal (script): an instance
#     with a custom volume (two streams at once: a block of two lines redrawn in place) and one
#     without, each line with bytes of the total, percent, rate and ETA; the same copy with
#     stderr not a terminal prints plain lines;
#   - `ferry status` after prepare (a table: phase, last step, rounds, serving, next) and after
#     the move (finished, the history table), with --json the same fields;
#   - the move itself (the client loses nothing).
. "$(dirname "$0")/ns_lib.sh"
. "$(dirname "$0")/move_lib.sh"
forget_ferry_copies t-pkg
cleanup "forget_ferry_copies t-pkg"

# The .deb of the binary under test: its build directory packaged (scripts/package --prebuilt;
# scripts/package without it compiles again with Debian's flags); $FERRY_DEB names another.
deb=${FERRY_DEB:-}
if [ -z "$deb" ]; then
  note "packaging the build in $(dirname "$FERRY") (scripts/package --prebuilt)"
  deb=$("$TOP/scripts/package" --prebuilt "$(dirname "$FERRY")" "$WORK/dist" 2>"$WORK/package.log") ||
    { tail -n 30 "$WORK/package.log"; die "scripts/package failed"; }
  grep '^lintian: [EW]: ' "$WORK/package.log" | sed 's/^/# /' || true
  ok "scripts/package: the package built, no lintian error"
fi
[ -f "$deb" ] || die "no package at '$deb'"
note "package: $deb"

# The clean root, and a way into it: /proc, /dev and the lab's ssh keys and config (same path).
ROOT=$WORK/root
mkdir -p "$ROOT"
tar -C "$ROOT" -xf "$("$LAB/images/debian/build")"
cp /etc/resolv.conf "$ROOT/etc/resolv.conf"
cp "$deb" "$ROOT/tmp/"
cat >"$WORK/in-root" <<'SH'
#!/bin/sh
# in-root ROOT LAB_DIR DEBS CMD...: CMD in ROOT, in a private mount namespace (its mounts end with it).
exec unshare --mount --propagation private sh -c '
  root=$1 lab=$2 debs=$3; shift 3
  mount -t proc proc "$root/proc" && mount --rbind /dev "$root/dev" &&
    mkdir -p "$root$lab" && mount --bind "$lab" "$root$lab" &&
    mount --bind "$debs" "$root/var/cache/apt/archives" || exit 1
  exec chroot "$root" "$@"' sh "$@"
SH
chmod +x "$WORK/in-root"
LAB_CACHE_DIR=${FERRY_LAB_CACHE:-/var/cache/ferry-lab}
mkdir -p "$LAB_CACHE_DIR/debs/postgres"
in_root() { "$WORK/in-root" "$ROOT" "$LAB_DIR" "$LAB_CACHE_DIR/debs/postgres" "$@"; }
t0=$EPOCHREALTIME
in_root env DEBIAN_FRONTEND=noninteractive sh -c "apt-get update -qq && apt-get install -y -qq --no-install-recommends /tmp/$(basename "$deb")" \
  >"$WORK/apt.log" 2>&1 || { tail -n 20 "$WORK/apt.log"; die "apt install of the package failed"; }
ok "apt install ./$(basename "$deb") into a clean Debian 12 root ($(elapsed_since "$t0") s)"

# 1. What the package holds and declares.
for f in /usr/bin/ferry /usr/share/man/man1/ferry.1.gz /usr/share/bash-completion/completions/ferry \
         /usr/share/doc/ferry/README.md.gz /usr/share/doc/ferry/mastodon.md.gz /usr/share/doc/ferry/copyright; do
  [ -e "$ROOT$f" ] && ok "installed: $f" || fail "not installed: $f (package: $(dpkg-deb -c "$deb" | awk '{print $6}' | tr '\n' ' '))"
done
depends=$(dpkg-deb -f "$deb" Depends)
note "Depends: $depends"
for lib in libcurl4 libldns3 libfmt9 libc6 libstdc++6 openssh-client; do
  [[ $depends == *"$lib"* ]] && ok "Depends names $lib" || fail "Depends lacks $lib: $depends"
done
expect_eq "the installed ferry runs" "ferry $(dpkg-deb -f "$deb" Version)" "$(in_root ferry --version | head -n1 | sed 's/ *$//')"

FERRY_IN_ROOT=(ferry --ssh-config "$FERRY_LAB_SSH_CONFIG" --state-dir /var/lib/ferry)
rferry() { in_root "${FERRY_IN_ROOT[@]::1}" "$@" "${FERRY_IN_ROOT[@]:1}"; }

# 2. The workloads: ~200 MB each, one with a custom volume (its two streams run at once).
launch_workload lxd alpha t-pkg-vol --volume t-pkg-data --port 18420
cleanup "'$LAB/workload' delete --manager lxd --volume t-pkg-data beta t-pkg-vol"
launch_workload lxd alpha t-pkg --port 18421
url_plain=$URL
cleanup "'$LAB/workload' delete --manager lxd beta t-pkg"
on alpha lxc exec t-pkg-vol -- sh -c 'dd if=/dev/urandom of=/root/blob bs=1M count=100 2>/dev/null && dd if=/dev/urandom of=/srv/data/blob bs=1M count=100 2>/dev/null && sync'
on alpha lxc exec t-pkg -- sh -c 'dd if=/dev/urandom of=/root/blob bs=1M count=200 2>/dev/null && sync'

# 3. Completion, from the installed file, in the clean root (its bash, its ssh).
complete_words() {  # WORD...: what completion offers for the last one
  in_root bash -c '. /usr/share/bash-completion/completions/ferry
    COMP_WORDS=("$@"); COMP_CWORD=$((${#COMP_WORDS[@]} - 1)); _ferry; printf "%s\n" "${COMPREPLY[@]}"' _ "$@"
}
expect_eq "completion: a command" prepare "$(complete_words ferry prep)"
expect_eq "completion: an option of move" --bwlimit "$(complete_words ferry move --bw)"
expect_eq "completion: a dns command" "switch" "$(complete_words ferry dns sw)"
expect_eq "completion: hosts of the ssh config for --to" "alpha beta" "$(complete_words ferry --ssh-config "$FERRY_LAB_SSH_CONFIG" move --to "" | sort | tr '\n' ' ' | sed 's/ $//')"
t0=$EPOCHREALTIME
names=$(complete_words ferry --ssh-config "$FERRY_LAB_SSH_CONFIG" move --from alpha t-pkg | tr '\n' ' ')
expect_eq "completion: the instance names on alpha starting with t-pkg, in one ssh call ($(elapsed_since "$t0") s for two)" "t-pkg t-pkg-vol " "$names"
expect_eq "completion: nothing from an unreachable host, within the timeout" "" "$(FERRY_COMPLETION_TIMEOUT=1 complete_words ferry move --from root@198.18.9.9 t-)"

# 4. The seed copies in a pseudo-terminal: the progress is redrawn in place.
in_pty "$WORK/vol.typescript" "$WORK/in-root" "$ROOT" "$LAB_DIR" "$LAB_CACHE_DIR/debs/postgres" \
  "${FERRY_IN_ROOT[@]}" prepare t-pkg-vol --from alpha --to beta --bwlimit 25M ||
  { tail -c 2000 "$WORK/vol.typescript" || true; die "prepare of t-pkg-vol in a terminal failed"; }
in_pty "$WORK/plain.typescript" "$WORK/in-root" "$ROOT" "$LAB_DIR" "$LAB_CACHE_DIR/debs/postgres" \
  "${FERRY_IN_ROOT[@]}" prepare t-pkg --from alpha --to beta --bwlimit 25M ||
  { tail -c 2000 "$WORK/plain.typescript" || true; die "prepare of t-pkg in a terminal failed"; }
expect_redrawn vol "$WORK/vol.typescript"
expect_redrawn plain "$WORK/plain.typescript"
expect_redrawn_block vol "$WORK/vol.typescript"
grep -aqE "100%  [0-9.]+ [KMG]?i?B/s  in [0-9hms]+" "$WORK/plain.typescript" && ok "plain: the final line says 100% and the time" ||
  fail "plain: no final line: $(tr '\r\033' '|~' <"$WORK/plain.typescript" | tail -c 800)"

# 5. status in the middle of the move (after prepare): a table, and the same in JSON.
rferry status t-pkg --from alpha --to beta >"$WORK/status.txt" 2>&1 || { cat "$WORK/status.txt"; die "status failed"; }
note "status after prepare:"; sed 's/^/#   /' "$WORK/status.txt"
for row in 'phase +prepared' 'last step +prepare\.' 'sync rounds +0' 'serving +alpha \(the source\)' 'next +ferry move t-pkg --from alpha --to beta'; do
  grep -qE "^  $row" "$WORK/status.txt" && ok "status after prepare: $row" || fail "status after prepare lacks /$row/"
done
status=$(rferry status t-pkg --from alpha --to beta --json)
expect_json "status --json after prepare: the same fields" \
  '.state == "prepared" and .serving == "source" and .sync_rounds == 0 and (.last_step.step | startswith("prepare.")) and .next.command == "ferry move t-pkg --from alpha --to beta"' "$status"

# 6. The same seed copy with stderr not a terminal: plain lines, no escapes.
rferry abort t-pkg --from alpha --to beta >"$WORK/abort.out" 2>&1 || { cat "$WORK/abort.out"; die "abort failed"; }
rferry prepare t-pkg --from alpha --to beta --bwlimit 25M >"$WORK/plain.out" 2>"$WORK/plain.err" || { cat "$WORK/plain.err"; die "prepare without a terminal failed"; }
expect_plain_progress "without a terminal" "$WORK/plain.err"

# 7. The move from the installed binary while the client writes, then status after it.
start_client "$url_plain"
sleep 1
rferry move t-pkg --from alpha --to beta --json >"$WORK/move.json" 2>"$WORK/move.err" || { cat "$WORK/move.err"; die "the move failed"; }
point_client "http://$BETA:18421"
stop_client
expect_json "the move from the installed ferry: lost 0" '.lost == 0 and .acknowledged > 5' "$CLIENT_REPORT"
expect_eq "it runs on beta" Running "$(instance_field beta lxd t-pkg .status)"
rferry status t-pkg --from alpha --to beta >"$WORK/status2.txt" 2>&1 || { cat "$WORK/status2.txt"; die "status failed"; }
note "status after the move:"; sed 's/^/#   /' "$WORK/status2.txt"
# Its history: the prepare given up with abort (step 6), then this move.
for row in '  phase +finished' '  serving +beta \(the target\)' '  downtime +[0-9.]+ s' '  #  from +to +state' '  1  alpha +beta +aborted' '  2  alpha +beta +finished'; do
  grep -qE "^$row" "$WORK/status2.txt" && ok "status after the move: $row" || fail "status after the move lacks /$row/"
done
status=$(rferry status t-pkg --from alpha --to beta --json)
expect_json "status --json after the move" '.state == "finished" and .serving == "target" and .serves_on == "beta" and (.history | length) == 2 and (.next.why | test("moves it back"))' "$status"
rferry abort t-pkg-vol --from alpha --to beta >/dev/null 2>&1 || true
finish
