// cli's text for a move command's outcome, rendered from the report --json prints.
#include "cli/move_text.hpp"

#include <gtest/gtest.h>

namespace ferry::cli {
namespace {

using nlohmann::json;

TEST(MoveText, PlanShowsTheChecksThenEachStepWithItsCommands) {
  json report = {{"instance", "web"}, {"source", "alpha"}, {"target", "beta"}, {"manager", "lxd"}, {"driver", "zfs"},
                 {"preflight", {{{"check", "space"}, {"ok", false}, {"message", "2 GiB free"}, {"hint", "free 3 GiB"}}}},
                 {"preflight_ok", false},
                 {"steps", {{{"title", "seed copy"}, {"done", true}, {"commands", {"[alpha] zfs snapshot tank/web@s1"}}}}}};
  EXPECT_EQ(plan_text(report),
            "preflight:\n"
            "  FAIL space: 2 GiB free\n"
            "         fix: free 3 GiB\n"
            "\n"
            "plan for 'web' from alpha to beta (lxd, zfs):\n"
            "  1. seed copy  (done)\n"
            "       [alpha] zfs snapshot tank/web@s1\n"
            "\n"
            "nothing was changed; fix the failed checks above and run again\n");
}

TEST(MoveText, DoneNamesTheDowntimeAndWhereItRunsOnlyWhenThereWasAnOutage) {
  core::CommandOutcome o{ExitCode::ok, core::OutcomeKind::done,
                         {{"command", "move"}, {"instance", "web"}, {"target", "beta"}, {"downtime_seconds", 1.234}}, {}};
  EXPECT_EQ(outcome_text(o), "ferry: move of 'web' done; downtime 1.23 s; it now runs on beta");
  o.report["command"] = "prepare";
  o.report["downtime_seconds"] = nullptr;
  EXPECT_EQ(outcome_text(o), "ferry: prepare of 'web' done");
}

TEST(MoveText, AFailureIsItsErrorsMessage) {
  core::CommandOutcome o{ExitCode::usage, core::OutcomeKind::failed, {{"ok", false}},
                         make_error("no move of 'web' is under way")};
  EXPECT_EQ(outcome_text(o), o.error->message());
}

}  // namespace
}  // namespace ferry::cli
