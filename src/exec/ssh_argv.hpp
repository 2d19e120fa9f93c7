// The one place an ssh command line is built: this machine's commands on a host (Host), the
// master connection they share, and the streams' hop from the source to the target. Every one
// is batch (never a prompt, host-key checking as the user's config says), keeps the link alive
// the same way and puts `--` before the destination.
#pragma once

#include <string>
#include <vector>

namespace ferry::exec {

struct SshOptions {
  std::string config_file;             // ssh -F, "" for the user's default
  std::string control_path;            // the shared connection's socket
  std::string control_master = "no";   // yes: this one is the master; auto: the first becomes it
  std::string control_persist;         // how long a master outlives its last client ("" unset)
  int connect_timeout_s = 0;           // 0: ssh's default
  bool tty = false;                    // -tt: the remote command gets a terminal (its hangup)
  bool no_command = false;             // -N: only the connection (a master)
};

// ssh OPTIONS -- DESTINATION [COMMAND], COMMAND as one string of shell words (shell_join): the
// remote side runs it through its login shell.
std::vector<std::string> ssh_argv(const SshOptions& options, const std::string& destination,
                                  const std::vector<std::string>& command = {});

}  // namespace ferry::exec
