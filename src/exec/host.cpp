#include "exec/host.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "exec/child.hpp"
#include "exec/interrupt.hpp"
#include "exec/remote_guard.hpp"
#include "exec/shell_quote.hpp"
#include "exec/ssh_argv.hpp"

namespace ferry::exec {

struct Host::State {
  std::string destination;  // empty: local
  SshSettings settings;
  std::string control_dir;
  mutable std::optional<Child> master;
  ~State() {
    if (master) master->terminate(500);
    if (!control_dir.empty()) {
      std::error_code ec;
      std::filesystem::remove_all(control_dir, ec);
    }
  }
  std::string control_path() const { return control_dir + "/master"; }
  // This host's ssh: the user's config, through this run's one master connection.
  SshOptions ssh_options() const { return {.config_file = settings.config_file, .control_path = control_path()}; }
};

Host::Host(std::shared_ptr<State> state) : state_(std::move(state)) {}

Host Host::local(util::Reporter* trace) {
  auto s = std::make_shared<State>();
  s->settings.trace = trace;
  return Host(s);
}

Host Host::remote(std::string destination, SshSettings settings) {
  auto s = std::make_shared<State>();
  s->destination = std::move(destination);
  s->settings = std::move(settings);
  return Host(s);
}

const std::string& Host::name() const {
  static const std::string local_name = "local";
  return state_->destination.empty() ? local_name : state_->destination;
}
bool Host::is_local() const { return state_->destination.empty(); }
const SshSettings& Host::settings() const { return state_->settings; }

Status Host::connect() const {
  auto& s = *state_;
  if (is_local() || (s.master && s.master->running())) return {};
  if (s.control_dir.empty()) {
    char tmpl[] = "/tmp/ferry-ssh-XXXXXX";  // short: unix socket paths are limited to 108 bytes
    if (!::mkdtemp(tmpl)) return fail("cannot create a directory for the ssh connection");
    s.control_dir = tmpl;
  }
  std::string err_file = s.control_dir + "/master.err";
  Fd err_fd(::open(err_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
  auto options = s.ssh_options();
  options.control_master = "yes";
  options.control_persist = "no";
  options.no_command = true;
  auto argv = ssh_argv(options, s.destination);
  SpawnSpec spec;
  spec.argv = argv;
  spec.out = {};
  spec.err = Stdio::from_fd(err_fd.get());
  auto child = Child::spawn(spec);
  if (!child) return Unexpected{child.error()};
  s.master.emplace(std::move(*child));
  for (int waited = 0; waited < 30000; waited += 50) {
    struct stat st;
    if (::stat(s.control_path().c_str(), &st) == 0) return {};
    if (auto status = s.master->poll_exit()) {
      std::ifstream in(err_file);
      std::stringstream text;
      text << in.rdbuf();
      s.master.reset();
      Error e = make_error("cannot connect to " + s.destination + " over ssh", tail_lines(text.str(), 4));
      e.command = shell_join(argv);
      e.hint = "check that `ssh " + s.destination +
               " true` works non-interactively as this user (key-based login, host key already in "
               "known_hosts; ferry never turns host-key checking off)";
      return fail(e.on(s.destination).with_code(ExitCode::preflight));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  s.master.reset();
  return fail(make_error("timed out connecting to " + s.destination + " over ssh")
                  .on(s.destination)
                  .with_code(ExitCode::preflight));
}

std::vector<std::string> Host::wrap(const std::vector<std::string>& argv, bool tty) const {
  if (is_local()) return argv;
  auto options = state_->ssh_options();
  options.tty = tty;
  return ssh_argv(options, state_->destination, argv);
}

std::chrono::seconds remote_deadline(const RunOptions& options) {
  using std::chrono::seconds;
  std::optional<seconds> limit;
  if (options.timeout.count() > 0) limit = std::chrono::ceil<seconds>(options.timeout);
  if (auto at = current_deadline()) {
    auto left = std::max(seconds(1), std::chrono::ceil<seconds>(*at - Clock::now()));
    limit = limit ? std::min(*limit, left) : left;
  }
  return limit ? *limit + seconds(5) : seconds(0);
}

Result<Completed> Host::run_raw(const std::vector<std::string>& argv, const RunOptions& options) const {
  FERRY_TRY(connect());
  if (auto* trace = state_->settings.trace) trace->line("+ " + shown_command(*this, argv));
  if (is_local()) return run_command(argv, options);
  GuardSettings guard;
  guard.deadline = remote_deadline(options);
  guard.end_on_hangup = options.input.empty() && !options.stdin_from_pipe && !options.until;
  RunOptions guarded_options = options;
  guarded_options.hold_stdin = guard.end_on_hangup;
  return run_command(wrap(guarded(argv, guard)), guarded_options);
}

Result<std::string> Host::run(const std::vector<std::string>& argv, const RunOptions& options) const {
  auto done = run_raw(argv, options);
  if (!done) return Unexpected{done.error()};
  if (!done->status.ok() || done->timed_out || done->interrupted) return fail(command_error(*this, argv, *done));
  return std::move(done->out);
}

Result<std::optional<std::string>> Host::probe(const std::vector<std::string>& argv) const {
  auto done = run_raw(argv);
  if (!done) return Unexpected{done.error()};
  if (done->interrupted) return fail(command_error(*this, argv, *done));
  // ssh itself failing (exit 255) is not an answer to the probe.
  if (!is_local() && done->status.code == 255) return fail(command_error(*this, argv, *done));
  if (!done->status.ok()) return std::optional<std::string>{};
  return std::optional<std::string>{std::move(done->out)};
}

std::string shown_line(const std::string& host, const std::string& command_line, const std::string& note) {
  return "[" + host + "] " + command_line + (note.empty() ? "" : "  # " + note);
}

std::string shown_command(const std::string& host, const std::vector<std::string>& argv, const std::string& note) {
  return shown_line(host, shell_join(argv), note);
}

std::string shown_command(const Host& host, const std::vector<std::string>& argv, const std::string& note) {
  return shown_command(host.name(), argv, note);
}

std::vector<std::string> script_named(std::vector<std::string> argv, const std::string& name) {
  if (argv.size() > 2 && argv[0] == "sh" && argv[1] == "-c") argv[2] = "<" + name + ">";
  return argv;
}

Result<bool> Host::has_command(const std::string& command) const {
  auto r = probe({"sh", "-c", "command -v \"$1\"", "sh", command});
  if (!r) return Unexpected{r.error()};
  return r->has_value();
}

Error command_error(const Host& host, const std::vector<std::string>& argv, const Completed& done) {
  std::string what = "`" + argv.front() + (argv.size() > 1 ? " " + argv[1] : "") + "` failed";
  if (done.timed_out && deadline_passed() && !current_deadline_what().empty()) what += " (" + current_deadline_what() + " passed)";
  else if (done.timed_out) what += " (timed out)";
  else if (done.interrupted) what += " (interrupted)";
  else what += " (" + done.status.describe() + ")";
  Error e = make_error(what, tail_lines(done.err, 6));
  e.command = shell_join(argv);
  if (done.interrupted) e.code = ExitCode::interrupted;
  return e.on(host.name());
}

}  // namespace ferry::exec
