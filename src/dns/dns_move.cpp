#include "dns/dns_move.hpp"

#include <algorithm>
#include <cmath>
#include <set>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace ferry::dns {

namespace {

Error stage_error(std::string what, std::string hint) {
  return make_error(std::move(what)).with_hint(std::move(hint)).with_code(ExitCode::preflight);
}

// Every step after lower refuses a move without DNS state with this. `nothing_to`: the step, said
// after the reason ("; nothing to verify"); empty for switch, whose hint says what to do instead.
Error never_lowered(const std::string& move, const std::string& nothing_to, std::string hint) {
  std::string what = fmt::format("the DNS of move {} was never lowered", move);
  if (!nothing_to.empty()) what += "; nothing to " + nothing_to;
  return stage_error(std::move(what), std::move(hint));
}

// A step asked for before its wait is over: refused with the wait (exit 6), or, when the time is
// not known, with why (exit 3). `waiting_for`: what the wait protects; `force`: how to go anyway.
Error too_early(const std::string& step, const std::string& why, const Result<double>& allowed,
                const std::string& waiting_for, const std::string& force) {
  return make_error("too early to " + step + ": " + why)
      .with_hint(allowed ? waiting_for + "; wait, or pass " + force : allowed.error().hint + " (or pass " + force + ")")
      .with_code(allowed ? ExitCode::needs_decision : ExitCode::preflight);
}

std::vector<std::string> names_of(const std::vector<RecordSet>& sets) {
  std::set<std::string> names;
  for (const auto& s : sets) names.insert(s.name);
  return {names.begin(), names.end()};
}

std::vector<RRsetKey> keys_for(const std::vector<std::string>& names) {
  std::vector<RRsetKey> keys;
  for (const auto& n : names) {
    keys.push_back({n, RecordType::a});
    keys.push_back({n, RecordType::aaaa});
  }
  return keys;
}

// When the step after the state's stage is allowed: switch after lower, finish after switch.
// None when no step waits, or when its time is not known yet (the step itself says why).
std::optional<double> next_step_at(const DnsState& state) {
  if (state.stage == DnsStage::lowered) {
    if (auto at = switch_allowed_at(state)) return *at;
  } else if (state.stage == DnsStage::switched) {
    if (auto at = finish_allowed_at(state)) return *at;
  }
  return std::nullopt;
}

std::string seconds_text(double s) {
  if (s < 120) return fmt::format("{:.0f} s", std::ceil(s));
  if (s < 7200) return fmt::format("{:.0f} min {:.0f} s", std::floor(s / 60), std::fmod(std::ceil(s), 60));
  return fmt::format("{:.1f} h", s / 3600);
}

}  // namespace

std::vector<RRsetKey> state_keys(const DnsState& state) {
  std::set<std::string> names;
  for (const auto* list : {&state.original, &state.lowered, &state.target, &state.final_records})
    for (const auto& r : *list) names.insert(r.name);
  return keys_for({names.begin(), names.end()});
}

Result<DnsPlanInput> layered_plan_input(const std::string& state_dir, const DnsPlanInput& over) {
  DnsPlanInput input;
  if (over.move && !over.move->empty() && over.move->find('/') == std::string::npos) {
    auto state = load_state(state_path(state_dir, *over.move));
    if (!state) return fail(state.error());
    if (*state) {
      try {
        input = (*state)->plan.get<DnsPlanInput>();
      } catch (const std::exception& e) {
        return fail(make_error("cannot read the plan recorded in the DNS state", e.what()));
      }
    }
  }
  merge_into(input, over);
  return input;
}

void to_json(nlohmann::json& j, const DnsStepReport& r) {
  j = nlohmann::json{{"action", r.action},
                     {"ok", r.ok()},
                     {"move", r.move},
                     {"zone", r.zone},
                     {"provider", r.provider},
                     {"provider_target", r.provider_target},
                     {"dry_run", r.dry_run},
                     {"already_done", r.already_done},
                     {"applied", r.applied},
                     {"change", r.change},
                     {"state_file", r.state_file},
                     {"warnings", r.warnings}};
  if (r.dry_run) j["request"] = r.request;
  if (r.verification) j["verification"] = *r.verification;
  else j["verification"] = nullptr;
  if (r.state) j["state"] = state_to_json(*r.state);
  if (r.next_step_at) {
    j["next_step_at"] = format_time(*r.next_step_at);
    j["next_step_in_seconds"] = std::max(0.0, std::ceil(*r.next_step_at - now_seconds()));
  }
  if (r.error) {
    j["error"] = {{"what", r.error->what},        {"message", r.error->what},    {"host", r.error->host},       {"detail", r.error->detail},
                  {"hint", r.error->hint},        {"command", r.error->command},
                  {"exit_code", static_cast<int>(r.error->code)}};
  }
}

