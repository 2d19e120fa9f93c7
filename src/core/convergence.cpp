#include "core/convergence.hpp"

#include <algorithm>

#include <fmt/core.h>

namespace ferry::core {

namespace {
std::string mb(double bytes) { return fmt::format("{:.1f} MB", bytes / 1e6); }
std::string rate(double bps) { return fmt::format("{:.1f} MB/s", bps / 1e6); }
}  // namespace

nlohmann::json Prediction::to_json() const {
  return {{"outage_seconds", outage_seconds}, {"stop_seconds", stop_seconds}, {"start_seconds", start_seconds},
          {"final_sync_seconds", final_sync_seconds}, {"next_delta_bytes", next_delta_bytes},
          {"throughput_bytes_per_second", throughput}, {"write_bytes_per_second", write_rate}};
}

std::string to_string(Verdict v) {
  switch (v) {
    case Verdict::cut_over: return "cut_over";
    case Verdict::another_round: return "another_round";
    case Verdict::not_converging: return "not_converging";
    case Verdict::budget_too_small: return "budget_too_small";
    case Verdict::too_many_rounds: return "too_many_rounds";
  }
  return "?";
}

Prediction predict(const RoundFigures& seed, const std::vector<RoundFigures>& rounds, const OutageCosts& costs) {
  Prediction p;
  p.stop_seconds = costs.stop_seconds;
  p.start_seconds = costs.start_seconds;
  // Throughput from the largest transfer: small increments are dominated by fixed costs.
  const RoundFigures* largest = &seed;
  for (auto& r : rounds)
    if (r.bytes > largest->bytes) largest = &r;
  p.throughput = largest->transfer_seconds > 0 ? largest->bytes / largest->transfer_seconds : 0;
  if (rounds.empty()) return p;
  auto& last = rounds.back();
  // A round's fixed cost (snapshot, streams' start, activate): what its time is beyond its bytes.
  auto as_in_outage = [](const RoundFigures& r) { return r.outage_like_seconds > 0 ? r.outage_like_seconds : r.round_seconds; };
  double fixed = as_in_outage(last);
  for (auto& r : rounds)
    fixed = std::min(fixed, std::max(0.0, as_in_outage(r) - (p.throughput > 0 ? r.bytes / p.throughput : 0)));
  p.write_rate = last.since_previous > 0 ? last.bytes / last.since_previous : 0;
  // The final increment holds what is written from the last snapshot to the stop.
  p.next_delta_bytes = p.write_rate * (last.round_seconds + p.stop_seconds);
  p.final_sync_seconds = fixed + (p.throughput > 0 ? p.next_delta_bytes / p.throughput : 0);
  p.outage_seconds = p.stop_seconds + p.final_sync_seconds + p.start_seconds;
  return p;
}

bool budget_possible(const OutageCosts& costs, double budget, std::string* why) {
  if (!costs.measured || budget <= 0 || costs.stop_seconds + costs.start_seconds < budget) return true;
  if (why)
    *why = fmt::format("--max-downtime {:.1f} s is below what stopping ({:.1f} s) and starting ({:.1f} s) the instance take "
                       "on these hosts",
                       budget, costs.stop_seconds, costs.start_seconds);
  return false;
}

Decision decide(const RoundFigures& seed, const std::vector<RoundFigures>& rounds, const OutageCosts& costs,
                double budget, int max_rounds, bool strict) {
  Decision d{Verdict::another_round, predict(seed, rounds, costs), ""};
  auto& p = d.prediction;
  std::string figures = fmt::format("predicted outage {:.1f} s (stop {:.1f} s + final sync {:.1f} s of {} + start {:.1f} s), "
                                    "budget {:.1f} s",
                                    p.outage_seconds, p.stop_seconds, p.final_sync_seconds, mb(p.next_delta_bytes),
                                    p.start_seconds, budget);
  std::string why;
  if (!budget_possible(costs, budget, &why)) {
    d.verdict = Verdict::budget_too_small;
    d.explanation = why;
    return d;
  }
  if (rounds.empty()) {
    d.explanation = "no pre-copy round yet";
    return d;
  }
  if (budget <= 0 || p.outage_seconds <= budget) {
    d.verdict = Verdict::cut_over;
    d.explanation = figures;
    return d;
  }
  double delta_part = p.throughput > 0 ? p.next_delta_bytes / p.throughput : 0;
  if (!strict && delta_part < 1.0) {
    d.verdict = Verdict::cut_over;
    d.explanation = figures + "; another round would not shorten it (the final increment is a matter of fixed costs)";
    return d;
  }
  // Judged on two rounds at least: the first one's rate may be a burst written between the
  // prepare and the move (e.g. a restore), which the next round does not see again.
  size_t n = rounds.size();
  bool outpaced = p.throughput > 0 && p.write_rate >= 0.9 * p.throughput;
  bool not_shrinking = n >= 2 && rounds[n - 1].bytes >= 0.9 * rounds[n - 2].bytes;
  if (n >= 2 && (outpaced || not_shrinking)) {
    d.verdict = Verdict::not_converging;
    d.explanation = fmt::format("the increments stop shrinking ({} then {}): the service writes {} and the link carries {}; {}",
                                mb(rounds[n - 2].bytes), mb(rounds[n - 1].bytes), rate(p.write_rate), rate(p.throughput),
                                figures);
    return d;
  }
  if (static_cast<int>(n) >= max_rounds) {
    d.verdict = Verdict::too_many_rounds;
    d.explanation = fmt::format("{} pre-copy rounds and the prediction still does not fit: {}", n, figures);
    return d;
  }
  d.explanation = figures;
  return d;
}

}  // namespace ferry::core
