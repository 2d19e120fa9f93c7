#include <gtest/gtest.h>

#include "dns/change_set.hpp"

using namespace ferry::dns;

namespace {
const std::string kZone = "ferry.test.";
RecordSet rs(const std::string& name, RecordType t, std::uint32_t ttl, std::vector<std::string> a) {
  return {name, t, ttl, std::move(a)};
}
const RecordType A = RecordType::a, AAAA = RecordType::aaaa;
}  // namespace

TEST(DnsChangeSet, LowerShortensOnlyLongerTtls) {
  std::vector<RecordSet> current = {rs("svc.ferry.test.", A, 3600, {"198.18.0.2"}),
                                    rs("svc.ferry.test.", AAAA, 30, {"2001:2::2"}),
                                    rs("other.ferry.test.", A, 3600, {"198.18.0.9"})};
  auto plan = plan_lower(kZone, {"svc.ferry.test."}, current, 60);
  ASSERT_TRUE(plan);
  ASSERT_EQ(plan->original.size(), 2u);
  ASSERT_EQ(plan->lowered.size(), 2u);
  EXPECT_EQ(find_rrset(plan->lowered, {"svc.ferry.test.", A})->ttl, 60u);
  EXPECT_EQ(find_rrset(plan->lowered, {"svc.ferry.test.", AAAA})->ttl, 30u);
  ASSERT_EQ(plan->change.changes.size(), 1u);
  EXPECT_EQ(plan->change.changes[0].before->ttl, 3600u);
  EXPECT_EQ(plan->change.changes[0].after->ttl, 60u);
}

TEST(DnsChangeSet, LowerRefusesNamesWithoutAddresses) {
  auto plan = plan_lower(kZone, {"nothing.ferry.test."}, {}, 60);
  ASSERT_FALSE(plan);
  EXPECT_EQ(plan.error().code, ferry::ExitCode::preflight);
  EXPECT_NE(plan.error().what.find("nothing.ferry.test."), std::string::npos);
}

TEST(DnsChangeSet, SwitchReplacesEachFamilyAndAddsNewOnes) {
  std::vector<RecordSet> lowered = {rs("svc.ferry.test.", A, 60, {"198.18.0.2"}),
                                    rs("www.ferry.test.", A, 60, {"198.18.0.2"}),
                                    rs("www.ferry.test.", AAAA, 60, {"2001:2::2"})};
  std::vector<MovedName> names = {{"svc.ferry.test.", {"198.18.0.3"}, {"2001:2::3"}},
                                  {"www.ferry.test.", {"198.18.0.3"}, {"2001:2::3"}}};
  auto plan = plan_switch(kZone, lowered, names, 60);
  ASSERT_TRUE(plan) << plan.error().message();
  ASSERT_EQ(plan->change.changes.size(), 4u);
  const auto& added = plan->change.changes[1];  // svc AAAA: did not exist
  EXPECT_EQ(added.key.type, AAAA);
  EXPECT_FALSE(added.before);
  EXPECT_EQ(added.after->ttl, 60u);
  EXPECT_EQ(plan->target.size(), 4u);
}

TEST(DnsChangeSet, SwitchRefusesToLeaveAFamilyBehind) {
  std::vector<RecordSet> lowered = {rs("www.ferry.test.", A, 60, {"198.18.0.2"}),
                                    rs("www.ferry.test.", AAAA, 60, {"2001:2::2"})};
  auto plan = plan_switch(kZone, lowered, {{"www.ferry.test.", {"198.18.0.3"}, {}}}, 60);
  ASSERT_FALSE(plan);
  EXPECT_NE(plan.error().what.find("AAAA"), std::string::npos);
  EXPECT_EQ(plan.error().code, ferry::ExitCode::usage);
}

TEST(DnsChangeSet, SwitchNeedsExactlyTheLoweredNames) {
  std::vector<RecordSet> lowered = {rs("svc.ferry.test.", A, 60, {"198.18.0.2"})};
  EXPECT_FALSE(plan_switch(kZone, lowered, {{"svc.ferry.test.", {}, {}}}, 60));  // no new address
  EXPECT_FALSE(plan_switch(kZone, lowered, {{"www.ferry.test.", {"198.18.0.3"}, {}}}, 60));
  EXPECT_FALSE(plan_switch(kZone, lowered, {}, 60));
}

TEST(DnsChangeSet, RestorePutsTheOriginalBackAndDropsAddedSets) {
  std::vector<RecordSet> original = {rs("svc.ferry.test.", A, 3600, {"198.18.0.2"})};
  std::vector<RecordSet> target = {rs("svc.ferry.test.", A, 60, {"198.18.0.3"}),
                                   rs("svc.ferry.test.", AAAA, 60, {"2001:2::3"})};
  auto change = plan_restore(kZone, target, original);
  ASSERT_EQ(change.changes.size(), 2u);
  EXPECT_EQ(change.changes[0].after->addresses, (std::vector<std::string>{"198.18.0.2"}));
  EXPECT_EQ(change.changes[0].after->ttl, 3600u);
  EXPECT_FALSE(change.changes[1].after);  // the AAAA goes away
}

TEST(DnsChangeSet, FinishRestoresOriginalTtlsOnTheNewAddresses) {
  std::vector<RecordSet> original = {rs("svc.ferry.test.", A, 3600, {"198.18.0.2"})};
  std::vector<RecordSet> target = {rs("svc.ferry.test.", A, 60, {"198.18.0.3"}),
                                   rs("svc.ferry.test.", AAAA, 60, {"2001:2::3"})};
  auto plan = plan_finish(kZone, target, original);
  ASSERT_EQ(plan.change.changes.size(), 2u);
  for (const auto& r : plan.final_records) EXPECT_EQ(r.ttl, 3600u);  // AAAA takes its name's TTL
  EXPECT_EQ(plan.final_records[0].addresses, (std::vector<std::string>{"198.18.0.3"}));
}

TEST(DnsChangeSet, ProgressTellsBeforeAfterAndSomethingElse) {
  ChangeSet change{DnsAction::switch_records, kZone,
                   {{{"svc.ferry.test.", A}, rs("svc.ferry.test.", A, 60, {"198.18.0.2"}),
                     rs("svc.ferry.test.", A, 60, {"198.18.0.3"})},
                    {{"svc.ferry.test.", AAAA}, std::nullopt, rs("svc.ferry.test.", AAAA, 60, {"2001:2::3"})}}};
  EXPECT_EQ(progress_of(change, {rs("svc.ferry.test.", A, 60, {"198.18.0.2"})}), ChangeProgress::before);
  EXPECT_EQ(progress_of(change, {rs("svc.ferry.test.", A, 60, {"198.18.0.3"}),
                                 rs("svc.ferry.test.", AAAA, 60, {"2001:2::3"})}),
            ChangeProgress::after);
  std::vector<Difference> differences;
  EXPECT_EQ(progress_of(change, {rs("svc.ferry.test.", A, 60, {"198.18.0.9"})}, &differences),
            ChangeProgress::neither);
  ASSERT_EQ(differences.size(), 1u);
  EXPECT_NE(differences[0].describe().find("found 198.18.0.9"), std::string::npos);
  // A TTL changed by someone else also counts as a difference.
  EXPECT_EQ(progress_of(change, {rs("svc.ferry.test.", A, 300, {"198.18.0.2"})}), ChangeProgress::neither);
}
