// What a move's journal says in figures: bytes and seconds per phase, the pre-copy rounds, the
// outage and its parts, the prediction. Read by the report, `ferry status` and the convergence.
#pragma once

#include <vector>

#include <nlohmann/json.hpp>

#include "core/convergence.hpp"
#include "core/journal.hpp"
#include "core/move_state.hpp"

namespace ferry::core {

// The seed copy (prepare) and each pre-copy round, oldest first.
struct CopyHistory {
  RoundFigures seed;
  std::vector<RoundFigures> rounds;
};
CopyHistory copy_history(const Journal& journal);
// Stop (or freeze) and start as the trial boot measured them.
OutageCosts measured_costs(const Journal& journal, bool crash);

// The report of `ferry move --json` and `ferry status --json`.
nlohmann::json summarize(const Journal& journal, const MoveState& state);

}  // namespace ferry::core
