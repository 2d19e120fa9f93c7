// The dead-man on the source host: armed before the outage, a detached process there (no
// systemd needed, independent of ferry and of its ssh connection) brings the source back (start,
// or thaw a frozen one, and its autostart as it was) once its deadline passes, unless ferry
// disarmed it or asked the target to start. ferry asks the source host to record "target start
// requested" and starts the target only once that host acknowledged it; the record and the
// dead-man's firing exclude each other under one lock, so exactly one of them wins.
#pragma once

#include <string>
#include <vector>

#include "core/move_context.hpp"
#include "util/error.hpp"

namespace ferry::core {

// Where the dead-man keeps its files on the source host (one directory per move).
std::string dead_man_dir(const std::string& move_id);

enum class DeadManState { none, armed, fired };

// Arms it (or moves an armed one's deadline to `seconds` from now). fired: it already brought
// the source back, and nothing was changed.
Result<DeadManState> arm_dead_man(const MoveContext& ctx, const std::string& move_id, int seconds);
// Records "target start requested" on the source host. fired: too late, the source is back.
Result<DeadManState> request_target_start(const MoveContext& ctx, const std::string& move_id);
// Disarms it (the switch is done, or the rollback is). Returns what it was.
Result<DeadManState> disarm_dead_man(const MoveContext& ctx, const std::string& move_id);
Result<DeadManState> dead_man_state(const MoveContext& ctx, const std::string& move_id);

// Seconds from arming to firing: the outage's deadline and room for ferry's own rollback.
int dead_man_seconds(const MoveRequest& request);

std::string to_string(DeadManState state);

// The command each action runs on the source host (arm, request-start, disarm, state), and as
// --dry-run shows it (the script named, the move id a placeholder).
std::vector<std::string> dead_man_argv(const std::string& move_id, const std::vector<std::string>& args);
std::vector<std::string> describe_dead_man(const MoveContext& ctx, const std::string& action);

}  // namespace ferry::core
