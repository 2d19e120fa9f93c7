// The guard runs here as it runs on a remote host (sh and GNU timeout): the command's status and
// output pass through; the command and everything it started end when the session's stdin
// reaches EOF, or at the deadline.
#include "exec/remote_guard.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "exec/child.hpp"
#include "exec/run.hpp"
#include "exec/stream.hpp"

namespace ferry::exec {
namespace {

using namespace std::chrono_literals;

// Whether a process with this exact command line still runs here.
bool runs(const std::string& cmdline) {
  auto r = run_command({"pgrep", "-f", "-x", cmdline});
  return r && r->status.ok();
}

TEST(RemoteGuard, StatusAndOutputPassThrough) {
  RunOptions o;
  o.hold_stdin = true;
  auto r = run_command(guarded({"sh", "-c", "echo out; echo err >&2; exit 3"}, {}), o);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->out, "out\n");
  EXPECT_EQ(r->err, "err\n");
  EXPECT_EQ(r->status.code, 3);
}

TEST(RemoteGuard, InputReachesACommandThatReadsIt) {
  RunOptions o;
  o.input = "line\n";
  auto r = run_command(guarded({"cat"}, {.deadline = 10s, .end_on_hangup = false}), o);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->out, "line\n");
  EXPECT_TRUE(r->status.ok());
}

TEST(RemoteGuard, HangupEndsTheCommandAndWhatItStarted) {
  SpawnSpec spec;
  spec.argv = guarded({"sh", "-c", "sleep 71 & sleep 72"}, {});
  spec.in = Stdio::make_pipe();
  auto child = Child::spawn(spec);
  ASSERT_TRUE(child);
  std::this_thread::sleep_for(500ms);
  ASSERT_TRUE(runs("sleep 71"));
  child->in().reset();  // ferry's end of the session goes away
  auto t0 = std::chrono::steady_clock::now();
  auto status = child->wait();
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 3s);
  EXPECT_EQ(status.code, 128 + 15);
  std::this_thread::sleep_for(300ms);
  EXPECT_FALSE(runs("sleep 71"));
  EXPECT_FALSE(runs("sleep 72"));
}

TEST(RemoteGuard, TheDeadlineEndsTheCommandAndWhatItStarted) {
  RunOptions o;
  o.hold_stdin = true;  // the session stays: only the deadline can end it
  auto t0 = std::chrono::steady_clock::now();
  auto r = run_command(guarded({"sh", "-c", "sleep 73 & sleep 74"}, {.deadline = 1s}), o);
  ASSERT_TRUE(r);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 4s);
  EXPECT_EQ(r->status.code, 124);  // timeout's "timed out"
  std::this_thread::sleep_for(300ms);
  EXPECT_FALSE(runs("sleep 73"));
  EXPECT_FALSE(runs("sleep 74"));
}

TEST(RemoteGuard, ACommandThatIgnoresTermIsKilled) {
  RunOptions o;
  o.hold_stdin = true;
  auto t0 = std::chrono::steady_clock::now();
  auto r = run_command(guarded({"sh", "-c", "trap '' TERM; sleep 75"}, {.deadline = 1s}), o);
  ASSERT_TRUE(r);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 9s);
  EXPECT_FALSE(runs("sleep 75"));
}

TEST(RemoteGuard, NothingIsLeftBehindAfterANormalExit) {
  RunOptions o;
  o.hold_stdin = true;
  auto r = run_command(guarded({"true"}, {.deadline = 30s}), o);
  ASSERT_TRUE(r);
  EXPECT_TRUE(r->status.ok());
  std::this_thread::sleep_for(300ms);
  EXPECT_FALSE(run_command({"pgrep", "-f", "ferry-guard 30 1 true"})->status.ok());
}

// A link cut between the hosts tells the receiving end nothing: it has a deadline of its own
// there (without one, a zfs recv waited on beta until the link came back).
TEST(RemoteGuard, AStreamsReceivingEndRunsUnderItsOwnDeadline) {
  StreamSpec spec;
  spec.send = {"zfs", "send", "tank/a@s"};
  spec.target = "beta";
  spec.recv = {"zfs", "recv", "-s", "-u", "tank/a"};
  auto plain = stream_stages(spec);
  EXPECT_EQ(plain.back().back(), "zfs recv -s -u tank/a");
  spec.recv_deadline = 35s;
  auto bounded = stream_stages(spec).back().back();
  EXPECT_EQ(bounded.rfind("sh -c ", 0), 0u) << bounded;
  EXPECT_NE(bounded.find(" ferry-guard 35 0 zfs recv -s -u tank/a"), std::string::npos) << bounded;
}

}  // namespace
}  // namespace ferry::exec
