#include "exec/shell_quote.hpp"

#include <gtest/gtest.h>

#include <random>

#include "exec/run.hpp"

namespace ferry::exec {
namespace {

TEST(ShellQuote, LeavesPlainWordsAlone) {
  EXPECT_EQ(shell_quote("tank/lxd/containers/c1@ferry-1"), "tank/lxd/containers/c1@ferry-1");
  EXPECT_EQ(shell_quote(""), "''");
  EXPECT_EQ(shell_quote("a b"), "'a b'");
  EXPECT_EQ(shell_quote("it's"), "'it'\\''s'");
  EXPECT_EQ(shell_join({"zfs", "send", "x y"}), "zfs send 'x y'");
}

// The shell must give back exactly the arguments we quoted: random bytes, many times, through
// /bin/sh (one level) and through sh -c inside sh -c (the two levels a stream over ssh uses).
TEST(ShellQuote, RoundTripsRandomArgumentsThroughTheShell) {
  std::mt19937 rng(42);
  const std::string alphabet = std::string("ab $`\"'\\!*?[]{}();&|<>~#%^=\n\t,.:-_/@") + char(1) + "\xc3\xa9";
  for (int round = 0; round < 50; ++round) {
    std::vector<std::string> args;
    for (int i = 0; i < 3; ++i) {
      std::string arg;
      int len = rng() % 12;
      for (int j = 0; j < len; ++j) arg += alphabet[rng() % alphabet.size()];
      args.push_back(arg);
    }
    std::vector<std::string> printf_argv = {"printf", "%s\\0"};
    printf_argv.insert(printf_argv.end(), args.begin(), args.end());
    std::string expected;
    for (auto& a : args) expected += a + '\0';

    auto once = run_command({"sh", "-c", shell_join(printf_argv)});
    ASSERT_TRUE(once);
    EXPECT_EQ(once->out, expected) << shell_join(printf_argv);

    auto twice = run_command({"sh", "-c", shell_join({"sh", "-c", shell_join(printf_argv)})});
    ASSERT_TRUE(twice);
    EXPECT_EQ(twice->out, expected);
  }
}

}  // namespace
}  // namespace ferry::exec
