// What a person reads when a move command ends: the text rendering of the same report that
// --json prints (core returns values; only cli turns them into text).
#pragma once

#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/move_runner.hpp"

namespace ferry::cli {

std::string outcome_text(const core::CommandOutcome& outcome);

// `ferry plan` and `--dry-run`: the preflight's checks, then each step with its commands.
std::string plan_text(const nlohmann::json& report);

// `ferry status`: a title, a table of "label  value" rows and the instance's history.
std::string status_text(const nlohmann::json& report);

// Rows of "label  value", the labels padded to one width; a value's further lines indented under it.
std::string format_rows(const std::vector<std::pair<std::string, std::string>>& rows);

// The legs (status's `history`) as a table with a header: #, from, to, state, when, downtime, move.
std::string format_history(const nlohmann::json& legs);

}  // namespace ferry::cli
