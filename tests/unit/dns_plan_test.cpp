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

// Each part of [dns] that can be wrong says which, with the line, and exits 2.
TEST(DnsPlan, RefusesEachMisshapenPartOfTheDnsTable) {
  auto refused = [](const std::string& text) {
    auto in = parse_dns_section(text, "m.toml");
    EXPECT_FALSE(in) << text;
    if (in) return std::string();
    EXPECT_EQ(in.error().what, "bad migration file m.toml");
    EXPECT_EQ(in.error().hint, "see docs/migration-file.md, section [dns]");
    EXPECT_EQ(in.error().code, ferry::ExitCode::usage);
    return in.error().detail;
  };
  EXPECT_EQ(refused("dns = 1\n"), "dns must be a table ([dns])");
  EXPECT_EQ(refused("[dns]\nrecord = 1\n"), "dns.record must be an array of tables ([[dns.record]]) (line 2)");
  EXPECT_EQ(refused("[dns]\nrecord = [1]\n"), "each dns.record must be a table ([[dns.record]]) (line 2)");
  EXPECT_EQ(refused("[[dns.record]]\nname = \"a\"\nold = \"x\"\n"), "unknown key dns.record.old (line 3)");
  EXPECT_EQ(refused("[[dns.record]]\nname = \"a\"\nnew = 1\n"), "dns.record.new must be a list of addresses (line 3)");
  EXPECT_EQ(refused("[[dns.record]]\nname = \"a\"\nnew = [\"1.2.3.4\", 5]\n"),
            "dns.record.new must be a list of addresses (line 3)");
  EXPECT_EQ(refused("[dns]\ninsecure_api = \"yes\"\n"), "dns.insecure_api must be true or false (line 2)");
  EXPECT_EQ(refused("[dns]\ntimeout = -1\n"), "dns.timeout must not be negative (line 2)");
  EXPECT_EQ(refused("[dns]\ntimeout = \"5\"\n"), "dns.timeout must be a number of seconds (line 2)");
  EXPECT_EQ(refused("[dns]\nttl = 2147483648\n"), "dns.ttl must be a whole number of seconds (line 2)");
  EXPECT_EQ(refused("[dns]\ncommand = \"/bin/true\"\n"), "dns.command must be a list of strings (line 2)");
  EXPECT_EQ(refused("[dns]\nzone = 1\n"), "dns.zone must be a string (line 2)");
}

TEST(DnsPlan, TheMoveIsNamedByTheInstanceUnlessDnsNamesIt) {
  auto in = parse_dns_section("instance = \"c1\"\n", "m.toml");
  ASSERT_TRUE(in) << in.error().message();
  DnsPlanInput only_the_move;
  only_the_move.move = "c1";
  EXPECT_EQ(*in, only_the_move);
  in = parse_dns_section("instance = \"c1\"\n[dns]\nmove = \"m1\"\ninsecure_api = true\ntimeout = 2\n", "m.toml");
  ASSERT_TRUE(in) << in.error().message();
  EXPECT_EQ(in->move, "m1");
  EXPECT_EQ(in->insecure_api, true);
  EXPECT_EQ(in->timeout, 2.0);
  EXPECT_FALSE(in->records);
}

TEST(DnsPlan, FillsTheDefaultsAndRefusesEachBadSetting) {
  DnsPlanInput in;
  in.move = "c1";
  in.provider = "manual";
  in.zone = "Ferry.Test";
  auto plan = finalize_plan(in);
  ASSERT_TRUE(plan) << plan.error().message();
  EXPECT_EQ(plan->zone, "ferry.test.");
  EXPECT_EQ(plan->ttl, 60u);
  EXPECT_EQ(plan->timeout, 5.0);
  EXPECT_EQ(plan->verify_timeout, 30.0);
  EXPECT_EQ(plan->poll_interval, 1.0);
  EXPECT_EQ(plan->manual_timeout, 3600.0);
  EXPECT_EQ(plan->server_id, "localhost");
  EXPECT_FALSE(plan->primary);
  EXPECT_TRUE(plan->servers.empty());

  auto refusal = [](const DnsPlanInput& bad) {
    auto p = finalize_plan(bad);
    EXPECT_FALSE(p);
    if (p) return std::pair<std::string, std::string>();
    EXPECT_EQ(p.error().code, ferry::ExitCode::usage);
    return std::pair{p.error().what, p.error().hint};
  };
  auto with = [&](auto change) {
    DnsPlanInput copy = in;
    change(copy);
    return refusal(copy);
  };
  EXPECT_EQ(with([](auto& i) { i.move = ""; }),
            (std::pair<std::string, std::string>{
                "no move name", "give --move NAME (or --instance NAME, or instance = \"...\" in the migration file)"}));
  EXPECT_EQ(with([](auto& i) { i.move = ".."; }).first,
            "the move name '..' is not a name: its state would live in another directory");
  EXPECT_EQ(with([](auto& i) { i.move = "a/b"; }).first, "the move name 'a/b' cannot contain '/'");
  EXPECT_EQ(with([](auto& i) { i.provider = "route53"; }),
            (std::pair<std::string, std::string>{"unknown DNS provider 'route53'", "use rfc2136, powerdns, exec or manual"}));
  EXPECT_EQ(with([](auto& i) { i.zone.reset(); }),
            (std::pair<std::string, std::string>{"no DNS zone", "give --zone ZONE or dns.zone in the migration file"}));
  EXPECT_EQ(with([](auto& i) { i.ttl = 0; }).first, "the move TTL must be at least 1 second");
  EXPECT_EQ(with([](auto& i) { i.timeout = 0; }).first, "the request timeout must be positive");
  EXPECT_EQ(with([](auto& i) { i.poll_interval = 0; }).first, "the poll interval must be positive");
  EXPECT_EQ(with([](auto& i) { i.provider.reset(); }),
            (std::pair<std::string, std::string>{"the rfc2136 provider needs a TSIG key file",
                                                 "give --key-file FILE or dns.key_file"}));
  auto bad_server = finalize_plan([&] {
    DnsPlanInput bad = in;
    bad.servers = std::vector<std::string>{"127.0.0.1:dns"};
    return bad;
  }());
  ASSERT_FALSE(bad_server);
  EXPECT_EQ(bad_server.error().what, "bad DNS server '127.0.0.1:dns': the port is not a number");
}

