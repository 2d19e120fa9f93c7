// The dead-man's script, run on this machine as on a source host, against a fake client that
// logs what it is asked: it fires past its deadline, never once the target's start was
// recorded, and a disarmed one leaves nothing behind.
#include "core/dead_man.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "exec/run.hpp"

namespace ferry::core {
namespace {

using namespace std::chrono_literals;
namespace fs = std::filesystem;

class DeadManTest : public ::testing::Test {
 protected:
  void SetUp() override {
    bin_ = fs::temp_directory_path() / ("ferry-dead-man-bin-" + std::to_string(::getpid()));
    fs::create_directories(bin_);
    log_ = (bin_ / "calls").string();
    std::ofstream fake(bin_ / "lxc");
    fake << "#!/bin/sh\necho \"$*\" >>" << log_ << "\n[ \"$1 $2\" = \"config get\" ] && echo true\nexit 0\n";
    fake.close();
    fs::permissions(bin_ / "lxc", fs::perms::owner_all);
    old_path_ = std::getenv("PATH");
    ::setenv("PATH", (bin_.string() + ":" + old_path_).c_str(), 1);
    ctx_.request.instance = "web";
    ctx_.source_manager.emplace(exec::Host::local(), instance::ManagerKind::lxd);
    move_id_ = "unit-" + std::to_string(::getpid()) + "-" + ::testing::UnitTest::GetInstance()->current_test_info()->name();
  }
  void TearDown() override {
    (void)disarm_dead_man(ctx_, move_id_);
    ::setenv("PATH", old_path_.c_str(), 1);
    fs::remove_all(bin_);
  }
  std::string calls() const {
    std::ifstream in(log_);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
  }
  bool watcher_runs() const {
    auto r = exec::run_command({"pgrep", "-f", "^sh " + dead_man_dir(move_id_) + "/watch"});
    return r && r->status.ok();
  }
  fs::path bin_;
  std::string log_, old_path_, move_id_;
  MoveContext ctx_{.request = {}, .source = exec::Host::local(), .target = exec::Host::local()};
};

TEST_F(DeadManTest, FiresPastItsDeadline) {
  ASSERT_EQ(arm_dead_man(ctx_, move_id_, 1).value(), DeadManState::armed);
  EXPECT_TRUE(watcher_runs());
  std::this_thread::sleep_for(3500ms);
  EXPECT_NE(calls().find("config set web boot.autostart true"), std::string::npos) << calls();
  EXPECT_NE(calls().find("start web"), std::string::npos) << calls();
  EXPECT_EQ(dead_man_state(ctx_, move_id_).value(), DeadManState::fired);
  EXPECT_FALSE(watcher_runs());
  // Too late for the target: the source is back.
  EXPECT_EQ(request_target_start(ctx_, move_id_).value(), DeadManState::fired);
}

// (Its deadline is counted in whole seconds: 2 s is at least 1 s.)
TEST_F(DeadManTest, NeverFiresOnceTheTargetsStartWasRecorded) {
  ASSERT_EQ(arm_dead_man(ctx_, move_id_, 2).value(), DeadManState::armed);
  ASSERT_EQ(request_target_start(ctx_, move_id_).value(), DeadManState::armed);
  std::this_thread::sleep_for(4500ms);
  EXPECT_EQ(calls().find("start web"), std::string::npos) << calls();
  EXPECT_FALSE(watcher_runs());
}

TEST_F(DeadManTest, ARerunMovesTheDeadlineAndOneWatcherRuns) {
  ASSERT_EQ(arm_dead_man(ctx_, move_id_, 4).value(), DeadManState::armed);
  ASSERT_EQ(arm_dead_man(ctx_, move_id_, 30).value(), DeadManState::armed);
  std::this_thread::sleep_for(6000ms);
  EXPECT_EQ(calls().find("start web"), std::string::npos) << calls();
  auto r = exec::run_command({"pgrep", "-c", "-f", "^sh " + dead_man_dir(move_id_) + "/watch"});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->out, "1\n");
}

TEST_F(DeadManTest, DisarmedItLeavesNothingBehind) {
  ASSERT_EQ(arm_dead_man(ctx_, move_id_, 30).value(), DeadManState::armed);
  EXPECT_EQ(disarm_dead_man(ctx_, move_id_).value(), DeadManState::armed);
  std::this_thread::sleep_for(300ms);
  EXPECT_FALSE(watcher_runs());
  EXPECT_FALSE(fs::exists(dead_man_dir(move_id_)));
  EXPECT_EQ(dead_man_state(ctx_, move_id_).value(), DeadManState::none);
}

}  // namespace
}  // namespace ferry::core
