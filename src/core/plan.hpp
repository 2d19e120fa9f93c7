// The plan of a move as a value: the ordered steps of each phase, computed by pure code,
// printed by `ferry plan`, journaled, then executed one step at a time.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace ferry::core {

enum class StepKind {
  preflight,     // read-only checks on both hosts
  snapshot,      // ferry snapshot of every volume on the source
  send,          // bring one volume's target copy up to the snapshot
  activate,      // make the received data the instance's volume on the target
  import,        // register the copy with the target's manager, stopped, autostart off
  check_target,  // nobody started the target copy since ferry imported it
  stop_source,   // the outage begins
  apply_config,  // target config = source config (volatile keys aside), autostart restored
  start_target,  // the outage ends
  mark_source,   // source: autostart off, user.ferry.moved-to
  cleanup,       // ferry's snapshots and holds, except the one to keep
};

std::string to_string(StepKind kind);

struct Step {
  std::string id;
  StepKind kind;
  std::string title;
  std::string snapshot;  // for snapshot/send/activate: the ferry snapshot this step works on
  std::string role;      // for send: which volume
  nlohmann::json to_json() const;
  static Step from_json(const nlohmann::json& j);
};

struct PlanInput {
  std::string move_id;                 // names ferry's snapshots: ferry-<move_id>-<seq>
  std::vector<std::string> roles;      // the instance's volumes: "instance", "custom/<name>"
  int next_sequence = 1;               // next snapshot sequence number
  bool prepared = false;               // the seed copy and import are done
  int precopy_rounds = 1;
  int first_round = 1;
  bool keep_last_snapshot = true;      // cleanup keeps the last common snapshot
};

std::string snapshot_name(const std::string& move_id, int sequence);

std::vector<Step> prepare_steps(const PlanInput& in);
std::vector<Step> sync_steps(const PlanInput& in, int round, int sequence);
std::vector<Step> cutover_steps(const PlanInput& in, int sequence);
std::vector<Step> cleanup_steps(const std::string& keep);
// Everything `ferry move` does from where the journal stands.
std::vector<Step> move_plan(const PlanInput& in);

}  // namespace ferry::core
