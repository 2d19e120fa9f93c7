#include "core/plan.hpp"

namespace ferry::core {

namespace {

const std::pair<StepKind, const char*> kKindNames[] = {
    {StepKind::preflight, "preflight"},       {StepKind::snapshot, "snapshot"},
    {StepKind::send, "send"},                 {StepKind::activate, "activate"},
    {StepKind::import, "import"},             {StepKind::check_target, "check-target"},
    {StepKind::stop_source, "stop-source"},   {StepKind::apply_config, "apply-config"},
    {StepKind::start_target, "start-target"}, {StepKind::mark_source, "mark-source"},
    {StepKind::cleanup, "cleanup"},           {StepKind::trial, "trial"},
    {StepKind::hook, "hook"},                 {StepKind::end_source, "end-source"},
    {StepKind::health, "health"},             {StepKind::forward, "forward"},
    {StepKind::dns_switch, "dns-switch"},
};

const std::pair<Phase, const char*> kPhaseNames[] = {
    {Phase::preflight, "preflight"}, {Phase::prepare, "prepare"}, {Phase::trial, "try"},
    {Phase::sync, "sync"},           {Phase::cutover, "cutover"}, {Phase::cleanup, "cleanup"},
};

// The steps of one phase (and round): each step's id is the phase's prefix and its name.
struct PhaseSteps {
  Phase phase;
  int round = 0;
  std::vector<Step>& out;
  void add(const std::string& name, StepKind kind, std::string title, std::string snapshot = "", std::string role = "") {
    std::string prefix = phase == Phase::preflight ? "" : to_string(phase) + ".";
    if (phase == Phase::sync) prefix += std::to_string(round) + ".";
    out.push_back({prefix + name, kind, std::move(title), std::move(snapshot), std::move(role), phase, round});
  }
  // snapshot + one send per volume + activate: the same in every phase that copies.
  void add_copy(const PlanInput& in, const std::string& snap, const std::string& why) {
    add("snapshot", StepKind::snapshot, "snapshot every volume as @" + snap + why, snap);
    for (auto& role : in.roles) add("send:" + role, StepKind::send, "send " + role + " up to @" + snap, snap, role);
    add("activate", StepKind::activate, "make @" + snap + " the target's volumes", snap);
  }
};

}  // namespace

std::string to_string(StepKind kind) {
  for (auto& [k, n] : kKindNames)
    if (k == kind) return n;
  return "?";
}

std::string to_string(Phase phase) {
  for (auto& [p, n] : kPhaseNames)
    if (p == phase) return n;
  return "?";
}

nlohmann::json Step::to_json() const {
  nlohmann::json j = {{"id", id}, {"kind", to_string(kind)}, {"phase", to_string(phase)}, {"title", title}};
  if (round > 0) j["round"] = round;
  if (!snapshot.empty()) j["snapshot"] = snapshot;
  if (!role.empty()) j["volume"] = role;
  return j;
}

Step Step::from_json(const nlohmann::json& j) {
  Step s;
  if (!j.is_object()) return s;
  s.id = j.value("id", "");
  s.title = j.value("title", "");
  s.snapshot = j.value("snapshot", "");
  s.role = j.value("volume", "");
  s.round = j.value("round", 0);
  std::string kind = j.value("kind", "");
  for (auto& [k, n] : kKindNames)
    if (kind == n) s.kind = k;
  std::string phase = j.value("phase", "");
  for (auto& [p, n] : kPhaseNames)
    if (phase == n) s.phase = p;
  return s;
}

std::string snapshot_name(const std::string& move_id, int sequence) {
  return "ferry-" + move_id + "-" + std::to_string(sequence);
}

int snapshot_sequence(const std::string& snapshot) {
  auto dash = snapshot.rfind('-');
  if (dash == std::string::npos) return 0;
  try { return std::stoi(snapshot.substr(dash + 1)); } catch (...) { return 0; }
}

std::vector<Step> prepare_steps(const PlanInput& in) {
  std::vector<Step> steps;
  PhaseSteps{Phase::preflight, 0, steps}.add("preflight", StepKind::preflight, "check both hosts; change nothing");
  PhaseSteps prepare{Phase::prepare, 0, steps};
  prepare.add_copy(in, snapshot_name(in.move_id, 1), " (seed copy, while the instance runs)");
  prepare.add("import", StepKind::import, "import the copy into the target's manager, stopped, with autostart off");
  return steps;
}

std::vector<Step> sync_steps(const PlanInput& in, int round, int sequence) {
  std::vector<Step> steps;
  PhaseSteps sync{Phase::sync, round, steps};
  sync.add("check-target", StepKind::check_target, "check that nobody started the target copy");
  sync.add_copy(in, snapshot_name(in.move_id, sequence), " (pre-copy, while the instance runs)");
  return steps;
}

// Everything that can be done before the outage is: the config is applied and the hook runs
// while the source still serves. The outage is stop (or freeze) .. health.
std::vector<Step> cutover_steps(const PlanInput& in, int sequence) {
  std::vector<Step> steps;
  PhaseSteps cut{Phase::cutover, 0, steps};
  cut.add("check-target", StepKind::check_target, "check that nobody started the target copy");
  cut.add("apply-config", StepKind::apply_config, "make the target's config equal the source's");
  if (in.before_stop)
    cut.add("before-stop", StepKind::hook, "run the --before-stop hook inside the instance on the source", "", "before-stop");
  // The stop step knows the final snapshot: it arms the final increments as it acts.
  std::string snap = snapshot_name(in.move_id, sequence);
  cut.add("stop-source", StepKind::stop_source,
          in.crash ? "freeze the instance on the source (the outage begins)" : "stop the instance on the source (the outage begins)",
          snap);
  cut.add("snapshot", StepKind::snapshot, "snapshot every volume as @" + snap + " (final)", snap);
  for (auto& role : in.roles) cut.add("send:" + role, StepKind::send, "send " + role + " up to @" + snap, snap, role);
  cut.add("activate", StepKind::activate, "make @" + snap + " the target's volumes", snap);
  cut.add("start-target", StepKind::start_target, "start the instance on the target");
  cut.add("health", StepKind::health,
          in.health ? "wait until the target passes the health check (the outage ends)" : "wait until the target runs (the outage ends)");
  // Off the outage's path: the frozen source cannot run until mark-source thaws it, and a failed
  // health gate gives the service back to it untouched.
  if (in.crash)
    cut.add("end-source", StepKind::end_source, "kill every task of the frozen instance on the source (none runs again)");
  if (in.forward)
    cut.add("forward", StepKind::forward, "forward the service's ports from the old host to the new one (until `ferry finish`)");
  if (in.after_start)
    cut.add("after-start", StepKind::hook, "run the --after-start hook inside the instance on the target", "", "after-start");
  if (in.dns) cut.add("dns-switch", StepKind::dns_switch, "point the service's names at the target; verify every server");
  cut.add("mark-source", StepKind::mark_source,
          "source: stopped, autostart off, user.ferry.moved-to set; target: autostart restored");
  return steps;
}

std::vector<Step> trial_steps() {
  std::vector<Step> steps;
  PhaseSteps{Phase::trial, 0, steps}.add(
      "boot", StepKind::trial, "trial boot of the target copy with its network detached; check it; stop it (measures start and stop)");
  return steps;
}

std::vector<Step> with_another_round(const std::vector<Step>& plan, const PlanInput& in) {
  std::vector<Step> out;
  int last_round = 0, seq = in.next_sequence;
  for (auto& st : plan)
    if (st.kind == StepKind::snapshot && st.phase == Phase::cutover) seq = snapshot_sequence(st.snapshot);
  for (auto& st : plan) {
    if (st.phase == Phase::cutover || st.phase == Phase::cleanup) break;
    if (st.phase == Phase::sync) last_round = std::max(last_round, st.round);
    out.push_back(st);
  }
  auto sync = sync_steps(in, last_round + 1, seq);
  out.insert(out.end(), sync.begin(), sync.end());
  auto cut = cutover_steps(in, seq + 1);
  out.insert(out.end(), cut.begin(), cut.end());
  auto clean = cleanup_steps(in.keep_last_snapshot ? snapshot_name(in.move_id, seq + 1) : "");
  out.insert(out.end(), clean.begin(), clean.end());
  return out;
}

std::vector<Step> cleanup_steps(const std::string& keep) {
  std::string title = keep.empty() ? "remove all of ferry's snapshots and holds"
                                   : "remove ferry's snapshots and holds except @" + keep + " (for a move back)";
  std::vector<Step> steps;
  PhaseSteps{Phase::cleanup, 0, steps}.add(keep.empty() ? "all" : "snapshots", StepKind::cleanup, title, keep);
  return steps;
}

std::vector<Step> move_plan(const PlanInput& in) {
  std::vector<Step> steps;
  int seq = in.next_sequence;
  if (!in.prepared) {
    steps = prepare_steps(in);
    seq = 2;
  }
  if (in.trial) {  // once per move, before the pre-copy: its figures feed the prediction
    auto t = trial_steps();
    steps.insert(steps.end(), t.begin(), t.end());
  }
  for (int r = 0; r < in.precopy_rounds; ++r) {
    auto sync = sync_steps(in, in.first_round + r, seq++);
    steps.insert(steps.end(), sync.begin(), sync.end());
  }
  auto cut = cutover_steps(in, seq);
  steps.insert(steps.end(), cut.begin(), cut.end());
  auto clean = cleanup_steps(in.keep_last_snapshot ? snapshot_name(in.move_id, seq) : "");
  steps.insert(steps.end(), clean.begin(), clean.end());
  return steps;
}

}  // namespace ferry::core
