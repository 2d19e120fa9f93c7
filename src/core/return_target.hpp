// A move back: the target holds the stopped copy that an earlier ferry move left there when it
// moved the instance away. That copy is proven ferry's (its moved-to marker, and a snapshot of
// that move on both hosts with the same data), rolled back to that snapshot and sent only the
// change since: the way back costs the same seconds of downtime and no full copy.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "util/error.hpp"

namespace ferry::core {

struct MoveContext;

// The markers mark-source leaves on the copy it stops (and clears on the one that serves).
inline constexpr const char* kMovedToKey = "user.ferry.moved-to";
inline constexpr const char* kMovedAtKey = "user.ferry.moved-at";
// The copy's last_used_at when ferry stopped it: a copy started by hand since has another.
inline constexpr const char* kMovedLastUsedKey = "user.ferry.moved-last-used-at";

struct ReturnTarget {
  std::string moved_to;         // the copy's marker: where ferry moved the instance
  std::string moved_at;         // when (UTC, ISO 8601)
  std::string base;             // the newest snapshot of that move both hosts hold, proven the same data
  std::string earlier_move_id;  // that move's id: its snapshots go once this move's are common
  std::string last_used_at;     // the copy's now, and when ferry stopped it
  std::string last_used_at_moved;
  std::optional<uint64_t> written;            // bytes written to it since @base (zfs)
  std::optional<bool> forwarding_left_ipv6;   // the target still forwards this instance (since that move)
  bool started_since() const { return last_used_at != last_used_at_moved; }

  nlohmann::json to_json() const;
  static ReturnTarget from_json(const nlohmann::json& j);
};

// What the target holds under the instance's name.
struct TargetCopy {
  bool exists = false;
  bool marked = false;                    // it carries ferry's moved-to marker
  std::optional<ReturnTarget> returning;  // ferry's earlier copy, proven
  std::string not_returning;              // else why it is not (for the preflight's message)
};

// Reads both hosts; changes nothing.
Result<TargetCopy> examine_target_copy(MoveContext& ctx);

// The refusal of a move back onto a copy started by hand since ferry moved it away (with figures).
std::string started_since_message(const MoveContext& ctx, const ReturnTarget& r);

}  // namespace ferry::core
