#include "core/move_status.hpp"

#include <algorithm>

#include <fmt/format.h>

namespace ferry::core {

using nlohmann::json;

namespace {

std::string command_line(const MoveRequest& r, const std::string& verb, bool reverse = false) {
  std::string from = reverse ? r.target : r.source, to = reverse ? r.source : r.target;
  std::string line = "ferry " + verb + " " + r.instance + " --from " + from + " --to " + (to.empty() ? "NEW-HOST" : to);
  if (r.project != "default") line += " --project " + r.project;
  return line;
}

// The journal's stage of the move (--json's `state`, as before the table).
std::string state_of(const MoveState& st) {
  if (!st.started) return "none";
  return st.aborted ? "aborted" : st.finished ? "finished" : st.switched ? "switched" : st.prepared ? "prepared" : "preparing";
}

// What the table says: the stage, unless a rollback is under way.
std::string phase_of(const MoveState& st) { return st.rollback_pending ? "rolling back" : state_of(st); }

std::string serving_text(const MoveState& st, const std::string& serving) {
  if (serving == "unknown") return "unknown: a rollback could not finish (" + st.rollback_error + "); neither host is known to be the only one running it";
  if (serving == "none") return "none: ferry was stopped in the outage";
  return (serving == "target" ? st.request.target : st.request.source) + " (the " + serving + ")";
}

std::string when_of(const Leg& leg) { return leg.ended.empty() ? leg.began : leg.ended; }

}  // namespace

std::pair<std::string, std::string> next_step(const StatusFacts& f) {
  const auto& st = f.state;
  const MoveRequest& r = st.started ? st.request : f.asked;
  if (!st.started) return {command_line(r, "plan"), "checks everything and prints the plan; then `ferry move` with the same options"};
  std::string serving = serving_host(st);
  std::string again = st.open_command.empty() ? "move" : st.open_command;
  if (st.rollback_pending || serving == "unknown")
    return {command_line(r, again), "it finishes the rollback once both hosts answer; the source then serves"};
  if (serving == "none")
    return {command_line(r, again), "it carries on from where ferry was stopped (or `" + command_line(r, "abort") + "`)"};
  if (st.aborted) return {command_line(r, "move"), "only to start over: the source serves, nothing of the move is left"};
  if (st.finished) {
    if (f.summary.contains("forwarding"))
      return {command_line(r, "finish"), "once the DNS TTL has passed since the switch: it removes the forwarding on " + r.source};
    return {"", "nothing: the move is done; `" + command_line(r, "move", true) + "` moves it back"};
  }
  if (st.open_plan && !f.pending_steps.empty())
    return {command_line(r, again), fmt::format("it carries on: {} step{} left", f.pending_steps.size(), f.pending_steps.size() == 1 ? "" : "s")};
  if (st.prepared)
    return {command_line(r, "move"), "pre-copy and cutover (or one phase at a time: sync, try, cutover; `ferry abort` gives it up)"};
  return {command_line(r, "prepare"), "it carries on the seed copy"};
}

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

std::string format_history(const std::vector<Leg>& legs) {
  std::vector<std::vector<std::string>> cells = {{"#", "from", "to", "state", "when (UTC)", "downtime", "move"}};
  int n = 0;
  for (auto& leg : legs)
    cells.push_back({std::to_string(++n), leg.source, leg.target, leg.state, when_of(leg),
                     leg.downtime_seconds ? fmt::format("{:.2f} s", *leg.downtime_seconds) : "-", leg.move_id});
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

StatusView move_status(const StatusFacts& f) {
  const auto& st = f.state;
  StatusView v;
  v.report = f.summary;
  json& report = v.report;
  report["history"] = json::array();
  for (auto& leg : f.history) report["history"].push_back(leg.to_json());
  std::string serves_on = serving_after(f.history);
  if (!serves_on.empty()) report["serves_on"] = serves_on;
  auto [next_command, next_why] = next_step(f);
  report["next"] = {{"command", next_command}, {"why", next_why}};
  std::string phase = phase_of(st);
  report["state"] = state_of(st);
  report["phase"] = phase;

  std::vector<std::pair<std::string, std::string>> rows;
  std::string title;
  if (!st.started) {
    title = "no move of '" + f.asked.instance + "' from " + f.asked.source + " is recorded";
    rows.push_back({"journal", f.journal_path});
  } else {
    std::string serving = serving_host(st);
    report["serving"] = serving;
    report["rollback_pending"] = st.rollback_pending;
    report["sync_rounds"] = st.rounds_done;
    report["last_common_snapshot"] = st.last_snapshot;
    title = fmt::format("move {} of '{}': {} -> {}", st.move_id, st.request.instance, st.request.source, st.request.target);
    rows.push_back({"phase", phase});
    if (f.last_done) {
      report["last_step"] = {{"step", f.last_done->step}, {"at", f.last_done->time}};
      rows.push_back({"last step", f.last_done->step + " (done " + f.last_done->time + ")"});
    }
    if (!f.pending_steps.empty()) {
      report["pending_steps"] = f.pending_steps;
      rows.push_back({"pending (" + st.open_command + ")", fmt::format("{}", fmt::join(f.pending_steps, " "))});
    }
    rows.push_back({"sync rounds", fmt::format("{}; last common snapshot {}", st.rounds_done, st.last_snapshot.empty() ? "-" : st.last_snapshot)});
    if (f.summary.contains("prediction")) {
      const json& p = f.summary["prediction"];
      if (p.contains("outage_seconds")) report["predicted_outage_seconds"] = p["outage_seconds"];
      rows.push_back({"predicted outage", p.value("explanation", "") + " (" + p.value("verdict", "") + ")"});
    }
    if (f.summary["downtime_seconds"].is_number())
      rows.push_back({"downtime", fmt::format("{:.2f} s", f.summary["downtime_seconds"].get<double>())});
    rows.push_back({"serving", serving_text(st, serving)});
    if (f.summary.contains("forwarding"))
      rows.push_back({"forwarding", f.summary["forwarding"].value("from", "") + " -> " + f.summary["forwarding"].value("to", "") + " on " +
                                       st.request.source});
    if (!f.dead_man.empty()) {
      report["dead_man"] = f.dead_man;
      if (!f.dead_man_fires_at.empty()) report["dead_man_fires_at"] = f.dead_man_fires_at;
      if (f.dead_man_note) rows.push_back({"dead-man", *f.dead_man_note});
    }
    if (f.last_failed) {
      report["last_failure"] = {{"step", f.last_failed->step}, {"what", f.last_failed->data.value("what", "")}};
      rows.push_back({"last failure", f.last_failed->step + ": " + f.last_failed->data.value("what", "")});
    }
    rows.push_back({"journal", f.journal_path});
  }
  rows.push_back({"next", next_command.empty() ? next_why : next_command + "\n(" + next_why + ")"});
  v.text = title + "\n" + format_rows(rows);
  if (!f.history.empty()) {
    v.text += fmt::format("history ({} leg{}{}):\n", f.history.size(), f.history.size() == 1 ? "" : "s",
                          serves_on.empty() ? "" : "; it serves on " + serves_on);
    v.text += format_history(f.history);
  }
  while (!v.text.empty() && v.text.back() == '\n') v.text.pop_back();
  return v;
}

}  // namespace ferry::core
