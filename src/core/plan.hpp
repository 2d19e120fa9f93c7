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
  trial,         // boot the target copy with its network detached, check it, stop it
  check_target,  // nobody started the target copy since ferry imported it
  hook,          // a command inside the instance (before the stop, after the start)
  stop_source,   // the outage begins (clean: stop; crash: freeze)
  end_source,    // crash mode: kill every task of the frozen source before any runs again
  apply_config,  // target config = source config (volatile keys aside), autostart restored
  start_target,  // the target starts
  health,        // the target serves (the outage ends); on failure: back to the source
  forward,       // the old host forwards the service's ports to the new one
  dns_switch,    // the service's names point at the target, verified on every server
  mark_source,   // source: autostart off, user.ferry.moved-to; target: autostart restored
  cleanup,       // ferry's snapshots and holds, except the one to keep
};

std::string to_string(StepKind kind);

// Which part of the move a step belongs to: the outage lies inside the cutover.
enum class Phase { preflight, prepare, trial, sync, cutover, cleanup };

std::string to_string(Phase phase);

// A step as the plan makes it and the journal records it (its `begin` record holds all of it):
// what it is comes from its fields, never from its id, which is only the journal's key.
struct Step {
  std::string id;        // e.g. sync.2.send:instance
  StepKind kind = StepKind::preflight;
  std::string title;
  std::string snapshot;  // for snapshot/send/activate: the ferry snapshot this step works on
  std::string role;      // for send: which volume; for hook: before-stop or after-start
  Phase phase = Phase::preflight;
  int round = 0;         // for the sync phase: which pre-copy round (1, 2, ...)
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
  bool trial = false;                  // a trial boot of the target copy before the outage
  bool crash = false;                  // freeze + kill instead of a clean stop
  bool before_stop = false, after_start = false;  // hooks
  bool health = false, forward = false, dns = false;
};

std::string snapshot_name(const std::string& move_id, int sequence);
int snapshot_sequence(const std::string& snapshot);  // ferry-<id>-<seq> -> seq (0 if none)

std::vector<Step> prepare_steps(const PlanInput& in);
std::vector<Step> sync_steps(const PlanInput& in, int round, int sequence);
std::vector<Step> cutover_steps(const PlanInput& in, int sequence);
std::vector<Step> cleanup_steps(const std::string& keep);
// Everything `ferry move` does from where the journal stands.
std::vector<Step> move_plan(const PlanInput& in);
std::vector<Step> trial_steps();
// Another pre-copy round before the cutover: the plan's cutover and cleanup are renumbered.
std::vector<Step> with_another_round(const std::vector<Step>& plan, const PlanInput& in);

}  // namespace ferry::core
