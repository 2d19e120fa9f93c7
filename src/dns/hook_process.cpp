#include "dns/hook_process.hpp"

#include "exec/interrupt.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>

#include <fmt/format.h>

#include "util/fd.hpp"

extern char** environ;

namespace ferry::dns {

namespace {

struct Pipe {
  Fd read, write;
};

Result<Pipe> make_pipe() {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) return fail(make_error("cannot create a pipe", std::strerror(errno)));
  return Pipe{Fd(fds[0]), Fd(fds[1])};
}

}  // namespace

std::string tail_of(const std::string& text, std::size_t max_chars) {
  std::string t = text;
  while (!t.empty() && (t.back() == '\n' || t.back() == ' ')) t.pop_back();
  if (t.size() <= max_chars) return t;
  auto cut = t.find('\n', t.size() - max_chars);
  return "..." + t.substr(cut == std::string::npos ? t.size() - max_chars : cut);
}

Result<HookResult> run_hook(const std::vector<std::string>& argv, const std::string& input, double timeout_seconds) {
  if (argv.empty()) return fail(make_error("no program to run"));
  auto in = make_pipe(), out = make_pipe(), err = make_pipe();
  if (!in) return fail(in.error());
  if (!out) return fail(out.error());
  if (!err) return fail(err.error());

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, in->read.get(), 0);
  posix_spawn_file_actions_adddup2(&actions, out->write.get(), 1);
  posix_spawn_file_actions_adddup2(&actions, err->write.get(), 2);
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
  posix_spawnattr_setpgroup(&attr, 0);
  sigset_t none, all;
  sigemptyset(&none);
  sigfillset(&all);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setsigdefault(&attr, &all);

  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t pid = -1;
  int rc = argv[0].find('/') != std::string::npos
               ? posix_spawn(&pid, args[0], &actions, &attr, args.data(), environ)
               : posix_spawnp(&pid, args[0], &actions, &attr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  if (rc != 0)
    return fail(make_error(fmt::format("cannot run {}", argv[0]), std::strerror(rc))
                    .with_hint("check dns.command: the program must exist and be executable"));
  in->read.reset();
  out->write.reset();
  err->write.reset();
  ::fcntl(in->write.get(), F_SETFL, O_NONBLOCK);

  using Clock = std::chrono::steady_clock;
  const auto deadline = Clock::now() + std::chrono::duration_cast<Clock::duration>(
                                           std::chrono::duration<double>(timeout_seconds));
  HookResult result;
  std::size_t written = 0;
  if (input.empty()) in->write.reset();
  char buffer[4096];
  while (out->read.valid() || err->read.valid()) {
    std::vector<pollfd> fds;
    if (in->write.valid()) fds.push_back({in->write.get(), POLLOUT, 0});
    if (out->read.valid()) fds.push_back({out->read.get(), POLLIN, 0});
    if (err->read.valid()) fds.push_back({err->read.get(), POLLIN, 0});
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
    if (left <= 0) {
      result.timed_out = true;
      break;
    }
    if (exec::should_stop_waiting()) {
      result.interrupted = true;
      break;
    }
    int n = ::poll(fds.data(), fds.size(), static_cast<int>(std::min<long long>(left, 100)));
    if (n < 0 && errno == EINTR) continue;
    for (const auto& p : fds) {
      if (!p.revents) continue;
      if (in->write.valid() && p.fd == in->write.get()) {
        ssize_t w = ::write(p.fd, input.data() + written, input.size() - written);
        if (w > 0) written += static_cast<std::size_t>(w);
        if (w < 0 && errno != EAGAIN && errno != EINTR) in->write.reset();  // the program closed stdin
        if (written == input.size()) in->write.reset();
        continue;
      }
      ssize_t r = ::read(p.fd, buffer, sizeof buffer);
      if (r > 0) {
        (p.fd == out->read.get() ? result.out : result.err).append(buffer, static_cast<std::size_t>(r));
      } else if (r == 0 || (errno != EAGAIN && errno != EINTR)) {
        (p.fd == out->read.get() ? out->read : err->read).reset();
      }
    }
  }
  in->write.reset();
  // The program may close its output and keep running: wait for it up to the same deadline.
  int status = 0;
  bool killed = false;
  while (true) {
    if ((result.timed_out || result.interrupted) && !killed) {
      ::kill(-pid, SIGKILL);
      killed = true;
    }
    pid_t w = ::waitpid(pid, &status, killed ? 0 : WNOHANG);
    if (w == pid) break;
    if (w < 0 && errno != EINTR) break;
    if (w == 0) {
      if (exec::should_stop_waiting()) {
        result.interrupted = true;
      } else if (Clock::now() >= deadline) {
        result.timed_out = true;
      } else {
        ::usleep(10000);
      }
    }
  }
  if (WIFEXITED(status)) result.exit_code = WEXITSTATUS(status);
  if (WIFSIGNALED(status)) result.signal = WTERMSIG(status);
  return result;
}

}  // namespace ferry::dns
