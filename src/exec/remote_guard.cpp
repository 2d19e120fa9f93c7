#include "exec/remote_guard.hpp"

namespace ferry::exec {

namespace {

// $1 deadline (s), $2 whether to end on hangup, then the command. `timeout` makes itself the
// leader of a new process group and signals that group; the watcher reads the session's stdin
// (fd 3) and, at EOF, ends the group if it still exists. The watcher's output goes nowhere, so
// that sshd ends the session as soon as the command exits.
constexpr const char* guard_script = R"(d=$1 w=$2; shift 2
if [ "$w" = 0 ]; then exec timeout -k 5 "$d" "$@"; fi
exec 3<&0 </dev/null
timeout -k 5 "$d" "$@" 3<&- &
c=$!
{ cat <&3; kill -TERM -"$c" || exit 0; i=0
  while [ $i -lt 25 ] && kill -0 -"$c"; do sleep 0.2; i=$((i+1)); done; kill -KILL -"$c"
} >/dev/null 2>&1 &
exec 3<&-
wait "$c")";

}  // namespace

std::vector<std::string> guarded(const std::vector<std::string>& argv, const GuardSettings& settings) {
  std::vector<std::string> out = {"sh", "-c", guard_script, "ferry-guard", std::to_string(settings.deadline.count()),
                                  settings.end_on_hangup ? "1" : "0"};
  out.insert(out.end(), argv.begin(), argv.end());
  return out;
}

}  // namespace ferry::exec
