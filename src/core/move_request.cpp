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
          {"dns_file", dns_file}, {"hook_timeout", hook_timeout}, {"max_downtime_given", max_downtime_given},
          {"try_check", try_check}, {"before_stop", before_stop}, {"after_start", after_start},
          {"outage_deadline", outage_deadline}};
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
  r.max_downtime_given = j.value("max_downtime_given", false);
  r.try_check = j.value("try_check", "");
  r.before_stop = j.value("before_stop", "");
  r.after_start = j.value("after_start", "");
  r.outage_deadline = j.value("outage_deadline", 0.0);
  return r;
}

namespace {

// Each journaled field, the option that sets it, and whether a rerun may give it another value.
struct RerunField {
  const char* key;
  const char* option;
  bool may_differ;
};
const RerunField kRerunFields[] = {
    {"target_from_source", "--target-from-source", false}, {"manager", "--manager", false},
    {"mode", "--mode", false}, {"max_downtime", "--max-downtime", false}, {"health", "--health", false},
    {"health_status", "--health-status", false}, {"source_address", "--source-address", false},
    {"target_address", "--target-address", false}, {"forward", "--no-forward", false},
    {"forward_ports", "--forward-port", false}, {"dns_file", "--dns", false},
    {"before_stop", "--before-stop", false}, {"after_start", "--after-start", false},
    {"try_check", "--try-check", false}, {"outage_deadline", "--outage-deadline", false},
    {"bwlimit", "--bwlimit", true}, {"stop_timeout", "--stop-timeout", true}, {"force_stop", "--force-stop", true},
    {"discard_target_changes", "--discard-target-changes", true}, {"precopy_rounds", "--precopy-rounds", true},
    {"max_rounds", "--max-rounds", true}, {"trial", "--no-try", true}, {"health_timeout", "--health-timeout", true},
    {"hook_timeout", "--hook-timeout", true},
};

std::string shown(const nlohmann::json& v) {
  if (v.is_string()) return v.get<std::string>().empty() ? "(none)" : v.get<std::string>();
  return v.dump();
}

}  // namespace

Result<MoveRequest> continue_request(const MoveRequest& journaled, const MoveRequest& rerun) {
  nlohmann::json was = journaled.to_json(), now = rerun.to_json(), merged = now;
  std::string refused;
  for (auto& f : kRerunFields) {
    if (!rerun.given.count(f.option)) {
      merged[f.key] = was[f.key];
      if (std::string(f.key) == "max_downtime") merged["max_downtime_given"] = was["max_downtime_given"];
    } else if (!f.may_differ && now[f.key] != was[f.key]) {
      refused += std::string(refused.empty() ? "" : "; ") + f.option + ": " + shown(now[f.key]) +
                 " on this command line, " + shown(was[f.key]) + " in the journal";
    }
  }
  if (!refused.empty())
    return fail(make_error("this command differs from the move of '" + journaled.instance + "' it would continue", refused)
                    .with_hint("run it again without those options (the journaled values apply), or `ferry abort` the "
                               "move and start a new one")
                    .with_code(ExitCode::usage));
  MoveRequest out = MoveRequest::from_json(merged);
  out.cutover_anyway = rerun.cutover_anyway;
  out.given = rerun.given;
  return out;
}

}  // namespace ferry::core
