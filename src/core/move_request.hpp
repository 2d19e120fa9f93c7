// What the user asked for: which instance, from where to where, and how.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

namespace ferry::core {

struct MoveRequest {
  std::string instance;
  std::string source = "local";     // "local" or an ssh destination
  std::string target;               // an ssh destination (or "local")
  std::string target_from_source;   // the target as the source reaches it over ssh (default: target)
  std::string manager = "auto";     // lxd, incus, auto
  std::string project = "default";
  std::string bwlimit;              // per stream, pv syntax: 20M
  int stop_timeout = 60;            // seconds for a clean stop
  bool force_stop = false;          // kill the instance if it does not stop in time
  bool discard_target_changes = false;
  int precopy_rounds = 1;           // incremental syncs while running, before the stop

  // The parts that identify a move: a rerun with other values is a different move.
  bool same_move(const MoveRequest& other) const;
  nlohmann::json to_json() const;
  static MoveRequest from_json(const nlohmann::json& j);
  std::string effective_target_from_source() const {
    return target_from_source.empty() ? target : target_from_source;
  }
};

}  // namespace ferry::core
