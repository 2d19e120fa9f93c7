#include "dns/verification.hpp"

#include "exec/interrupt.hpp"

#include <chrono>
#include <thread>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace ferry::dns {

std::string ServerCheck::describe() const {
  if (ok) return server.to_string() + " answers as expected";
  if (!error.empty()) return server.to_string() + " could not be asked: " + error;
  std::string text = server.to_string() + " still answers other data:";
  // fmt, not " " + std::string: GCC 12 at -O3 warns falsely (-Wrestrict) on the latter.
  for (const auto& d : differences) text += fmt::format(" {};", d.describe());
  if (!text.empty() && text.back() == ';') text.pop_back();
  return text;
}

std::vector<std::string> VerificationReport::failing_servers() const {
  std::vector<std::string> out;
  for (const auto& s : servers)
    if (!s.ok) out.push_back(s.server.to_string());
  return out;
}

Error VerificationReport::to_error(const std::string& what_was_verified) const {
  std::string names = fmt::format("{}", fmt::join(failing_servers(), ", "));
  Error e = make_error(fmt::format("{} is not visible on every authoritative server after {:.0f} s: {} lagging",
                                   what_was_verified, elapsed_seconds, names));
  for (const auto& s : servers)
    if (!s.ok) e.detail += (e.detail.empty() ? "" : "\n          ") + s.describe();
  e.host = names;
  e.hint =
      "the update reached the primary; a secondary that lags is missing NOTIFY or zone transfers. Fix it, then run "
      "ferry dns verify (or ferry dns abort to put the old records back)";
  return e;
}

void to_json(nlohmann::json& j, const VerificationReport& report) {
  j = nlohmann::json{{"ok", report.ok}, {"elapsed_seconds", report.elapsed_seconds}, {"servers", nlohmann::json::array()}};
  for (const auto& s : report.servers) {
    nlohmann::json entry{{"server", s.server.to_string()}, {"ok", s.ok}, {"answered", s.answered}};
    if (!s.error.empty()) entry["error"] = s.error;
    if (!s.differences.empty()) {
      entry["differences"] = nlohmann::json::array();
      for (const auto& d : s.differences) entry["differences"].push_back(d.describe());
    }
    j["servers"].push_back(entry);
  }
}

ServerCheck evaluate_answer(const ServerAddress& server, const std::vector<RRsetKey>& keys,
                            const std::vector<RecordSet>& expected, const Result<std::vector<RecordSet>>& answer) {
  ServerCheck check;
  check.server = server;
  if (!answer) {
    const auto& e = answer.error();
    check.error = e.what + (e.detail.empty() ? "" : " (" + e.detail + ")");
    return check;
  }
  check.answered = *answer;
  check.differences = compare_rrsets(keys, expected, *answer);
  check.ok = check.differences.empty();
  return check;
}

VerificationReport verify_on_servers(const std::vector<ServerAddress>& servers, const std::vector<RRsetKey>& keys,
                                     const std::vector<RecordSet>& expected, const VerifyOptions& options,
                                     const RRsetQuery& query) {
  using Clock = std::chrono::steady_clock;
  const auto start = Clock::now();
  const auto deadline = start + std::chrono::duration_cast<Clock::duration>(
                                    std::chrono::duration<double>(options.timeout_seconds));
  VerificationReport report;
  for (const auto& s : servers) report.servers.push_back({s, false, "not asked yet", {}, {}});
  while (true) {
    bool all_ok = true;
    for (auto& check : report.servers) {
      if (check.ok) continue;
      check = evaluate_answer(check.server, keys, expected, query(check.server, keys, options.query_timeout_seconds));
      all_ok = all_ok && check.ok;
    }
    report.elapsed_seconds = std::chrono::duration<double>(Clock::now() - start).count();
    if (all_ok) {
      report.ok = true;
      return report;
    }
    const auto next = Clock::now() + std::chrono::duration_cast<Clock::duration>(
                                         std::chrono::duration<double>(options.poll_interval_seconds));
    if (next >= deadline || exec::interrupted()) return report;  // a signal ends the wait: not verified
    std::this_thread::sleep_until(next);
  }
}

}  // namespace ferry::dns
