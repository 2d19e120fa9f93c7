// `ferry status`: where a move stands, as the fields --json prints and cli renders as a table.
// Pure: the caller reads the journal and the history.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/journal.hpp"
#include "core/move_history.hpp"
#include "core/move_state.hpp"

namespace ferry::core {

struct StatusFacts {
  MoveRequest asked;              // the command line's request (instance, --from, --to, --project)
  MoveState state;
  nlohmann::json summary;         // summarize(journal, state): downtime, prediction, forwarding, ...
  std::vector<Leg> history;       // every leg this state dir recorded, from any source
  std::optional<JournalRecord> last_done, last_failed;
  std::vector<std::string> pending_steps;
  std::string dead_man, dead_man_fires_at;
  std::optional<std::string> dead_man_note;
  std::string journal_path;
};

// The status as one value: --json prints it, cli renders it as the table (cli/move_text).
nlohmann::json move_status(const StatusFacts& facts);

// What to run next, as a command line and why ("" for the command when nothing is left to do).
std::pair<std::string, std::string> next_step(const StatusFacts& facts);

}  // namespace ferry::core
