#include "dns/exec_provider.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "exec/run.hpp"

namespace ferry::dns {

nlohmann::json exec_change_document(const ChangeSet& change, const std::string& move) {
  nlohmann::json doc;
  to_json(doc, change);
  doc["format"] = "ferry-dns-change";
  doc["version"] = 1;
  doc["move"] = move;
  return doc;
}

ExecProvider::ExecProvider(std::vector<std::string> argv, std::string move, ServerAddress primary,
                           double timeout_seconds, RRsetQuery query)
    : argv_(std::move(argv)),
      move_(std::move(move)),
      primary_(std::move(primary)),
      timeout_(timeout_seconds),
      query_(std::move(query)) {}

std::string ExecProvider::target() const {
  return fmt::format("{}", fmt::join(argv_, " "));
}

Result<std::vector<RecordSet>> ExecProvider::current_records(const std::vector<RRsetKey>& keys) {
  return query_(primary_, keys, timeout_);
}

Status ExecProvider::apply(const ChangeSet& change) {
  if (change.empty()) return {};
  // The program gets the whole request time for its own work, at least 30 s.
  const double budget = std::max(30.0, timeout_ * 6);
  exec::RunOptions options;
  options.input = exec_change_document(change, move_).dump(2) + "\n";
  options.timeout = std::chrono::milliseconds(static_cast<long long>(budget * 1000));
  auto run = exec::run_command(argv_, options);
  if (!run)
    return fail(make_error(fmt::format("cannot run {}", argv_.front()), run.error().detail)
                    .with_hint("check dns.command: the program must exist and be executable"));
  const auto& r = *run;
  auto tail_of = [](const std::string& text) { return exec::tail_lines(text, 20); };
  const std::string program = argv_.front();
  if (r.interrupted) {
    Error e = make_error(fmt::format("the DNS program {} was stopped (interrupted, or the outage's deadline passed)", program),
                         tail_of(r.err));
    e.command = target();
    e.hint = "the change may or may not have been applied; run ferry dns status";
    e.code = ExitCode::interrupted;
    return fail(std::move(e));
  }
  if (r.timed_out) {
    Error e = make_error(fmt::format("the DNS program {} did not finish within {:.0f} s and was killed", program, budget),
                         tail_of(r.err));
    e.command = target();
    e.hint = "the change may or may not have been applied; run ferry dns status";
    return fail(std::move(e));
  }
  if (r.status.ok()) return {};
  if (r.status.signal == 0 && r.status.code == kHookConflictExit) {
    Error e = make_error(fmt::format("the DNS program {} found records other than ferry expected (exit {})", program,
                                     kHookConflictExit),
                         tail_of(r.err) + (r.err.empty() ? "" : "; ") + "nothing was changed");
    e.command = target();
    e.hint = "someone else changed the records; look at them (ferry dns status), then decide";
    e.code = ExitCode::preflight;
    return fail(std::move(e));
  }
  Error e = make_error(r.status.signal ? fmt::format("the DNS program {} was killed by signal {}", program, r.status.signal)
                                       : fmt::format("the DNS program {} failed (exit {})", program, r.status.code),
                       tail_of(r.err));
  e.command = target();
  e.hint = "see its message; ferry assumes it changed nothing (exit 3 means 'records not as expected')";
  return fail(std::move(e));
}

std::string ExecProvider::describe(const ChangeSet& change) const {
  return fmt::format("run (no shell): {}\nwith this on stdin:\n{}\n", target(),
                     exec_change_document(change, move_).dump(2));
}

}  // namespace ferry::dns
