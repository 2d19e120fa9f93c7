#include "core/outage_steps.hpp"

#include <chrono>
#include <regex>

#include <fmt/core.h>

#include "core/move_facts.hpp"
#include "core/steps.hpp"
#include "core/request_checks.hpp"
#include "dns/dns_move.hpp"
#include "dns/tsig_key.hpp"
#include "forward/port_forward.hpp"
#include "health/health_check.hpp"

namespace ferry::core {

using nlohmann::json;

namespace {

double seconds_since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}

// Devices through which a second copy could talk to the world as the service.
bool is_network_device(const json& device) {
  std::string type = device.value("type", "");
  return type == "nic" || type == "proxy" || type == "infiniband";
}

}  // namespace

Result<json> do_trial(MoveContext& ctx, Journal& journal) {
  auto& tm = *ctx.target_manager;
  auto& name = instance_name(ctx);
  auto inst = tm.instance(name);
  if (!inst) return Unexpected{inst.error()};
  if (!*inst) return fail(make_error("the imported copy is missing on the target").on(ctx.target.name()));
  // The instance as ferry imported it, kept in the journal so a killed trial can be undone.
  auto recorded = read_facts(journal).trial_original;
  if (!recorded) {
    recorded = json{{"config", (*inst)->config}, {"devices", (*inst)->devices}, {"profiles", (*inst)->profiles}};
    FERRY_TRY(journal.append("fact", "", {{"trial_original", *recorded}}));
  }
  json original = *recorded;
  if ((*inst)->running()) FERRY_TRY(tm.stop(name, ctx.request.stop_timeout, true));  // a killed trial's
  json detached = original["devices"];
  for (auto& [dev, cfg] : (*inst)->expanded_devices.items())
    if (is_network_device(cfg)) detached[dev] = {{"type", "none"}};
  FERRY_TRY(tm.put_instance(name, {{"config", original["config"]}, {"devices", detached}, {"profiles", original["profiles"]}}));

  auto t0 = std::chrono::steady_clock::now();
  FERRY_TRY(tm.start(name));
  std::string check = ctx.request.try_check.empty() ? instance::InstanceManager::init_up_check() : ctx.request.try_check;
  auto checked = tm.run_script_in(name, check, 120);
  double start_s = seconds_since(t0);
  std::optional<std::string> check_error;  // set when the check failed (its output may be empty)
  if (!checked) check_error = checked.error().message();
  else if (checked->timed_out) check_error = "the check did not finish within 120 s";
  else if (!checked->status.ok())
    check_error = checked->status.describe() + ": " + exec::tail_lines(checked->err + checked->out, 6);
  double freeze_s = 0;
  if (!check_error && ctx.request.crash()) {
    auto f0 = std::chrono::steady_clock::now();
    if (tm.freeze(name)) freeze_s = seconds_since(f0);
  }
  auto t1 = std::chrono::steady_clock::now();
  auto stopped = tm.stop(name, ctx.request.stop_timeout, false);
  if (!stopped) stopped = tm.stop(name, ctx.request.stop_timeout, true);
  double stop_s = seconds_since(t1);
  // Back as imported (the config and every volatile key: the next increment discards the boot's
  // writes on disk, so the database must not remember them either).
  FERRY_TRY(tm.put_instance(name, original));
  FERRY_TRY(record_target_fingerprint(ctx, journal));  // this boot was ferry's own
  if (!stopped) return Unexpected{stopped.error()};
  if (check_error)
    return fail(make_error("the trial boot of '" + name + "' on " + ctx.target.name() + " failed its check", *check_error)
                    .on(ctx.target.name())
                    .with_hint("nothing was switched and the source still serves; see why the copy does not come up "
                               "(`" + tm.client() + " start " + name + "` there, then stop it), or skip the trial with --no-try"));
  FERRY_TRY(journal.append("fact", "", {{"measured_start_seconds", start_s}, {"measured_stop_seconds", stop_s},
                                        {"measured_freeze_seconds", freeze_s}}));
  ctx.say(fmt::format("trial boot: started and checked in {:.1f} s, stopped in {:.1f} s", start_s, stop_s));
  return json{{"start_seconds", start_s}, {"stop_seconds", stop_s}, {"freeze_seconds", freeze_s}};
}

