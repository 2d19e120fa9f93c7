// The converging pre-copy: after each incremental round, predict the outage a cutover would
// cost now (stop or freeze + the final increment + start) and decide whether to cut over, copy
// once more, or stop and ask the operator. Pure: unit-tested.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace ferry::core {

// One copy round as the journal recorded it.
struct RoundFigures {
  uint64_t bytes = 0;           // sent in this round (all volumes)
  double transfer_seconds = 0;  // the sends (run in parallel: the slowest)
  double round_seconds = 0;     // snapshot + sends + activate
  double since_previous = 0;    // seconds between the previous round's snapshot and this one's
  // The same round as the outage runs it: snapshot + the streams alone + activate (the final
  // increment skips the lookups and holds around its streams). 0: not known, round_seconds.
  double outage_like_seconds = 0;
};

// What the outage costs besides the final increment, as measured on these hosts.
struct OutageCosts {
  double stop_seconds = 0;   // clean stop (or freeze in crash mode)
  double start_seconds = 0;  // start until the service is up
  bool measured = false;     // false: no trial boot ran; stop/start are not part of the prediction
};

struct Prediction {
  double outage_seconds = 0;
  double stop_seconds = 0, start_seconds = 0;
  double final_sync_seconds = 0;    // fixed cost of a round + the delta over the throughput
  double next_delta_bytes = 0;      // what the final increment will carry
  double throughput = 0;            // bytes/s, from the largest transfer so far
  double write_rate = 0;            // bytes/s the service writes
  nlohmann::json to_json() const;
};

enum class Verdict { cut_over, another_round, not_converging, budget_too_small, too_many_rounds };
std::string to_string(Verdict v);

struct Decision {
  Verdict verdict;
  Prediction prediction;
  std::string explanation;  // for the operator, with the figures
};

// `seed` is the seed copy (its throughput counts); `rounds` the pre-copy rounds so far, oldest first.
Prediction predict(const RoundFigures& seed, const std::vector<RoundFigures>& rounds, const OutageCosts& costs);
// The budget alone: rejected at once when stop + start do not fit.
bool budget_possible(const OutageCosts& costs, double budget, std::string* why);
// strict: the operator set the budget. Otherwise, once another round could not shorten the
// outage (the increment is already a matter of fixed costs), ferry cuts over and says so.
Decision decide(const RoundFigures& seed, const std::vector<RoundFigures>& rounds, const OutageCosts& costs,
                double budget, int max_rounds, bool strict = true);

}  // namespace ferry::core
