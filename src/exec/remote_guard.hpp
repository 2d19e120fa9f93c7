// Every command ferry runs on a remote host runs under a guard, so that nothing of ferry's goes
// on running there once ferry is gone or its time is up: the guard puts the command in a
// process group of its own and ends that group (TERM, then KILL 5 s later)
//  - at its deadline, enforced on the remote host itself (a cut link tells that host nothing),
//  - when ferry's end of the session goes away (stdin reaches EOF: ferry killed, its ssh
//    killed, or sshd noticing a dead link), for commands that take no input.
#pragma once

#include <chrono>
#include <string>
#include <vector>

namespace ferry::exec {

struct GuardSettings {
  std::chrono::seconds deadline{0};  // 0: none
  // The command's stdin is ferry's end of the session, held open and never written to while it
  // runs; false when the command reads its stdin (then the deadline alone bounds it).
  bool end_on_hangup = true;
};

// argv that runs `argv` under the guard (POSIX sh and GNU timeout on the remote host).
std::vector<std::string> guarded(const std::vector<std::string>& argv, const GuardSettings& settings);

}  // namespace ferry::exec
