// What would clash on the target's networks once the moved instance starts there: its MAC
// address, or a static address of its NICs, already given to another instance on the same
// network. Found only at the start, it would break networking after the outage began.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "instance/instance_info.hpp"

namespace ferry::core {

struct NicConflict {
  std::string device;   // the moving instance's NIC
  std::string what;     // "MAC address", "static IPv4 address", "static IPv6 address"
  std::string value;
  std::string network;  // the network (or parent bridge) both NICs use
  std::string other;    // the other instance's name
  std::string other_project;
  std::string other_device;
  bool other_running = false;
};

// moving: the instance as the source has it. target_instances: the target's
// `/1.0/instances?recursion=1&all-projects=true`. The moving instance's own copy on the target
// (same project and name: ferry's copy of an earlier move) is no conflict.
std::vector<NicConflict> nic_conflicts(const instance::InstanceInfo& moving, const nlohmann::json& target_instances);

}  // namespace ferry::core