Result<json> do_hook(MoveContext& ctx, const Step& step) {
  bool before = step.role == "before-stop";
  const std::string& command = before ? ctx.request.before_stop : ctx.request.after_start;
  if (command.empty()) return json{{"skipped", "no command given on this run"}};
  auto& manager = before ? *ctx.source_manager : *ctx.target_manager;
  auto t0 = std::chrono::steady_clock::now();
  auto done = manager.run_script_in(instance_name(ctx), command, ctx.request.hook_timeout);
  if (!done) return Unexpected{done.error()};
  if (done->interrupted) return fail(exec::command_error(manager.host(), manager.script_in_argv(instance_name(ctx), command), *done));  // exit 130
  std::string output = exec::tail_lines(done->out + done->err, 20);
  if (done->timed_out || !done->status.ok())
    return fail(make_error("the --" + step.role + " hook failed" +
                               (done->timed_out ? fmt::format(" (timed out after {} s)", ctx.request.hook_timeout) : ""),
                           output)
                    .on(manager.host().name())
                    .with_hint(before ? "the source still runs; fix the hook and run the same command again"
                                      : "the target runs; fix what the hook reports, then run the same command again"));
  return json{{"hook", step.role}, {"seconds", seconds_since(t0)}, {"output", output}};
}

Result<json> do_end_source(MoveContext& ctx) {
  auto& sm = *ctx.source_manager;
  auto pid = sm.init_pid(instance_name(ctx));
  if (!pid) return Unexpected{pid.error()};
  std::string killed = "0";
  if (*pid > 1) {
    auto r = sm.kill_frozen_tasks(*pid);
    if (!r) return Unexpected{r.error()};
    killed = *r;
  }  // mark-source thaws it after the switch (off the outage's path): then the killed tasks exit
  return json{{"init_pid", *pid}, {"tasks_killed", killed}};
}

Result<json> do_health(MoveContext& ctx, Journal& journal) {
  double health_s = 0;
  json out;
  if (!ctx.request.health.empty()) {
    auto check = health::parse_health_check(ctx.request.health, ctx.request.target_address, ctx.request.health_status);
    if (!check) return Unexpected{check.error()};
    auto waited = health::wait_until_healthy(*check, ctx.request.health_timeout);
    if (!waited) {
      Error e = waited.error();
      e.hint = "check the service inside the instance on " + ctx.target.name();
      return fail(e.on(ctx.target.name()));
    }
    health_s = *waited;
    out["check"] = check->describe();
  }
  long long now = epoch_ms();
  long long requested = read_facts(journal).stop_requested_ms.value_or(now);
  out["health_seconds"] = health_s;
  out["healthy_ms"] = now;
  out["downtime_seconds"] = (now - requested) / 1000.0;
  // The target serves from here on: the source says where it went right away, not only in the
  // last step (mark-source sets it again).
  if (auto marked = ctx.source_manager->set_config(instance_name(ctx), "user.ferry.moved-to", ctx.request.target); !marked)
    out["moved_to_not_set"] = marked.error().what;
  return out;
}

std::optional<json> planned_forwarding(const MoveContext& ctx) {
  auto& r = ctx.request;
  if (!r.forward || r.source_address.empty() || r.target_address.empty() || r.source_address == r.target_address)
    return std::nullopt;
  std::vector<int> ports = r.forward_ports;
  if (ports.empty()) {
    static const std::regex listen(R"(tcp:[^,]*:(\d+))");
    for (auto& [dev, cfg] : ctx.discovery.instance.expanded_devices.items()) {
      std::smatch m;
      std::string l = cfg.value("listen", "");
      if (cfg.value("type", "") == "proxy" && std::regex_match(l, m, listen)) ports.push_back(std::stoi(m[1]));
    }
  }
  if (ports.empty()) return std::nullopt;
  return json{{"table", forward::table_name(ctx.request.project, instance_name(ctx))}, {"from", r.source_address}, {"to", r.target_address}, {"ports", ports}};
}

