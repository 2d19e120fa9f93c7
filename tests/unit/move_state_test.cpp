#include "core/move_state.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

namespace ferry::core {
namespace {

MoveRequest journaled() {
  MoveRequest r;
  r.instance = "web";
  r.source = "alpha";
  r.target = "beta";
  r.mode = ConsistencyMode::crash;
  r.health = "http://web/health";
  r.target_address = "198.18.0.3";
  r.dns_file = "/etc/ferry/web.toml";
  r.bwlimit = "20M";
  return r;
}

struct MoveStateTest : ::testing::Test {
  std::filesystem::path dir =
      std::filesystem::temp_directory_path() / ("ferry-move-state-" + std::to_string(::getpid()));
  std::optional<Journal> journal;
  void SetUp() override {
    std::filesystem::remove_all(dir);
    auto j = Journal::open((dir / "journal.jsonl").string());
    ASSERT_TRUE(j);
    journal.emplace(std::move(*j));
    MoveRequest r = journaled();
    ASSERT_TRUE(journal->append("start", "", {{"move_id", "1"}, {"request", r.to_json()}}));
    ASSERT_TRUE(journal->append("done", "prepare.import"));
    nlohmann::json steps = nlohmann::json::array();
    steps.push_back(Step{"cutover.stop-source", StepKind::stop_source, "stop", "ferry-1-3", "", Phase::cutover}.to_json());
    steps.push_back(Step{"cutover.start-target", StepKind::start_target, "start", "", "", Phase::cutover}.to_json());
    steps.push_back(Step{"cutover.health", StepKind::health, "health", "", "", Phase::cutover}.to_json());
    ASSERT_TRUE(journal->append("plan", "", {{"command", "cutover"}, {"steps", steps}, {"request", r.to_json()}}));
  }
  void TearDown() override { std::filesystem::remove_all(dir); }
  // Journal records, each an event and its step.
  void record(std::initializer_list<std::pair<const char*, const char*>> events) {
    for (auto& [event, step] : events) ASSERT_TRUE(journal->append(event, step));
  }
};

TEST_F(MoveStateTest, BeforeTheStopTheSourceServes) {
  auto st = read_move_state(*journal);
  EXPECT_EQ(serving_host(st), "source");
  ASSERT_TRUE(st.plan_request);
  EXPECT_TRUE(st.plan_request->crash());
}

TEST_F(MoveStateTest, KilledInTheOutageNobodyServesUntilTheRerun) {
  ASSERT_TRUE(journal->append("begin", "cutover.stop-source"));
  EXPECT_EQ(serving_host(read_move_state(*journal)), "none");
}

// A failed rollback used to be journaled as a done one ("reset", "rolled_back"): the rerun then
// found the source stopped and went on to "done" with the service down on both hosts.
TEST_F(MoveStateTest, AFailedRollbackStaysPendingAndTheServingHostIsUnknown) {
  record({{"begin", "cutover.stop-source"}, {"done", "cutover.stop-source"}, {"begin", "cutover.start-target"}});
  ASSERT_TRUE(journal->append("fact", "", {{"target_start_requested_ms", 1}}));
  ASSERT_TRUE(journal->append("failed", "cutover.start-target", {{"what", "timed out"}}));
  ASSERT_TRUE(journal->append("rollback_begin", "", {{"reason", "timed out"}}));
  ASSERT_TRUE(journal->append("rollback_failed", "", {{"what", "beta does not answer"}}));
  auto st = read_move_state(*journal);
  EXPECT_TRUE(st.rollback_pending);
  EXPECT_EQ(st.rollback_error, "beta does not answer");
  EXPECT_EQ(serving_host(st), "unknown");
  EXPECT_TRUE(st.open_plan.has_value());
  EXPECT_FALSE(st.finished);

  record({{"rollback_begin", ""}, {"reset", "cutover."}, {"rolled_back", ""}});
  st = read_move_state(*journal);
  EXPECT_FALSE(st.rollback_pending);
  EXPECT_EQ(serving_host(st), "source");
  EXPECT_FALSE(st.open_plan.has_value());
}

TEST_F(MoveStateTest, ARollbackKilledBeforeTheTargetWasAskedToStartLeavesNoneServing) {
  record({{"begin", "cutover.stop-source"}, {"rollback_begin", ""}});
  EXPECT_EQ(serving_host(read_move_state(*journal)), "none");
}

// The start step begins by asking the source host to acknowledge the start (its dead-man then
// stands down); a controller cut off from the source there never asked the target. Taken as
// "asked" before, the failed rollback read "serving host unknown" though ferry knew better.
TEST_F(MoveStateTest, AStartStepThatNeverReachedTheTargetLeavesNoneServing) {
  record({{"begin", "cutover.stop-source"}, {"done", "cutover.stop-source"}, {"begin", "cutover.start-target"}});
  ASSERT_TRUE(journal->append("failed", "cutover.start-target", {{"what", "the source host did not acknowledge it"}}));
  ASSERT_TRUE(journal->append("rollback_begin", "", {{"reason", "not acknowledged"}}));
  ASSERT_TRUE(journal->append("rollback_failed", "", {{"what", "alpha does not answer"}}));
  auto st = read_move_state(*journal);
  EXPECT_FALSE(st.target_start_requested);
  EXPECT_EQ(serving_host(st), "none");
}

TEST_F(MoveStateTest, AfterTheHealthGateTheTargetServes) {
  record({{"begin", "cutover.stop-source"}, {"done", "cutover.stop-source"}, {"done", "cutover.start-target"},
          {"done", "cutover.health"}});
  EXPECT_EQ(serving_host(read_move_state(*journal)), "target");
}


// The crash-mode rerun without --mode crash used to run as clean: the frozen source was never
// ended, and a `lxc start` there would have resumed a second live copy.
TEST(ContinueRequest, WhatTheRerunLeavesOutComesFromTheJournal) {
  MoveRequest rerun;
  rerun.instance = "web";
  rerun.source = "alpha";
  rerun.target = "beta";
  rerun.given = {"--from", "--to"};
  auto r = continue_request(journaled(), rerun);
  ASSERT_TRUE(r);
  EXPECT_TRUE(r->crash());
  EXPECT_EQ(r->health, "http://web/health");
  EXPECT_EQ(r->target_address, "198.18.0.3");
  EXPECT_EQ(r->dns_file, "/etc/ferry/web.toml");
  EXPECT_EQ(r->bwlimit, "20M");
}

TEST(ContinueRequest, AnOptionThatChangesTheMoveIsRefusedWithBothValues) {
  MoveRequest rerun = journaled();
  rerun.mode = ConsistencyMode::clean;
  rerun.health = "tcp:80";
  rerun.given = {"--mode", "--health"};
  auto r = continue_request(journaled(), rerun);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ExitCode::usage);
  EXPECT_NE(r.error().detail.find("--mode: clean on this command line, crash in the journal"), std::string::npos)
      << r.error().detail;
  EXPECT_NE(r.error().detail.find("--health: tcp:80 on this command line, http://web/health in the journal"),
            std::string::npos);
}

TEST(ContinueRequest, OptionsOfOneRunMayDiffer) {
  MoveRequest rerun = journaled();
  rerun.bwlimit = "50M";
  rerun.stop_timeout = 120;
  rerun.discard_target_changes = true;
  rerun.cutover_anyway = true;
  rerun.given = {"--bwlimit", "--stop-timeout", "--discard-target-changes", "--cutover-anyway", "--mode"};
  auto r = continue_request(journaled(), rerun);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->bwlimit, "50M");
  EXPECT_EQ(r->stop_timeout, 120);
  EXPECT_TRUE(r->discard_target_changes);
  EXPECT_TRUE(r->cutover_anyway);
  EXPECT_TRUE(r->crash());
}

}  // namespace
}  // namespace ferry::core
