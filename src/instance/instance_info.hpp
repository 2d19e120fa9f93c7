// What ferry needs to know about an instance, a pool and the manager's recover scan.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace ferry::instance {

// A custom storage volume attached to the instance as a disk device.
struct AttachedVolume {
  std::string device;  // device name in the instance config
  std::string pool;
  std::string name;
};

struct InstanceInfo {
  std::string name;
  std::string project = "default";
  std::string status;  // Running, Stopped, Frozen
  std::string type;    // container, virtual-machine
  std::string root_pool;
  std::string last_used_at;
  std::vector<std::string> profiles;
  std::vector<std::string> snapshots;  // instance snapshots (the manager's, not ferry's)
  std::vector<AttachedVolume> volumes;
  std::vector<std::string> networks;  // managed networks the NICs use
  nlohmann::json config;              // the instance's own config (not expanded)
  nlohmann::json expanded_config;     // with its profiles'
  nlohmann::json devices;             // the instance's own devices
  nlohmann::json expanded_devices;
  bool running() const { return status == "Running" || status == "Frozen"; }
};

struct PoolInfo {
  std::string name;
  std::string driver;  // zfs, btrfs, ...
  std::string source;  // zfs: the pool's root dataset (zfs.pool_name); btrfs: where it is mounted
};

// One volume the recover scan found on disk that the manager's database lacks.
struct UnknownVolume {
  std::string pool;
  std::string project;
  std::string type;  // container, custom, ...
  std::string name;
  int snapshot_count = 0;
  bool operator==(const UnknownVolume&) const = default;
};

struct RecoverScan {
  std::vector<UnknownVolume> unknown;
  std::vector<std::string> dependency_errors;
};

// Pure parsers of the managers' JSON (unit-tested).
// A string field of an object ("" when it is missing or not a string: the managers leave many out).
std::string string_field(const nlohmann::json& j, const std::string& key);
InstanceInfo parse_instance(const nlohmann::json& instance, const std::string& project);
RecoverScan parse_recover_scan(const nlohmann::json& answer);
// Config keys that must match after the move (everything except volatile.*).
nlohmann::json durable_config(const nlohmann::json& config);

}  // namespace ferry::instance
