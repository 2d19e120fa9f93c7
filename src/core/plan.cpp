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

// snapshot + one send per volume + activate: the same in every phase that copies.
void add_copy(std::vector<Step>& steps, const std::string& prefix, const PlanInput& in, const std::string& snap,
              const std::string& why) {
  steps.push_back({prefix + "snapshot", StepKind::snapshot, "snapshot every volume as @" + snap + why, snap, ""});
  for (auto& role : in.roles)
    steps.push_back({prefix + "send:" + role, StepKind::send, "send " + role + " up to @" + snap, snap, role});
  steps.push_back({prefix + "activate", StepKind::activate, "make @" + snap + " the target's volumes", snap, ""});
}

}  // namespace

std::string to_string(StepKind kind) {
  for (auto& [k, n] : kKindNames)
    if (k == kind) return n;
  return "?";
}

nlohmann::json Step::to_json() const {
  nlohmann::json j = {{"id", id}, {"kind", to_string(kind)}, {"title", title}};
  if (!snapshot.empty()) j["snapshot"] = snapshot;
  if (!role.empty()) j["volume"] = role;
  return j;
}

Step Step::from_json(const nlohmann::json& j) {
  Step s;
  s.id = j.value("id", "");
  s.title = j.value("title", "");
  s.snapshot = j.value("snapshot", "");
  s.role = j.value("volume", "");
  std::string kind = j.value("kind", "");
  for (auto& [k, n] : kKindNames)
    if (kind == n) s.kind = k;
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
  std::vector<Step> steps = {{"preflight", StepKind::preflight, "check both hosts; change nothing", "", ""}};
  add_copy(steps, "prepare.", in, snapshot_name(in.move_id, 1), " (seed copy, while the instance runs)");
  steps.push_back({"prepare.import", StepKind::import,
                   "import the copy into the target's manager, stopped, with autostart off", "", ""});
  return steps;
}

std::vector<Step> sync_steps(const PlanInput& in, int round, int sequence) {
  std::string prefix = "sync." + std::to_string(round) + ".";
  std::vector<Step> steps = {{prefix + "check-target", StepKind::check_target,
                              "check that nobody started the target copy", "", ""}};
  add_copy(steps, prefix, in, snapshot_name(in.move_id, sequence), " (pre-copy, while the instance runs)");
  return steps;
}

// Everything that can be done before the outage is: the config is applied and the hook runs
// while the source still serves. The outage is stop (or freeze) .. health.
std::vector<Step> cutover_steps(const PlanInput& in, int sequence) {
  std::vector<Step> steps = {
      {"cutover.check-target", StepKind::check_target, "check that nobody started the target copy", "", ""},
      {"cutover.apply-config", StepKind::apply_config, "make the target's config equal the source's", "", ""}};
  if (in.before_stop)
    steps.push_back({"cutover.before-stop", StepKind::hook, "run the --before-stop hook inside the instance on the source", "", "before-stop"});
  // The stop step knows the final snapshot: it arms the final increments as it acts.
  std::string snap = snapshot_name(in.move_id, sequence);
  if (in.crash)
    steps.push_back({"cutover.stop-source", StepKind::stop_source, "freeze the instance on the source (the outage begins)", snap, ""});
  else
    steps.push_back({"cutover.stop-source", StepKind::stop_source, "stop the instance on the source (the outage begins)", snap, ""});
  steps.push_back({"cutover.snapshot", StepKind::snapshot, "snapshot every volume as @" + snap + " (final)", snap, ""});
  for (auto& role : in.roles)
    steps.push_back({"cutover.send:" + role, StepKind::send, "send " + role + " up to @" + snap, snap, role});
  steps.push_back({"cutover.activate", StepKind::activate, "make @" + snap + " the target's volumes", snap, ""});
  steps.push_back({"cutover.start-target", StepKind::start_target, "start the instance on the target", "", ""});
  steps.push_back({"cutover.health", StepKind::health,
                   in.health ? "wait until the target passes the health check (the outage ends)"
                             : "wait until the target runs (the outage ends)",
                   "", ""});
  // Off the outage's path: the frozen source cannot run until mark-source thaws it, and a failed
  // health gate gives the service back to it untouched.
  if (in.crash)
    steps.push_back({"cutover.end-source", StepKind::end_source,
                     "kill every task of the frozen instance on the source (none runs again)", "", ""});
  if (in.forward)
    steps.push_back({"cutover.forward", StepKind::forward,
                     "forward the service's ports from the old host to the new one (until `ferry finish`)", "", ""});
  if (in.after_start)
    steps.push_back({"cutover.after-start", StepKind::hook, "run the --after-start hook inside the instance on the target", "", "after-start"});
  if (in.dns)
    steps.push_back({"cutover.dns-switch", StepKind::dns_switch, "point the service's names at the target; verify every server", "", ""});
  steps.push_back({"cutover.mark-source", StepKind::mark_source,
                   "source: stopped, autostart off, user.ferry.moved-to set; target: autostart restored", "", ""});
  return steps;
}

std::vector<Step> trial_steps() {
  return {{"try.boot", StepKind::trial,
           "trial boot of the target copy with its network detached; check it; stop it (measures start and stop)", "", ""}};
}

std::vector<Step> with_another_round(const std::vector<Step>& plan, const PlanInput& in) {
  std::vector<Step> out;
  int last_round = 0, seq = in.next_sequence;
  for (auto& st : plan)
    if (st.kind == StepKind::snapshot && st.id.rfind("cutover.", 0) == 0) seq = snapshot_sequence(st.snapshot);
  for (auto& st : plan) {
    if (st.id.rfind("cutover.", 0) == 0 || st.id.rfind("cleanup.", 0) == 0) break;
    if (st.id.rfind("sync.", 0) == 0) last_round = std::max(last_round, std::stoi(st.id.substr(5)));
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
  return {{keep.empty() ? "cleanup.all" : "cleanup.snapshots", StepKind::cleanup, title, keep, ""}};
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
