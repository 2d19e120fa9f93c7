// Preflight: every check ferry can make before changing anything, on both hosts.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/move_context.hpp"

namespace ferry::core {

struct Finding {
  std::string check;    // short name: "target pool", "space", ...
  bool ok = true;
  bool warning = false; // not fatal
  std::string message;  // what was found
  std::string hint;     // what to do
  nlohmann::json to_json() const;
};

struct PreflightOptions {
  bool continuing = false;  // the journal says ferry already copied to the target
  bool imported = false;    // the journal says ferry imported the copy on the target
};

// Runs the checks; never changes anything on either host.
std::vector<Finding> run_preflight(MoveContext& ctx, const PreflightOptions& options);
bool all_passed(const std::vector<Finding>& findings);
// The first failure as an Error (exit code: preflight).
Error preflight_failure(const std::vector<Finding>& findings);
std::string format_findings(const std::vector<Finding>& findings);
// The findings as the journal, the plan and --json hold them: one object each.
nlohmann::json findings_json(const std::vector<Finding>& findings);

}  // namespace ferry::core
