// A list of checks as the terminal shows it: "  ok   name: message", failures as FAIL with
// their fix under them. One rendering for the plan, the preflight of a move and the reporter.
#pragma once

#include <string>
#include <vector>

#include "util/check.hpp"

namespace ferry::ui {

std::string format_checks(const std::vector<util::Check>& results);

}  // namespace ferry::ui
