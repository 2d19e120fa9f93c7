#include "core/nic_conflicts.hpp"

#include <algorithm>
#include <cctype>

namespace ferry::core {

namespace {

// One NIC as the network sees it: where it attaches and the addresses it takes.
struct Nic {
  std::string device, network, mac, ipv4, ipv6;
};

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

std::string text(const nlohmann::json& j, const std::string& key) {
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

// The MAC a NIC has: its device's hwaddr, else the one the manager generated (volatile).
std::vector<Nic> nics_of(const nlohmann::json& config, const nlohmann::json& devices) {
  std::vector<Nic> nics;
  if (!devices.is_object()) return nics;
  for (auto& [dev, d] : devices.items()) {
    if (!d.is_object() || text(d, "type") != "nic") continue;
    Nic n{dev, text(d, "network"), lower(text(d, "hwaddr")), text(d, "ipv4.address"), lower(text(d, "ipv6.address"))};
    if (n.network.empty()) n.network = text(d, "parent");
    if (n.mac.empty() && config.is_object()) n.mac = lower(text(config, "volatile." + dev + ".hwaddr"));
    if (!n.network.empty()) nics.push_back(std::move(n));
  }
  return nics;
}

}  // namespace

std::vector<NicConflict> nic_conflicts(const instance::InstanceInfo& moving, const nlohmann::json& target_instances) {
  std::vector<NicConflict> found;
  if (!target_instances.is_array()) return found;
  auto mine = nics_of(moving.config, moving.expanded_devices);
  for (auto& other : target_instances) {
    if (!other.is_object()) continue;
    std::string project = text(other, "project").empty() ? "default" : text(other, "project");
    std::string name = text(other, "name");
    if (name == moving.name && project == moving.project) continue;  // its own copy (a move back)
    bool running = text(other, "status") == "Running" || text(other, "status") == "Frozen";
    for (auto& theirs : nics_of(other.value("config", nlohmann::json::object()),
                                other.value("expanded_devices", nlohmann::json::object())))
      for (auto& n : mine) {
        if (n.network != theirs.network) continue;
        auto clash = [&](const std::string& what, const std::string& a, const std::string& b) {
          if (!a.empty() && a != "none" && a == b) found.push_back({n.device, what, a, n.network, name, project, theirs.device, running});
        };
        clash("MAC address", n.mac, theirs.mac);
        clash("static IPv4 address", n.ipv4, theirs.ipv4);
        clash("static IPv6 address", n.ipv6, theirs.ipv6);
      }
  }
  return found;
}

}  // namespace ferry::core