DnsMove::DnsMove(DnsPlan plan, std::string state_dir, NoticeSink notices, std::unique_ptr<DnsProvider> provider,
                 RRsetQuery query)
    : plan_(std::move(plan)),
      state_dir_(std::move(state_dir)),
      state_file_(state_path(state_dir_, plan_.move)),
      notices_(notices ? std::move(notices) : NoticeSink([](const std::string&) {})),  // no sink: no one to tell
      provider_(std::move(provider)),
      query_(query ? std::move(query) : RRsetQuery(query_rrsets)) {}

DnsStepReport DnsMove::start(const std::string& action, bool dry_run) const {
  DnsStepReport r;
  r.action = action;
  r.move = plan_.move;
  r.zone = plan_.zone;
  r.provider = to_string(plan_.provider);
  r.dry_run = dry_run;
  r.state_file = state_file_;
  if (provider_) r.provider_target = provider_->target();
  return r;
}

Result<DnsProvider*> DnsMove::provider() {
  if (!provider_) {
    auto made = make_provider(plan_, notices_, query_);
    if (!made) return fail(made.error());
    provider_ = std::move(*made);
  }
  return provider_.get();
}

Result<std::vector<ServerAddress>> DnsMove::servers() {
  if (!servers_) {
    if (!plan_.servers.empty()) {
      servers_ = plan_.servers;
    } else {
      auto ns = zone_ns_servers(plan_.zone, plan_.timeout);
      if (!ns) return fail(ns.error());
      servers_ = *ns;
    }
  }
  return *servers_;
}

Status DnsMove::save(DnsStepReport& report, const DnsState& state, bool dry_run) {
  report.state = state;
  if (dry_run) return {};
  return save_state(state_file_, state);
}

Status DnsMove::apply_change(DnsStepReport& report, const ChangeSet& change, bool dry_run) {
  auto p = provider();
  if (!p) return fail(p.error());
  report.provider_target = (*p)->target();
  report.change = change;
  report.request = (*p)->describe(change);
  if (change.empty()) {
    report.already_done = true;
    return {};
  }
  auto current = (*p)->current_records(change.keys());
  if (!current) return fail(current.error());
  std::vector<Difference> differences;
  switch (progress_of(change, *current, &differences)) {
    case ChangeProgress::after:
      report.already_done = true;
      return {};
    case ChangeProgress::neither:
      return fail(conflict_error((*p)->target(), differences));
    case ChangeProgress::before:
      break;
  }
  if (dry_run) return {};
  auto applied = (*p)->apply(change);
  if (!applied) return applied;
  report.applied = true;
  return {};
}

void DnsMove::verify_state(DnsStepReport& report, DnsState& state) {
  auto list = servers();
  if (!list) {
    report.error = list.error();
    return;
  }
  VerifyOptions options;
  options.timeout_seconds = plan_.verify_timeout;
  options.poll_interval_seconds = std::min(plan_.poll_interval, 0.2);
  options.query_timeout_seconds = std::min(plan_.timeout, 2.0);
  const auto& expected = state.expected_records();
  report.verification = verify_on_servers(*list, state_keys(state), expected, options, query_);
  if (!report.verification->ok) {
    const char* what = state.stage == DnsStage::lowered    ? "the lowered TTL"
                       : state.stage == DnsStage::switched ? "the switch"
                       : state.stage == DnsStage::finished ? "the restored TTL"
                                                           : "the restored records";
    report.error = report.verification->to_error(what);
    return;
  }
  mark_verified(state);
}

void DnsMove::mark_verified(DnsState& state) {
  const double now = now_seconds();
  if (state.stage == DnsStage::lowered && !state.lowered_verified_at) {
    state.lowered_verified_at = now;
    state.record(now, "lowered TTL seen on every authoritative server");
  } else if (state.stage == DnsStage::switched && !state.switch_verified_at) {
    state.switch_verified_at = now;
    state.record(now, "switch seen on every authoritative server");
  }
}

