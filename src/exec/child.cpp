#include "exec/child.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>

#include <cerrno>
#include <cstring>
#include <thread>

namespace ferry::exec {

namespace {

ExitStatus decode(int raw) {
  ExitStatus s;
  if (WIFEXITED(raw)) s.code = WEXITSTATUS(raw);
  else if (WIFSIGNALED(raw)) s.signal = WTERMSIG(raw);
  return s;
}

// In the forked child: put `stdio` on `target`. Only async-signal-safe calls.
void place(const Stdio& stdio, int pipe_end, int target, int devnull) {
  switch (stdio.kind) {
    case Stdio::null: ::dup2(devnull, target); break;
    case Stdio::pipe: ::dup2(pipe_end, target); break;
    case Stdio::fd: ::dup2(stdio.given_fd, target); break;
    case Stdio::inherit: break;
  }
}

}  // namespace

std::string ExitStatus::describe() const {
  if (signal) return std::string("killed by signal ") + ::strsignal(signal);
  return "exit code " + std::to_string(code);
}

Result<Child> Child::spawn(const SpawnSpec& spec) {
  if (spec.argv.empty()) return fail("internal error: empty command");
  int in_pipe[2] = {-1, -1}, out_pipe[2] = {-1, -1}, err_pipe[2] = {-1, -1};
  auto make = [](const Stdio& s, int (&p)[2]) { return s.kind != Stdio::pipe || ::pipe2(p, O_CLOEXEC) == 0; };
  if (!make(spec.in, in_pipe) || !make(spec.out, out_pipe) || !make(spec.err, err_pipe))
    return fail("cannot create a pipe", std::strerror(errno));
  Fd in_parent(in_pipe[1]), in_child(in_pipe[0]);
  Fd out_parent(out_pipe[0]), out_child(out_pipe[1]);
  Fd err_parent(err_pipe[0]), err_child(err_pipe[1]);
  Fd devnull(::open("/dev/null", O_RDWR | O_CLOEXEC));

  std::vector<char*> argv;
  for (const auto& a : spec.argv) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  // Exec failure is reported through a close-on-exec pipe: EOF means exec succeeded.
  int exec_pipe[2];
  if (::pipe2(exec_pipe, O_CLOEXEC) != 0) return fail("cannot create a pipe", std::strerror(errno));
  Fd exec_read(exec_pipe[0]), exec_write(exec_pipe[1]);

  const pid_t parent = ::getpid();
  // fork, not posix_spawn: the child must ask for PR_SET_PDEATHSIG so that a SIGKILLed ferry
  // takes its zfs send and ssh processes with it.
  pid_t pid = ::fork();
  if (pid < 0) return fail("cannot fork", std::strerror(errno));
  if (pid == 0) {
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) ::_exit(127);
    ::setpgid(0, 0);
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    ::signal(SIGPIPE, SIG_DFL);
    ::signal(SIGINT, SIG_DFL);
    ::signal(SIGTERM, SIG_DFL);
    place(spec.in, in_child.get(), 0, devnull.get());
    place(spec.out, out_child.get(), 1, devnull.get());
    place(spec.err, err_child.get(), 2, devnull.get());
    ::execvp(argv[0], argv.data());
    int e = errno;
    (void)!::write(exec_write.get(), &e, sizeof e);
    ::_exit(127);
  }
  ::setpgid(pid, pid);  // also from the parent: no race with an early signal_group
  exec_write.reset();
  Child child;
  child.pid_ = pid;
  child.in_ = std::move(in_parent);
  child.out_ = std::move(out_parent);
  child.err_ = std::move(err_parent);
  int child_errno = 0;
  ssize_t n;
  do n = ::read(exec_read.get(), &child_errno, sizeof child_errno);
  while (n < 0 && errno == EINTR);
  if (n > 0) {
    child.wait();
    return fail("cannot run '" + spec.argv[0] + "'", std::strerror(child_errno));
  }
  return child;
}

Child::Child(Child&& o) noexcept
    : pid_(std::exchange(o.pid_, -1)), status_(o.status_), in_(std::move(o.in_)), out_(std::move(o.out_)),
      err_(std::move(o.err_)) {}

Child& Child::operator=(Child&& o) noexcept {
  if (this != &o) {
    if (running()) terminate(0);
    pid_ = std::exchange(o.pid_, -1);
    status_ = o.status_;
    in_ = std::move(o.in_);
    out_ = std::move(o.out_);
    err_ = std::move(o.err_);
  }
  return *this;
}

Child::~Child() {
  if (running()) terminate(0);
}

std::optional<ExitStatus> Child::poll_exit() {
  if (status_ || pid_ <= 0) return status_;
  int raw = 0;
  pid_t r = ::waitpid(pid_, &raw, WNOHANG);
  if (r == pid_) status_ = decode(raw);
  return status_;
}

ExitStatus Child::wait() {
  if (status_ || pid_ <= 0) return status_.value_or(ExitStatus{});
  int raw = 0;
  pid_t r;
  do r = ::waitpid(pid_, &raw, 0);
  while (r < 0 && errno == EINTR);
  status_ = decode(raw);
  return *status_;
}

void Child::signal_group(int sig) {
  if (pid_ > 0 && !status_) ::kill(-pid_, sig);
}

ExitStatus Child::terminate(int grace_ms) {
  if (!running()) return status_.value_or(ExitStatus{});
  if (grace_ms > 0) {
    signal_group(SIGTERM);
    for (int waited = 0; waited < grace_ms; waited += 20) {
      if (poll_exit()) return *status_;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  }
  signal_group(SIGKILL);
  return wait();
}

}  // namespace ferry::exec
