// What the user asked for: which instance, from where to where, and how.
#pragma once

#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "util/error.hpp"

namespace ferry::core {

// How the outage begins: `clean` stops the service; `crash` freezes it, snapshots, and kills
// every task before any can run again (the target boots from a crash-consistent image).
enum class ConsistencyMode { clean, crash };

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
  int precopy_rounds = 1;           // at least this many incremental syncs while running

  // The outage.
  ConsistencyMode mode = ConsistencyMode::clean;
  double max_downtime = 10;         // seconds; pre-copy rounds go on until the prediction fits
  bool max_downtime_given = false;  // the default bends to hosts slower than it; a given one does not
  int max_rounds = 8;               // pre-copy rounds at most before ferry asks the operator
  bool cutover_anyway = false;      // cut over even if the prediction does not fit
  bool trial = true;                // boot the target copy once before the outage (`ferry try`)
  std::string try_check;            // command run inside the trial boot (default: init is up)
  std::string before_stop;          // command run inside the instance on the source before the stop
  std::string after_start;          // command run inside the instance on the target after the start
  int hook_timeout = 60;

  // The switch.
  std::string health;               // http(s)://NAME[:PORT]/PATH or tcp:PORT: probed at the target
  int health_status = 200;
  double health_timeout = 30;       // seconds for the target to pass the health check
  std::string source_address;       // the service's address on the old host (forwarding)
  std::string target_address;       // the service's address on the new host (health, forwarding)
  bool forward = true;              // forward the old address's ports to the new one after the switch
  std::vector<int> forward_ports;   // default: the ports of the instance's proxy devices
  std::string dns_file;             // migration file with a [dns] table: the names to switch
  double outage_deadline = 0;       // seconds from the stop to a healthy target, then roll back;
                                    // 0: --stop-timeout + --health-timeout + 60

  // The options given on this command line (their long names, "--mode"); not journaled.
  std::set<std::string> given;

  // The parts that identify a move: a rerun with other values is a different move.
  bool same_move(const MoveRequest& other) const;
  nlohmann::json to_json() const;
  static MoveRequest from_json(const nlohmann::json& j);
  std::string effective_target_from_source() const {
    return target_from_source.empty() ? target : target_from_source;
  }
  bool crash() const { return mode == ConsistencyMode::crash; }
  double effective_outage_deadline() const {
    return outage_deadline > 0 ? outage_deadline : stop_timeout + health_timeout + 60;
  }
};

// A rerun that carries an outage on continues the journaled request: what its command line leaves
// out comes from the journal, and an option that changes what the half-done move is (its mode,
// health gate, DNS, addresses, forwarding, hooks, budget) is refused with both values named.
// Options of one run (--bwlimit, --stop-timeout, --discard-target-changes, --cutover-anyway...)
// may differ.
Result<MoveRequest> continue_request(const MoveRequest& journaled, const MoveRequest& rerun);

std::string to_string(ConsistencyMode mode);

}  // namespace ferry::core
