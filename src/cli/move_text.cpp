#include "cli/move_text.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "ui/checks_text.hpp"

namespace ferry::cli {

using nlohmann::json;

namespace {

// A field's text, "" when it is missing or not a string (a report is never a reason to throw).
std::string text_of(const json& report, const char* key) {
  auto it = report.find(key);
  return it != report.end() && it->is_string() ? it->get<std::string>() : std::string();
}

std::vector<util::Check> checks_of(const json& findings) {
  std::vector<util::Check> out;
  for (auto& f : findings)
    out.push_back({f.value("check", ""), f.value("ok", true), f.value("warning", false), f.value("message", ""), f.value("hint", "")});
  return out;
}

std::string serving_text(const json& r) {
  std::string serving = text_of(r, "serving");
  if (serving == "unknown")
    return "unknown: a rollback could not finish (" + text_of(r, "rollback_error") +
           "); neither host is known to be the only one running it";
  if (serving == "none") return "none: ferry was stopped in the outage";
  return text_of(r, serving == "target" ? "target" : "source") + " (the " + serving + ")";
}

std::vector<std::pair<std::string, std::string>> started_rows(const json& r) {
  std::vector<std::pair<std::string, std::string>> rows = {{"phase", text_of(r, "phase")}};
  if (r.contains("last_step")) rows.push_back({"last step", text_of(r["last_step"], "step") + " (done " + text_of(r["last_step"], "at") + ")"});
  if (r.contains("pending_steps"))
    rows.push_back({"pending (" + text_of(r, "open_command") + ")", fmt::format("{}", fmt::join(r["pending_steps"], " "))});
  std::string snapshot = text_of(r, "last_common_snapshot");
  rows.push_back({"sync rounds", fmt::format("{}; last common snapshot {}", r.value("sync_rounds", 0), snapshot.empty() ? "-" : snapshot)});
  if (r.contains("prediction"))
    rows.push_back({"predicted outage", text_of(r["prediction"], "explanation") + " (" + text_of(r["prediction"], "verdict") + ")"});
  if (r.value("downtime_seconds", json()).is_number())
    rows.push_back({"downtime", fmt::format("{:.2f} s", r["downtime_seconds"].get<double>())});
  rows.push_back({"serving", serving_text(r)});
  if (r.contains("forwarding"))
    rows.push_back({"forwarding", text_of(r["forwarding"], "from") + " -> " + text_of(r["forwarding"], "to") + " on " + text_of(r, "source")});
  if (r.contains("dead_man_note")) rows.push_back({"dead-man", text_of(r, "dead_man_note")});
  if (r.contains("last_failure")) rows.push_back({"last failure", text_of(r["last_failure"], "step") + ": " + text_of(r["last_failure"], "what")});
  return rows;
}

}  // namespace

std::string format_rows(const std::vector<std::pair<std::string, std::string>>& rows) {
  size_t width = 0;
  for (auto& [label, value] : rows) width = std::max(width, label.size());
  std::string out;
  for (auto& [label, value] : rows) {
    std::string indented;
    for (char c : value) {
      indented += c;
      if (c == '\n') indented.append(width + 4, ' ');
    }
    out += fmt::format("  {:<{}}  {}\n", label, width, indented);
  }
  return out;
}

std::string format_history(const json& legs) {
  std::vector<std::vector<std::string>> cells = {{"#", "from", "to", "state", "when (UTC)", "downtime", "move"}};
  int n = 0;
  for (auto& leg : legs) {
    std::string ended = text_of(leg, "ended");
    cells.push_back({std::to_string(++n), text_of(leg, "from"), text_of(leg, "to"), text_of(leg, "state"),
                     ended.empty() ? text_of(leg, "began") : ended,
                     leg.contains("downtime_seconds") ? fmt::format("{:.2f} s", leg["downtime_seconds"].get<double>()) : "-",
                     text_of(leg, "move_id")});
  }
  std::vector<size_t> width(cells.front().size(), 0);
  for (auto& row : cells)
    for (size_t c = 0; c < row.size(); ++c) width[c] = std::max(width[c], row[c].size());
  std::string out;
  for (auto& row : cells) {
    std::string line;
    for (size_t c = 0; c < row.size(); ++c) line += fmt::format("  {:<{}}", row[c], width[c]);
    while (!line.empty() && line.back() == ' ') line.pop_back();
    out += line + "\n";
  }
  return out;
}

std::string status_text(const json& r) {
  bool started = text_of(r, "state") != "none";
  std::string title = started ? fmt::format("move {} of '{}': {} -> {}", text_of(r, "move_id"), text_of(r, "instance"),
                                            text_of(r, "source"), text_of(r, "target"))
                              : "no move of '" + text_of(r, "instance") + "' from " + text_of(r, "source") + " is recorded";
  auto rows = started ? started_rows(r) : std::vector<std::pair<std::string, std::string>>{};
  rows.push_back({"journal", text_of(r, "journal")});
  const json& next = r.value("next", json::object());
  std::string command = text_of(next, "command"), why = text_of(next, "why");
  rows.push_back({"next", command.empty() ? why : command + "\n(" + why + ")"});
  std::string text = title + "\n" + format_rows(rows);
  const json& legs = r.value("history", json::array());
  if (!legs.empty()) {
    std::string serves_on = text_of(r, "serves_on");
    text += fmt::format("history ({} leg{}{}):\n", legs.size(), legs.size() == 1 ? "" : "s",
                        serves_on.empty() ? "" : "; it serves on " + serves_on);
    text += format_history(legs);
  }
  while (!text.empty() && text.back() == '\n') text.pop_back();
  return text;
}

std::string plan_text(const json& r) {
  std::string text;
  if (r.contains("preflight")) text += "preflight:\n" + ui::format_checks(checks_of(r["preflight"])) + "\n";
  text += fmt::format("plan for '{}' from {} to {} ({}, {}):\n", text_of(r, "instance"), text_of(r, "source"),
                      text_of(r, "target"), text_of(r, "manager"), text_of(r, "driver"));
  int n = 0;
  for (auto& step : r.value("steps", json::array())) {
    text += fmt::format("{:3}. {}{}\n", ++n, text_of(step, "title"), step.value("done", false) ? "  (done)" : "");
    for (auto& c : step.value("commands", json::array())) text += "       " + (c.is_string() ? c.get<std::string>() : c.dump()) + "\n";
  }
  if (!r.value("preflight_ok", true)) text += "\nnothing was changed; fix the failed checks above and run again\n";
  return text;
}

std::string outcome_text(const core::CommandOutcome& o) {
  const json& r = o.report;
  switch (o.kind) {
    case core::OutcomeKind::failed: return o.error ? o.error->message() : "ferry: failed";
    case core::OutcomeKind::plan: return plan_text(r);
    case core::OutcomeKind::status: return status_text(r);
    case core::OutcomeKind::aborted: return "ferry: move aborted: " + text_of(r, "actions");
    case core::OutcomeKind::finished: return "ferry: finish: " + text_of(r, "actions");
    case core::OutcomeKind::already_done:
      return "ferry: '" + text_of(r, "instance") + "' was already moved to " + text_of(r, "target") + " by move " + text_of(r, "move_id");
    case core::OutcomeKind::done: break;
  }
  std::string text = "ferry: " + text_of(r, "command") + " of '" + text_of(r, "instance") + "' done";
  if (r.value("downtime_seconds", json()).is_number())
    text += fmt::format("; downtime {:.2f} s; it now runs on {}", r["downtime_seconds"].get<double>(), text_of(r, "target"));
  return text;
}

}  // namespace ferry::cli
