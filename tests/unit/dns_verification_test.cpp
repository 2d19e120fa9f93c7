#include <gtest/gtest.h>

#include <map>

#include "dns/verification.hpp"

using namespace ferry::dns;

namespace {
const ServerAddress kPrimary{"127.0.0.1", 5301}, kSecondary{"127.0.0.1", 5302};
const std::vector<RRsetKey> kKeys = {{"svc.ferry.test.", RecordType::a}, {"svc.ferry.test.", RecordType::aaaa}};
const std::vector<RecordSet> kNew = {{"svc.ferry.test.", RecordType::a, 60, {"198.18.0.3"}}};
const std::vector<RecordSet> kOld = {{"svc.ferry.test.", RecordType::a, 60, {"198.18.0.2"}}};
VerifyOptions fast() { return {0.3, 0.05, 0.1}; }
}  // namespace

TEST(DnsVerification, EvaluatesAnswersAndFailures) {
  auto ok = evaluate_answer(kPrimary, kKeys, kNew, kNew);
  EXPECT_TRUE(ok.ok);
  auto stale = evaluate_answer(kSecondary, kKeys, kNew, kOld);
  EXPECT_FALSE(stale.ok);
  EXPECT_NE(stale.describe().find("127.0.0.1:5302 still answers"), std::string::npos);
  EXPECT_NE(stale.describe().find("found 198.18.0.2"), std::string::npos);
  auto extra = kNew;
  extra.push_back({"svc.ferry.test.", RecordType::aaaa, 60, {"2001:2::2"}});
  EXPECT_FALSE(evaluate_answer(kPrimary, kKeys, kNew, extra).ok);  // an RRset that should be gone
  ferry::Result<std::vector<RecordSet>> down = ferry::fail("DNS server 127.0.0.1:5302: no answer (timeout)");
  auto unreachable = evaluate_answer(kSecondary, kKeys, kNew, down);
  EXPECT_FALSE(unreachable.ok);
  EXPECT_NE(unreachable.describe().find("timeout"), std::string::npos);
}

TEST(DnsVerification, NamesTheLaggingServer) {
  auto query = [](const ServerAddress& s, const std::vector<RRsetKey>&, double) -> ferry::Result<std::vector<RecordSet>> {
    return s == kPrimary ? kNew : kOld;
  };
  auto report = verify_on_servers({kPrimary, kSecondary}, kKeys, kNew, fast(), query);
  EXPECT_FALSE(report.ok);
  EXPECT_EQ(report.failing_servers(), std::vector<std::string>{"127.0.0.1:5302"});
  auto error = report.to_error("the switch");
  EXPECT_NE(error.what.find("127.0.0.1:5302"), std::string::npos);
  EXPECT_EQ(error.what.find("127.0.0.1:5301"), std::string::npos);
  EXPECT_GE(report.elapsed_seconds, 0.2);
}

TEST(DnsVerification, WaitsForASecondaryThatCatchesUp) {
  std::map<std::uint16_t, int> asked;
  auto query = [&](const ServerAddress& s, const std::vector<RRsetKey>&, double) -> ferry::Result<std::vector<RecordSet>> {
    ++asked[s.port];
    if (s == kSecondary && asked[s.port] < 3) return kOld;
    return kNew;
  };
  auto report = verify_on_servers({kPrimary, kSecondary}, kKeys, kNew, {5, 0.01, 0.1}, query);
  EXPECT_TRUE(report.ok);
  EXPECT_EQ(asked[5301], 1);  // a server that agreed is not asked again
  EXPECT_EQ(asked[5302], 3);
}
