// Preflight: every check ferry can make before changing anything, on both hosts.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/move_context.hpp"
#include "util/check.hpp"

namespace ferry::core {

// One check's result (util's vocabulary: the reporter and cli show it, core only makes it).
using Finding = util::Check;

struct PreflightOptions {
  bool continuing = false;  // the journal says ferry already copied to the target
  bool imported = false;    // the journal says ferry imported the copy on the target
};

// Runs the checks; never changes anything on either host.
std::vector<Finding> run_preflight(MoveContext& ctx, const PreflightOptions& options);
bool all_passed(const std::vector<Finding>& findings);
// The first failure as an Error (exit code: preflight).
Error preflight_failure(const std::vector<Finding>& findings);
// The findings as the journal, the plan and --json hold them: one object each.
nlohmann::json findings_json(const std::vector<Finding>& findings);

}  // namespace ferry::core
