#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "dns/exec_provider.hpp"
#include "dns/manual_provider.hpp"
#include "dns/powerdns_provider.hpp"
#include "exec/run.hpp"

using namespace ferry::dns;

namespace {
ChangeSet sample_change() {
  return {DnsAction::switch_records, "ferry.test.",
          {{{"svc.ferry.test.", RecordType::a},
            RecordSet{"svc.ferry.test.", RecordType::a, 60, {"198.18.0.2"}},
            RecordSet{"svc.ferry.test.", RecordType::a, 60, {"198.18.0.3"}}},
           {{"www.ferry.test.", RecordType::aaaa}, RecordSet{"www.ferry.test.", RecordType::aaaa, 60, {"2001:2::2"}},
            std::nullopt}}};
}
}  // namespace

TEST(DnsPowerDns, ReadsEnabledRecordsOfTheAskedKeys) {
  auto zone = nlohmann::json::parse(R"({"rrsets": [
    {"name": "svc.ferry.test.", "type": "A", "ttl": 5, "records": [
      {"content": "198.18.0.2", "disabled": false}, {"content": "198.18.0.9", "disabled": true}]},
    {"name": "SVC.ferry.test.", "type": "AAAA", "ttl": 5, "records": [{"content": "2001:0002::2", "disabled": false}]},
    {"name": "other.ferry.test.", "type": "A", "ttl": 5, "records": [{"content": "198.18.0.7", "disabled": false}]},
    {"name": "ferry.test.", "type": "SOA", "ttl": 3600, "records": [{"content": "x", "disabled": false}]}]})");
  auto sets = parse_pdns_zone(zone, {{"svc.ferry.test.", RecordType::a}, {"svc.ferry.test.", RecordType::aaaa}});
  ASSERT_TRUE(sets) << sets.error().message();
  ASSERT_EQ(sets->size(), 2u);
  EXPECT_EQ((*sets)[0].addresses, std::vector<std::string>{"198.18.0.2"});
  EXPECT_EQ((*sets)[1].addresses, std::vector<std::string>{"2001:2::2"});
  EXPECT_FALSE(parse_pdns_zone(nlohmann::json::object(), {}));
}

TEST(DnsPowerDns, PatchReplacesAndDeletes) {
  auto body = pdns_patch_body(sample_change());
  ASSERT_EQ(body["rrsets"].size(), 2u);
  EXPECT_EQ(body["rrsets"][0]["changetype"], "REPLACE");
  EXPECT_EQ(body["rrsets"][0]["ttl"], 60);
  EXPECT_EQ(body["rrsets"][0]["records"][0]["content"], "198.18.0.3");
  EXPECT_EQ(body["rrsets"][1]["changetype"], "DELETE");
}

TEST(DnsExec, TheProgramGetsOldAndNew) {
  auto doc = exec_change_document(sample_change(), "c1");
  EXPECT_EQ(doc["format"], "ferry-dns-change");
  EXPECT_EQ(doc["action"], "switch");
  EXPECT_EQ(doc["move"], "c1");
  EXPECT_EQ(doc["changes"][0]["old"]["addresses"][0], "198.18.0.2");
  EXPECT_EQ(doc["changes"][0]["new"]["addresses"][0], "198.18.0.3");
  EXPECT_TRUE(doc["changes"][1]["new"].is_null());
}

// The exec provider's program runs through exec's one process runner: an argv, the change on
// stdin, its output collected, killed with its process group past the timeout.
TEST(DnsExec, RunsAnArgvWithStdinAndCollectsOutput) {
  ferry::exec::RunOptions options;
  options.input = "hello\n";
  options.timeout = std::chrono::seconds(5);
  auto r = ferry::exec::run_command({"/bin/sh", "-c", "cat; echo oops >&2; exit 3"}, options);
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_EQ(r->status.code, 3);
  EXPECT_EQ(r->out, "hello\n");
  EXPECT_EQ(r->err, "oops\n");
  EXPECT_FALSE(r->timed_out);
}

TEST(DnsExec, KillsAProgramThatOutlivesTheTimeout) {
  ferry::exec::RunOptions options;
  options.timeout = std::chrono::milliseconds(300);
  auto r = ferry::exec::run_command({"/bin/sh", "-c", "exec 1>&- 2>&-; sleep 30"}, options);
  ASSERT_TRUE(r);
  EXPECT_TRUE(r->timed_out);
  EXPECT_FALSE(ferry::exec::run_command({"/nonexistent/program"}));
}

TEST(DnsManual, InstructionsShowNowMakeAndAnNsupdateScript) {
  auto text = manual_instructions(sample_change());
  EXPECT_NE(text.find("now:  svc.ferry.test. 60 IN A 198.18.0.2"), std::string::npos) << text;
  EXPECT_NE(text.find("make: svc.ferry.test. 60 IN A 198.18.0.3"), std::string::npos) << text;
  EXPECT_NE(text.find("make: (no records)"), std::string::npos) << text;
  EXPECT_NE(text.find("prereq yxrrset svc.ferry.test. IN A 198.18.0.2"), std::string::npos) << text;
  EXPECT_NE(text.find("update add svc.ferry.test. 60 IN A 198.18.0.3"), std::string::npos) << text;
}
