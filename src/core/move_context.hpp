// Everything a move's steps act on: the two hosts, their managers, the storage driver, the
// instance's volumes, and where output goes.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/move_request.hpp"
#include "core/return_target.hpp"
#include "exec/host.hpp"
#include "instance/instance_manager.hpp"
#include "storage/storage_driver.hpp"
#include "util/reporter.hpp"

namespace ferry::core {

struct Discovery {
  instance::InstanceInfo instance;
  std::string driver;                       // zfs or btrfs
  std::vector<std::string> pools;           // every pool the instance uses
  std::vector<storage::Volume> volumes;     // root first, then custom volumes
  std::vector<std::string> roles() const;
  const storage::Volume* volume(const std::string& role) const;
};

struct MoveContext {
  MoveRequest request;
  exec::Host source;
  exec::Host target;
  std::optional<instance::InstanceManager> source_manager;
  std::optional<instance::InstanceManager> target_manager;
  std::unique_ptr<storage::StorageDriver> driver;
  Discovery discovery;
  bool json = false;
  bool verbose = false;
  std::string state_dir;  // ferry's state (the DNS state of the move lives below it)
  std::string move_id;    // the journal's: what ferry made is named and proven by it
  std::optional<ReturnTarget> returning;  // a move back onto ferry's earlier copy (found by preflight, then journaled)
  util::Reporter* reporter = &util::silent_reporter();  // cli's: progress and notes for the person

  storage::TransferContext transfer_context() const;
  // A note for the person, through the reporter (stderr: stdout stays clean for --json).
  void say(const std::string& text) const;
};

// Connects to both hosts and finds the instance, its manager, pools and volumes.
// Changes nothing.
Status discover(MoveContext& ctx);

}  // namespace ferry::core
