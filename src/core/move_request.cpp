#include "core/move_request.hpp"

namespace ferry::core {

std::string to_string(ConsistencyMode mode) { return mode == ConsistencyMode::crash ? "crash" : "clean"; }

bool MoveRequest::same_move(const MoveRequest& o) const {
  return instance == o.instance && source == o.source && target == o.target && project == o.project;
}

nlohmann::json MoveRequest::to_json() const {
  return {{"instance", instance}, {"source", source}, {"target", target},
          {"target_from_source", target_from_source}, {"manager", manager}, {"project", project},
          {"bwlimit", bwlimit}, {"stop_timeout", stop_timeout}, {"force_stop", force_stop},
          {"discard_target_changes", discard_target_changes}, {"precopy_rounds", precopy_rounds},
          {"mode", to_string(mode)}, {"max_downtime", max_downtime}, {"max_rounds", max_rounds},
          {"trial", trial}, {"health", health}, {"health_status", health_status},
          {"health_timeout", health_timeout}, {"source_address", source_address},
          {"target_address", target_address}, {"forward", forward}, {"forward_ports", forward_ports},
          {"dns_file", dns_file}, {"hook_timeout", hook_timeout}};
}

MoveRequest MoveRequest::from_json(const nlohmann::json& j) {
  MoveRequest r;
  r.instance = j.value("instance", "");
  r.source = j.value("source", "local");
  r.target = j.value("target", "");
  r.target_from_source = j.value("target_from_source", "");
  r.manager = j.value("manager", "auto");
  r.project = j.value("project", "default");
  r.bwlimit = j.value("bwlimit", "");
  r.stop_timeout = j.value("stop_timeout", 60);
  r.force_stop = j.value("force_stop", false);
  r.discard_target_changes = j.value("discard_target_changes", false);
  r.precopy_rounds = j.value("precopy_rounds", 1);
  r.mode = j.value("mode", "clean") == "crash" ? ConsistencyMode::crash : ConsistencyMode::clean;
  r.max_downtime = j.value("max_downtime", 10.0);
  r.max_rounds = j.value("max_rounds", 8);
  r.trial = j.value("trial", true);
  r.health = j.value("health", "");
  r.health_status = j.value("health_status", 200);
  r.health_timeout = j.value("health_timeout", 30.0);
  r.source_address = j.value("source_address", "");
  r.target_address = j.value("target_address", "");
  r.forward = j.value("forward", true);
  r.forward_ports = j.value("forward_ports", std::vector<int>{});
  r.dns_file = j.value("dns_file", "");
  r.hook_timeout = j.value("hook_timeout", 60);
  return r;
}

}  // namespace ferry::core
