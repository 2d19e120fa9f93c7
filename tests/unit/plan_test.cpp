#include "core/plan.hpp"

#include <gtest/gtest.h>

#include <set>

namespace ferry::core {
namespace {

std::vector<std::string> ids(const std::vector<Step>& steps) {
  std::vector<std::string> out;
  for (auto& s : steps) out.push_back(s.id);
  return out;
}

TEST(Plan, FullMoveOrdersPhasesAndNamesSnapshotsInSequence) {
  PlanInput in;
  in.move_id = "m1";
  in.roles = {"instance", "custom/vol1"};
  auto steps = move_plan(in);
  EXPECT_EQ(ids(steps), (std::vector<std::string>{
                            "preflight", "prepare.snapshot", "prepare.send:instance", "prepare.send:custom/vol1",
                            "prepare.activate", "prepare.import", "sync.1.check-target", "sync.1.snapshot",
                            "sync.1.send:instance", "sync.1.send:custom/vol1", "sync.1.activate",
                            "cutover.check-target", "cutover.stop-source", "cutover.snapshot",
                            "cutover.send:instance", "cutover.send:custom/vol1", "cutover.activate",
                            "cutover.apply-config", "cutover.start-target", "cutover.mark-source",
                            "cleanup.snapshots"}));
  EXPECT_EQ(steps[1].snapshot, "ferry-m1-1");
  EXPECT_EQ(steps[7].snapshot, "ferry-m1-2");
  EXPECT_EQ(steps[13].snapshot, "ferry-m1-3");
  EXPECT_EQ(steps.back().snapshot, "ferry-m1-3");  // the last common snapshot is kept
}

TEST(Plan, StepIdsAreUnique) {
  PlanInput in;
  in.move_id = "x";
  in.roles = {"instance", "custom/a", "custom/b"};
  in.precopy_rounds = 3;
  auto steps = move_plan(in);
  auto list = ids(steps);
  EXPECT_EQ(std::set<std::string>(list.begin(), list.end()).size(), list.size());
}

TEST(Plan, PreparedMoveContinuesTheSequence) {
  PlanInput in;
  in.move_id = "m";
  in.roles = {"instance"};
  in.prepared = true;
  in.next_sequence = 5;
  in.first_round = 4;
  in.precopy_rounds = 0;
  auto steps = move_plan(in);
  EXPECT_EQ(steps.front().id, "cutover.check-target");
  EXPECT_EQ(steps[2].snapshot, "ferry-m-5");
}

TEST(Plan, StepsRoundTripThroughJson) {
  Step s{"sync.1.send:instance", StepKind::send, "t", "ferry-a-2", "instance"};
  auto back = Step::from_json(s.to_json());
  EXPECT_EQ(back.id, s.id);
  EXPECT_EQ(back.kind, StepKind::send);
  EXPECT_EQ(back.snapshot, s.snapshot);
  EXPECT_EQ(back.role, s.role);
}

}  // namespace
}  // namespace ferry::core
