// The changes of each DNS step, computed by pure code from recorded and current RRsets: every
// change says what must be there before (the compare of a compare-and-swap) and what replaces it.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "dns/dns_plan.hpp"
#include "dns/record_set.hpp"
#include "util/error.hpp"

namespace ferry::dns {

enum class DnsAction { lower, switch_records, restore, finish };
std::string to_string(DnsAction action);  // "lower", "switch", "restore", "finish"

struct RRsetChange {
  RRsetKey key;
  std::optional<RecordSet> before;  // must be there, exactly these addresses; nullopt: must not exist
  std::optional<RecordSet> after;   // replaces it; nullopt: the RRset is deleted
};

struct ChangeSet {
  DnsAction action = DnsAction::lower;
  std::string zone;
  std::vector<RRsetChange> changes;

  bool empty() const { return changes.empty(); }
  std::vector<RRsetKey> keys() const;
};

void to_json(nlohmann::json& j, const ChangeSet& change);

// What a provider reports against what a step expects, per RRset.
struct Difference {
  RRsetKey key;
  std::optional<RecordSet> expected;
  std::optional<RecordSet> found;
  std::string describe() const;  // "svc.ferry.test. A: expected 198.18.0.2 (TTL 60), found 198.18.0.9 (TTL 60)"
};
// Addresses and TTLs of the given keys: `expected` (missing key: RRset must not exist) against
// `found`. Empty when they agree.
std::vector<Difference> compare_rrsets(const std::vector<RRsetKey>& keys, const std::vector<RecordSet>& expected,
                                       const std::vector<RecordSet>& found);

// Where the records stand relative to a change: not yet applied, applied, or something else.
enum class ChangeProgress { before, after, neither };
ChangeProgress progress_of(const ChangeSet& change, const std::vector<RecordSet>& current,
                           std::vector<Difference>* differences_from_before = nullptr);

// --- the steps -----------------------------------------------------------------------------

struct LowerPlan {
  std::vector<RecordSet> original;  // as found: what abort restores and finish takes TTLs from
  std::vector<RecordSet> lowered;   // after the step: TTL min(original, move TTL)
  ChangeSet change;                 // only the RRsets whose TTL goes down
};
// Fails (preflight) when a name has neither A nor AAAA records.
Result<LowerPlan> plan_lower(const std::string& zone, const std::vector<std::string>& names,
                             const std::vector<RecordSet>& current, std::uint32_t move_ttl);

struct SwitchPlan {
  std::vector<RecordSet> target;  // the new records, at the lowered TTL
  ChangeSet change;
};
// `names` must be exactly the lowered names, each with new addresses. A family (A or AAAA) that
// a name has but gets no new address for is refused: it would leave those clients on the old host.
Result<SwitchPlan> plan_switch(const std::string& zone, const std::vector<RecordSet>& lowered,
                               const std::vector<MovedName>& names, std::uint32_t move_ttl);

// Puts `original` back over `current` (the lowered or the switched records).
ChangeSet plan_restore(const std::string& zone, const std::vector<RecordSet>& current,
                       const std::vector<RecordSet>& original);

struct FinishPlan {
  std::vector<RecordSet> final_records;  // the target's addresses at the original TTLs
  ChangeSet change;
};
// A new RRset (say AAAA where there was only A) takes the TTL its name's other family had.
FinishPlan plan_finish(const std::string& zone, const std::vector<RecordSet>& target,
                       const std::vector<RecordSet>& original);

}  // namespace ferry::dns
