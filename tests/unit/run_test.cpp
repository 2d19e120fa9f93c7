#include "exec/run.hpp"

#include <gtest/gtest.h>
#include <signal.h>

#include <fstream>
#include <thread>

namespace ferry::exec {
namespace {

// Dead, or a zombie waiting for init to reap it.
bool is_gone(pid_t pid) {
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string pid_s, comm, state;
  if (!(stat >> pid_s >> comm >> state)) return true;
  return state == "Z";
}

TEST(RunCommand, CollectsOutputAndStatus) {
  auto r = run_command({"sh", "-c", "echo out; echo err >&2; exit 3"});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->out, "out\n");
  EXPECT_EQ(r->err, "err\n");
  EXPECT_EQ(r->status.code, 3);
  EXPECT_FALSE(r->status.ok());
}

TEST(RunCommand, FeedsStdin) {
  std::string big(1 << 20, 'x');
  RunOptions o;
  o.input = big;
  auto r = run_command({"wc", "-c"}, o);
  ASSERT_TRUE(r);
  EXPECT_EQ(std::stoul(r->out), big.size());
}

TEST(RunCommand, StderrLinesArriveAsTheyAreWritten) {
  std::vector<std::string> lines;
  RunOptions o;
  o.on_stderr_line = [&](std::string_view l) { lines.emplace_back(l); };
  auto r = run_command({"sh", "-c", "printf 'a\\nb\\rc' >&2"}, o);
  ASSERT_TRUE(r);
  EXPECT_EQ(lines, (std::vector<std::string>{"a", "b", "c"}));
}

TEST(RunCommand, TimeoutKillsTheWholeProcessGroup) {
  RunOptions o;
  o.timeout = std::chrono::milliseconds(300);
  auto r = run_command({"sh", "-c", "sleep 30 & echo $!; wait"}, o);
  ASSERT_TRUE(r);
  EXPECT_TRUE(r->timed_out);
  EXPECT_LT(r->seconds, 5);
  pid_t grandchild = std::stoi(r->out);
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  EXPECT_TRUE(is_gone(grandchild)) << "the background sleep survived";
}

// What an armed command does: it says it is ready, then waits for its input. Pumping stops at
// the sign with the child left running and its stdin open; a second pump feeds it and waits.
TEST(RunCommand, StopsAtTheChildsSignAndCarriesOnLater) {
  SpawnSpec spec;
  spec.argv = {"sh", "-c", "echo ready; read -r go; echo \"got $go\"; exit 4"};
  spec.in = Stdio::make_pipe();
  auto child = Child::spawn(spec);
  ASSERT_TRUE(child);
  RunOptions wait;
  wait.timeout = std::chrono::seconds(10);
  wait.until = [](const Completed& c) { return c.out.find("ready\n") != std::string::npos; };
  Completed early;
  pump_until_exit(*child, wait, early);
  EXPECT_EQ(early.out, "ready\n");
  EXPECT_FALSE(early.timed_out);
  EXPECT_FALSE(child->poll_exit()) << "the child must still wait for its input";
  RunOptions feed;
  feed.input = "go\n";
  Completed done;
  pump_until_exit(*child, feed, done);
  EXPECT_EQ(done.out, "got go\n");
  EXPECT_EQ(done.status.code, 4);
}

TEST(RunCommand, MissingProgramIsAnError) {
  auto r = run_command({"/nonexistent/ferry-no-such-program"});
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().what.find("cannot run"), std::string::npos);
}

TEST(TailLines, KeepsTheLastLines) {
  EXPECT_EQ(tail_lines("a\nb\nc\n", 2), "b\nc");
  EXPECT_EQ(tail_lines("only", 3), "only");
  EXPECT_EQ(tail_lines("", 3), "");
}

}  // namespace
}  // namespace ferry::exec
