// Runs one command to completion: feeds stdin, collects stdout and stderr, enforces a timeout,
// and hands each stderr line to a callback while it runs (progress).
#pragma once

#include <chrono>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "exec/child.hpp"
#include "util/error.hpp"

namespace ferry::exec {

struct Completed;

struct RunOptions {
  std::string input;                                     // written to stdin, then closed
  std::chrono::milliseconds timeout{0};                  // 0: none
  std::function<void(std::string_view)> on_stderr_line;  // called per line as it arrives
  std::function<void(std::string_view)> on_stdout_line;
  bool stdin_from_pipe = false;                          // true: stdin is a pipe even when input is empty
  // Without input: stdin is a pipe held open, never written, until the child exits (a remote
  // guard reads the other end of the session to learn that ferry went away).
  bool hold_stdin = false;
  // Checked after each read: once true, pumping stops and the child is left running, its stdin
  // open and untouched (a child that says it is ready, then waits for its input).
  std::function<bool(const Completed&)> until;
};

struct Completed {
  ExitStatus status;
  std::string out;
  std::string err;
  bool timed_out = false;
  bool interrupted = false;
  double seconds = 0;
};

// Result is an Error only when the command could not be started; check status yourself.
Result<Completed> run_command(const std::vector<std::string>& argv, const RunOptions& options = {});

// Pumps the child's pipes until it exits (or until options.until: then result.status is not
// set). Used by run_command and by pipelines.
void pump_until_exit(Child& child, const RunOptions& options, Completed& result);

// The last lines of a command's stderr, for error messages.
std::string tail_lines(std::string_view text, int lines = 8);

}  // namespace ferry::exec
