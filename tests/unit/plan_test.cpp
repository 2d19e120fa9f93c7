#include "core/plan.hpp"

#include <gtest/gtest.h>

#include <algorithm>
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
                            "cutover.check-target", "cutover.apply-config", "cutover.stop-source",
                            "cutover.snapshot", "cutover.send:instance", "cutover.send:custom/vol1",
                            "cutover.activate", "cutover.start-target", "cutover.health", "cutover.mark-source",
                            "cleanup.snapshots"}));
  EXPECT_EQ(steps[1].snapshot, "ferry-m1-1");
  EXPECT_EQ(steps[7].snapshot, "ferry-m1-2");
  EXPECT_EQ(steps[14].snapshot, "ferry-m1-3");
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
  EXPECT_EQ(steps[3].snapshot, "ferry-m-5");
}

TEST(Plan, CrashModeFreezesSnapshotsAndKillsOnlyOnceTheTargetIsHealthy) {
  PlanInput in;
  in.move_id = "m";
  in.roles = {"instance"};
  in.crash = true;
  in.prepared = true;
  in.precopy_rounds = 0;
  auto list = ids(move_plan(in));
  auto at = [&](const std::string& id) { return std::find(list.begin(), list.end(), id) - list.begin(); };
  EXPECT_LT(at("cutover.stop-source"), at("cutover.snapshot"));
  EXPECT_LT(at("cutover.snapshot"), at("cutover.send:instance"));
  EXPECT_LT(at("cutover.health"), at("cutover.end-source"));   // off the outage's path
  EXPECT_LT(at("cutover.end-source"), at("cutover.mark-source"));  // which thaws it
}

TEST(Plan, TheSwitchComesAfterTheHealthGateAndTheHooksAroundTheOutage) {
  PlanInput in;
  in.move_id = "m";
  in.roles = {"instance"};
  in.trial = in.before_stop = in.after_start = in.health = in.forward = in.dns = true;
  auto list = ids(move_plan(in));
  auto at = [&](const std::string& id) { return std::find(list.begin(), list.end(), id) - list.begin(); };
  EXPECT_LT(at("prepare.import"), at("try.boot"));
  EXPECT_LT(at("try.boot"), at("sync.1.check-target"));
  EXPECT_LT(at("cutover.apply-config"), at("cutover.stop-source"));  // not on the outage's path
  EXPECT_LT(at("cutover.before-stop"), at("cutover.stop-source"));
  EXPECT_LT(at("cutover.start-target"), at("cutover.health"));
  EXPECT_LT(at("cutover.health"), at("cutover.forward"));
  EXPECT_LT(at("cutover.forward"), at("cutover.dns-switch"));
  EXPECT_LT(at("cutover.after-start"), at("cutover.dns-switch"));
  EXPECT_LT(at("cutover.dns-switch"), at("cutover.mark-source"));
}

TEST(Plan, AnotherRoundGoesBeforeTheCutoverAndRenumbersIt) {
  PlanInput in;
  in.move_id = "m";
  in.roles = {"instance"};
  auto plan = move_plan(in);  // seed 1, sync.1 2, cutover 3
  auto more = with_another_round(plan, in);
  auto list = ids(more);
  auto at = [&](const std::string& id) { return std::find(list.begin(), list.end(), id) - list.begin(); };
  EXPECT_LT(at("sync.1.activate"), at("sync.2.check-target"));
  EXPECT_LT(at("sync.2.activate"), at("cutover.check-target"));
  EXPECT_EQ(more[at("sync.2.snapshot")].snapshot, "ferry-m-3");
  EXPECT_EQ(more[at("cutover.snapshot")].snapshot, "ferry-m-4");
  EXPECT_EQ(more.back().snapshot, "ferry-m-4");
  EXPECT_EQ(std::set<std::string>(list.begin(), list.end()).size(), list.size());
}

TEST(Plan, StepsRoundTripThroughJson) {
  Step s{"sync.1.send:instance", StepKind::send, "t", "ferry-a-2", "instance", Phase::sync, 1};
  auto back = Step::from_json(s.to_json());
  EXPECT_EQ(back.id, s.id);
  EXPECT_EQ(back.kind, StepKind::send);
  EXPECT_EQ(back.snapshot, s.snapshot);
  EXPECT_EQ(back.role, s.role);
  EXPECT_EQ(back.phase, Phase::sync);
  EXPECT_EQ(back.round, 1);
}

// What a step is lives in its fields; the id is the journal's key, built from them the way the
// journal always spelled it (so a fault spec or a reader of the journal finds the same names).
TEST(Plan, EveryStepSaysItsPhaseAndRound) {
  PlanInput in;
  in.move_id = "m";
  in.roles = {"instance"};
  in.precopy_rounds = 2;
  in.trial = true;
  for (auto& st : move_plan(in)) {
    std::string prefix = st.phase == Phase::preflight ? "" : to_string(st.phase) + ".";
    if (st.phase == Phase::sync) prefix += std::to_string(st.round) + ".";
    EXPECT_EQ(st.id.rfind(prefix, 0), 0u) << st.id;
    EXPECT_EQ(st.round > 0, st.phase == Phase::sync) << st.id;
  }
  auto more = with_another_round(move_plan(in), in);
  int rounds = 0;
  for (auto& st : more)
    if (st.phase == Phase::sync && st.kind == StepKind::activate) rounds = std::max(rounds, st.round);
  EXPECT_EQ(rounds, 3);
}

}  // namespace
}  // namespace ferry::core