namespace {
// Every step's way out with an error: the report says it.
DnsStepReport failed(DnsStepReport& report, Error error) {
  report.error = std::move(error);
  return report;
}
}  // namespace

Result<DnsMove::LockedState> DnsMove::lock_and_load(bool dry_run) const {
  LockedState held;
  if (!dry_run) {
    auto l = StateLock::acquire(state_file_);
    if (!l) return Unexpected{l.error()};
    held.lock.emplace(std::move(*l));
  }
  auto loaded = load_state(state_file_);
  if (!loaded) return Unexpected{loaded.error()};
  held.state = std::move(*loaded);
  return held;
}

namespace {
// What a lowering records before it changes anything: the original records (their TTLs cannot
// be read back once lowered) and what later steps need to reach the same servers (no secret).
DnsState state_before_lowering(const DnsPlan& plan, const std::vector<RecordSet>& original, const std::vector<RecordSet>& lowered) {
  DnsState fresh;
  fresh.move = plan.move;
  fresh.zone = plan.zone;
  fresh.provider = to_string(plan.provider);
  fresh.move_ttl = plan.ttl;
  fresh.stage = DnsStage::lowered;
  fresh.original = original;
  fresh.lowered = lowered;
  DnsPlanInput recorded;
  recorded.move = plan.move;
  recorded.provider = to_string(plan.provider);
  recorded.zone = plan.zone;
  recorded.ttl = plan.ttl;
  if (!plan.servers.empty()) {
    std::vector<std::string> servers;
    for (const auto& s : plan.servers) servers.push_back(s.to_string());
    recorded.servers = servers;
  }
  if (plan.primary) recorded.primary = plan.primary->to_string();
  if (!plan.key_file.empty()) recorded.key_file = plan.key_file;
  if (!plan.api_url.empty()) recorded.api_url = plan.api_url;
  if (!plan.api_key_file.empty()) recorded.api_key_file = plan.api_key_file;
  recorded.server_id = plan.server_id;
  if (plan.insecure_api) recorded.insecure_api = true;  // the later steps go on saying so
  if (!plan.command.empty()) recorded.command = plan.command;
  recorded.timeout = plan.timeout;
  recorded.verify_timeout = plan.verify_timeout;
  std::vector<RecordSpec> specs;
  for (const auto& n : plan.names) {
    RecordSpec spec{n.name, n.new_a};
    spec.new_addresses.insert(spec.new_addresses.end(), n.new_aaaa.begin(), n.new_aaaa.end());
    specs.push_back(spec);
  }
  recorded.records = specs;
  nlohmann::json plan_json;
  to_json(plan_json, recorded);
  fresh.plan = plan_json;
  return fresh;
}

// The lowering `lower` carries on (none: it starts one): the recorded one, for the same names
// only (`names` empty: the recorded ones). A finished or aborted one is over; one recorded for
// other names but never applied is dropped; a switched one, or an applied one for other names,
// is refused.
Result<std::optional<DnsState>> lowering_to_continue(std::optional<DnsState> state, const std::vector<std::string>& names) {
  if (!state || state->stage == DnsStage::finished || state->stage == DnsStage::aborted)
    return std::optional<DnsState>{};
  if (state->stage == DnsStage::switched)
    return fail(stage_error("this move's DNS is already switched; there is nothing to lower",
                            "ferry dns status shows where it stands"));
  if (names.empty() || names == names_of(state->original)) return state;
  if (state->lowered_at)
    return fail(stage_error(
        fmt::format("this move's DNS was lowered for other names ({})", fmt::join(names_of(state->original), ", ")),
        "run ferry dns abort first, then lower the new set of names"));
  return std::optional<DnsState>{};  // never applied: start over with the new names
}

// From the original records to the lowered ones, for those whose TTL changes.
ChangeSet lowering_change(const std::string& zone, const DnsState& state) {
  ChangeSet change{DnsAction::lower, zone, {}};
  for (const auto& l : state.lowered) {
    const auto* orig = find_rrset(state.original, key_of(l));
    if (orig && orig->ttl != l.ttl) change.changes.push_back({key_of(l), *orig, l});
  }
  return change;
}
}  // namespace

