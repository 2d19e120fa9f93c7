#include "core/dead_man.hpp"

#include <cmath>

#include "instance/dead_man_script.hpp"

namespace ferry::core {

namespace {

std::vector<std::string> arm_args(const MoveContext& ctx, int seconds) {
  auto& m = *ctx.source_manager;
  return {"arm", std::to_string(seconds), m.client(), ctx.request.instance, m.project()};
}

Result<DeadManState> run_action(const MoveContext& ctx, const std::string& move_id, const std::vector<std::string>& args) {
  auto argv = dead_man_argv(move_id, args);
  exec::RunOptions options;
  options.timeout = std::chrono::seconds(60);
  auto out = ctx.source.run(argv, options);
  if (!out) {
    Error e = out.error();
    e.what = "the dead-man on " + ctx.source.name() + " (" + args.front() + "): " + e.what;
    return fail(e);
  }
  auto word = out->substr(0, out->find('\n'));
  if (word == "fired") return DeadManState::fired;
  if (word == "armed") return DeadManState::armed;
  return DeadManState::none;
}

}  // namespace

std::vector<std::string> dead_man_argv(const std::string& move_id, const std::vector<std::string>& args) {
  return instance::dead_man_argv(args.front(), dead_man_dir(move_id), {args.begin() + 1, args.end()});
}

std::vector<std::string> describe_dead_man(const MoveContext& ctx, const std::string& action) {
  auto args = action == "arm" ? arm_args(ctx, dead_man_seconds(ctx.request)) : std::vector<std::string>{action};
  return exec::script_named(dead_man_argv("<move id>", args), "dead-man script");
}

std::string dead_man_dir(const std::string& move_id) { return "/run/ferry/dead-man/" + move_id; }

int dead_man_seconds(const MoveRequest& request) {
  return static_cast<int>(std::ceil(request.effective_outage_deadline())) + 15;
}

Result<DeadManState> arm_dead_man(const MoveContext& ctx, const std::string& move_id, int seconds) {
  return run_action(ctx, move_id, arm_args(ctx, seconds));
}

Result<DeadManState> request_target_start(const MoveContext& ctx, const std::string& move_id) {
  return run_action(ctx, move_id, {"request-start"});
}

Result<DeadManState> disarm_dead_man(const MoveContext& ctx, const std::string& move_id) {
  return run_action(ctx, move_id, {"disarm"});
}

Result<DeadManState> dead_man_state(const MoveContext& ctx, const std::string& move_id) {
  return run_action(ctx, move_id, {"state"});
}

std::string to_string(DeadManState state) {
  switch (state) {
    case DeadManState::none: return "none";
    case DeadManState::armed: return "armed";
    case DeadManState::fired: return "fired";
  }
  return "none";
}

}  // namespace ferry::core
