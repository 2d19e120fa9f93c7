#include "exec/run.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>

#include <cerrno>

#include "exec/interrupt.hpp"

namespace ferry::exec {

namespace {

using Clock = std::chrono::steady_clock;

// Splits appended bytes into lines for a callback, keeping the unfinished tail.
void feed_lines(std::string& pending, std::string_view chunk, const std::function<void(std::string_view)>& cb) {
  if (!cb) return;
  pending.append(chunk);
  size_t start = 0;
  for (size_t i = 0; i < pending.size(); ++i) {
    if (pending[i] == '\n' || pending[i] == '\r') {
      if (i > start) cb(std::string_view(pending).substr(start, i - start));
      start = i + 1;
    }
  }
  pending.erase(0, start);
}

}  // namespace

void pump_until_exit(Child& child, const RunOptions& options, Completed& result) {
  const auto started = Clock::now();
  size_t written = 0;
  if (child.in().valid()) ::fcntl(child.in().get(), F_SETFL, O_NONBLOCK);
  // Waiting for a sign, or holding stdin for a guard: stdin stays as it is.
  const bool feeding = !options.until && !(options.hold_stdin && options.input.empty());
  if (feeding && child.in().valid() && options.input.empty() && !options.stdin_from_pipe) child.in().reset();
  std::string out_pending, err_pending;
  bool killed = false;
  // Its own timeout, or the deadline in force (the outage's, a rollback's), whichever comes first.
  auto limit_passed = [&] {
    return (options.timeout.count() > 0 && Clock::now() - started > options.timeout) || deadline_passed();
  };
  while (child.out().valid() || child.err().valid() || (feeding && child.in().valid())) {
    pollfd fds[3];
    int n = 0;
    int out_i = -1, err_i = -1, in_i = -1;
    if (child.out().valid()) { out_i = n; fds[n++] = {child.out().get(), POLLIN, 0}; }
    if (child.err().valid()) { err_i = n; fds[n++] = {child.err().get(), POLLIN, 0}; }
    if (feeding && child.in().valid()) { in_i = n; fds[n++] = {child.in().get(), POLLOUT, 0}; }
    int r = ::poll(fds, n, 100);
    if (r < 0 && errno != EINTR) break;
    if (!killed && interrupted()) {
      result.interrupted = true;
      child.signal_group(SIGTERM);
      killed = true;
    }
    report_status_if_asked();
    if (!killed && limit_passed()) {
      result.timed_out = true;
      child.signal_group(SIGKILL);
      killed = true;
    }
    if (r <= 0) continue;
    char buf[65536];
    auto drain = [&](int idx, Fd& fd, std::string& sink, std::string& pending,
                     const std::function<void(std::string_view)>& cb) {
      if (idx < 0 || !(fds[idx].revents & (POLLIN | POLLHUP | POLLERR))) return;
      ssize_t got = ::read(fd.get(), buf, sizeof buf);
      if (got > 0) {
        sink.append(buf, got);
        feed_lines(pending, std::string_view(buf, got), cb);
      } else if (got == 0 || (errno != EINTR && errno != EAGAIN)) {
        fd.reset();
      }
    };
    drain(out_i, child.out(), result.out, out_pending, options.on_stdout_line);
    drain(err_i, child.err(), result.err, err_pending, options.on_stderr_line);
    if (!killed && options.until && options.until(result)) {
      result.seconds = std::chrono::duration<double>(Clock::now() - started).count();
      return;
    }
    if (in_i >= 0 && (fds[in_i].revents & (POLLOUT | POLLERR | POLLHUP))) {
      ssize_t put = ::write(child.in().get(), options.input.data() + written, options.input.size() - written);
      if (put > 0) written += put;
      if (put < 0 && errno != EAGAIN && errno != EINTR) child.in().reset();
      if (written >= options.input.size()) child.in().reset();
    }
  }
  if (!out_pending.empty() && options.on_stdout_line) options.on_stdout_line(out_pending);
  if (!err_pending.empty() && options.on_stderr_line) options.on_stderr_line(err_pending);
  // Pipes closed; the child may still run (it closed them itself). Wait, honouring limits.
  while (!child.poll_exit()) {
    report_status_if_asked();
    if (interrupted() || limit_passed()) {
      result.interrupted = result.interrupted || interrupted();
      result.timed_out = !result.interrupted;
      child.terminate(1000);
      break;
    }
    ::poll(nullptr, 0, 20);
  }
  result.status = child.wait();
  result.seconds = std::chrono::duration<double>(Clock::now() - started).count();
}

Result<Completed> run_command(const std::vector<std::string>& argv, const RunOptions& options) {
  SpawnSpec spec;
  spec.argv = argv;
  spec.in = (options.input.empty() && !options.stdin_from_pipe && !options.hold_stdin) ? Stdio{} : Stdio::make_pipe();
  auto child = Child::spawn(spec);
  if (!child) return Unexpected{child.error()};
  Completed result;
  pump_until_exit(*child, options, result);
  return result;
}

std::string tail_lines(std::string_view text, int lines) {
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.remove_suffix(1);
  size_t pos = text.size();
  for (int i = 0; i < lines && pos != std::string_view::npos && pos > 0; ++i) pos = text.rfind('\n', pos - 1);
  std::string_view tail = (pos == std::string_view::npos || pos == 0) ? text : text.substr(pos + 1);
  if (text.size() > 4000 && tail.size() > 4000) tail = tail.substr(tail.size() - 4000);
  return std::string(tail);
}

}  // namespace ferry::exec
