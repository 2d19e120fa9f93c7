// `ferry plan|move|prepare|sync|cutover|status|abort|cleanup INSTANCE --from SRC --to DST`.
#include <map>
#include <memory>

#include "cli/global_options.hpp"
#include "cli/move_text.hpp"
#include "core/move_runner.hpp"
#include "ui/progress.hpp"

namespace ferry::cli {

namespace {

struct MoveCommandSpec {
  const char* name;
  core::MoveCommand command;
  const char* help;
};

const MoveCommandSpec kCommands[] = {
    {"plan", core::MoveCommand::plan, "Run the preflight checks and print the plan with the exact commands; change nothing"},
    {"move", core::MoveCommand::move,
     "Move the instance: seed copy while it runs, pre-copy, stop, final increment, start on the target"},
    {"prepare", core::MoveCommand::prepare,
     "Seed copy while the instance runs, then import it on the target, stopped, autostart off"},
    {"sync", core::MoveCommand::sync, "One incremental catch-up while the instance runs (repeatable)"},
    {"try", core::MoveCommand::trial,
     "Trial boot of the target copy with its network detached: check it, stop it, measure start and stop"},
    {"cutover", core::MoveCommand::cutover,
     "Stop on the source, send the final increment, start on the target (rolls back on failure)"},
    {"status", core::MoveCommand::status, "Show where the move of an instance stands"},
    {"abort", core::MoveCommand::abort,
     "Go back to the source: start it if ferry stopped it, remove ferry's copy from the target"},
    {"finish", core::MoveCommand::finish,
     "After the TTL window: remove the old host's forwarding (and restore the DNS TTL if ferry switched names)"},
    {"cleanup", core::MoveCommand::cleanup,
     "After a move: remove the last common snapshot and holds too (a move back is then a full copy)"},
};

const std::map<std::string, core::ConsistencyMode> kModes = {{"clean", core::ConsistencyMode::clean},
                                                     {"crash", core::ConsistencyMode::crash}};

// The outage and the switch (issue 6): budget, mode, trial, hooks, health gate, forwarding, DNS.
void add_outage_options(CLI::App& cmd, core::MoveRequest& r) {
  cmd.add_option_function<std::string>(
         "--mode", [&r](const std::string& v) { r.mode = kModes.at(v); },
         "clean (default): stop the service; crash: freeze, snapshot, kill every task (crash-consistent)")
      ->check(CLI::IsMember({"clean", "crash"}));
  cmd.add_option("--max-downtime", r.max_downtime, "Seconds of outage to aim for: pre-copy until the prediction fits")
      ->capture_default_str();
  cmd.add_option("--max-rounds", r.max_rounds, "Pre-copy rounds at most before ferry asks you")->capture_default_str();
  cmd.add_flag("--cutover-anyway", r.cutover_anyway, "Cut over even if the predicted outage exceeds the budget");
  cmd.add_flag("!--no-try", r.trial, "Skip the trial boot of the target copy before the outage");
  cmd.add_option("--try-check", r.try_check, "Command run inside the trial boot (default: init reached its running state)");
  cmd.add_option("--before-stop", r.before_stop, "Command run inside the instance on the source before the stop");
  cmd.add_option("--after-start", r.after_start, "Command run inside the instance on the target after the start");
  cmd.add_option("--hook-timeout", r.hook_timeout, "Seconds each hook may take")->capture_default_str();
  cmd.add_option("--health", r.health,
                 "Health gate before the switch: http(s)://NAME[:PORT]/PATH (sent to --target-address) or tcp:PORT");
  cmd.add_option("--health-status", r.health_status, "The HTTP status the health check expects")->capture_default_str();
  cmd.add_option("--health-timeout", r.health_timeout, "Seconds the target has to pass the health check")->capture_default_str();
  cmd.add_option("--source-address", r.source_address, "The service's address on the old host (forwarding)");
  cmd.add_option("--target-address", r.target_address, "The service's address on the new host (health check, forwarding)");
  cmd.add_flag("!--no-forward", r.forward, "Do not forward the old address's ports to the new host after the switch");
  cmd.add_option("--forward-port", r.forward_ports, "A TCP port to forward (default: the instance's proxy devices' ports)");
  cmd.add_option("--outage-deadline", r.outage_deadline,
                 "Seconds from the stop to a healthy target; past it ferry rolls back "
                 "(default: --stop-timeout + --health-timeout + 60)");
  cmd.add_option("--dns", r.dns_file, "Migration file whose [dns] table names the records to switch after the health gate")
      ->check(CLI::ExistingFile);
}

}  // namespace

void register_move_commands(CLI::App& app, GlobalOptions& options, ExitSink exit_code) {
  auto request = std::make_shared<core::MoveRequest>();
  for (auto& spec : kCommands) {
    auto* cmd = app.add_subcommand(spec.name, spec.help);
    add_global_options(*cmd, options);
    cmd->add_option("instance", request->instance, "The container to move")->required();
    cmd->add_option("--from,--source", request->source, "Source host: local or an ssh destination (user@host, ssh alias)")
        ->capture_default_str();
    auto* to = cmd->add_option("--to,--target", request->target, "Target host: an ssh destination");
    if (spec.command != core::MoveCommand::status) to->required();
    cmd->add_option("--target-from-source", request->target_from_source,
                    "The target's ssh destination as the source reaches it (default: --to)");
    cmd->add_option("--manager", request->manager, "lxd, incus or auto")->capture_default_str();
    cmd->add_option("--project", request->project, "The instance's project")->capture_default_str();
    cmd->add_option("--bwlimit", request->bwlimit, "Limit each stream, e.g. 20M (needs pv on the source)");
    cmd->add_option("--stop-timeout", request->stop_timeout, "Seconds for a clean stop before giving up")->capture_default_str();
    cmd->add_flag("--force-stop", request->force_stop, "Kill the instance if it does not stop in time");
    cmd->add_flag("--discard-target-changes", request->discard_target_changes,
                  "Throw away what a start of the target copy wrote since ferry imported it (or, on a move "
                  "back, since ferry moved it away from there)");
    cmd->add_option("--precopy-rounds", request->precopy_rounds, "Incremental syncs while running, before the stop")
        ->capture_default_str();
    add_outage_options(*cmd, *request);
    cmd->callback([&options, exit_code, request, cmd, command = spec.command]() {
      request->max_downtime_given = cmd->get_option("--max-downtime")->count() > 0;
      request->given.clear();  // a rerun takes what is not given here from the journal
      for (const auto* opt : cmd->get_options())
        if (opt->count() > 0 && !opt->get_lnames().empty()) request->given.insert("--" + opt->get_lnames().front());
      ui::TerminalReporter reporter(!options.json);
      core::RunSettings settings{options.dry_run, options.json, options.verbose, options.resolved_state_dir(),
                                 options.ssh_config, &reporter};
      auto outcome = core::run_move_command(command, *request, settings);
      *exit_code = emit(options, static_cast<int>(outcome.code), outcome.report, outcome_text(outcome));
    });
  }
}

}  // namespace ferry::cli
