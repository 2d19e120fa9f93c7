// Every ssh command line ferry builds puts `--` right before the destination: a destination that
// begins with `-` (a typo, or a hostile inventory) is then a host name, never an ssh option
// (`-oProxyCommand=...` would run a command on this machine).
#include <gtest/gtest.h>

#include <algorithm>

#include <fmt/format.h>

#include "exec/host.hpp"
#include "exec/shell_quote.hpp"
#include "exec/ssh_argv.hpp"
#include "exec/stream.hpp"

namespace ferry::exec {
namespace {

void expect_dashes_before(const std::vector<std::string>& argv, const std::string& destination) {
  auto at = std::find(argv.begin(), argv.end(), destination);
  ASSERT_NE(at, argv.end()) << shell_join(argv);
  ASSERT_NE(at, argv.begin());
  EXPECT_EQ(*(at - 1), "--") << shell_join(argv);
}

TEST(SshArgv, ACommandOnAHostHasDashesBeforeTheDestination) {
  auto host = Host::remote("root@alpha", {});
  expect_dashes_before(host.wrap({"zfs", "list"}), "root@alpha");
  expect_dashes_before(host.wrap({"bash", "-c", "true"}, /*tty=*/true), "root@alpha");
}

TEST(SshArgv, TheStreamsHopToTheTargetHasDashesBeforeTheDestination) {
  StreamSpec spec;
  spec.send = {"zfs", "send", "tank/a@s"};
  spec.target = "root@beta";
  spec.recv = {"zfs", "recv", "tank/a"};
  expect_dashes_before(stream_stages(spec).back(), "root@beta");
  auto hop = source_to_target_ssh("root@beta");
  EXPECT_EQ(hop.back(), "root@beta");
  EXPECT_EQ(hop[hop.size() - 2], "--");
}

std::string words(const std::vector<std::string>& argv) { return fmt::format("{}", fmt::join(argv, " ")); }

TEST(SshArgv, OneBuilderForHostsMastersAndTheStreamsHop) {
  auto command = ssh_argv({.config_file = "/etc/f", .control_path = "/tmp/c"}, "-oProxyCommand=x", {"zfs", "list", "a b"});
  EXPECT_EQ(command.back(), shell_join({"zfs", "list", "a b"}));
  command.pop_back();
  EXPECT_EQ(words(command),
            "ssh -F /etc/f -o BatchMode=yes -o ServerAliveInterval=5 -o ServerAliveCountMax=6 -o ControlMaster=no "
            "-o ControlPath=/tmp/c -- -oProxyCommand=x");
  auto master = ssh_argv({.control_path = "/tmp/c", .control_master = "yes", .control_persist = "no", .no_command = true}, "h");
  EXPECT_EQ(words(master),
            "ssh -o BatchMode=yes -o ServerAliveInterval=5 -o ServerAliveCountMax=6 -o ControlMaster=yes "
            "-o ControlPath=/tmp/c -o ControlPersist=no -N -- h");
  EXPECT_EQ(words(source_to_target_ssh("beta")),
            "ssh -o BatchMode=yes -o ConnectTimeout=10 -o ServerAliveInterval=5 -o ServerAliveCountMax=6 "
            "-o ControlMaster=auto -o ControlPath=~/.ssh/ferry-stream-%C -o ControlPersist=300 -- beta");
}

}  // namespace
}  // namespace ferry::exec
