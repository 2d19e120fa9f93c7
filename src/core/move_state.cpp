#include "core/move_state.hpp"

namespace ferry::core {

MoveState read_move_state(const Journal& journal) {
  MoveState s;
  for (auto& r : journal.records()) {
    if (r.event == "start") {
      s = MoveState{};
      s.started = true;
      s.move_id = r.data.value("move_id", "");
      s.request = MoveRequest::from_json(r.data.value("request", nlohmann::json::object()));
    } else if (r.event == "plan") {
      std::vector<Step> steps;
      for (auto& j : r.data.value("steps", nlohmann::json::array())) steps.push_back(Step::from_json(j));
      s.open_plan = steps;
      s.open_command = r.data.value("command", "");
      if (r.data.contains("request")) s.plan_request = MoveRequest::from_json(r.data["request"]);
      for (auto& st : steps)
        if (!st.snapshot.empty()) s.next_sequence = std::max(s.next_sequence, snapshot_sequence(st.snapshot) + 1);
    } else if (r.event == "begin" && r.step == "cutover.stop-source") {
      s.outage_begun = true;
    } else if (r.event == "fact" && r.data.contains("target_start_requested_ms")) {
      s.target_start_requested = !r.data["target_start_requested_ms"].is_null();
    } else if (r.event == "rollback_begin") {
      s.rollback_pending = true;
      s.rollback_error.clear();
    } else if (r.event == "rollback_failed") {
      s.rollback_pending = true;
      s.rollback_error = r.data.value("what", "the rollback failed");
    } else if (r.event == "rolled_back") {
      s.rollback_pending = false;
      s.rollback_error.clear();
      s.outage_begun = s.target_start_requested = false;
      s.open_plan.reset();  // a retry takes fresh snapshots: the source ran again since
    } else if (r.event == "aborted") {
      s.aborted = true;
      s.open_plan.reset();
    } else if (r.event == "finished") {
      s.finished = true;
      s.open_plan.reset();
    }
  }
  s.prepared = journal.is_done("prepare.import");
  // Once the target passed the health gate it serves (forwarding, DNS): no way back but a move back.
  s.switched = journal.is_done("cutover.health");
  auto steps = journaled_steps(journal);
  for (auto& r : journal.records()) {
    auto step = steps.find(r.step);
    if (r.event != "done" || step == steps.end() || step->second.kind != StepKind::activate) continue;
    if (step->second.phase == Phase::sync) s.rounds_done = std::max(s.rounds_done, step->second.round);
    if (journal.is_done(r.step)) s.last_snapshot = r.data.value("snapshot", s.last_snapshot);
  }
  if (s.switched) s.outage_begun = false;
  // A move or cutover whose steps are all done is finished, even if ferry was killed before it
  // could say so.
  if (s.open_plan && pending_steps(journal, *s.open_plan).empty()) {
    if (s.open_command == "move" || s.open_command == "cutover") s.finished = true;
    s.open_plan.reset();
  }
  return s;
}

std::string serving_host(const MoveState& s) {
  if (s.switched) return "target";
  if (s.rollback_pending) return s.target_start_requested ? "unknown" : "none";
  if (s.outage_begun) return "none";
  return "source";
}

std::map<std::string, Step> journaled_steps(const Journal& journal) {
  std::map<std::string, Step> out;
  for (auto& r : journal.records())
    if (r.event == "begin" && !r.step.empty() && r.data.is_object()) out.insert_or_assign(r.step, Step::from_json(r.data));
  return out;
}

std::vector<Step> pending_steps(const Journal& journal, const std::vector<Step>& plan) {
  std::vector<Step> out;
  for (auto& st : plan)
    if (!journal.is_done(st.id)) out.push_back(st);
  return out;
}

}  // namespace ferry::core