Result<json> do_forward(MoveContext& ctx, Journal& journal) {
  auto plan = planned_forwarding(ctx);
  if (!plan) return json{{"skipped", "no addresses or ports to forward"}};
  forward::Forwarding f{(*plan)["table"], (*plan)["from"], (*plan)["to"], (*plan)["ports"].get<std::vector<int>>()};
  auto installed = read_facts(journal).forwarding;
  auto previous = forward::install(ctx.source, f);
  if (!previous) return Unexpected{previous.error()};
  // The setting before ferry's first install is the one to restore.
  json record = *plan;
  record["previous_forwarding"] = installed.is_object() ? installed.value("previous_forwarding", *previous) : *previous;
  FERRY_TRY(journal.append("fact", "", {{"forwarding", record}}));
  return record;
}

Result<std::string> remove_forwarding(MoveContext& ctx, Journal& journal) {
  auto f = read_facts(journal).forwarding;
  if (!f.is_object()) return std::string("no forwarding to remove");
  auto restored = forward::remove(ctx.source, f.value("table", ""), forward::is_ipv6(f.value("to", "")), f.value("previous_forwarding", ""));
  if (!restored) return Unexpected{restored.error()};
  FERRY_TRY(journal.append("fact", "", {{"forwarding", nullptr}}));
  return "removed the forwarding of " + f.value("from", "") + " to " + f.value("to", "") + " on " + ctx.source.name() +
         (*restored ? "" : " (IP forwarding stays on: another move's forwarding there still needs it)");
}

namespace {
// The DNS part of a move: its migration file, over what `ferry dns lower` recorded.
Result<dns::DnsPlan> dns_plan_of(const MoveRequest& request, const std::string& state_dir) {
  auto input = dns::load_dns_section(request.dns_file);
  if (!input) return Unexpected{input.error()};
  if (!input->move || input->move->empty()) input->move = request.instance;
  auto layered = dns::layered_plan_input(state_dir, *input);
  if (!layered) return Unexpected{layered.error()};
  return dns::finalize_plan(*layered);
}

Result<dns::DnsMove> dns_move(MoveContext& ctx) {
  auto plan = dns_plan_of(ctx.request, ctx.state_dir);
  if (!plan) return Unexpected{plan.error()};
  return dns::DnsMove(std::move(*plan), ctx.state_dir, [&ctx](const std::string& text) { ctx.say(text); });
}
}  // namespace

Status check_dns_input(const MoveRequest& request, const std::string& state_dir) {
  auto refused = [&](Error e) {
    e.what = "--dns " + escaped(request.dns_file) + ": " + e.what;
    return fail(e.with_code(ExitCode::usage));
  };
  auto plan = dns_plan_of(request, state_dir);
  if (!plan) return refused(plan.error());
  if (!plan->key_file.empty())
    if (auto key = dns::load_tsig_key(plan->key_file); !key) return refused(key.error());
  return {};
}

Status check_dns_switchable(const MoveRequest& request, const std::string& state_dir) {
  auto plan = dns_plan_of(request, state_dir);
  if (!plan) return Unexpected{plan.error()};
  dns::DnsMove move(std::move(*plan), state_dir, [](const std::string&) {});
  if (auto ready = move.check_switchable(dns::now_seconds()); !ready) {
    Error e = ready.error();
    e.what = "--dns " + escaped(request.dns_file) + ": " + e.what;
    e.hint += "; the move switches these names right after its health gate, so ferry checks it before it begins";
    return fail(e.with_code(ExitCode::preflight));
  }
  return {};
}

Result<json> do_dns_switch(MoveContext& ctx) {
  auto move = dns_move(ctx);
  if (!move) return Unexpected{move.error()};
  auto report = move->switch_records({});
  if (report.error) return Unexpected{*report.error};
  FERRY_TRY(move->mark_target_served());
  json j = report;
  return json{{"dns", j}};
}

Result<json> finish_dns(MoveContext& ctx) {
  auto move = dns_move(ctx);
  if (!move) return Unexpected{move.error()};
  auto report = move->finish({});
  if (report.error) return Unexpected{*report.error};
  json j = report;
  return j;
}

}  // namespace ferry::core
