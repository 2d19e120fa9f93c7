#include "core/convergence.hpp"

#include <gtest/gtest.h>

namespace ferry::core {
namespace {

// 100 MB seed at 10 MB/s; rounds of `bytes` sent in bytes/10 MB/s + 1 s of fixed cost.
RoundFigures round(double mb, double since) {
  return {static_cast<uint64_t>(mb * 1e6), mb / 10.0, mb / 10.0 + 1.0, since};
}
const RoundFigures kSeed{100'000'000, 10.0, 11.0, 0};
const OutageCosts kCosts{2.0, 4.0, true};

TEST(Convergence, CutsOverOnceThePredictionFits) {
  // 20 MB written in the 10 s the seed took: 2 MB/s. The next delta ~ 2 MB/s x (3 s round + 2 s stop) = 10 MB.
  auto d = decide(kSeed, {round(20, 10)}, kCosts, 10, 8);
  EXPECT_EQ(d.verdict, Verdict::cut_over) << d.explanation;
  EXPECT_NEAR(d.prediction.throughput, 10e6, 1);
  EXPECT_NEAR(d.prediction.write_rate, 2e6, 1);
  EXPECT_NEAR(d.prediction.next_delta_bytes, 2e6 * (3.0 + 2.0), 1);
  EXPECT_NEAR(d.prediction.outage_seconds, 2 + (1.0 + 1.0) + 4, 1e-6);
}

TEST(Convergence, TheFixedCostIsTheRoundAsTheOutageRunsIt) {
  // A round of nothing: 7 s with its lookups and holds, 1.2 s of snapshot + stream + activate.
  RoundFigures quiet{0, 0.9, 7.0, 10, 1.2};
  auto p = predict(kSeed, {quiet}, kCosts);
  EXPECT_NEAR(p.final_sync_seconds, 1.2, 1e-9);
  EXPECT_NEAR(p.outage_seconds, 2 + 1.2 + 4, 1e-9);
}

TEST(Convergence, CopiesAgainWhileTheDeltaShrinksButDoesNotFitYet) {
  auto d = decide(kSeed, {round(50, 10)}, kCosts, 8, 8);  // 5 MB/s: delta 5 x (6+2) = 40 MB, 5 s of sync
  EXPECT_EQ(d.verdict, Verdict::another_round) << d.explanation;
  EXPECT_GT(d.prediction.outage_seconds, 8);
}

TEST(Convergence, SaysSoWhenTheServiceWritesFasterThanTheLinkCarries) {
  auto d = decide(kSeed, {round(60, 5), round(61, 6)}, kCosts, 8, 8);
  EXPECT_EQ(d.verdict, Verdict::not_converging);
  EXPECT_NE(d.explanation.find("MB/s"), std::string::npos) << d.explanation;
  d = decide(kSeed, {round(120, 10), round(110, 9)}, kCosts, 8, 8);  // 12 MB/s written, 10 MB/s carried
  EXPECT_EQ(d.verdict, Verdict::not_converging);
}

TEST(Convergence, OneRoundOfABurstIsNotAVerdict) {
  // 1000 MB written between the prepare and the move: the first round sees 12 MB/s, faster than
  // the link; the next round, with the burst over, would be small. Copy again, do not ask.
  auto d = decide(kSeed, {round(1000, 83)}, kCosts, 8, 8);
  EXPECT_EQ(d.verdict, Verdict::another_round) << d.explanation;
}

TEST(Convergence, RejectsABudgetBelowStopPlusStartAtOnce) {
  auto d = decide(kSeed, {}, kCosts, 5.5, 8);
  EXPECT_EQ(d.verdict, Verdict::budget_too_small);
  EXPECT_NE(d.explanation.find("2.0 s"), std::string::npos) << d.explanation;
  EXPECT_NE(d.explanation.find("4.0 s"), std::string::npos) << d.explanation;
  OutageCosts unmeasured;
  EXPECT_TRUE(budget_possible(unmeasured, 0.5, nullptr));
}

TEST(Convergence, TheDefaultBudgetCutsOverWhenOnlyFixedCostsAreLeft) {
  // Slow hosts: a round of a few KB costs 30 s of fixed work; more rounds cannot help.
  std::vector<RoundFigures> rounds = {{5000, 20.0, 30.0, 60}, {4000, 20.0, 30.0, 30}};
  EXPECT_EQ(decide(kSeed, rounds, kCosts, 10, 8, /*strict=*/false).verdict, Verdict::cut_over);
  auto strict = decide(kSeed, rounds, kCosts, 10, 8, /*strict=*/true);
  EXPECT_NE(strict.verdict, Verdict::cut_over);  // a budget the operator set is not bent
}

TEST(Convergence, StopsAfterTooManyRounds) {
  auto d = decide(kSeed, {round(50, 10), round(40, 6), round(35, 5)}, kCosts, 6.5, 3);
  EXPECT_EQ(d.verdict, Verdict::too_many_rounds) << d.explanation;
}

}  // namespace
}  // namespace ferry::core
