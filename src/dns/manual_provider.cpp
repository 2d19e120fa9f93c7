#include "dns/manual_provider.hpp"

#include "exec/interrupt.hpp"

#include <chrono>
#include <thread>

#include <fmt/format.h>

namespace ferry::dns {

namespace {

std::string zone_lines(const std::optional<RecordSet>& set, const char* prefix) {
  if (!set || set->addresses.empty()) return fmt::format("    {} (no records)\n", prefix);
  std::string out;
  for (const auto& a : set->addresses)
    out += fmt::format("    {} {} {} IN {} {}\n", prefix, set->name, set->ttl, to_string(set->type), a);
  return out;
}

}  // namespace

std::string manual_instructions(const ChangeSet& change) {
  if (change.empty()) return "Nothing to change.\n";
  std::string text = fmt::format("In zone {}, change these records (all at once if your DNS host allows it):\n",
                                 change.zone);
  for (const auto& c : change.changes) {
    text += fmt::format("  {}\n", c.key.describe());
    text += zone_lines(c.before, "now: ");
    text += zone_lines(c.after, "make:");
  }
  text += "The same change as an nsupdate script:\n";
  text += fmt::format("    zone {}\n", change.zone);
  for (const auto& c : change.changes) {
    const std::string type = to_string(c.key.type);
    if (c.before)
      for (const auto& a : c.before->addresses)
        text += fmt::format("    prereq yxrrset {} IN {} {}\n", c.key.name, type, a);
    else
      text += fmt::format("    prereq nxrrset {} IN {}\n", c.key.name, type);
  }
  for (const auto& c : change.changes) {
    const std::string type = to_string(c.key.type);
    text += fmt::format("    update delete {} IN {}\n", c.key.name, type);
    if (c.after)
      for (const auto& a : c.after->addresses)
        text += fmt::format("    update add {} {} IN {} {}\n", c.key.name, c.after->ttl, type, a);
  }
  text += "    send\n";
  return text;
}

Result<std::vector<RecordSet>> ManualProvider::current_records(const std::vector<RRsetKey>& keys) {
  return query_(primary_, keys, query_timeout_);
}

Status ManualProvider::apply(const ChangeSet& change) {
  if (change.empty()) return {};
  notices_(manual_instructions(change) +
           fmt::format("ferry waits up to {:.0f} s until {} serves the change (polling every {:.0f} s).\n", wait_timeout_,
                       primary_.to_string(), poll_interval_));
  using Clock = std::chrono::steady_clock;
  const auto deadline = Clock::now() + std::chrono::duration_cast<Clock::duration>(
                                           std::chrono::duration<double>(wait_timeout_));
  std::string last;
  while (true) {
    auto current = current_records(change.keys());
    if (current) {
      std::vector<Difference> differences;
      auto progress = progress_of(change, *current, &differences);
      if (progress == ChangeProgress::after) return {};
      last.clear();
      for (const auto& d : differences) last += (last.empty() ? "" : "; ") + d.describe();
    } else {
      last = current.error().what;
    }
    if (Clock::now() >= deadline) break;
    if (exec::should_stop_waiting())
      return fail(make_error("interrupted while waiting for the manual change on " + primary_.to_string())
                      .with_code(ExitCode::interrupted));
    std::this_thread::sleep_for(std::chrono::duration<double>(poll_interval_));
  }
  Error e = make_error(fmt::format("the manual change did not appear on {} within {:.0f} s", primary_.to_string(),
                                   wait_timeout_),
                       "last seen: " + last);
  e.host = primary_.to_string();
  e.hint = "make the change shown above, then run the same ferry dns command again";
  return fail(std::move(e));
}

}  // namespace ferry::dns
