#include "core/move_status.hpp"

#include <fmt/format.h>

namespace ferry::core {

using nlohmann::json;

namespace {

std::string command_line(const MoveRequest& r, const std::string& verb, bool reverse = false) {
  std::string from = reverse ? r.target : r.source, to = reverse ? r.source : r.target;
  std::string line = "ferry " + verb + " " + r.instance + " --from " + from + " --to " + (to.empty() ? "NEW-HOST" : to);
  if (r.project != "default") line += " --project " + r.project;
  return line;
}

// The journal's stage of the move (--json's `state`, as before the table).
std::string state_of(const MoveState& st) {
  if (!st.started) return "none";
  return st.aborted ? "aborted" : st.finished ? "finished" : st.switched ? "switched" : st.prepared ? "prepared" : "preparing";
}

// What the table says: the stage, unless a rollback is under way.
std::string phase_of(const MoveState& st) { return st.rollback_pending ? "rolling back" : state_of(st); }

}  // namespace

std::pair<std::string, std::string> next_step(const StatusFacts& f) {
  const auto& st = f.state;
  const MoveRequest& r = st.started ? st.request : f.asked;
  if (!st.started) return {command_line(r, "plan"), "checks everything and prints the plan; then `ferry move` with the same options"};
  std::string serving = serving_host(st);
  std::string again = st.open_command.empty() ? "move" : st.open_command;
  if (st.rollback_pending || serving == "unknown")
    return {command_line(r, again), "it finishes the rollback once both hosts answer; the source then serves"};
  if (serving == "none")
    return {command_line(r, again), "it carries on from where ferry was stopped (or `" + command_line(r, "abort") + "`)"};
  if (st.aborted) return {command_line(r, "move"), "only to start over: the source serves, nothing of the move is left"};
  if (st.finished) {
    if (f.summary.contains("forwarding"))
      return {command_line(r, "finish"), "once the DNS TTL has passed since the switch: it removes the forwarding on " + r.source};
    return {"", "nothing: the move is done; `" + command_line(r, "move", true) + "` moves it back"};
  }
  if (st.open_plan && !f.pending_steps.empty())
    return {command_line(r, again), fmt::format("it carries on: {} step{} left", f.pending_steps.size(), f.pending_steps.size() == 1 ? "" : "s")};
  if (st.prepared)
    return {command_line(r, "move"), "pre-copy and cutover (or one phase at a time: sync, try, cutover; `ferry abort` gives it up)"};
  return {command_line(r, "prepare"), "it carries on the seed copy"};
}

nlohmann::json move_status(const StatusFacts& f) {
  const auto& st = f.state;
  json report = f.summary;
  report["history"] = json::array();
  for (auto& leg : f.history) report["history"].push_back(leg.to_json());
  std::string serves_on = serving_after(f.history);
  if (!serves_on.empty()) report["serves_on"] = serves_on;
  auto [next_command, next_why] = next_step(f);
  report["next"] = {{"command", next_command}, {"why", next_why}};
  report["state"] = state_of(st);
  report["phase"] = phase_of(st);
  report["journal"] = f.journal_path;
  if (!st.started) {
    report["instance"] = f.asked.instance;
    report["source"] = f.asked.source;
    return report;
  }
  const MoveRequest& r = st.request;
  report.update({{"move_id", st.move_id}, {"instance", r.instance}, {"source", r.source}, {"target", r.target}});
  report["serving"] = serving_host(st);
  if (report["serving"] == "unknown") report["rollback_error"] = st.rollback_error;
  report["rollback_pending"] = st.rollback_pending;
  report["sync_rounds"] = st.rounds_done;
  report["last_common_snapshot"] = st.last_snapshot;
  if (f.last_done) report["last_step"] = {{"step", f.last_done->step}, {"at", f.last_done->time}};
  if (!f.pending_steps.empty()) {
    report["pending_steps"] = f.pending_steps;
    report["open_command"] = st.open_command;
  }
  if (f.summary.contains("prediction") && f.summary["prediction"].contains("outage_seconds"))
    report["predicted_outage_seconds"] = f.summary["prediction"]["outage_seconds"];
  if (!f.dead_man.empty()) {
    report["dead_man"] = f.dead_man;
    if (!f.dead_man_fires_at.empty()) report["dead_man_fires_at"] = f.dead_man_fires_at;
    if (f.dead_man_note) report["dead_man_note"] = *f.dead_man_note;
  }
  if (f.last_failed) report["last_failure"] = {{"step", f.last_failed->step}, {"what", f.last_failed->data.value("what", "")}};
  return report;
}

}  // namespace ferry::core
