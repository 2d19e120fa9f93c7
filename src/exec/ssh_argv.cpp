#include "exec/ssh_argv.hpp"

#include "exec/shell_quote.hpp"

namespace ferry::exec {

std::vector<std::string> ssh_argv(const SshOptions& o, const std::string& destination, const std::vector<std::string>& command) {
  std::vector<std::string> argv = {"ssh"};
  if (!o.config_file.empty()) argv.insert(argv.end(), {"-F", o.config_file});
  // Host-key checking stays whatever the user's config says (default: ask -> fail in batch).
  argv.insert(argv.end(), {"-o", "BatchMode=yes"});
  if (o.connect_timeout_s > 0) argv.insert(argv.end(), {"-o", "ConnectTimeout=" + std::to_string(o.connect_timeout_s)});
  // A link that stops answering is noticed within 30 s, not at the kernel's TCP timeout.
  argv.insert(argv.end(), {"-o", "ServerAliveInterval=5", "-o", "ServerAliveCountMax=6"});
  argv.insert(argv.end(), {"-o", "ControlMaster=" + o.control_master});
  if (!o.control_path.empty()) argv.insert(argv.end(), {"-o", "ControlPath=" + o.control_path});
  if (!o.control_persist.empty()) argv.insert(argv.end(), {"-o", "ControlPersist=" + o.control_persist});
  if (o.tty) argv.push_back("-tt");
  if (o.no_command) argv.push_back("-N");
  argv.insert(argv.end(), {"--", destination});
  if (!command.empty()) argv.push_back(shell_join(command));
  return argv;
}

}  // namespace ferry::exec
