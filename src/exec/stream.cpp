#include "exec/stream.hpp"

#include <poll.h>
#include <signal.h>

#include <chrono>
#include <memory>
#include <sstream>

#include "exec/interrupt.hpp"
#include "exec/remote_guard.hpp"
#include "exec/shell_quote.hpp"
#include "exec/ssh_argv.hpp"

namespace ferry::exec {

namespace {

constexpr std::string_view kStatusMarker = "ferry-pipestatus";

// Removes the (last) line that holds `marker` from what a remote script printed.
void erase_line_with(std::string& text, std::string_view marker) {
  auto at = text.rfind(marker);
  if (at == std::string::npos) return;
  auto previous_end = text.rfind('\n', at);
  auto start = previous_end == std::string::npos ? 0 : previous_end + 1;
  auto end = text.find('\n', at);
  text.erase(start, end == std::string::npos ? std::string::npos : end + 1 - start);
}

std::string pipeline_text(const std::vector<std::vector<std::string>>& stages) {
  std::string text;
  for (auto& s : stages) text += (text.empty() ? "" : " | ") + shell_join(s);
  return text;
}

// Local source: ferry spawns every stage itself, so each one dies with ferry (PDEATHSIG).
Result<StreamResult> run_local(const std::vector<std::vector<std::string>>& stages, const StreamSpec& spec) {
  StreamResult result;
  const auto started = std::chrono::steady_clock::now();
  std::vector<Child> children;
  Fd previous_out;
  for (size_t i = 0; i < stages.size(); ++i) {
    SpawnSpec s;
    s.argv = stages[i];
    s.in = previous_out.valid() ? Stdio::from_fd(previous_out.get()) : Stdio{};
    s.out = i + 1 < stages.size() ? Stdio::make_pipe() : Stdio{};
    auto child = Child::spawn(s);
    if (!child) return Unexpected{child.error()};
    previous_out = std::move(child->out());
    children.push_back(std::move(*child));
  }
  previous_out.reset();
  std::vector<std::string> pending(children.size());
  bool open = true;
  while (open) {
    std::vector<pollfd> fds;
    std::vector<size_t> owner;
    for (size_t i = 0; i < children.size(); ++i)
      if (children[i].err().valid()) { fds.push_back({children[i].err().get(), POLLIN, 0}); owner.push_back(i); }
    open = !fds.empty();
    if (!open) break;
    ::poll(fds.data(), fds.size(), 200);
    report_status_if_asked();
    if (should_stop_waiting() && !result.interrupted) {
      result.interrupted = true;  // a deadline ends it the same way: the stream resumes, or is sent again
      for (auto& c : children) c.signal_group(SIGTERM);
    }
    for (size_t k = 0; k < fds.size(); ++k) {
      if (!(fds[k].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      char buf[4096];
      ssize_t n = ::read(fds[k].fd, buf, sizeof buf);
      if (n <= 0) { children[owner[k]].err().reset(); continue; }
      result.output.append(buf, n);
      auto& p = pending[owner[k]];
      p.append(buf, n);
      size_t pos;
      while ((pos = p.find_first_of("\r\n")) != std::string::npos) {
        if (pos > 0 && spec.on_line) spec.on_line(std::string_view(p).substr(0, pos));
        p.erase(0, pos + 1);
      }
    }
  }
  for (auto& c : children) result.stages.push_back(c.wait());
  result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  return result;
}

}  // namespace

bool StreamResult::ok() const {
  if (interrupted || stages.empty()) return false;
  for (auto& s : stages) if (!s.ok()) return false;
  return true;
}

std::vector<std::vector<std::string>> stream_stages(const StreamSpec& spec) {
  std::vector<std::vector<std::string>> stages = {spec.send};
  if (!spec.throttle.empty()) stages.push_back(spec.throttle);
  auto hop = source_to_target_ssh(spec.target);
  auto recv = spec.recv_deadline.count() > 0 ? guarded(spec.recv, {spec.recv_deadline, /*end_on_hangup=*/false}) : spec.recv;
  hop.push_back(shell_join(recv));
  stages.push_back(hop);
  return stages;
}

std::vector<std::string> source_to_target_ssh(const std::string& target) {
  // The hop to the target: host-key checking as the source's ssh config says, never a prompt.
  // One master connection on the source, kept a few minutes, carries every stream of the move,
  // so the outage's final sends do not pay for a handshake (~2 s between slow hosts).
  return ssh_argv({.control_path = "~/.ssh/ferry-stream-%C", .control_master = "auto", .control_persist = "300",
                   .connect_timeout_s = 10},
                  target);
}

Status warm_stream_connection(const Host& source, const std::string& target) {
  auto argv = source_to_target_ssh(target);
  argv.push_back("true");
  auto r = source.run(argv);
  if (!r) return Unexpected{r.error()};
  return {};
}

std::string stream_command_line(const StreamSpec& spec) { return pipeline_text(stream_stages(spec)); }

std::string shown_stream(const Host& source, const StreamSpec& spec, const std::string& note) {
  return shown_line(source.name(), stream_command_line(spec), note);
}

StreamSpec shown_under_deadline(StreamSpec spec) {
  spec.recv = script_named(guarded(spec.recv, {std::chrono::seconds(1), /*end_on_hangup=*/false}), "guard");
  spec.recv[4] = "<seconds left of the outage's deadline, and 5>";
  spec.recv_deadline = std::chrono::seconds(0);
  return spec;
}

std::string shown_armed(const std::string& shown) {
  auto at = shown.find("] ");
  return at == std::string::npos ? shown : shown.substr(0, at + 2) + "(armed) " + shown.substr(at + 2);
}

namespace {

// The script one bash on a remote source runs: the pipeline, then each stage's status on a
// marked line, failing if any stage failed. `first` replaces the send stage's text (arming).
std::string remote_script(const std::vector<std::vector<std::string>>& stages, const std::string& first = "") {
  std::string text = first.empty() ? pipeline_text(stages) : first;
  for (size_t i = first.empty() ? stages.size() : 1; i < stages.size(); ++i) text += " | " + shell_join(stages[i]);
  return text + "; s=(\"${PIPESTATUS[@]}\"); echo \"" + std::string(kStatusMarker) +
         " ${s[*]}\" >&2; for x in \"${s[@]}\"; do [ \"$x\" = 0 ] || exit 1; done";
}

// Feeds the remote script's lines to on_line and reads its status line into result.stages.
RunOptions collecting(StreamResult& result, const std::function<void(std::string_view)>& on_line) {
  RunOptions options;
  options.on_stdout_line = [&result, on_line](std::string_view line) {
    if (line.rfind(kStatusMarker, 0) == 0) {
      std::istringstream in{std::string(line.substr(kStatusMarker.size()))};
      int code;
      while (in >> code) result.stages.push_back(ExitStatus{code, 0});
    } else if (on_line) {
      on_line(line);
    }
  };
  options.on_stderr_line = options.on_stdout_line;
  return options;
}

void finish(StreamResult& result, const Completed& done) {
  result.output = done.out + done.err;
  erase_line_with(result.output, kStatusMarker);  // ferry's own; in result.stages
  result.interrupted = done.interrupted;
  result.timed_out = done.timed_out;
  result.seconds = done.seconds;
  if (result.stages.empty()) result.stages.push_back(done.status);  // ssh to the source itself failed
}

}  // namespace

Result<StreamResult> run_stream(const Host& source, const StreamSpec& given) {
  StreamSpec spec = given;
  if (spec.recv_deadline.count() == 0) spec.recv_deadline = remote_deadline();
  auto stages = stream_stages(spec);
  if (auto* trace = source.settings().trace) trace->line("+ " + shown_line(source.name(), pipeline_text(stages)));
  if (source.is_local()) return run_local(stages, spec);
  // Remote source: one bash on the source runs the pipeline under a terminal, so that if ferry
  // dies the terminal hangs up and every stage gets SIGHUP. bash reports each stage's status.
  FERRY_TRY(source.connect());
  StreamResult result;
  auto done = run_command(source.wrap({"bash", "-c", remote_script(stages)}, /*tty=*/true), collecting(result, spec.on_line));
  if (!done) return Unexpected{done.error()};
  finish(result, *done);
  return result;
}

namespace {
// The first stage waits for a line "go" on the terminal; every later stage starts now.
std::string waiting_for_go(const std::vector<std::string>& argv, const std::string& before = "") {
  return "{ " + before + "read -r go && [ \"$go\" = go ] && exec " + shell_join(argv) + "; }";
}
constexpr std::string_view kCommandReady = "ferry-armed-ready";
}  // namespace

Result<ArmedStream> ArmedStream::arm(const Host& source, const StreamSpec& spec, const Readiness& readiness) {
  auto stages = stream_stages(spec);
  return spawn(source, remote_script(stages, waiting_for_go(stages.front())), pipeline_text(stages), readiness);
}

Result<ArmedStream> ArmedStream::arm_command(const Host& host, const std::vector<std::string>& argv,
                                             std::chrono::milliseconds timeout) {
  std::vector<std::vector<std::string>> stages = {argv};
  auto first = waiting_for_go(argv, "echo " + std::string(kCommandReady) + " >&2; ");
  auto armed = spawn(host, remote_script(stages, first), shell_join(argv), {std::string(kCommandReady), "", timeout});
  if (armed) erase_line_with(armed->early_output_, kCommandReady);  // ferry's, not the command's output
  return armed;
}

Result<ArmedStream> ArmedStream::spawn(const Host& host, const std::string& script, const std::string& shown,
                                       const Readiness& readiness) {
  if (host.is_local()) return fail("internal error: only a command on a remote host can be armed");
  FERRY_TRY(host.connect());
  if (auto* trace = host.settings().trace) trace->line("+ " + shown_armed(shown_line(host.name(), shown)));
  SpawnSpec s;
  s.argv = host.wrap({"bash", "-c", script}, /*tty=*/true);
  s.in = Stdio::make_pipe();
  auto child = Child::spawn(s);
  if (!child) return Unexpected{child.error()};
  ArmedStream armed;
  armed.child_ = std::make_unique<Child>(std::move(*child));
  FERRY_TRY(armed.wait_until_ready(readiness));
  return armed;
}

// Reads what the stages print until the ready line (the receiving end is up), the refused line,
// the stream's end, or the timeout. What was read is kept for the result.
Status ArmedStream::wait_until_ready(const Readiness& readiness) {
  auto printed = [](const Completed& c, const std::string& line) {
    return !line.empty() && (c.out.find(line) != std::string::npos || c.err.find(line) != std::string::npos);
  };
  RunOptions options;
  options.timeout = readiness.timeout;
  options.until = [&](const Completed& c) { return printed(c, readiness.ready_line) || printed(c, readiness.refused_line); };
  Completed early;
  pump_until_exit(*child_, options, early);
  early_output_ = early.out + early.err;
  auto tail = tail_lines(early_output_, 6);
  if (printed(early, readiness.refused_line)) return fail("the receiving end refused the stream", tail);
  if (printed(early, readiness.ready_line)) return {};
  if (early.timed_out || early.interrupted) return fail("the stream was not ready in time", tail);
  return fail("the stream ended before it was ready", tail);
}

Result<StreamResult> ArmedStream::fire(const std::function<void(std::string_view)>& on_line,
                                       std::chrono::milliseconds timeout) {
  if (!child_) return fail("internal error: the armed stream was fired already");
  StreamResult result;
  auto options = collecting(result, on_line);
  options.input = "go\n";
  options.timeout = timeout;
  Completed done;
  pump_until_exit(*child_, options, done);
  child_.reset();
  done.out = early_output_ + done.out;
  finish(result, done);
  return result;
}

void ArmedCommands::arm(const Host& host, const std::vector<std::string>& argv) {
  std::optional<ArmedStream> armed;
  if (!host.is_local())  // else: no session to save
    if (auto a = ArmedStream::arm_command(host, argv, std::chrono::seconds(20))) armed.emplace(std::move(*a));
  std::lock_guard lock(mutex_);
  armed_.erase(argv);
  if (armed) armed_.emplace(argv, std::move(*armed));
}

std::optional<ArmedStream> ArmedCommands::take(const std::vector<std::string>& argv) {
  std::lock_guard lock(mutex_);
  auto it = armed_.find(argv);
  if (it == armed_.end()) return std::nullopt;
  std::optional<ArmedStream> armed{std::move(it->second)};
  armed_.erase(it);
  return armed;
}

}  // namespace ferry::exec
