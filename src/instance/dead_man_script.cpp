#include "instance/dead_man_script.hpp"

namespace ferry::instance {

namespace {

// $1 action, $2 directory, then: arm SECONDS CLIENT NAME PROJECT. Prints the state it leaves.
// The watcher polls its deadline file each second, so that a rerun can move the deadline; it
// runs in a session of its own (the remote guard of the arming command does not end it).
constexpr const char* dead_man_script = R"SH(a=$1 dir=$2; shift 2
lock() { mkdir -p "$dir" && exec 9>>"$dir/lock" && flock -w 30 9; }
case $a in
arm)
  secs=$1 client=$2 name=$3 project=$4
  lock || exit 1
  if [ -e "$dir/fired" ]; then echo fired; exit 0; fi
  rm -f "$dir/disarmed"
  echo $(( $(date +%s) + secs )) >"$dir/deadline.new" && mv "$dir/deadline.new" "$dir/deadline" || exit 1
  if [ -s "$dir/pid" ] && kill -0 "$(cat "$dir/pid")" 2>/dev/null; then echo armed; exit 0; fi
  m() { if [ "$project" = default ]; then timeout 120 "$client" "$@"; else timeout 120 "$client" "$@" --project "$project"; fi; }
  [ -e "$dir/autostart" ] || m config get "$name" boot.autostart >"$dir/autostart" || exit 1
  cat >"$dir/watch" <<'WATCH'
dir=$1 client=$2 name=$3 project=$4
m() { if [ "$project" = default ]; then timeout 120 "$client" "$@"; else timeout 120 "$client" "$@" --project "$project"; fi; }
echo $$ >"$dir/pid"
while :; do
  if [ -e "$dir/disarmed" ]; then rm -rf "$dir"; exit 0; fi
  [ "$(date +%s)" -ge "$(cat "$dir/deadline" 2>/dev/null || echo 0)" ] && break
  sleep 1
done
exec 9>>"$dir/lock"; flock 9
if [ -e "$dir/disarmed" ] || [ -e "$dir/target-start-requested" ]; then exit 0; fi
auto=$(cat "$dir/autostart")
if [ -n "$auto" ]; then m config set "$name" boot.autostart "$auto"; else m config unset "$name" boot.autostart; fi
m start "$name" >"$dir/start.log" 2>&1
echo "$(date +%s) start exit $?" >"$dir/fired"
WATCH
  rm -f "$dir/pid"
  setsid sh "$dir/watch" "$dir" "$client" "$name" "$project" </dev/null >/dev/null 2>&1 9>&- &
  # Armed once it runs in a session of its own (until then, the end of this command's session
  # would end it too).
  i=0; while [ ! -s "$dir/pid" ]; do [ $i -lt 100 ] || exit 1; sleep 0.05; i=$((i+1)); done
  echo armed ;;
request-start)
  lock || exit 1
  if [ -e "$dir/fired" ]; then echo fired; exit 0; fi
  touch "$dir/target-start-requested" && echo armed ;;
disarm)
  [ -d "$dir" ] || { echo none; exit 0; }
  lock || exit 1
  touch "$dir/disarmed"
  if [ -e "$dir/fired" ]; then state=fired; else state=armed; fi
  [ -s "$dir/pid" ] && kill -TERM -"$(cat "$dir/pid")" 2>/dev/null
  rm -rf "$dir"  # a watcher that has not written its pid yet finds no directory and ends
  echo $state ;;
state)
  if [ -e "$dir/fired" ]; then echo fired; elif [ -d "$dir" ] && [ ! -e "$dir/disarmed" ]; then echo armed; else echo none; fi ;;
esac)SH";

}  // namespace

std::vector<std::string> dead_man_argv(const std::string& action, const std::string& dir, const std::vector<std::string>& args) {
  std::vector<std::string> argv = {"sh", "-c", dead_man_script, "ferry-dead-man", action, dir};
  argv.insert(argv.end(), args.begin(), args.end());
  return argv;
}

}  // namespace ferry::instance
