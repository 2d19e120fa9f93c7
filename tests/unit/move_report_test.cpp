#include "core/move_report.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

namespace ferry::core {
namespace {

struct TempJournal {
  std::filesystem::path dir = std::filesystem::temp_directory_path() / ("ferry-report-" + std::to_string(::getpid()));
  Result<Journal> opened = open(dir);
  Journal& journal = *opened;
  static Result<Journal> open(const std::filesystem::path& d) {
    std::filesystem::remove_all(d);
    return Journal::open((d / "journal.jsonl").string());
  }
  ~TempJournal() { std::filesystem::remove_all(dir); }
  // Every step ferry runs is begun (its typed record) before it is done, as execute() does.
  void done(const std::string& id, nlohmann::json data) {
    auto step = planned(id);
    ASSERT_TRUE(step) << id;
    ASSERT_TRUE(journal.append("begin", id, step->to_json()));
    ASSERT_TRUE(journal.append("done", id, data));
  }
  // The step of that id in a move's plan (two volumes, a pre-copy round, crash mode).
  static std::optional<Step> planned(const std::string& id) {
    PlanInput in;
    in.move_id = "m";
    in.roles = {"instance", "custom/v"};
    in.crash = true;
    auto plan = move_plan(in);
    for (auto& st : plan)
      if (st.id == id) return st;
    return std::nullopt;
  }
};

TEST(MoveReport, CopyHistoryReadsTheSeedAndEachRound) {
  TempJournal t;
  t.done("prepare.snapshot", {{"step_seconds", 0.5}, {"taken_ms", 1000}});
  t.done("prepare.send:instance", {{"bytes", 100'000'000}, {"step_seconds", 10.0}});
  t.done("prepare.send:custom/v", {{"bytes", 50'000'000}, {"step_seconds", 10.0}});  // in parallel
  t.done("prepare.activate", {{"step_seconds", 0.5}});
  t.done("sync.1.snapshot", {{"step_seconds", 0.2}, {"taken_ms", 13000}});
  t.done("sync.1.send:instance", {{"bytes", 6'000'000}, {"step_seconds", 1.5}});
  t.done("sync.1.activate", {{"step_seconds", 0.3}});
  auto h = copy_history(t.journal);
  EXPECT_EQ(h.seed.bytes, 150'000'000u);
  EXPECT_DOUBLE_EQ(h.seed.transfer_seconds, 10.0);  // the slowest of parallel sends
  EXPECT_DOUBLE_EQ(h.seed.round_seconds, 11.0);
  ASSERT_EQ(h.rounds.size(), 1u);
  EXPECT_DOUBLE_EQ(h.rounds[0].since_previous, 12.0);
  EXPECT_DOUBLE_EQ(h.rounds[0].round_seconds, 2.0);
}

TEST(MoveReport, OutageBreakdownSaysWhatFerryAdded) {
  TempJournal t;
  ASSERT_TRUE(t.journal.append("start", "", {{"move_id", "m"}, {"request", {{"instance", "web"}, {"mode", "crash"}}}}));
  t.done("cutover.stop-source", {{"step_seconds", 0.3}, {"freeze_seconds", 0.3}});
  t.done("cutover.snapshot", {{"step_seconds", 0.2}});
  t.done("cutover.send:instance", {{"step_seconds", 0.9}});
  t.done("cutover.activate", {{"step_seconds", 0.1}});
  t.done("cutover.start-target", {{"step_seconds", 4.0}});
  t.done("cutover.health", {{"step_seconds", 0.2}, {"downtime_seconds", 5.9}});
  t.done("cutover.end-source", {{"step_seconds", 0.9}});  // after the gate: not in the outage
  auto report = summarize(t.journal, read_move_state(t.journal));
  EXPECT_EQ(report["mode"], "crash");
  EXPECT_DOUBLE_EQ(report["downtime_seconds"].get<double>(), 5.9);
  auto& o = report["outage"];
  EXPECT_DOUBLE_EQ(o["freeze_seconds"].get<double>(), 0.3);
  EXPECT_NEAR(o["final_sync_seconds"].get<double>(), 0.2 + 0.9 + 0.1, 1e-9);
  EXPECT_NEAR(o["start_seconds"].get<double>(), 4.2, 1e-9);
  EXPECT_NEAR(o["overhead_seconds"].get<double>(), 5.9 - 0.3 - 4.2, 1e-9);
}

TEST(MoveReport, AStoppedInstanceHasNoOutage) {
  TempJournal t;
  ASSERT_TRUE(t.journal.append("start", "", {{"move_id", "m"}, {"request", {{"instance", "web"}, {"mode", "clean"}}}}));
  t.done("cutover.stop-source", {{"step_seconds", 0.3}, {"was_running", false}});
  t.done("cutover.start-target", {{"step_seconds", 0.0}, {"started", false}});
  t.done("cutover.health", {{"step_seconds", 0.0}, {"skipped", "the instance was stopped on the source"}});
  auto report = summarize(t.journal, read_move_state(t.journal));
  EXPECT_TRUE(report["downtime_seconds"].is_null());
  EXPECT_TRUE(report["outage"].is_null());
}

}  // namespace
}  // namespace ferry::core
