#include "exec/interrupt.hpp"

#include <gtest/gtest.h>
#include <signal.h>

#include "exec/host.hpp"
#include "exec/run.hpp"

namespace ferry::exec {
namespace {

struct InterruptTest : ::testing::Test {
  void SetUp() override {
    install_interrupt_handlers();
    reset_interrupt_for_tests();
  }
  void TearDown() override { reset_interrupt_for_tests(); }
};

// A signal stops what runs; the rollback that follows must still be able to run its commands
// (the flag used to stay set and SIGTERM every command after the first signal).
TEST_F(InterruptTest, ASignalStopsCommandsButNotThoseOfAShieldedRollback) {
  ::raise(SIGINT);
  EXPECT_TRUE(interrupted());
  auto stopped = run_command({"sleep", "5"});
  ASSERT_TRUE(stopped);
  EXPECT_TRUE(stopped->interrupted);
  EXPECT_LT(stopped->seconds, 2);
  {
    InterruptShield shield;
    EXPECT_FALSE(interrupted());
    EXPECT_TRUE(interrupt_requested());
    auto ran = run_command({"sh", "-c", "sleep 0.3; echo done"});
    ASSERT_TRUE(ran);
    EXPECT_FALSE(ran->interrupted);
    EXPECT_TRUE(ran->status.ok());
    EXPECT_EQ(ran->out, "done\n");
  }
  EXPECT_TRUE(interrupted());
}

TEST_F(InterruptTest, AFurtherSignalUnderAShieldAsksForTheStateOnly) {
  int reports = 0;
  set_status_reporter([&reports] { ++reports; });
  ::raise(SIGTERM);
  {
    InterruptShield shield;
    ::raise(SIGINT);
    auto ran = run_command({"sh", "-c", "sleep 0.3"});
    ASSERT_TRUE(ran);
    EXPECT_TRUE(ran->status.ok());
  }
  set_status_reporter(nullptr);
  EXPECT_EQ(reports, 1);
  EXPECT_EQ(interrupt_signal(), SIGTERM);
}

// The outage's deadline bounds every command, whatever its own timeout says.
TEST_F(InterruptTest, ADeadlineEndsACommandAndTheNewestDeadlineRules) {
  {
    Deadline outage(Clock::now() + std::chrono::milliseconds(300));
    auto cut = run_command({"sleep", "5"});
    ASSERT_TRUE(cut);
    EXPECT_TRUE(cut->timed_out);
    EXPECT_LT(cut->seconds, 2);
    {
      Deadline rollback(Clock::now() + std::chrono::seconds(30));
      EXPECT_FALSE(deadline_passed());
      auto ran = run_command({"sh", "-c", "sleep 0.5"});
      ASSERT_TRUE(ran);
      EXPECT_TRUE(ran->status.ok());
    }
    EXPECT_TRUE(deadline_passed());
  }
  EXPECT_FALSE(current_deadline().has_value());
}

// A command the outage's deadline ended says so: "`zfs list` failed (timed out)" left the operator
// guessing which limit it was.
TEST_F(InterruptTest, ACommandEndedByADeadlineNamesIt) {
  auto local = Host::local();
  {
    Deadline outage(Clock::now() + std::chrono::milliseconds(200), "the outage's deadline (--outage-deadline 20 s)");
    auto r = local.run({"sleep", "5"});
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().what, "`sleep 5` failed (the outage's deadline (--outage-deadline 20 s) passed)");
    {
      Deadline unnamed(Clock::now() + std::chrono::milliseconds(100));
      EXPECT_EQ(current_deadline_what(), "");
    }
    EXPECT_EQ(current_deadline_what(), "the outage's deadline (--outage-deadline 20 s)");
  }
  EXPECT_EQ(current_deadline_what(), "");
}

}  // namespace
}  // namespace ferry::exec
