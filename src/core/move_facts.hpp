// What a move learns along the way, journaled as `fact` records (merged, the newest value of each
// wins) and read back in one typed struct: what is unknown is said so (std::optional), never
// guessed by a default at the point of use.
#pragma once

#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "core/journal.hpp"
#include "core/return_target.hpp"

namespace ferry::core {

struct MoveFacts {
  // Before the outage.
  std::optional<ReturnTarget> return_target;       // a move back onto ferry's earlier copy, as preflight proved it
  std::optional<nlohmann::json> source_autostart;  // the source's boot.autostart before the move (null: unset)
  std::string target_last_used_at;                 // the imported copy's, to see whether anyone started it
  std::optional<nlohmann::json> trial_original;    // the copy's config, devices, profiles before the trial boot
  std::optional<double> measured_start_seconds, measured_stop_seconds, measured_freeze_seconds;  // by the trial
  nlohmann::json prediction;                       // the outage predicted before the cutover (null: none)
  // The outage.
  std::optional<bool> source_was_running;          // what the cutover found before its stop
  bool source_autostart_off = false;               // ferry turned it off for the outage (a rollback restores it)
  nlohmann::json source_autostart_at_stop;         // its value then (null: unset)
  std::optional<long long> stop_requested_ms;      // this attempt's stop (a rollback clears it)
  bool target_forwarding_removed = false;          // a move back removed the earlier move's forwarding on the target
  // (`target_start_requested_ms` is read in journal order by MoveState: a rollback ends it.)
  std::string dead_man;                            // "", armed, disarmed, fired
  int dead_man_seconds = 0;
  std::string dead_man_fires_at;                   // UTC, ISO 8601
  // After the gate.
  nlohmann::json forwarding;                       // what ferry installed on the old host (null: none)

  static MoveFacts from_json(const nlohmann::json& merged);
};

MoveFacts read_facts(const Journal& journal);

}  // namespace ferry::core
