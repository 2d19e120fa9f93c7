#include "core/move_status.hpp"

#include <gtest/gtest.h>

#include "cli/move_text.hpp"

namespace ferry::core {
namespace {

// The status as --json has it and as cli renders it from that same report.
struct StatusView {
  nlohmann::json report;
  std::string text;
};

StatusView view(const StatusFacts& f) {
  auto report = move_status(f);
  return {report, cli::status_text(report)};
}

StatusFacts started_move() {
  StatusFacts f;
  f.asked.instance = "web";
  f.asked.source = "old";
  f.state.started = true;
  f.state.move_id = "261202150000-1";
  f.state.request.instance = "web";
  f.state.request.source = "old";
  f.state.request.target = "new";
  f.summary = nlohmann::json::object();
  f.journal_path = "/var/lib/ferry/moves/default_web@old/journal.jsonl";
  return f;
}

TEST(MoveStatus, NothingRecordedSuggestsThePlan) {
  StatusFacts f;
  f.asked.instance = "web";
  f.asked.source = "old";
  auto [command, why] = next_step(f);
  EXPECT_EQ(command, "ferry plan web --from old --to NEW-HOST");
  auto v = view(f);
  EXPECT_EQ(v.report["state"], "none");
  EXPECT_NE(v.text.find("no move of 'web' from old is recorded"), std::string::npos);
}

TEST(MoveStatus, PreparedSuggestsTheMoveAndShowsTheTable) {
  auto f = started_move();
  f.state.prepared = true;
  f.state.rounds_done = 1;
  f.state.last_snapshot = "ferry-261202150000-1-2";
  f.last_done = JournalRecord{"2026-12-02T15:00:09Z", "done", "prepare.import", {}};
  f.summary["prediction"] = {{"outage_seconds", 3.5}, {"verdict", "cut_over"}, {"explanation", "predicted outage 3.5 s"}};
  auto v = view(f);
  EXPECT_EQ(v.report["state"], "prepared");
  EXPECT_EQ(v.report["serving"], "source");
  EXPECT_EQ(v.report["predicted_outage_seconds"], 3.5);
  EXPECT_EQ(v.report["last_step"]["step"], "prepare.import");
  EXPECT_EQ(v.report["next"]["command"], "ferry move web --from old --to new");
  // One aligned table: every value starts in the same column.
  EXPECT_NE(v.text.find("  phase             prepared\n"), std::string::npos) << v.text;
  EXPECT_NE(v.text.find("  serving           old (the source)\n"), std::string::npos) << v.text;
  EXPECT_NE(v.text.find("  predicted outage  predicted outage 3.5 s (cut_over)\n"), std::string::npos) << v.text;
  EXPECT_NE(v.text.find("  next              ferry move web --from old --to new\n"), std::string::npos) << v.text;
}

TEST(MoveStatus, FinishedWithForwardingSuggestsFinishThenNothing) {
  auto f = started_move();
  f.state.prepared = f.state.switched = f.state.finished = true;
  f.summary["forwarding"] = {{"from", "198.18.0.2"}, {"to", "198.18.0.3"}};
  EXPECT_EQ(next_step(f).first, "ferry finish web --from old --to new");
  f.summary.erase("forwarding");
  auto [command, why] = next_step(f);
  EXPECT_EQ(command, "");
  EXPECT_NE(why.find("ferry move web --from new --to old"), std::string::npos) << why;
}

TEST(MoveStatus, StoppedInTheOutageSaysRunItAgain) {
  auto f = started_move();
  f.state.prepared = true;
  f.state.outage_begun = true;
  f.state.open_command = "cutover";
  f.state.open_plan = std::vector<Step>{};
  f.pending_steps = {"cutover.final-sync:root", "cutover.start-target"};
  auto v = view(f);
  EXPECT_EQ(v.report["serving"], "none");
  EXPECT_EQ(v.report["next"]["command"], "ferry cutover web --from old --to new");
  f.state.rollback_pending = true;
  v = view(f);
  EXPECT_EQ(v.report["phase"], "rolling back");
  EXPECT_EQ(v.report["state"], "prepared");
  EXPECT_NE(v.report["next"]["why"].get<std::string>().find("finishes the rollback"), std::string::npos);
}

TEST(MoveStatus, HistoryIsATableWithAHeader) {
  std::vector<Leg> legs = {{"1", "alpha", "beta", "2026-12-02T10:00:00Z", "2026-12-02T10:01:00Z", "finished", 2.5},
                           {"2", "beta", "alpha", "2026-12-02T11:00:00Z", "", "under way", std::nullopt}};
  nlohmann::json legs_json = nlohmann::json::array();
  for (auto& leg : legs) legs_json.push_back(leg.to_json());
  EXPECT_EQ(cli::format_history(legs_json),
            "  #  from   to     state      when (UTC)            downtime  move\n"
            "  1  alpha  beta   finished   2026-12-02T10:01:00Z  2.50 s    1\n"
            "  2  beta   alpha  under way  2026-12-02T11:00:00Z  -         2\n");
}

TEST(MoveStatus, RowsIndentAValuesFurtherLines) {
  EXPECT_EQ(cli::format_rows({{"a", "x"}, {"long", "y\nz"}}), "  a     x\n  long  y\n        z\n");
}

}  // namespace
}  // namespace ferry::core
