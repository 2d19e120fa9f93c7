#include "instance/instance_info.hpp"

namespace ferry::instance {

namespace {

// Go's encoding/json without tags gives "UnknownVolumes"; with tags "unknown_volumes". Accept both.
const nlohmann::json* field(const nlohmann::json& j, std::initializer_list<const char*> names) {
  for (auto* n : names) {
    auto it = j.find(n);
    if (it != j.end() && !it->is_null()) return &*it;
  }
  return nullptr;
}

}  // namespace

std::string string_field(const nlohmann::json& j, const std::string& key) {
  auto it = j.find(key);
  return (it != j.end() && it->is_string()) ? it->get<std::string>() : std::string();
}

InstanceInfo parse_instance(const nlohmann::json& j, const std::string& project) {
  InstanceInfo info;
  info.name = string_field(j, "name");
  info.project = project;
  info.status = string_field(j, "status");
  info.type = string_field(j, "type");
  info.last_used_at = string_field(j, "last_used_at");
  info.config = j.value("config", nlohmann::json::object());
  info.expanded_config = j.value("expanded_config", info.config);
  info.devices = j.value("devices", nlohmann::json::object());
  info.expanded_devices = j.value("expanded_devices", info.devices);
  for (auto& p : j.value("profiles", nlohmann::json::array())) info.profiles.push_back(p.get<std::string>());
  for (auto& [dev, d] : info.expanded_devices.items()) {
    std::string type = string_field(d, "type");
    if (type == "disk" && string_field(d, "path") == "/") info.root_pool = string_field(d, "pool");
    else if (type == "disk" && !string_field(d, "pool").empty() && !string_field(d, "source").empty() && string_field(d, "source")[0] != '/')
      info.volumes.push_back({dev, string_field(d, "pool"), string_field(d, "source")});
    else if (type == "nic" && !string_field(d, "network").empty())
      info.networks.push_back(string_field(d, "network"));
    else if (type == "nic" && !string_field(d, "parent").empty() && string_field(d, "nictype") == "bridged")
      info.networks.push_back(string_field(d, "parent"));
  }
  return info;
}

RecoverScan parse_recover_scan(const nlohmann::json& answer) {
  RecoverScan scan;
  if (auto* vols = field(answer, {"UnknownVolumes", "unknown_volumes"})) {
    for (auto& v : *vols) {
      UnknownVolume u;
      if (auto* f = field(v, {"Pool", "pool"})) u.pool = f->get<std::string>();
      if (auto* f = field(v, {"Project", "project"})) u.project = f->get<std::string>();
      if (auto* f = field(v, {"Type", "type"})) u.type = f->get<std::string>();
      if (u.type == "volume") u.type = "custom";  // LXD 5.0 calls custom volumes "volume" here
      if (auto* f = field(v, {"Name", "name"})) u.name = f->get<std::string>();
      if (auto* f = field(v, {"SnapshotCount", "snapshotCount", "snapshot_count"})) u.snapshot_count = f->get<int>();
      scan.unknown.push_back(u);
    }
  }
  if (auto* errs = field(answer, {"DependencyErrors", "dependency_errors"}))
    for (auto& e : *errs) scan.dependency_errors.push_back(e.get<std::string>());
  return scan;
}

nlohmann::json durable_config(const nlohmann::json& config) {
  nlohmann::json out = nlohmann::json::object();
  for (auto& [k, v] : config.items())
    if (k.rfind("volatile.", 0) != 0) out[k] = v;
  return out;
}

}  // namespace ferry::instance
