#include "storage/zfs/zfs_send_plan.hpp"

#include <gtest/gtest.h>

namespace ferry::storage::zfs {
namespace {

std::vector<SnapshotInfo> snaps(std::initializer_list<std::pair<const char*, const char*>> list) {
  std::vector<SnapshotInfo> out;
  uint64_t order = 0;
  for (auto& [n, g] : list) out.push_back({n, g, ++order});
  return out;
}

TEST(ZfsSendPlan, FreshTargetGetsOldestInFullThenOneIncrementalStream) {
  auto src = snaps({{"snapshot-s1", "11"}, {"snapshot-s2", "12"}, {"ferry-1", "13"}});
  auto plan = plan_zfs_sends(src, std::nullopt, "ferry-1", false);
  ASSERT_TRUE(plan);
  ASSERT_EQ(plan->sends.size(), 2u);
  EXPECT_FALSE(plan->sends[0].from);
  EXPECT_EQ(plan->sends[0].to, "snapshot-s1");
  EXPECT_EQ(*plan->sends[1].from, "snapshot-s1");
  EXPECT_EQ(plan->sends[1].to, "ferry-1");
}

TEST(ZfsSendPlan, OnlySnapshotIsSentInFull) {
  auto plan = plan_zfs_sends(snaps({{"ferry-1", "1"}}), std::nullopt, "ferry-1", false);
  ASSERT_TRUE(plan);
  ASSERT_EQ(plan->sends.size(), 1u);
  EXPECT_FALSE(plan->sends[0].from);
}

TEST(ZfsSendPlan, IncrementFromNewestCommonSnapshotMatchedByGuid) {
  auto src = snaps({{"snapshot-s1", "11"}, {"ferry-1", "13"}, {"snapshot-s3", "14"}, {"ferry-2", "15"}});
  // Same names are irrelevant: a renamed target snapshot with the same GUID still matches.
  auto tgt = snaps({{"snapshot-s1", "11"}, {"renamed", "13"}});
  auto plan = plan_zfs_sends(src, tgt, "ferry-2", true);
  ASSERT_TRUE(plan);
  ASSERT_EQ(plan->sends.size(), 1u);
  EXPECT_EQ(*plan->sends[0].from, "ferry-1");
  EXPECT_EQ(plan->sends[0].to, "ferry-2");
  EXPECT_TRUE(plan->sends[0].rollback);
}

TEST(ZfsSendPlan, NothingToDoWhenTargetHasTheSnapshot) {
  auto src = snaps({{"ferry-1", "13"}});
  auto plan = plan_zfs_sends(src, snaps({{"ferry-1", "13"}}), "ferry-1", false);
  ASSERT_TRUE(plan);
  EXPECT_TRUE(plan->sends.empty());
}

TEST(ZfsSendPlan, SameNameDifferentGuidIsNotCommon) {
  auto src = snaps({{"ferry-1", "13"}, {"ferry-2", "14"}});
  auto plan = plan_zfs_sends(src, snaps({{"ferry-1", "99"}}), "ferry-2", false);
  ASSERT_FALSE(plan);
  EXPECT_EQ(plan.error().code, ExitCode::preflight);
}

TEST(ZfsSendPlan, RefusesWhenTargetHasNewerSnapshots) {
  auto src = snaps({{"ferry-1", "13"}, {"ferry-2", "14"}});
  auto plan = plan_zfs_sends(src, snaps({{"ferry-1", "13"}, {"trial", "77"}}), "ferry-2", false);
  ASSERT_FALSE(plan);
  EXPECT_NE(plan.error().what.find("newer"), std::string::npos);
}

TEST(ZfsSendPlan, UnknownTargetSnapshotIsAnError) {
  EXPECT_FALSE(plan_zfs_sends(snaps({{"a", "1"}}), std::nullopt, "b", false));
}

}  // namespace
}  // namespace ferry::storage::zfs
