#include "core/move_request.hpp"

namespace ferry::core {

bool MoveRequest::same_move(const MoveRequest& o) const {
  return instance == o.instance && source == o.source && target == o.target && project == o.project;
}

nlohmann::json MoveRequest::to_json() const {
  return {{"instance", instance}, {"source", source}, {"target", target},
          {"target_from_source", target_from_source}, {"manager", manager}, {"project", project},
          {"bwlimit", bwlimit}, {"stop_timeout", stop_timeout}, {"force_stop", force_stop},
          {"discard_target_changes", discard_target_changes}, {"precopy_rounds", precopy_rounds}};
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
  return r;
}

}  // namespace ferry::core
