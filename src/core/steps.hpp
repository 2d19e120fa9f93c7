// What each kind of step does. Every step is idempotent: it looks whether its effect is
// already there before acting, so a rerun after a kill repeats nothing harmful.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/journal.hpp"
#include "core/move_context.hpp"
#include "core/plan.hpp"

namespace ferry::core {

// Runs one step; returns the data to journal with its "done" record.
Result<nlohmann::json> execute_step(MoveContext& ctx, Journal& journal, const Step& step);
// Before describing `steps` one by one: has the driver read the hosts' state those steps'
// descriptions need for all volumes at once (one query per host), not once per step.
void prepare_describe(MoveContext& ctx, const std::vector<Step>& steps);
// The exact commands a step runs (for --dry-run and `ferry plan`).
std::vector<std::string> describe_step(MoveContext& ctx, const Step& step);

// Back to the source after a failed cutover: stop the target copy if it runs, start the source
// if ferry stopped it. Returns what it did, for the report.
Result<std::string> roll_back_to_source(MoveContext& ctx, Journal& journal);

long long epoch_ms();
inline const std::string& instance_name(const MoveContext& ctx) { return ctx.discovery.instance.name; }
// Journals the target copy's last_used_at: a later change means someone else started it.
Result<nlohmann::json> record_target_fingerprint(MoveContext& ctx, Journal& journal);

}  // namespace ferry::core
