// A host ferry acts on: this machine, or an ssh destination reached over one master connection
// that is opened once and shared by every control command.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "exec/run.hpp"
#include "util/error.hpp"
#include "util/reporter.hpp"

namespace ferry::exec {

struct SshSettings {
  std::string config_file;  // ssh -F, empty for the user's default
  util::Reporter* trace = nullptr;  // where each command is echoed (-v); none: not echoed
};

class Host {
 public:
  static Host local(util::Reporter* trace = nullptr);
  static Host remote(std::string destination, SshSettings settings);

  const std::string& name() const;
  bool is_local() const;
  const SshSettings& settings() const;

  // Opens the master connection (a no-op for the local host). Fails with a clear error when the
  // host cannot be reached, names the host and says how to fix ssh.
  Status connect() const;

  // argv that runs `argv` on this host from here. `tty` asks ssh for a remote terminal, so the
  // remote processes get SIGHUP when this side goes away (used for long-running streams).
  std::vector<std::string> wrap(const std::vector<std::string>& argv, bool tty = false) const;

  // Runs and returns everything, whatever the exit status.
  Result<Completed> run_raw(const std::vector<std::string>& argv, const RunOptions& options = {}) const;
  // Runs and returns stdout; a non-zero exit becomes an Error naming host, command and stderr.
  Result<std::string> run(const std::vector<std::string>& argv, const RunOptions& options = {}) const;
  // As run, but a command that exits non-zero yields nullopt instead of an error (probes).
  Result<std::optional<std::string>> probe(const std::vector<std::string>& argv) const;
  // Whether `command` is on the host's PATH (for a non-interactive shell, as ferry runs it).
  Result<bool> has_command(const std::string& command) const;

 private:
  struct State;
  explicit Host(std::shared_ptr<State> state);
  std::shared_ptr<State> state_;
};

// A command on a host as -v traces it while it runs and --dry-run shows it before it would:
// "[host] <argv as shell words>", then "  # note" if there is one. One text for both, so that
// the dry run is the list of what runs. shown_line takes the command line already in words.
std::string shown_line(const std::string& host, const std::string& command_line, const std::string& note = "");
std::string shown_command(const std::string& host, const std::vector<std::string>& argv, const std::string& note = "");
std::string shown_command(const Host& host, const std::vector<std::string>& argv, const std::string& note = "");
// argv of `sh -c SCRIPT ...` with the script shown as <name> (a constant of ferry's source; its
// text would fill the screen); any other argv as it is.
std::vector<std::string> script_named(std::vector<std::string> argv, const std::string& name);

// The Error for a command that ran and failed.
Error command_error(const Host& host, const std::vector<std::string>& argv, const Completed& done);

// The limit a remote end enforces itself (0: none): the command's timeout or the deadline in
// force, whichever is sooner, and 5 s more, so that ferry's side normally ends it first and the
// host acts only when ferry cannot (a cut link, ferry gone).
std::chrono::seconds remote_deadline(const RunOptions& options = {});

}  // namespace ferry::exec
