// Runs ferry's move commands: reads the journal, plans what is left, executes it step by step
// (journaling before and after each), rolls back to the source if the cutover fails before the
// target runs, and reports.
#pragma once

#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "core/move_request.hpp"
#include "util/error.hpp"
#include "util/reporter.hpp"

namespace ferry::core {

enum class MoveCommand { plan, move, prepare, sync, trial, cutover, status, abort, finish, cleanup };

struct RunSettings {
  bool dry_run = false;
  bool json = false;
  bool verbose = false;
  std::string state_dir;
  std::string ssh_config;
  util::Reporter* reporter = &util::silent_reporter();  // cli's: progress and notes for the person
};

// What a command ended as. The report is the one value: printed as it is with --json, rendered as
// text by cli otherwise (cli/move_text), the kind saying which rendering.
enum class OutcomeKind { failed, done, plan, status, aborted, finished, already_done };

struct CommandOutcome {
  ExitCode code = ExitCode::ok;
  OutcomeKind kind = OutcomeKind::failed;
  nlohmann::json report;
  std::optional<Error> error;  // why, when the kind is failed
};

CommandOutcome run_move_command(MoveCommand command, const MoveRequest& request, const RunSettings& settings);

// Where the journal of an instance's move lives.
std::string journal_dir(const std::string& state_dir, const MoveRequest& request);

}  // namespace ferry::core