DnsStepReport DnsMove::lower(const DnsStepOptions& o) {
  auto report = start("lower", o.dry_run);
  auto held = lock_and_load(o.dry_run);
  if (!held) return failed(report, held.error());
  auto p = provider();
  if (!p) return failed(report, p.error());
  report.provider_target = (*p)->target();

  const auto names = plan_.absolute_names();
  auto continued = lowering_to_continue(std::move(held->state), names);
  if (!continued) return failed(report, continued.error());
  std::optional<DnsState> state = std::move(*continued);
  if (!state) {
    if (names.empty())
      return failed(report, make_error("no names to lower")
                                .with_hint("give --name NAME (repeatable), --record NAME[=ADDR,...] or [[dns.record]]")
                                .with_code(ExitCode::usage));
    if (auto served = (*p)->check_zone(plan_.zone); !served) return failed(report, served.error());
    auto current = (*p)->current_records(keys_for(names));
    if (!current) return failed(report, current.error());
    auto lp = plan_lower(plan_.zone, names, *current, plan_.ttl);
    if (!lp) return failed(report, lp.error());
    DnsState fresh = state_before_lowering(plan_, lp->original, lp->lowered);
    fresh.record(now_seconds(), "recorded the original records");
    // Recorded before the update: the original TTLs cannot be read back once lowered.
    if (auto s = save(report, fresh, o.dry_run); !s) return failed(report, s.error());
    state = std::move(fresh);
  }
  if (auto s = apply_change(report, lowering_change(plan_.zone, *state), o.dry_run); !s)
    return failed(report, s.error());
  if (o.dry_run) {
    report.state = state;
    return report;
  }
  if (!state->lowered_at) {
    state->lowered_at = now_seconds();
    state->record(*state->lowered_at, report.already_done ? "TTLs were already at most the move TTL"
                                                          : fmt::format("lowered the TTLs to {} s", state->move_ttl));
  }
  verify_state(report, *state);
  if (auto s = save(report, *state, false); !s && !report.error) report.error = s.error();
  if (auto at = switch_allowed_at(*state)) report.next_step_at = *at;
  return report;
}

DnsMove::SwitchGate DnsMove::switch_gate(const std::optional<DnsState>& loaded, double now) const {
  SwitchGate gate;
  if (!loaded) {
    gate.refusal = never_lowered(plan_.move, "", "run ferry dns lower first, and wait out the old TTL");
    return gate;
  }
  const DnsState& state = *loaded;
  if (state.stage == DnsStage::finished || state.stage == DnsStage::aborted) {
    gate.refusal = stage_error(fmt::format("the DNS of move {} is already {}", plan_.move, to_string(state.stage)),
                               "start again with ferry dns lower");
    return gate;
  }
  if (!state.zone.empty() && state.zone != plan_.zone) {
    gate.refusal = stage_error(fmt::format("the DNS of move {} was lowered in zone {}, not {}", plan_.move, state.zone, plan_.zone),
                               "use the migration file the names were lowered with, or ferry dns abort and lower again");
    return gate;
  }
  if (state.stage != DnsStage::lowered) return gate;
  if (!state.lowered_at) {
    gate.refusal = stage_error("the lowering was recorded but never confirmed", "run ferry dns lower again");
    return gate;
  }
  auto allowed = switch_allowed_at(state);
  if (allowed && now >= *allowed) return gate;
  gate.only_too_early = true;
  gate.too_early_why = allowed ? fmt::format("the old TTL ({} s) has not passed since the lowered TTL was seen on "
                                             "every server ({}): wait {} more",
                                             ttl_before_lowering(state), format_time(*state.lowered_verified_at),
                                             seconds_text(*allowed - now))
                               : allowed.error().what;
  gate.refusal = too_early("switch", gate.too_early_why, allowed,
                            "resolvers may still hold the old records with their old TTL", "--force to switch anyway");
  if (allowed) gate.next_step_at = *allowed;
  return gate;
}

Status DnsMove::check_switchable(double at) const {
  auto loaded = load_state(state_file_);
  if (!loaded) return Unexpected{loaded.error()};
  auto gate = switch_gate(*loaded, at);
  if (gate.refusal) return Unexpected{*gate.refusal};
  return {};
}

