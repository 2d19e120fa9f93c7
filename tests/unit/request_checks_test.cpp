#include "core/request_checks.hpp"

#include <gtest/gtest.h>

#include <vector>

namespace ferry::core {
namespace {

MoveRequest valid() {
  MoveRequest r;
  r.instance = "web1";
  r.source = "root@alpha";
  r.target = "beta.example.org";
  r.given = {"--from", "--to"};
  return r;
}

// Checks that the request is refused as a usage error naming `flag`, with the value escaped.
void expect_refused(const MoveRequest& r, const std::string& flag, const std::string& shown) {
  auto checked = check_request(r);
  ASSERT_FALSE(checked) << flag << " " << shown;
  EXPECT_EQ(checked.error().code, ExitCode::usage);
  EXPECT_EQ(checked.error().what.rfind(flag + " ", 0), 0u) << checked.error().what;
  EXPECT_NE(checked.error().what.find(shown), std::string::npos) << checked.error().what;
  EXPECT_FALSE(checked.error().hint.empty()) << checked.error().what;
}

TEST(RequestChecks, AValidRequestPasses) {
  EXPECT_TRUE(check_request(valid()));
  auto r = valid();
  r.source = "local";
  r.target = "ssh://admin@[2001:db8::2]:2222";
  r.project = "team_a.prod";
  r.health = "http://web.example:8080/health?x=1";
  r.target_address = "2001:db8::2";
  r.source_address = "198.51.100.1";
  r.bwlimit = "20M";
  EXPECT_TRUE(check_request(r)) << check_request(r).error().message();
}

TEST(RequestChecks, InstanceNamesFollowTheManagersRule) {
  for (std::string bad : std::vector<std::string>{"c1?", "-c1", "1abc", "c1-", "a b", "a;b", "a$(id)", "a/b", "..", "a\nb",
                                                  "caf\xc3\xa9", std::string(64, 'a'), ""}) {
    auto r = valid();
    r.instance = bad;
    expect_refused(r, "instance", escaped(bad));
  }
}

// A host beginning with '-' would be an ssh option (-oProxyCommand=... runs a command here).
TEST(RequestChecks, HostsCannotBecomeSshOptions) {
  for (std::string bad : std::vector<std::string>{"-oProxyCommand=touch /tmp/x", "-p", "root@-x", "a b", "host;id", "host\n",
                                                  "$(id)", "h`id`", "host:22", "root@", "ssh://"}) {
    auto r = valid();
    r.source = bad;
    expect_refused(r, "--from", escaped(bad));
    r = valid();
    r.target = bad;
    expect_refused(r, "--to", escaped(bad));
    r = valid();
    r.target_from_source = bad;
    expect_refused(r, "--target-from-source", escaped(bad));
  }
}

TEST(RequestChecks, AddressesAreAddresses) {
  auto r = valid();
  r.source_address = "198.51.100.1\nadd table inet x";  // would have gone into the nft script
  expect_refused(r, "--source-address", "\\n");
  r = valid();
  r.target_address = "beta.example";
  expect_refused(r, "--target-address", "\"beta.example\"");
}

TEST(RequestChecks, TheHealthCheckIsParsedFirstAndHttpNeedsTheTargetAddress) {
  auto r = valid();
  r.health = "http://web.example/health";
  expect_refused(r, "--health", "needs --target-address");
  r.target_address = "198.51.100.2";
  EXPECT_TRUE(check_request(r));
  for (std::string bad : std::vector<std::string>{"htp://x/", "http://", "http://a b/", "tcp:0", "tcp:99999", "tcp:abc", "http://x:0/"}) {
    r.health = bad;
    expect_refused(r, "--health", escaped(bad));
  }
}

TEST(RequestChecks, HooksLimitsAndPorts) {
  auto r = valid();
  r.before_stop = "  ";
  r.given.insert("--before-stop");
  expect_refused(r, "--before-stop", "empty");
  r = valid();
  r.forward_ports = {80, 70000};
  expect_refused(r, "--forward-port", "70000");
  r = valid();
  r.bwlimit = "fast";
  expect_refused(r, "--bwlimit", "\"fast\"");
  r = valid();
  r.stop_timeout = 0;
  expect_refused(r, "--stop-timeout", "0");
  r = valid();
  r.manager = "docker";
  expect_refused(r, "--manager", "\"docker\"");
  r = valid();
  r.project = "../x";
  expect_refused(r, "--project", "\"../x\"");
}

TEST(RequestChecks, TheShownValueIsEscaped) {
  EXPECT_EQ(escaped("a\nb\"c"), "\"a\\nb\\\"c\"");
  EXPECT_EQ(escaped(std::string("\x01", 1)), "\"\\u0001\"");
}

}  // namespace
}  // namespace ferry::core
