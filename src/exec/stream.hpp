// A data stream from one host straight to another: `send | [throttle |] ssh target recv`, run
// on the source host. Reports every line the stages print (progress) and each stage's status.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "exec/child.hpp"
#include "exec/host.hpp"

namespace ferry::exec {

struct StreamSpec {
  std::vector<std::string> send;                  // runs on the source
  std::vector<std::string> throttle;              // optional middle stage on the source (pv -q -L RATE)
  std::string target;                             // ssh destination as the source sees the target
  std::vector<std::string> recv;                  // runs on the target
  // The receiving end's own limit, enforced on the target (0: the deadline in force when the
  // stream starts, if any): a link cut between the hosts tells the target nothing.
  std::chrono::seconds recv_deadline{0};
  std::function<void(std::string_view)> on_line;  // each line the stages print
};

struct StreamResult {
  std::vector<ExitStatus> stages;  // send, [throttle,] ssh+recv
  std::string output;              // everything the stages printed (stderr; merged on a remote source)
  bool interrupted = false;
  bool timed_out = false;  // ended by fire()'s timeout or the deadline in force
  double seconds = 0;
  bool ok() const;
};

// The argv vectors of the stages as they run on the source host.
std::vector<std::vector<std::string>> stream_stages(const StreamSpec& spec);
// ssh argv from the source to the target, `--` right before the destination; the command
// follows (streams share one master connection on the source).
std::vector<std::string> source_to_target_ssh(const std::string& target);
// Opens (or keeps alive) that connection ahead of the outage.
Status warm_stream_connection(const Host& source, const std::string& target);
// One command line a user could paste on the source host (for --dry-run and errors).
std::string stream_command_line(const StreamSpec& spec);
// A stream as -v traces it and --dry-run shows it: "[source] send | ... | ssh -- target recv".
std::string shown_stream(const Host& source, const StreamSpec& spec, const std::string& note = "");
// A stream as --dry-run shows it when it runs under the outage's deadline: its receiving end
// guarded (the target ends it by itself at the deadline) with the seconds then left.
StreamSpec shown_under_deadline(StreamSpec spec);
// A shown command or stream that is started ahead and waits for "go" (ArmedCommands, ArmedStream).
std::string shown_armed(const std::string& shown);
Result<StreamResult> run_stream(const Host& source, const StreamSpec& spec);

// A stream from a remote source made ready ahead of time: the connections are up and the
// receiving end waits; the sender starts on fire(). arm() returns once a stage printed the
// ready line (the receiving end says it is up), and fails at once on the refused line.
// Destroyed unfired, it hangs up: the sender never runs and the receiver gets an empty stream,
// which changes nothing.
class ArmedStream {
 public:
  struct Readiness {
    std::string ready_line, refused_line;
    std::chrono::milliseconds timeout{20000};
  };
  static Result<ArmedStream> arm(const Host& source, const StreamSpec& spec, const Readiness& readiness);
  // One command on a remote host, made ready the same way (its session is up and waits): the
  // outage then pays for the command alone, not for a new session. Its stages: the command's status.
  static Result<ArmedStream> arm_command(const Host& host, const std::vector<std::string>& argv,
                                         std::chrono::milliseconds timeout);
  // Starts it and waits for its end: at most `timeout` (0: none) and the deadline in force.
  Result<StreamResult> fire(const std::function<void(std::string_view)>& on_line,
                            std::chrono::milliseconds timeout = std::chrono::milliseconds(0));

 private:
  static Result<ArmedStream> spawn(const Host& host, const std::string& script, const std::string& shown,
                                   const Readiness& readiness);
  Status wait_until_ready(const Readiness& readiness);
  std::unique_ptr<Child> child_;
  std::string early_output_;  // what the stages printed before fire()
};

// Commands armed ahead (ArmedStream::arm_command) by their argv, until the one run with the same
// argv takes its session. arm() never fails: on a local host, or if the session cannot be made
// ready, nothing is kept and the command later runs the usual way.
class ArmedCommands {
 public:
  void arm(const Host& host, const std::vector<std::string>& argv);
  std::optional<ArmedStream> take(const std::vector<std::string>& argv);

 private:
  std::mutex mutex_;
  std::map<std::vector<std::string>, ArmedStream> armed_;
};

}  // namespace ferry::exec
