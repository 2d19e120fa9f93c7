// Child processes: spawned in their own process group, killed with ferry (PR_SET_PDEATHSIG),
// and killed and reaped by the destructor if nobody waited for them.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>
#include <vector>

#include "util/error.hpp"
#include "util/fd.hpp"

namespace ferry::exec {

// Where a child's standard stream comes from or goes to.
struct Stdio {
  enum Kind { null, pipe, inherit, fd } kind = null;
  int given_fd = -1;  // for Kind::fd: dup2'ed into place; the caller keeps ownership
  static Stdio make_pipe() { return {pipe, -1}; }
  static Stdio from_fd(int f) { return {fd, f}; }
  static Stdio inherited() { return {inherit, -1}; }
};

struct SpawnSpec {
  std::vector<std::string> argv;
  Stdio in = {};
  Stdio out = Stdio::make_pipe();
  Stdio err = Stdio::make_pipe();
};

struct ExitStatus {
  int code = -1;    // exit code if it exited
  int signal = 0;   // terminating signal, 0 if it exited
  bool ok() const { return signal == 0 && code == 0; }
  std::string describe() const;
};

class Child {
 public:
  static Result<Child> spawn(const SpawnSpec& spec);

  Child(Child&& other) noexcept;
  Child& operator=(Child&& other) noexcept;
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;
  ~Child();

  pid_t pid() const { return pid_; }
  bool running() const { return pid_ > 0 && !status_; }
  Fd& in() { return in_; }
  Fd& out() { return out_; }
  Fd& err() { return err_; }

  // Non-blocking check; returns the status once the child has exited.
  std::optional<ExitStatus> poll_exit();
  ExitStatus wait();
  // Signals the whole process group (the child and what it started).
  void signal_group(int sig);
  // SIGTERM, a grace period, then SIGKILL; reaps.
  ExitStatus terminate(int grace_ms = 2000);

 private:
  Child() = default;
  pid_t pid_ = -1;
  std::optional<ExitStatus> status_;
  Fd in_, out_, err_;
};

}  // namespace ferry::exec
