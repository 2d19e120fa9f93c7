#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "dns/dns_plan.hpp"

using namespace ferry::dns;

namespace {
const char* kFile = R"(
instance = "c1"

[dns]
provider = "rfc2136"
zone = "ferry.test."
ttl = 30
servers = ["127.0.0.1:5301", "127.0.0.1:5302"]
key_file = "/etc/ferry/ferry-key.conf"
verify_timeout = 10

[[dns.record]]
name = "svc"
new = ["198.18.0.3", "2001:2::3"]

[[dns.record]]
name = "www.ferry.test."
new = "198.18.0.3"

[move]
something = "owned by another module"
)";
}

TEST(DnsPlan, ParsesTheDnsTable) {
  auto in = parse_dns_section(kFile, "m.toml");
  ASSERT_TRUE(in) << in.error().message();
  EXPECT_EQ(in->move, "c1");
  EXPECT_EQ(in->provider, "rfc2136");
  EXPECT_EQ(in->ttl, 30u);
  ASSERT_TRUE(in->servers);
  EXPECT_EQ(in->servers->size(), 2u);
  EXPECT_EQ(in->verify_timeout, 10.0);
  ASSERT_TRUE(in->records);
  ASSERT_EQ(in->records->size(), 2u);
  EXPECT_EQ((*in->records)[0].new_addresses, (std::vector<std::string>{"198.18.0.3", "2001:2::3"}));
  EXPECT_EQ((*in->records)[1].new_addresses, (std::vector<std::string>{"198.18.0.3"}));

  auto plan = finalize_plan(*in);
  ASSERT_TRUE(plan) << plan.error().message();
  EXPECT_EQ(plan->zone, "ferry.test.");
  ASSERT_TRUE(plan->primary);
  EXPECT_EQ(plan->primary->port, 5301);  // the first server, when no primary is named
  ASSERT_EQ(plan->names.size(), 2u);
  EXPECT_EQ(plan->names[0].name, "svc.ferry.test.");
  EXPECT_EQ(plan->names[0].new_a, (std::vector<std::string>{"198.18.0.3"}));
  EXPECT_EQ(plan->names[0].new_aaaa, (std::vector<std::string>{"2001:2::3"}));
  EXPECT_EQ(plan->names[1].name, "www.ferry.test.");
}

TEST(DnsPlan, RefusesUnknownKeysAndWrongTypesWithTheLine) {
  auto in = parse_dns_section("[dns]\nzone = \"a.\"\nttls = 5\n", "m.toml");
  ASSERT_FALSE(in);
  EXPECT_NE(in.error().detail.find("unknown key dns.ttls"), std::string::npos);
  EXPECT_NE(in.error().detail.find("line 3"), std::string::npos);
  EXPECT_EQ(in.error().code, ferry::ExitCode::usage);

  in = parse_dns_section("[dns]\nttl = \"60\"\n", "m.toml");
  ASSERT_FALSE(in);
  EXPECT_NE(in.error().detail.find("dns.ttl"), std::string::npos);

  in = parse_dns_section("[dns]\nservers = [1, 2]\n", "m.toml");
  ASSERT_FALSE(in);

  in = parse_dns_section("[dns]\n[[dns.record]]\nnew = [\"1.2.3.4\"]\n", "m.toml");
  ASSERT_FALSE(in);
  EXPECT_NE(in.error().detail.find("no name"), std::string::npos);

  in = parse_dns_section("[dns\n", "m.toml");
  ASSERT_FALSE(in);
  EXPECT_NE(in.error().detail.find("line 1"), std::string::npos);
}

TEST(DnsPlan, LaterLayersWinFieldByField) {
  DnsPlanInput base, over;
  base.zone = "a.";
  base.ttl = 60;
  base.key_file = "/k";
  over.ttl = 5;
  over.records = std::vector<RecordSpec>{{"svc", {}}};
  merge_into(base, over);
  EXPECT_EQ(base.zone, "a.");
  EXPECT_EQ(base.ttl, 5u);
  EXPECT_EQ(base.key_file, "/k");
  ASSERT_TRUE(base.records);
}

TEST(DnsPlan, RoundTripsThroughJson) {
  auto in = parse_dns_section(kFile, "m.toml");
  ASSERT_TRUE(in);
  nlohmann::json j = *in;
  EXPECT_EQ(j.get<DnsPlanInput>(), *in);
}

TEST(DnsPlan, EachProviderNeedsItsSettings) {
  DnsPlanInput in;
  in.move = "c1";
  in.zone = "ferry.test";
  auto plan = finalize_plan(in);
  ASSERT_FALSE(plan);
  EXPECT_NE(plan.error().what.find("TSIG key"), std::string::npos);
  in.provider = "powerdns";
  EXPECT_FALSE(finalize_plan(in));
  in.api_url = "http://127.0.0.1:8081/";
  EXPECT_FALSE(finalize_plan(in));
  in.api_key_file = "/k";
  plan = finalize_plan(in);
  ASSERT_FALSE(plan);  // plain http: the API key would cross the network in clear
  EXPECT_NE(plan.error().what.find("plain http"), std::string::npos) << plan.error().what;
  EXPECT_NE(plan.error().hint.find("--insecure-api"), std::string::npos);
  in.insecure_api = true;
  plan = finalize_plan(in);
  ASSERT_TRUE(plan);
  EXPECT_EQ(plan->api_url, "http://127.0.0.1:8081");
  in.insecure_api = std::nullopt;
  in.api_url = "https://dns.example:8081";
  EXPECT_TRUE(finalize_plan(in));
  in.api_url = "ftp://dns.example";
  EXPECT_FALSE(finalize_plan(in));
  in.api_url = "https://dns.example:8081";
  in.provider = "exec";
  EXPECT_FALSE(finalize_plan(in));
  in.command = std::vector<std::string>{"/bin/true"};
  EXPECT_TRUE(finalize_plan(in));
  in.provider = "manual";
  EXPECT_TRUE(finalize_plan(in));
  in.provider = "route53";
  EXPECT_FALSE(finalize_plan(in));
}

TEST(DnsPlan, ChecksNamesMovesAndAddresses) {
  DnsPlanInput in;
  in.provider = "manual";
  in.zone = "ferry.test";
  EXPECT_FALSE(finalize_plan(in));  // no move name
  in.move = "../x";
  EXPECT_FALSE(finalize_plan(in));
  in.move = "c1";
  in.records = std::vector<RecordSpec>{{"svc", {"198.18.0.3"}}, {"svc.ferry.test.", {}}};
  auto plan = finalize_plan(in);
  ASSERT_FALSE(plan);
  EXPECT_NE(plan.error().what.find("twice"), std::string::npos);
  in.records = std::vector<RecordSpec>{{"svc.other.test.", {}}};
  EXPECT_FALSE(finalize_plan(in));
  in.records = std::vector<RecordSpec>{{"svc", {"not-an-address"}}};
  EXPECT_FALSE(finalize_plan(in));
  in.records = std::vector<RecordSpec>{{"svc", {"198.18.0.3", "198.18.0.3"}}};
  plan = finalize_plan(in);
  ASSERT_TRUE(plan);
  EXPECT_EQ(plan->names[0].new_a.size(), 1u);
  in.ttl = 0;
  EXPECT_FALSE(finalize_plan(in));
}
