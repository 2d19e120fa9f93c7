// An instance's moves as this state dir recorded them, from every source host: the legs of a
// round trip (A to B, back to A, ...), oldest first, and where the instance serves now.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/journal.hpp"

namespace ferry::core {

struct Leg {
  std::string move_id, source, target;
  std::string began, ended;  // UTC, ISO 8601 ("" while under way)
  std::string state;         // finished, aborted, under way
  std::optional<double> downtime_seconds;
  nlohmann::json to_json() const;
};

// Pure: the legs one journal's records hold.
std::vector<Leg> legs_of(const std::vector<JournalRecord>& records);

// Every journal (current and archived) in the directories named `<prefix><source>`, oldest first.
std::vector<Leg> move_history(const std::string& journal_dir_prefix);

// The target of the newest finished leg ("" if none).
std::string serving_after(const std::vector<Leg>& legs);

}  // namespace ferry::core
