#include "core/steps.hpp"

#include <algorithm>
#include <chrono>
#include <set>
#include <thread>

#include <fmt/format.h>

#include "core/dead_man.hpp"
#include "core/move_facts.hpp"
#include "core/move_state.hpp"
#include "core/outage_steps.hpp"
#include "core/preflight.hpp"
#include "exec/interrupt.hpp"
#include "exec/remote_lock.hpp"
#include "exec/shell_quote.hpp"
#include "exec/stream.hpp"
#include "forward/port_forward.hpp"

namespace ferry::core {

long long epoch_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

namespace {

using nlohmann::json;


Result<json> do_preflight(MoveContext& ctx, Journal& journal) {
  PreflightOptions opt;
  for (auto& r : journal.records())
    if (r.event == "begin" && r.step != "preflight") opt.continuing = true;
  opt.imported = journal.is_done("prepare.import");
  auto findings = run_preflight(ctx, opt);
  if (!ctx.json) ctx.reporter->checks("preflight", findings);
  if (!all_passed(findings)) return fail(preflight_failure(findings));
  return json{{"findings", findings_json(findings)}};
}

Result<json> do_snapshot(MoveContext& ctx, const Step& step) {
  FERRY_TRY(ctx.driver->snapshot(ctx.transfer_context(), ctx.discovery.volumes, step.snapshot));
  return json{{"snapshot", step.snapshot}, {"taken_ms", epoch_ms()}};
}

// The snapshot this volume's target received last, as the journal says ("" if none).
std::string last_received(const Journal& journal, const std::string& role) {
  std::string suffix = ".send:" + role, base;
  for (auto& r : journal.records())
    if (r.event == "done" && r.step.size() > suffix.size() && r.step.ends_with(suffix) && r.data.contains("snapshot"))
      base = r.data["snapshot"].get<std::string>();
  return base;
}

Result<json> do_send(MoveContext& ctx, Journal& journal, const Step& step) {
  auto* vol = ctx.discovery.volume(step.role);
  if (!vol) return fail("internal error: unknown volume " + step.role);
  // After the import the target's manager rewrites its backup file in the volume; that, and only
  // that, is discarded by the increment (check-target ran just before, in this phase). A move
  // back's copy: preflight proved it ferry's and unused since (or --discard-target-changes).
  bool allow_rollback = journal.is_done("prepare.import") || ctx.returning.has_value();
  auto t = ctx.transfer_context();
  t.in_outage = step.phase == Phase::cutover;
  if (t.in_outage) t.known_base = last_received(journal, step.role);
  auto stats = ctx.driver->transfer(t, *vol, step.snapshot, allow_rollback);
  if (!stats) return Unexpected{stats.error()};
  return json{{"snapshot", step.snapshot}, {"bytes", stats->bytes}, {"seconds", stats->seconds},
              {"streams", stats->streams}, {"resumed", stats->resumed}};
}

Result<json> do_activate(MoveContext& ctx, const Step& step) {
  auto t = ctx.transfer_context();
  t.in_outage = step.phase == Phase::cutover;
  for (auto& v : ctx.discovery.volumes) FERRY_TRY(ctx.driver->activate_on_target(t, v, step.snapshot));
  return json{{"snapshot", step.snapshot}};
}

}  // namespace

Result<json> record_target_fingerprint(MoveContext& ctx, Journal& journal) {
  auto target = ctx.target_manager->instance(instance_name(ctx));
  if (!target) return Unexpected{target.error()};
  if (!*target) return fail(make_error("the imported instance is missing on the target").on(ctx.target.name()));
  FERRY_TRY(journal.append("fact", "", {{"target_last_used_at", (*target)->last_used_at}}));
  return json{{"target_last_used_at", (*target)->last_used_at}};
}

namespace {

Result<json> do_import(MoveContext& ctx, Journal& journal) {
  auto& tm = *ctx.target_manager;
  auto existing = tm.instance(instance_name(ctx));
  if (!existing) return Unexpected{existing.error()};
  auto& src_config = ctx.discovery.instance.config;
  if (!read_facts(journal).source_autostart)
    FERRY_TRY(journal.append("fact", "", {{"source_autostart", src_config.contains("boot.autostart") ? src_config["boot.autostart"] : json(nullptr)}}));
  if (!*existing) {
    // The recover scan imports every unknown volume of a pool: hold a lock so that no other
    // ferry adds one meanwhile, and import only if the scan finds exactly what ferry sent.
    auto lock = exec::RemoteLock::acquire(ctx.target, "/run/lock/ferry-recover.lock", 120);
    if (!lock) return Unexpected{lock.error()};
    auto scan = tm.recover_validate(ctx.discovery.pools);
    if (!scan) return Unexpected{scan.error()};
    std::set<std::string> expected, found;
    for (auto& v : ctx.discovery.volumes)
      expected.insert(v.pool + "/" + (v.role == "instance" ? "container/" + instance_name(ctx) : "custom/" + v.custom_name()));
    for (auto& u : scan->unknown) found.insert(u.pool + "/" + u.type + "/" + u.name);
    if (found != expected) {
      std::string list = fmt::format("{}", fmt::join(found, ", "));
      Error e = make_error("the target's recover scan does not find exactly the volumes ferry sent", "found: " + (list.empty() ? "none" : list));
      e.hint = "ferry imports only its own volumes; remove or import the others on " + ctx.target.name() + " first";
      return fail(e.on(ctx.target.name()));
    }
    if (!scan->dependency_errors.empty()) {
      std::string list = fmt::format("{}", fmt::join(scan->dependency_errors, "; "));
      return fail(make_error("the target lacks what the instance depends on", list)
                      .on(ctx.target.name())
                      .with_hint("create the missing profiles/networks/projects on the target, then run ferry again"));
    }
    FERRY_TRY(tm.recover_import(ctx.discovery.pools));
  }
  // Nothing may start the copy before the cutover: the import keeps volatile.last_state.power
  // RUNNING, so a daemon restart would start it unless autostart is off.
  FERRY_TRY(tm.set_config(instance_name(ctx), "boot.autostart", "false"));
  return record_target_fingerprint(ctx, journal);
}

Result<json> do_check_target(MoveContext& ctx, Journal& journal, const Step& step) {
  if (!journal.is_done("prepare.import")) return json::object();
  // Right before the outage: the streams' connection is open, so the final sends need no handshake.
  if (step.phase == Phase::cutover)
    FERRY_TRY(exec::warm_stream_connection(ctx.source, ctx.request.effective_target_from_source()));
  auto target = ctx.target_manager->instance(instance_name(ctx));
  if (!target) return Unexpected{target.error()};
  if (!*target) return fail(make_error("the imported copy of '" + instance_name(ctx) + "' disappeared from the target").on(ctx.target.name())
                                .with_hint("ferry abort, then move again"));
  std::string recorded = read_facts(journal).target_last_used_at;
  bool running = (*target)->running();
  bool used = (*target)->last_used_at != recorded;
  if (!running && !used) return json{{"last_used_at", recorded}};
  std::string what = running ? "the target copy of '" + instance_name(ctx) + "' is running on " + ctx.target.name()
                             : "the target copy of '" + instance_name(ctx) + "' was started on " + ctx.target.name() +
                                   " since ferry imported it (last used " + (*target)->last_used_at + ")";
  if (!ctx.request.discard_target_changes)
    return fail(make_error(what, "the next increment would discard whatever it wrote")
                    .on(ctx.target.name())
                    .with_hint(std::string(running ? "stop it there, then " : "") +
                               "run ferry again with --discard-target-changes to throw those changes away"));
  if (running) FERRY_TRY(ctx.target_manager->stop(instance_name(ctx), ctx.request.stop_timeout, true));
  ctx.say(what + "; discarding its changes (--discard-target-changes)");
  return record_target_fingerprint(ctx, journal);
}

// The outage's first step: act at once (the source's state was read just before, by
// apply-config); only a failed action looks at the instance again.
Result<json> do_stop_source(MoveContext& ctx, Journal& journal, const Step& step) {
  // The outage's commands are made ready first (their sessions up, the increments' receiving
  // ends waiting): the outage has only to say go. Each falls back to the usual way.
  auto facts = read_facts(journal);
  bool was_running = facts.source_was_running.value_or(true);  // unknown: stop it all the same
  auto& name = instance_name(ctx);
  // Before the target can be asked to start, nothing may start the source by itself (a reboot of
  // its host, a failed later step): its autostart goes off now, and a rollback restores it.
  if (!facts.source_autostart_off) {
    auto& config = ctx.discovery.instance.config;
    FERRY_TRY(journal.append("fact", "", {{"source_autostart_off", true},
                                          {"source_autostart_at_stop", config.value("boot.autostart", json(nullptr))}}));
    FERRY_TRY(ctx.source_manager->set_config(name, "boot.autostart", "false"));
  }
  if (was_running) {
    if (ctx.request.crash()) ctx.source_manager->arm_freeze(instance_name(ctx));
    ctx.target_manager->arm_start(instance_name(ctx));
  }
  if (journal.is_done("prepare.import") && !step.snapshot.empty()) {
    auto t = ctx.transfer_context();
    ctx.driver->arm_snapshot(t, ctx.discovery.volumes, step.snapshot);
    t.in_outage = true;
    // The outage's deadline counts from the stop's request, which follows the arming at once:
    // counted from the arming, it ends on the target no later than ferry's own + 5 s.
    t.armed_recv_deadline = std::chrono::seconds(5) + std::chrono::ceil<std::chrono::seconds>(
                                                          std::chrono::duration<double>(ctx.request.effective_outage_deadline()));
    for (auto& v : ctx.discovery.volumes) {
      t.known_base = last_received(journal, v.role);
      ctx.driver->arm_final_increment(t, v, step.snapshot);
    }
  }
  auto requested = epoch_ms();
  if (!facts.stop_requested_ms)  // not on a rerun of this attempt
    FERRY_TRY(journal.append("fact", "", {{"stop_requested_ms", requested}}));
  auto& sm = *ctx.source_manager;
  auto status_now = [&]() -> std::string {
    auto inst = sm.instance(name);
    return inst && *inst ? (*inst)->status : "";
  };
  if (!was_running) return json{{"was_running", false}};
  if (ctx.request.crash()) {
    if (auto frozen = sm.freeze(name); !frozen && status_now() != "Frozen") return Unexpected{frozen.error()};
    return json{{"was_running", true}, {"freeze_seconds", (epoch_ms() - requested) / 1000.0}};
  }
  auto stopped = sm.stop(name, ctx.request.stop_timeout, false);
  if (!stopped && status_now() == "Stopped") stopped = {};
  if (!stopped && ctx.request.force_stop) {
    ctx.say("the instance did not stop within " + std::to_string(ctx.request.stop_timeout) + " s; killing it (--force-stop)");
    stopped = sm.stop(name, ctx.request.stop_timeout, true);
  }
  if (!stopped) {
    Error e = stopped.error();
    e.what = "the instance did not stop cleanly within " + std::to_string(ctx.request.stop_timeout) + " s: " + e.what;
    e.hint = "the source keeps running; raise --stop-timeout, or use --force-stop to kill it";
    return fail(e);
  }
  return json{{"was_running", true}, {"stop_seconds", (epoch_ms() - requested) / 1000.0}};
}

Result<json> do_apply_config(MoveContext& ctx, Journal& journal) {
  auto src = ctx.source_manager->instance(instance_name(ctx));
  auto tgt = ctx.target_manager->instance(instance_name(ctx));
  if (!src) return Unexpected{src.error()};
  if (!tgt) return Unexpected{tgt.error()};
  if (!*src || !*tgt) return fail("the instance is missing on one of the hosts");
  FERRY_TRY(journal.append("fact", "", {{"source_was_running", (*src)->running()}}));
  auto comparable = [](json config) {
    config = instance::durable_config(config);
    config.erase("boot.autostart");
    for (auto it = config.begin(); it != config.end();)
      it = it.key().rfind("user.ferry.", 0) == 0 ? config.erase(it) : std::next(it);
    return config;
  };
  bool changed = comparable((*src)->config) != comparable((*tgt)->config) || (*src)->devices != (*tgt)->devices ||
                 (*src)->profiles != (*tgt)->profiles;
  if (changed) {
    json config = instance::durable_config((*src)->config);
    for (auto& [k, v] : (*tgt)->config.items())
      if (k.rfind("volatile.", 0) == 0) config[k] = v;
    json body = {{"config", config}, {"devices", (*src)->devices}, {"profiles", (*src)->profiles}};
    FERRY_TRY(ctx.target_manager->put_instance(instance_name(ctx), body));
    ctx.say("the instance's configuration changed on the source since the import; applied it on the target");
  }
  return json{{"config_reapplied", changed}};
}

Result<json> do_start_target(MoveContext& ctx, Journal& journal) {
  // The source host acknowledges first that the target starts: from then on its dead-man never
  // brings the source back (a source that does not answer now means a rollback, not a start).
  if (read_facts(journal).dead_man == "armed") {
    auto recorded = request_target_start(ctx, read_move_state(journal).move_id);
    if (!recorded)
      return fail(make_error("the target was not started: the source host did not acknowledge it", recorded.error().message())
                      .on(ctx.source.name()));
    if (*recorded == DeadManState::fired)
      return fail(make_error("the target was not started: the dead-man on " + ctx.source.name() +
                             " had already brought the source back (the outage outlasted its deadline)")
                      .on(ctx.source.name()));
  }
  // A move back: the target still forwards this instance's clients to the source (the earlier
  // move's forwarding, not yet finished): they would reach the stopped source, not the copy.
  if (ctx.returning && ctx.returning->forwarding_left_ipv6 && !read_facts(journal).target_forwarding_removed) {
    auto table = forward::table_name(ctx.discovery.instance.project, instance_name(ctx));
    auto removed = forward::remove(ctx.target, table, *ctx.returning->forwarding_left_ipv6, "");
    if (!removed) return Unexpected{removed.error()};
    FERRY_TRY(journal.append("fact", "", {{"target_forwarding_removed", true}}));
  }
  // From this record on, a rollback must find the copy stopped before the source runs again;
  // before it, ferry knows the target was never asked (no record, no start).
  FERRY_TRY(journal.append("fact", "", {{"target_start_requested_ms", epoch_ms()}}));
  // The outage's critical path: start at once; only a start that fails looks whether it runs.
  auto started = ctx.target_manager->start(instance_name(ctx));
  if (!started) {
    auto inst = ctx.target_manager->instance(instance_name(ctx));
    if (!(inst && *inst && (*inst)->running())) return Unexpected{started.error()};
  }
  return json{{"started", true}, {"running_ms", epoch_ms()}};
}

Result<json> do_mark_source(MoveContext& ctx, Journal& journal) {
  auto& name = instance_name(ctx);
  if (ctx.request.crash()) {  // its tasks are dead; make its manager agree it is stopped
    auto inst = ctx.source_manager->instance(name);
    if (inst && *inst && (*inst)->running()) FERRY_TRY(ctx.source_manager->stop(name, ctx.request.stop_timeout, true));
  }
  FERRY_TRY(ctx.source_manager->set_config(name, "boot.autostart", "false"));
  // The markers a move back proves this copy by (its last use: a start by hand since changes it).
  auto stopped = ctx.source_manager->instance(name);
  if (!stopped) return Unexpected{stopped.error()};
  if (*stopped) FERRY_TRY(ctx.source_manager->set_config(name, kMovedLastUsedKey, (*stopped)->last_used_at));
  FERRY_TRY(ctx.source_manager->set_config(name, kMovedAtKey, utc_now_iso()));
  FERRY_TRY(ctx.source_manager->set_config(name, kMovedToKey, ctx.request.target));
  auto original = read_facts(journal).source_autostart.value_or(json(nullptr));
  if (original.is_string()) FERRY_TRY(ctx.target_manager->set_config(name, "boot.autostart", original.get<std::string>()));
  else FERRY_TRY(ctx.target_manager->unset_config(name, "boot.autostart"));
  // The copy that serves now is nobody's moved copy (after a move back it still had the markers).
  auto serving = ctx.target_manager->instance(name);
  if (!serving) return Unexpected{serving.error()};
  for (const char* key : {kMovedToKey, kMovedAtKey, kMovedLastUsedKey})
    if (*serving && (*serving)->config.contains(key)) FERRY_TRY(ctx.target_manager->unset_config(name, key));
  return json{{"moved_to", ctx.request.target}};
}

Result<json> do_cleanup(MoveContext& ctx, const Step& step) {
  auto t = ctx.transfer_context();
  for (auto& v : ctx.discovery.volumes) FERRY_TRY(ctx.driver->remove_ferry_snapshots(t, v, step.snapshot));
  return json{{"kept", step.snapshot}};
}

// What only a running instance has: a start on the target, hooks to run in it, a service to
// check, tasks to kill, ports to forward. A stopped instance stays stopped on both hosts, so these
// (cutover) steps have nothing to do.
bool needs_running_instance(const Step& step) {
  return step.kind == StepKind::start_target || step.kind == StepKind::hook || step.kind == StepKind::health ||
         step.kind == StepKind::end_source || step.kind == StepKind::forward;
}
}  // namespace

Result<json> execute_step(MoveContext& ctx, Journal& journal, const Step& step) {
  if (needs_running_instance(step) && !read_facts(journal).source_was_running.value_or(true))
    return json{{"skipped", "the instance was stopped on the source: it is not started on the target"}};
  switch (step.kind) {
    case StepKind::preflight: return do_preflight(ctx, journal);
    case StepKind::snapshot: return do_snapshot(ctx, step);
    case StepKind::send: return do_send(ctx, journal, step);
    case StepKind::activate: return do_activate(ctx, step);
    case StepKind::import: return do_import(ctx, journal);
    case StepKind::check_target: return do_check_target(ctx, journal, step);
    case StepKind::stop_source: return do_stop_source(ctx, journal, step);
    case StepKind::apply_config: return do_apply_config(ctx, journal);
    case StepKind::start_target: return do_start_target(ctx, journal);
    case StepKind::mark_source: return do_mark_source(ctx, journal);
    case StepKind::trial: return do_trial(ctx, journal);
    case StepKind::hook: return do_hook(ctx, step);
    case StepKind::end_source: return do_end_source(ctx);
    case StepKind::health: return do_health(ctx, journal);
    case StepKind::forward: return do_forward(ctx, journal);
    case StepKind::dns_switch: return do_dns_switch(ctx);
    case StepKind::cleanup: return do_cleanup(ctx, step);
  }
  return fail("internal error: unknown step");
}

namespace {

// Each step's commands as they would run, from the adapters that build them (so the dry run
// is what runs; <...> where the hosts' state at that time decides). Prose lines are in (...).
using Lines = std::vector<std::string>;

Lines describe_stop_source(MoveContext& ctx, const Step& step) {
  auto& name = ctx.discovery.instance.name;
  auto& sm = *ctx.source_manager;
  auto& tm = *ctx.target_manager;
  bool running = ctx.discovery.instance.running();
  Lines out;
  if (running)
    out.push_back(exec::shown_command(ctx.source, describe_dead_man(ctx, "arm"),
                                      "it starts (or thaws) " + name + " there " + std::to_string(dead_man_seconds(ctx.request)) +
                                          " s later unless the target's start was recorded first, or ferry disarmed it"));
  // Before anything can start the target copy, nothing may start the source by itself.
  out.push_back(exec::shown_command(ctx.source, sm.set_config_argv(name, "boot.autostart", "false"), "restored by a rollback"));
  if (!running) {
    out.push_back("(" + name + " is stopped on " + ctx.source.name() + ": nothing to stop, and it is not started on " +
                  ctx.target.name() + ")");
    return out;
  }
  // The outage's commands made ready first (their sessions up, waiting for "go").
  if (ctx.request.crash() && !ctx.source.is_local())
    out.push_back(exec::shown_armed(exec::shown_command(ctx.source, sm.freeze_argv(name), "\"go\" right after")));
  if (!ctx.target.is_local())
    out.push_back(exec::shown_armed(exec::shown_command(ctx.target, tm.start_argv(name), "\"go\" from the start step")));
  auto t = ctx.transfer_context();
  t.armed_recv_deadline = std::chrono::seconds(5) + std::chrono::ceil<std::chrono::seconds>(
                                                        std::chrono::duration<double>(ctx.request.effective_outage_deadline()));
  for (auto& line : ctx.driver->describe_armed(t, ctx.discovery.volumes, step.snapshot)) out.push_back(line);
  if (ctx.request.crash()) out.push_back(exec::shown_command(ctx.source, sm.freeze_argv(name)));
  else out.push_back(exec::shown_command(ctx.source, sm.stop_argv(name, ctx.request.stop_timeout, false),
                                         ctx.request.force_stop ? "then `--force` if it does not stop (--force-stop)" : ""));
  return out;
}

Lines describe_trial(MoveContext& ctx) {
  auto& name = ctx.discovery.instance.name;
  auto& tm = *ctx.target_manager;
  std::string check = ctx.request.try_check.empty() ? instance::InstanceManager::init_up_check() : ctx.request.try_check;
  Lines out = {exec::shown_command(ctx.target, tm.put_instance_argv(name, "<its config, nic and proxy devices as type none>")),
               exec::shown_command(ctx.target, tm.start_argv(name)),
               exec::shown_command(ctx.target, tm.script_in_argv(name, check))};
  if (ctx.request.crash()) out.push_back(exec::shown_command(ctx.target, tm.freeze_argv(name), "measures the freeze"));
  out.push_back(exec::shown_command(ctx.target, tm.stop_argv(name, ctx.request.stop_timeout, false),
                                    "then `--force` if it does not stop"));
  out.push_back(exec::shown_command(ctx.target, tm.put_instance_argv(name, "<the config and devices as imported>")));
  return out;
}

Lines describe_forward(MoveContext& ctx) {
  auto f = planned_forwarding(ctx);
  if (!f) return {"(nothing to forward)"};
  forward::Forwarding fw{(*f)["table"], (*f)["from"], (*f)["to"], (*f)["ports"].get<std::vector<int>>()};
  return {exec::shown_command(ctx.source, exec::script_named(forward::install_argv(fw), "install the table, forwarding on"),
                              "stdin: table " + fw.table + ": " + fw.from_address + " tcp " + (*f)["ports"].dump() + " -> " +
                                  fw.to_address)};
}

Lines describe_start_target(MoveContext& ctx) {
  auto& name = ctx.discovery.instance.name;
  Lines out;
  if (ctx.returning && ctx.returning->forwarding_left_ipv6) {
    bool v6 = *ctx.returning->forwarding_left_ipv6;
    auto table = forward::table_name(ctx.discovery.instance.project, name);
    out.push_back(exec::shown_command(ctx.target, exec::script_named(forward::remove_argv(v6, ""), "remove the table"),
                                      "stdin: delete table " + table + " (the earlier move's forwarding of this instance, "
                                      "which would send its clients away)"));
  }
  if (ctx.discovery.instance.running())
    out.push_back(exec::shown_command(ctx.source, describe_dead_man(ctx, "request-start"),
                                      "refused if the dead-man fired: then a rollback"));
  out.push_back(exec::shown_command(ctx.target, ctx.target_manager->start_argv(name)));
  return out;
}

Lines describe_mark_source(MoveContext& ctx) {
  auto& name = ctx.discovery.instance.name;
  auto& sm = *ctx.source_manager;
  auto& tm = *ctx.target_manager;
  Lines out;
  if (ctx.request.crash() && ctx.discovery.instance.running())
    out.push_back(exec::shown_command(ctx.source, sm.stop_argv(name, ctx.request.stop_timeout, true),
                                      "its tasks are dead: its manager is told it stopped"));
  out.push_back(exec::shown_command(ctx.source, sm.set_config_argv(name, "boot.autostart", "false")));
  out.push_back(exec::shown_command(ctx.source, sm.set_config_argv(name, kMovedLastUsedKey, "<its last_used_at>")));
  out.push_back(exec::shown_command(ctx.source, sm.set_config_argv(name, kMovedAtKey, "<now>")));
  out.push_back(exec::shown_command(ctx.source, sm.set_config_argv(name, kMovedToKey, ctx.request.target)));
  auto& config = ctx.discovery.instance.config;
  if (config.contains("boot.autostart") && config["boot.autostart"].is_string())
    out.push_back(exec::shown_command(ctx.target, tm.set_config_argv(name, "boot.autostart", config["boot.autostart"].get<std::string>())));
  else out.push_back(exec::shown_command(ctx.target, tm.unset_config_argv(name, "boot.autostart"), "as on the source"));
  for (const char* key : {kMovedToKey, kMovedAtKey, kMovedLastUsedKey})
    out.push_back(exec::shown_command(ctx.target, tm.unset_config_argv(name, key), "if an earlier move left it"));
  return out;
}

Lines describe_volumes(MoveContext& ctx, const std::function<Lines(const storage::Volume&)>& each) {
  Lines out;
  for (auto& v : ctx.discovery.volumes)
    for (auto& line : each(v)) out.push_back(line);
  return out;
}

}  // namespace

void prepare_describe(MoveContext& ctx, const std::vector<Step>& steps) {
  // Only the sends' descriptions look at the hosts: a plan without one asks nothing.
  if (std::none_of(steps.begin(), steps.end(), [](auto& s) { return s.kind == StepKind::send; })) return;
  ctx.driver->prepare_describe(ctx.transfer_context(), ctx.discovery.volumes);
}

std::vector<std::string> describe_step(MoveContext& ctx, const Step& step) {
  auto& name = ctx.discovery.instance.name;
  if (needs_running_instance(step) && !ctx.discovery.instance.running())
    return {"(skipped: " + name + " is stopped on " + ctx.source.name() + ")"};
  auto& sm = *ctx.source_manager;
  auto& tm = *ctx.target_manager;
  auto t = ctx.transfer_context();
  t.in_outage = step.phase == Phase::cutover;
  switch (step.kind) {
    case StepKind::preflight: return {"(read-only checks on both hosts)"};
    case StepKind::snapshot: return ctx.driver->describe_snapshot(t, ctx.discovery.volumes, step.snapshot);
    case StepKind::send: return ctx.driver->describe_transfer(t, *ctx.discovery.volume(step.role), step.snapshot);
    case StepKind::activate:
      return describe_volumes(ctx, [&](auto& v) { return ctx.driver->describe_activate(t, v, step.snapshot); });
    case StepKind::import:
      return {exec::shown_command(ctx.target, tm.recover_argv("validate", ctx.discovery.pools)),
              exec::shown_command(ctx.target, tm.recover_argv("import", ctx.discovery.pools),
                                  "only if the scan finds exactly the volumes ferry sent"),
              exec::shown_command(ctx.target, tm.set_config_argv(name, "boot.autostart", "false"))};
    case StepKind::check_target:
      return {exec::shown_command(ctx.target, tm.query_argv(tm.instance_path(name)), "last_used_at unchanged, stopped")};
    case StepKind::stop_source: return describe_stop_source(ctx, step);
    case StepKind::end_source: {
      auto argv = exec::script_named(instance::InstanceManager::kill_frozen_tasks_argv(0), "kill every task of its PID namespace");
      argv.back() = "<the host PID of its init>";
      return {exec::shown_command(ctx.source, argv, "while it is frozen")};
    }
    case StepKind::trial: return describe_trial(ctx);
    case StepKind::hook: {
      bool before = step.role == "before-stop";
      const std::string& command = before ? ctx.request.before_stop : ctx.request.after_start;
      return {exec::shown_command(before ? ctx.source : ctx.target, (before ? sm : tm).script_in_argv(name, command))};
    }
    case StepKind::health: {
      Lines out = {ctx.request.health.empty() ? std::string("(the start returned: the instance runs)")
                                              : "(from here: probe " + ctx.request.health +
                                                    (ctx.request.target_address.empty() ? "" : " at " + ctx.request.target_address) +
                                                    " until it answers " + std::to_string(ctx.request.health_status) + ")"};
      if (ctx.discovery.instance.running())
        out.push_back(exec::shown_command(ctx.source, describe_dead_man(ctx, "disarm"), "the outage is over"));
      return out;
    }
    case StepKind::forward: return describe_forward(ctx);
    case StepKind::dns_switch: return {"(the [dns] records of " + ctx.request.dns_file + " switched to the target; verified on every server)"};
    case StepKind::apply_config:
      return {exec::shown_command(ctx.target, tm.put_instance_argv(name, "<the source's config, devices and profiles>"),
                                  "only if they changed since the import")};
    case StepKind::start_target: return describe_start_target(ctx);
    case StepKind::mark_source: return describe_mark_source(ctx);
    case StepKind::cleanup:
      return describe_volumes(ctx, [&](auto& v) { return ctx.driver->describe_cleanup(t, v, step.snapshot); });
  }
  return {};
}

namespace {

// The target's copy as its manager reports it, asked again (1 s apart) until it answers or the
// deadline in force passes: a daemon that restarts answers again within seconds.
Result<std::optional<instance::InstanceInfo>> target_copy_patiently(MoveContext& ctx, const std::string& name) {
  for (int attempt = 0;; ++attempt) {
    auto target = ctx.target_manager->instance(name);
    if (target || attempt >= 30 || exec::deadline_passed()) return target;
    ctx.say("the target does not answer (" + target.error().what + "); asking again");
    std::this_thread::sleep_for(std::chrono::seconds(1));
  }
}

// Until the daemon runs no operation on the instance (0.3 s apart, within the deadline in force);
// a daemon that does not answer is left to the caller's next question.
void wait_for_operations(MoveContext& ctx, const instance::InstanceManager& manager, const std::string& name,
                         const std::string& waiting) {
  for (int attempt = 0; attempt < 400 && !exec::deadline_passed(); ++attempt) {
    auto busy = manager.has_running_operation(name);
    if (!busy || !*busy) return;
    if (attempt == 0) ctx.say(waiting);
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
  }
}

// Whether the source runs again because its dead-man fired (ferry could not reach it in time).
bool fired_dead_man(const MoveContext& ctx, const MoveFacts& facts, const std::string& move_id) {
  if (facts.dead_man != "armed") return false;
  auto state = dead_man_state(ctx, move_id);
  return state && *state == DeadManState::fired;
}

}  // namespace

Result<std::string> roll_back_to_source(MoveContext& ctx, Journal& journal) {
  std::string done;
  auto& name = ctx.discovery.instance.name;
  auto state = read_move_state(journal);
  // At most one copy runs: the source runs again only once the target copy is known stopped, or
  // was never asked to start. A start whose client a signal stopped goes on in the daemon: wait
  // for it to end before asking whether the copy runs.
  if (state.target_start_requested)
    wait_for_operations(ctx, *ctx.target_manager, name, "the target's start is still under way there; waiting for it to end");
  auto target = target_copy_patiently(ctx, name);
  if (!target) {
    if (state.target_start_requested)
      return fail(make_error("the target copy's state is unknown: " + ctx.target.name() + " does not answer, and ferry asked it to start",
                             target.error().message())
                      .on(ctx.target.name())
                      .with_hint("the source stays stopped (a second running copy would be worse than the outage); once " +
                                 ctx.target.name() + " answers, run the same command again to finish the rollback, or, "
                                 "if the target copy serves, `ferry status` and the move's remaining steps"));
    done += ctx.target.name() + " does not answer, but its copy was never asked to start; ";
  } else if (*target && (*target)->running()) {
    if (auto st = ctx.target_manager->stop(name, ctx.request.stop_timeout, true); !st)
      return fail(make_error("cannot stop the target copy, so the source stays stopped", st.error().message())
                      .on(ctx.target.name())
                      .with_hint("stop it there (`" + ctx.target_manager->client() + " stop --force " + name +
                                 "`), then run the same command again to finish the rollback"));
    done += "stopped the target copy; ";
  }
  // ferry's own start of the copy: the next increment may discard what it wrote.
  if (target && *target && journal.is_done("prepare.import"))
    if (!record_target_fingerprint(ctx, journal)) done += "(its fingerprint was not recorded) ";
  // Likewise a stop or freeze of the source (read mid-freeze it is Running, and then freezes;
  // a start then finds it busy): what the source is, is what it is once its daemon is done.
  wait_for_operations(ctx, *ctx.source_manager, name, "the source's stop is still under way there; waiting for it to end");
  auto source = ctx.source_manager->instance(name);
  if (!source) return Unexpected{source.error()};
  auto facts = read_facts(journal);
  bool was_running = facts.source_was_running.value_or(false);  // unknown: never started by a rollback
  bool killed = journal.is_done("cutover.end-source") || journal.last("begin").value_or(JournalRecord{}).step == "cutover.end-source";
  if (*source && was_running && killed && (*source)->running()) {
    FERRY_TRY(ctx.source_manager->stop(name, ctx.request.stop_timeout, true));  // its tasks were killed
    FERRY_TRY(ctx.source_manager->start(name));
    done += "started the instance on the source again (crash-consistent, as the snapshot)";
  } else if (*source && was_running && (*source)->status == "Frozen") {
    FERRY_TRY(ctx.source_manager->start(name));  // resumes it
    done += "thawed the instance on the source";
  } else if (*source && was_running && !(*source)->running()) {
    FERRY_TRY(ctx.source_manager->start(name));
    done += "started the instance on the source again";
  } else if (*source && was_running && (*source)->running() && fired_dead_man(ctx, facts, state.move_id)) {
    done += "the dead-man on " + ctx.source.name() + " had already brought the source back";
  } else {
    done += "the source instance was left as it was (" + std::string(*source ? (*source)->status : "missing") + ")";
  }
  // Its autostart, turned off before the outage, as it was.
  if (*source && facts.source_autostart_off) {
    auto original = facts.source_autostart_at_stop;
    auto restored = original.is_string() ? ctx.source_manager->set_config(name, "boot.autostart", original.get<std::string>())
                                         : ctx.source_manager->unset_config(name, "boot.autostart");
    if (!restored) done += "; its boot.autostart could not be restored (" + restored.error().what + ")";
    else (void)journal.append("fact", "", {{"source_autostart_off", false}});
  }
  return done;
}

}  // namespace ferry::core
