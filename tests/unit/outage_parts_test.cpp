#include <gtest/gtest.h>

#include "forward/port_forward.hpp"
#include "health/health_check.hpp"

namespace ferry {
namespace {

TEST(Forwarding, RulesetReplacesFerrysOwnTableOnly) {
  forward::Forwarding f{forward::table_name("default", "web-1"), "198.18.0.2", "198.18.0.3", {80, 443}};
  EXPECT_EQ(f.table, "ferry_fwd_default/web-1");
  auto s = forward::ruleset(f);
  EXPECT_EQ(s.rfind("table ip ferry_fwd_default/web-1 {}\ndelete table ip ferry_fwd_default/web-1\n", 0), 0u) << s;
  EXPECT_NE(s.find("ip daddr 198.18.0.2 tcp dport { 80, 443 } dnat to 198.18.0.3"), std::string::npos) << s;
  EXPECT_NE(s.find("ip daddr 198.18.0.3 tcp dport { 80, 443 } masquerade"), std::string::npos) << s;
  EXPECT_NE(s.find("hook output"), std::string::npos);  // clients on the old host itself too
}

TEST(Forwarding, EachProjectsInstanceHasItsOwnTable) {
  // The same instance name in two projects, and names that one replacement would make equal.
  EXPECT_NE(forward::table_name("default", "web"), forward::table_name("p", "web"));
  EXPECT_NE(forward::table_name("a-b", "c"), forward::table_name("a_b", "c"));
  EXPECT_NE(forward::table_name("a", "b-c"), forward::table_name("a-b", "c"));
}

TEST(Forwarding, Ipv6UsesTheIp6Family) {
  auto s = forward::ruleset({"t", "2001:db8::1", "2001:db8::2", {80}});
  EXPECT_NE(s.find("table ip6 t {"), std::string::npos) << s;
  EXPECT_NE(s.find("ip6 daddr 2001:db8::1 tcp dport { 80 } dnat to 2001:db8::2"), std::string::npos) << s;
}

TEST(HealthCheck, ParsesUrlsAndTcpPorts) {
  auto h = health::parse_health_check("https://social.example.org/health", "198.18.0.3", 200);
  ASSERT_TRUE(h);
  EXPECT_EQ(h->kind, health::HealthCheck::Kind::http);
  EXPECT_EQ(h->host, "social.example.org");
  EXPECT_EQ(h->port, 443);
  EXPECT_EQ(h->address, "198.18.0.3");
  h = health::parse_health_check("http://svc:8080/", "", 204);
  ASSERT_TRUE(h);
  EXPECT_EQ(h->port, 8080);
  h = health::parse_health_check("tcp:5432", "198.18.0.3", 200);
  ASSERT_TRUE(h);
  EXPECT_EQ(h->kind, health::HealthCheck::Kind::tcp);
  EXPECT_EQ(h->port, 5432);
  EXPECT_FALSE(health::parse_health_check("tcp:5432", "", 200));  // where to?
  EXPECT_EQ(health::parse_health_check("ftp://x/", "", 200).error().code, ExitCode::usage);
  EXPECT_FALSE(health::parse_health_check("tcp:70000", "a", 200));
}

TEST(HealthCheck, NothingListeningFailsWithTheReason) {
  auto h = health::parse_health_check("tcp://127.0.0.1:9", "", 200);  // discard port: closed here
  ASSERT_TRUE(h);
  auto r = health::wait_until_healthy(*h, 0.5, 0.1);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().detail.find("127.0.0.1:9"), std::string::npos) << r.error().detail;
}

}  // namespace
}  // namespace ferry
