// Runs a user's program for the exec provider: an argv (no shell), input on stdin, stdout and
// stderr collected, killed with its process group if it outlives the timeout.
#pragma once

#include <string>
#include <vector>

#include "util/error.hpp"

namespace ferry::dns {

struct HookResult {
  int exit_code = -1;  // -1 if killed by a signal
  int signal = 0;
  bool timed_out = false;
  bool interrupted = false;  // a signal or the outage's deadline stopped it (exec/interrupt.hpp)
  std::string out;
  std::string err;
};

// Fails only if the program cannot be started; its exit status is in the result.
Result<HookResult> run_hook(const std::vector<std::string>& argv, const std::string& input, double timeout_seconds);

// The last lines of a program's output, at most `max_chars`, for error messages.
std::string tail_of(const std::string& text, std::size_t max_chars = 2000);

}  // namespace ferry::dns
