#include <gtest/gtest.h>

#include "dns/rfc2136_provider.hpp"

using namespace ferry::dns;

namespace {
ferry::Status judge(UpdateReply r) { return judge_update_reply(r, "127.0.0.1:5301", "ferry.test.", "key ferry-key. (hmac-sha256)"); }
UpdateReply reply(int rcode, int tsig_error = 0, bool has_tsig = true, bool valid = true) {
  UpdateReply r;
  r.rcode = rcode;
  r.tsig_error = tsig_error;
  r.has_tsig = has_tsig;
  r.tsig_valid = valid;
  return r;
}
}  // namespace

TEST(DnsUpdateReply, AcceptsOnlyASignedVerifiedNoError) {
  EXPECT_TRUE(judge(reply(0)));
  auto unsigned_reply = judge(reply(0, 0, false, false));
  ASSERT_FALSE(unsigned_reply);
  EXPECT_NE(unsigned_reply.error().what.find("without a signature"), std::string::npos);
  auto forged = judge(reply(0, 0, true, false));
  ASSERT_FALSE(forged);
  EXPECT_NE(forged.error().what.find("does not verify"), std::string::npos);
  auto skewed = reply(0);
  skewed.tsig_time_ok = false;
  EXPECT_FALSE(judge(skewed));
}

TEST(DnsUpdateReply, NamesEachTsigError) {
  struct Case {
    int error;
    const char* text;
  } cases[] = {{16, "BADSIG"}, {17, "BADKEY"}, {18, "BADTIME"}};
  for (const auto& c : cases) {
    auto s = judge(reply(9, c.error, true, false));
    ASSERT_FALSE(s);
    EXPECT_NE(s.error().what.find(c.text), std::string::npos) << s.error().what;
    EXPECT_NE(s.error().what.find("127.0.0.1:5301"), std::string::npos);
    EXPECT_EQ(s.error().host, "127.0.0.1:5301");
    EXPECT_NE(s.error().detail.find("nothing was changed"), std::string::npos);
  }
  auto notauth = judge(reply(9));
  ASSERT_FALSE(notauth);
  EXPECT_NE(notauth.error().what.find("not authoritative for zone ferry.test."), std::string::npos);
}

TEST(DnsUpdateReply, ConflictsAreRefusalsThatChangedNothing) {
  for (int rcode : {6, 7, 8, 3}) {
    auto s = judge(reply(rcode));
    ASSERT_FALSE(s);
    EXPECT_EQ(s.error().code, ferry::ExitCode::preflight);
    EXPECT_NE(s.error().detail.find("nothing was changed"), std::string::npos);
  }
}

TEST(DnsUpdateReply, OtherRcodesAreClearFailures) {
  auto refused = judge(reply(5));
  ASSERT_FALSE(refused);
  EXPECT_NE(refused.error().what.find("REFUSED"), std::string::npos);
  EXPECT_EQ(refused.error().code, ferry::ExitCode::failure);
  auto servfail = judge(reply(2));
  ASSERT_FALSE(servfail);
  EXPECT_NE(servfail.error().what.find("SERVFAIL"), std::string::npos);
  EXPECT_FALSE(judge(reply(10)));
  EXPECT_FALSE(judge(reply(4)));
}

TEST(DnsUpdateMessage, PrerequisitesMakeItACompareAndSwap) {
  ChangeSet change{DnsAction::switch_records, "ferry.test.",
                   {{{"svc.ferry.test.", RecordType::a},
                     RecordSet{"svc.ferry.test.", RecordType::a, 60, {"198.18.0.2"}},
                     RecordSet{"svc.ferry.test.", RecordType::a, 60, {"198.18.0.3"}}},
                    {{"svc.ferry.test.", RecordType::aaaa},
                     std::nullopt,
                     RecordSet{"svc.ferry.test.", RecordType::aaaa, 60, {"2001:2::3"}}}}};
  auto text = update_message_text(change);
  EXPECT_NE(text.find("opcode: UPDATE"), std::string::npos) << text;
  auto prereq = text.find("PREREQUISITE SECTION");
  auto update = text.find("UPDATE SECTION");
  ASSERT_NE(prereq, std::string::npos) << text;
  ASSERT_NE(update, std::string::npos) << text;
  auto in_prereq = text.substr(prereq, update - prereq);
  EXPECT_NE(in_prereq.find("svc.ferry.test.\t0\tIN\tA\t198.18.0.2"), std::string::npos) << text;
  EXPECT_NE(in_prereq.find("svc.ferry.test.\t0\tNONE\tAAAA"), std::string::npos) << text;
  auto in_update = text.substr(update);
  EXPECT_NE(in_update.find("svc.ferry.test.\t0\tANY\tA"), std::string::npos) << text;
  EXPECT_NE(in_update.find("svc.ferry.test.\t60\tIN\tA\t198.18.0.3"), std::string::npos) << text;
  EXPECT_NE(in_update.find("svc.ferry.test.\t60\tIN\tAAAA\t2001:2::3"), std::string::npos) << text;
}
