#include "instance/id_map.hpp"

#include <algorithm>
#include <sstream>

#include "instance/instance_info.hpp"

namespace ferry::instance {

RootIdRanges parse_root_id_ranges(const std::string& out) {
  RootIdRanges r;
  std::istringstream lines(out);
  std::string line;
  while (std::getline(lines, line)) {
    auto colon = line.find(':');
    if (colon == std::string::npos) continue;
    std::string file = line.substr(0, colon), entry = line.substr(colon + 1);
    unsigned long long start = 0, count = 0;
    if (std::sscanf(entry.c_str(), "root:%llu:%llu", &start, &count) != 2) continue;
    r.text += entry + "\n";
    (file.ends_with("subgid") ? r.gids : r.uids).push_back({start, count});
  }
  return r;
}

Result<RootIdRanges> root_id_ranges(const exec::Host& host) {
  auto out = host.probe({"sh", "-c", "grep -H '^root:' /etc/subuid /etc/subgid 2>/dev/null || true"});
  if (!out) return Unexpected{out.error()};
  return parse_root_id_ranges(out->value_or(""));
}

uint64_t largest_count(const std::vector<IdRange>& ranges) {
  uint64_t most = 0;
  for (auto& r : ranges) most = std::max(most, r.count);
  return most;
}

namespace {

// The map's size per kind, from the manager's JSON list ({"Isuid","Isgid","Maprange",...}).
IdsNeeded map_size(const std::string& text) {
  IdsNeeded size;
  auto map = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!map.is_array()) return size;
  for (auto& e : map) {
    if (!e.is_object()) continue;
    uint64_t range = e.value("Maprange", uint64_t{0});
    if (e.value("Isuid", false)) size.uids += range;
    if (e.value("Isgid", false)) size.gids += range;
  }
  return size;
}

}  // namespace

IdsNeeded ids_needed(const nlohmann::json& config, const nlohmann::json& expanded_config) {
  const auto& c = expanded_config.is_object() && !expanded_config.empty() ? expanded_config : config;
  if (string_field(c, "security.privileged") == "true") return {};
  uint64_t cap = 65536;
  if (auto size = string_field(c, "security.idmap.size"); !size.empty()) cap = std::strtoull(size.c_str(), nullptr, 10);
  std::string current = string_field(config, "volatile.idmap.current");
  IdsNeeded map = map_size(current.empty() ? string_field(config, "volatile.idmap.next") : current);
  // No map recorded (never started): what a new one needs.
  if (map.uids == 0) map.uids = cap;
  if (map.gids == 0) map.gids = cap;
  return {std::min(map.uids, cap), std::min(map.gids, cap)};
}

}  // namespace ferry::instance