DnsStepReport DnsMove::switch_records(const DnsStepOptions& o) {
  auto report = start("switch", o.dry_run);
  auto held = lock_and_load(o.dry_run);
  if (!held) return failed(report, held.error());
  auto& loaded = held->state;
  auto gate = switch_gate(loaded, now_seconds());
  if (gate.refusal && !(gate.only_too_early && o.force)) {
    if (gate.next_step_at) report.next_step_at = *gate.next_step_at;
    return failed(report, *gate.refusal);
  }
  if (gate.refusal)
    report.warnings.push_back("switching before it is safe (--force): " + gate.too_early_why +
                              "; some clients keep the old address until their cached TTL runs out");
  DnsState state = std::move(*loaded);
  auto sp = plan_switch(plan_.zone, state.lowered, plan_.names, state.move_ttl);
  if (!sp) return failed(report, sp.error());
  if (state.stage == DnsStage::switched && sp->target != state.target)
    return failed(report, stage_error("this move's DNS is already switched, to other addresses",
                                      "ferry dns status shows them; abort first to switch elsewhere"));
  if (auto s = apply_change(report, sp->change, o.dry_run); !s) return failed(report, s.error());
  if (o.dry_run) {
    state.target = sp->target;
    state.stage = DnsStage::switched;
    report.state = state;
    return report;
  }
  if (state.stage != DnsStage::switched) {
    state.stage = DnsStage::switched;
    state.target = sp->target;
    state.switched_at = now_seconds();
    state.record(*state.switched_at, report.already_done ? "records already held the new addresses"
                                                          : "switched the records to the new addresses");
    if (!report.warnings.empty()) state.record(*state.switched_at, "switched with --force before the old TTL passed");
    if (auto s = save(report, state, false); !s) return failed(report, s.error());
  }
  verify_state(report, state);
  if (auto s = save(report, state, false); !s && !report.error) report.error = s.error();
  if (auto at = finish_allowed_at(state)) report.next_step_at = *at;
  return report;
}

DnsStepReport DnsMove::verify(const DnsStepOptions& o) {
  auto report = start("verify", o.dry_run);
  auto loaded = load_state(state_file_);
  if (!loaded) return failed(report, loaded.error());
  if (!*loaded) return failed(report, never_lowered(plan_.move, "verify", "run ferry dns lower first"));
  DnsState state = std::move(**loaded);
  // Without the lock: the servers may take the whole verify timeout to agree, and a move's
  // switch must not wait for that. What it learned is then written under the lock onto the
  // state as it is by then, never over a step taken meanwhile.
  verify_state(report, state);
  if (!o.dry_run && report.ok()) {
    auto held = lock_and_load(false);
    if (!held) return failed(report, held.error());
    if (!held->state || held->state->stage != state.stage)
      return failed(report, stage_error(fmt::format("the DNS of move {} changed while it was verified (it is now {})", plan_.move,
                                                    held->state ? to_string(held->state->stage) : "gone"),
                                        "run ferry dns verify again"));
    state = std::move(*held->state);
    mark_verified(state);
    if (auto s = save(report, state, false); !s) report.error = s.error();
  }
  report.state = state;
  report.next_step_at = next_step_at(state);
  return report;
}

DnsStepReport DnsMove::abort(const DnsStepOptions& o) {
  auto report = start("abort", o.dry_run);
  auto held = lock_and_load(o.dry_run);
  if (!held) return failed(report, held.error());
  auto& loaded = held->state;
  if (!loaded) return failed(report, never_lowered(plan_.move, "abort", ""));
  DnsState state = std::move(*loaded);
  if (state.target_served || state.stage == DnsStage::finished)
    return failed(report, stage_error(
               "the target has served clients since the switch; abort would lose what they wrote there",
               "moving back is a move in the other direction (incremental, from the snapshot both hosts keep): "
               "run ferry's move from the new host to the old one"));
  const auto& from = state.stage == DnsStage::switched ? state.target : state.lowered;
  ChangeSet change = state.stage == DnsStage::aborted ? ChangeSet{DnsAction::restore, state.zone, {}}
                                                      : plan_restore(state.zone, from, state.original);
  if (auto s = apply_change(report, change, o.dry_run); !s) return failed(report, s.error());
  if (o.dry_run) {
    state.stage = DnsStage::aborted;
    report.state = state;
    return report;
  }
  if (state.stage != DnsStage::aborted) {
    state.stage = DnsStage::aborted;
    state.aborted_at = now_seconds();
    state.record(*state.aborted_at, "restored the original records");
    if (auto s = save(report, state, false); !s) return failed(report, s.error());
  }
  verify_state(report, state);
  return report;
}

