// The lock runs here as on a remote host (flock and sh): held while the object lives, wherever
// it is moved, released when the last owner goes.
#include "exec/remote_lock.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <optional>

#include "exec/run.hpp"

namespace ferry::exec {
namespace {

bool held(const std::string& path) {
  auto r = run_command({"flock", "-n", path, "true"});
  return r && !r->status.ok();
}

// A defaulted move left the moved-from lock with an empty Child, whose destructor waited 3 s for
// it to exit: each move cost 3 s, ~9 s before every move's first command.
TEST(RemoteLock, MovingALockCostsNothingAndKeepsItHeld) {
  std::string path = std::filesystem::temp_directory_path() / ("ferry-lock-test-" + std::to_string(::getpid()));
  auto local = Host::local();
  auto t0 = std::chrono::steady_clock::now();
  auto lock = RemoteLock::acquire_now(local, path, "ferry pid 1 on test", "'web'");
  ASSERT_TRUE(lock) << lock.error().message();
  std::optional<RemoteLock> kept;
  kept.emplace(std::move(*lock));
  double took = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  EXPECT_LT(took, 2.0);
  EXPECT_TRUE(held(path));
  kept.reset();
  EXPECT_FALSE(held(path));
  std::filesystem::remove(path);
  std::filesystem::remove(path + ".holder");
}

// A lock that cannot be taken at all (here: its directory is missing) is said at once, as such,
// not after the 30 s wait as "another ferry is moving it".
TEST(RemoteLock, ALockThatCannotBeTakenIsSaidAtOnce) {
  auto local = Host::local();
  auto t0 = std::chrono::steady_clock::now();
  auto lock = RemoteLock::acquire_now(local, "/nonexistent-ferry-dir/x.lock", "ferry pid 1 on test", "'web'");
  double took = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  ASSERT_FALSE(lock);
  EXPECT_LT(took, 5.0);
  EXPECT_NE(lock.error().what.find("cannot take the move's lock"), std::string::npos) << lock.error().what;
  EXPECT_NE(lock.error().code, ExitCode::locked);
}

}  // namespace
}  // namespace ferry::exec