TEST(DnsPlan, ServersAreKeptOnceAndThePrimaryIsTheFirstUnlessNamed) {
  DnsPlanInput in;
  in.move = "c1";
  in.provider = "manual";
  in.zone = "ferry.test.";
  in.servers = std::vector<std::string>{"127.0.0.1:5302", "127.0.0.1:5301", "127.0.0.1:5302"};
  auto plan = finalize_plan(in);
  ASSERT_TRUE(plan) << plan.error().message();
  ASSERT_EQ(plan->servers.size(), 2u);
  EXPECT_EQ(plan->servers[0].port, 5302);
  EXPECT_EQ(plan->servers[1].port, 5301);
  ASSERT_TRUE(plan->primary);
  EXPECT_EQ(plan->primary->port, 5302);
  in.primary = "127.0.0.1:5399";
  plan = finalize_plan(in);
  ASSERT_TRUE(plan) << plan.error().message();
  EXPECT_EQ(plan->primary->port, 5399);
  in.primary = "127.0.0.1:";
  EXPECT_FALSE(finalize_plan(in));
}

TEST(DnsPlan, NewAddressesAreSplitByFamilySortedAndKeptOnce) {
  DnsPlanInput in;
  in.move = "c1";
  in.provider = "manual";
  in.zone = "ferry.test.";
  in.records = std::vector<RecordSpec>{{"svc", {"198.18.0.9", "2001:2::3", "198.18.0.3", "198.18.0.9"}}, {"www", {}}};
  auto plan = finalize_plan(in);
  ASSERT_TRUE(plan) << plan.error().message();
  ASSERT_EQ(plan->names.size(), 2u);
  EXPECT_EQ(plan->names[0].name, "svc.ferry.test.");
  EXPECT_EQ(plan->names[0].new_a, (std::vector<std::string>{"198.18.0.3", "198.18.0.9"}));
  EXPECT_EQ(plan->names[0].new_aaaa, (std::vector<std::string>{"2001:2::3"}));
  EXPECT_FALSE(plan->names[1].has_new());
  EXPECT_EQ(plan->absolute_names(), (std::vector<std::string>{"svc.ferry.test.", "www.ferry.test."}));
}

TEST(DnsPlan, ThePowerdnsUrlLosesItsTrailingSlashes) {
  DnsPlanInput in;
  in.move = "c1";
  in.provider = "powerdns";
  in.zone = "ferry.test.";
  in.api_url = "https://dns.example:8081//";
  in.api_key_file = "/k";
  auto plan = finalize_plan(in);
  ASSERT_TRUE(plan) << plan.error().message();
  EXPECT_EQ(plan->api_url, "https://dns.example:8081");
  in.api_url = "dns.example";
  plan = finalize_plan(in);
  ASSERT_FALSE(plan);
  EXPECT_EQ(plan.error().what, "the PowerDNS API URL must begin with https:// (or http://): dns.example");
  EXPECT_EQ(plan.error().hint, "give it as https://HOST:PORT");
}

// A name given twice is refused as such, even when the second one's addresses are bad too.
TEST(DnsPlan, ANameTwiceIsSaidBeforeItsAddresses) {
  DnsPlanInput in;
  in.move = "c1";
  in.provider = "manual";
  in.zone = "ferry.test.";
  in.records = std::vector<RecordSpec>{{"svc", {}}, {"svc", {"not-an-address"}}};
  auto plan = finalize_plan(in);
  ASSERT_FALSE(plan);
  EXPECT_EQ(plan.error().what, "svc.ferry.test. is named twice");
  EXPECT_EQ(plan.error().code, ferry::ExitCode::usage);
}