DnsStepReport DnsMove::finish(const DnsStepOptions& o) {
  auto report = start("finish", o.dry_run);
  auto held = lock_and_load(o.dry_run);
  if (!held) return failed(report, held.error());
  auto& loaded = held->state;
  if (!loaded) return failed(report, never_lowered(plan_.move, "finish", ""));
  DnsState state = std::move(*loaded);
  if (state.stage == DnsStage::lowered)
    return failed(report, stage_error("the records were never switched; there is nothing to finish",
                                      "switch them (ferry dns switch), or put the original TTL back with ferry dns abort"));
  if (state.stage == DnsStage::aborted)
    return failed(report, stage_error("this move's DNS was aborted; the original records are back", ""));
  if (state.stage == DnsStage::switched) {
    const double now = now_seconds();
    auto allowed = finish_allowed_at(state);
    if (!allowed || now < *allowed) {
      std::string why = allowed ? fmt::format("the old records' TTL ({} s) has not passed since the switch was seen "
                                              "on every server ({}): wait {} more",
                                              ttl_before_switch(state), format_time(*state.switch_verified_at),
                                              seconds_text(*allowed - now))
                                : allowed.error().what;
      if (!o.force) {
        report.error = too_early("finish", why, allowed, "until then a client may still use the old address", "--force");
        if (allowed) report.next_step_at = *allowed;
        return report;
      }
      report.warnings.push_back("finishing early (--force): " + why);
    }
  }
  auto fp = plan_finish(state.zone, state.target, state.original);
  ChangeSet change = state.stage == DnsStage::finished ? ChangeSet{DnsAction::finish, state.zone, {}} : fp.change;
  if (auto s = apply_change(report, change, o.dry_run); !s) return failed(report, s.error());
  if (o.dry_run) {
    state.stage = DnsStage::finished;
    state.final_records = fp.final_records;
    report.state = state;
    return report;
  }
  if (state.stage != DnsStage::finished) {
    state.stage = DnsStage::finished;
    state.final_records = fp.final_records;
    state.finished_at = now_seconds();
    state.target_served = true;
    state.record(*state.finished_at, "restored the original TTLs on the new records");
    if (auto s = save(report, state, false); !s) return failed(report, s.error());
  }
  verify_state(report, state);
  return report;
}

DnsStepReport DnsMove::status(bool ask_servers) {
  auto report = start("status", false);
  auto loaded = load_state(state_file_);
  if (!loaded) return failed(report, loaded.error());
  if (!*loaded)
    return failed(report, make_error(fmt::format("no DNS state for move {} ({} does not exist)", plan_.move, state_file_))
                              .with_hint("ferry dns lower starts the DNS part of a move")
                              .with_code(ExitCode::preflight));
  DnsState state = std::move(**loaded);
  report.state = state;
  report.next_step_at = next_step_at(state);
  if (ask_servers) {
    auto list = servers();
    if (!list) {
      report.warnings.push_back("cannot ask the servers: " + list.error().what);
    } else {
      VerifyOptions options;
      options.timeout_seconds = 0;  // one look, no waiting
      options.query_timeout_seconds = std::min(plan_.timeout, 2.0);
      report.verification = verify_on_servers(*list, state_keys(state), state.expected_records(), options, query_);
    }
  }
  return report;
}

Status DnsMove::mark_target_served() {
  auto l = StateLock::acquire(state_file_);
  if (!l) return fail(l.error());
  auto loaded = load_state(state_file_);
  if (!loaded) return fail(loaded.error());
  if (!*loaded) return fail(make_error(fmt::format("no DNS state for move {}", plan_.move)));
  DnsState state = std::move(**loaded);
  if (state.target_served) return {};
  state.target_served = true;
  state.record(now_seconds(), "the target has served clients; abort now refuses");
  return save_state(state_file_, state);
}

}  // namespace ferry::dns
