#include "core/move_report.hpp"

#include <algorithm>

#include "core/move_facts.hpp"
#include "core/move_state.hpp"

namespace ferry::core {

using nlohmann::json;

namespace {

double step_seconds(const Journal& journal, const std::string& step) {
  auto d = journal.done_data(step);
  return d ? d->value("step_seconds", 0.0) : 0.0;
}

// One copy round (a phase, and in the sync phase its round): snapshot, sends (in parallel), activate.
RoundFigures round_figures(const Journal& journal, const std::map<std::string, Step>& steps, Phase phase, int round,
                           long long* taken_ms) {
  RoundFigures r;
  double sends = 0, around = 0;  // the send steps, lookups and holds included; snapshot and activate
  *taken_ms = 0;
  for (auto& [id, st] : steps) {
    if (st.phase != phase || st.round != round || !journal.is_done(id)) continue;
    auto done = journal.done_data(id).value_or(json::object());
    double seconds = done.value("step_seconds", 0.0);
    if (st.kind == StepKind::send) {
      r.bytes += done.value("bytes", uint64_t{0});
      sends = std::max(sends, seconds);
      r.transfer_seconds = std::max(r.transfer_seconds, done.value("seconds", seconds));
    } else if (st.kind == StepKind::snapshot) {
      around += seconds;
      *taken_ms = done.value("taken_ms", 0LL);
    } else if (st.kind == StepKind::activate) {
      around += seconds;
    }
  }
  r.round_seconds = around + sends;
  r.outage_like_seconds = around + r.transfer_seconds;
  return r;
}

bool round_done(const Journal& journal, const std::map<std::string, Step>& steps, int round) {
  for (auto& [id, st] : steps)
    if (st.phase == Phase::sync && st.round == round && st.kind == StepKind::activate && journal.is_done(id)) return true;
  return false;
}

}  // namespace

CopyHistory copy_history(const Journal& journal) {
  CopyHistory h;
  auto steps = journaled_steps(journal);
  long long previous_ms = 0, taken = 0;
  h.seed = round_figures(journal, steps, Phase::prepare, 0, &previous_ms);
  for (int n = 1; round_done(journal, steps, n); ++n) {
    auto r = round_figures(journal, steps, Phase::sync, n, &taken);
    if (previous_ms > 0 && taken > previous_ms) r.since_previous = (taken - previous_ms) / 1000.0;
    previous_ms = taken;
    h.rounds.push_back(r);
  }
  return h;
}

OutageCosts measured_costs(const Journal& journal, bool crash) {
  auto facts = read_facts(journal);
  OutageCosts c;
  c.measured = facts.measured_start_seconds.has_value();
  c.start_seconds = facts.measured_start_seconds.value_or(0.0);
  c.stop_seconds = (crash ? facts.measured_freeze_seconds : facts.measured_stop_seconds).value_or(0.0);
  return c;
}

namespace {

// The mode the cutover ran in: a freeze instead of the stop.
bool ran_in_crash_mode(const Journal& journal) {
  auto stop = journal.done_data("cutover.stop-source");
  return stop && stop->contains("freeze_seconds");
}

// The outage, step by step: what it cost and what ferry itself added to it.
json outage_breakdown(const Journal& journal) {
  auto health = journal.done_data("cutover.health");
  if (!health || !health->contains("downtime_seconds")) return nullptr;  // none yet, or a stopped instance's
  bool crash = ran_in_crash_mode(journal);
  // From the stop request on (the step first readies the final increments' receiving ends).
  auto stop_data = journal.done_data("cutover.stop-source").value_or(json::object());
  double stop = stop_data.value(crash ? "freeze_seconds" : "stop_seconds", step_seconds(journal, "cutover.stop-source"));
  double snapshot = step_seconds(journal, "cutover.snapshot");
  double sends = 0;
  for (auto& [id, st] : journaled_steps(journal))
    if (st.phase == Phase::cutover && st.kind == StepKind::send) sends = std::max(sends, step_seconds(journal, id));
  double final_sync = snapshot + sends + step_seconds(journal, "cutover.activate");
  double start = step_seconds(journal, "cutover.start-target") + step_seconds(journal, "cutover.health");
  double downtime = health->value("downtime_seconds", 0.0);
  json out = {{"mode", crash ? "crash" : "clean"}, {crash ? "freeze_seconds" : "stop_seconds", stop},
              {"snapshot_seconds", snapshot}, {"final_sync_seconds", final_sync}, {"start_seconds", start},
              {"downtime_seconds", downtime}, {"overhead_seconds", downtime - stop - start}};
  return out;
}

}  // namespace

json summarize(const Journal& journal, const MoveState& state) {
  json phases = json::object();
  auto steps = journaled_steps(journal);
  for (auto& r : journal.records()) {
    auto step = steps.find(r.step);
    if (r.event != "done" || step == steps.end() || !journal.is_done(r.step)) continue;
    auto& p = phases[to_string(step->second.phase)];
    if (!p.is_object()) p = {{"bytes", 0}, {"seconds", 0.0}, {"steps", 0}};
    p["bytes"] = p["bytes"].get<uint64_t>() + r.data.value("bytes", uint64_t{0});
    p["seconds"] = p["seconds"].get<double>() + r.data.value("step_seconds", 0.0);
    p["steps"] = p["steps"].get<int>() + 1;
  }
  json out = {{"instance", state.request.instance}, {"source", state.request.source}, {"target", state.request.target},
              {"move_id", state.move_id}, {"phases", phases}};
  out["mode"] = ran_in_crash_mode(journal) ? "crash" : to_string(state.request.mode);
  out["outage"] = outage_breakdown(journal);
  out["downtime_seconds"] = out["outage"].is_null() ? json(nullptr) : out["outage"]["downtime_seconds"];
  auto history = copy_history(journal);
  json rounds = json::array();
  for (auto& r : history.rounds) rounds.push_back({{"bytes", r.bytes}, {"seconds", r.round_seconds}});
  out["precopy_rounds"] = rounds;
  auto facts = read_facts(journal);
  if (!facts.prediction.is_null()) out["prediction"] = facts.prediction;
  json hooks = json::object();
  for (auto& [id, step] : steps)
    if (step.kind == StepKind::hook)
      if (auto d = journal.done_data(id)) hooks[step.role] = *d;
  if (!hooks.empty()) out["hooks"] = hooks;
  if (!facts.forwarding.is_null()) out["forwarding"] = facts.forwarding;
  return out;
}

}  // namespace ferry::core
