#include "dns/change_set.hpp"

#include <algorithm>
#include <map>
#include <set>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace ferry::dns {

std::string to_string(DnsAction action) {
  switch (action) {
    case DnsAction::lower: return "lower";
    case DnsAction::switch_records: return "switch";
    case DnsAction::restore: return "restore";
    case DnsAction::finish: return "finish";
  }
  return "?";
}

std::vector<RRsetKey> ChangeSet::keys() const {
  std::vector<RRsetKey> out;
  for (const auto& c : changes) out.push_back(c.key);
  return out;
}

namespace {

nlohmann::json rrset_json(const std::optional<RecordSet>& r) {
  if (!r) return nullptr;
  return nlohmann::json{{"ttl", r->ttl}, {"addresses", r->addresses}};
}

std::string short_text(const std::optional<RecordSet>& r) {
  if (!r || r->addresses.empty()) return "nothing";
  return fmt::format("{} (TTL {})", fmt::join(r->addresses, " "), r->ttl);
}

std::optional<RecordSet> lookup(const std::vector<RecordSet>& sets, const RRsetKey& key) {
  if (const auto* r = find_rrset(sets, key); r && !r->addresses.empty()) return *r;
  return std::nullopt;
}

void sort_changes(ChangeSet& change) {
  std::sort(change.changes.begin(), change.changes.end(),
            [](const RRsetChange& a, const RRsetChange& b) { return a.key < b.key; });
}

void sort_sets(std::vector<RecordSet>& sets) {
  std::sort(sets.begin(), sets.end(), [](const RecordSet& a, const RecordSet& b) { return key_of(a) < key_of(b); });
}

std::set<RRsetKey> union_keys(const std::vector<RecordSet>& a, const std::vector<RecordSet>& b) {
  std::set<RRsetKey> keys;
  for (const auto* list : {&a, &b})
    for (const auto& r : *list)
      if (!r.addresses.empty()) keys.insert(key_of(r));
  return keys;
}

}  // namespace

void to_json(nlohmann::json& j, const ChangeSet& change) {
  j = nlohmann::json{{"action", to_string(change.action)}, {"zone", change.zone}, {"changes", nlohmann::json::array()}};
  for (const auto& c : change.changes)
    j["changes"].push_back({{"name", c.key.name},
                            {"type", to_string(c.key.type)},
                            {"old", rrset_json(c.before)},
                            {"new", rrset_json(c.after)}});
}

std::string Difference::describe() const {
  return fmt::format("{}: expected {}, found {}", key.describe(), short_text(expected), short_text(found));
}

std::vector<Difference> compare_rrsets(const std::vector<RRsetKey>& keys, const std::vector<RecordSet>& expected,
                                       const std::vector<RecordSet>& found) {
  std::vector<Difference> out;
  for (const auto& key : keys) {
    auto e = lookup(expected, key);
    auto f = lookup(found, key);
    const bool same = (!e && !f) || (e && f && e->addresses == f->addresses && e->ttl == f->ttl);
    if (!same) out.push_back({key, e, f});
  }
  return out;
}

ChangeProgress progress_of(const ChangeSet& change, const std::vector<RecordSet>& current,
                           std::vector<Difference>* differences_from_before) {
  std::vector<RecordSet> before, after;
  for (const auto& c : change.changes) {
    if (c.before) before.push_back(*c.before);
    if (c.after) after.push_back(*c.after);
  }
  auto keys = change.keys();
  auto from_before = compare_rrsets(keys, before, current);
  if (differences_from_before) *differences_from_before = from_before;
  if (from_before.empty()) return ChangeProgress::before;
  if (compare_rrsets(keys, after, current).empty()) return ChangeProgress::after;
  return ChangeProgress::neither;
}

Result<LowerPlan> plan_lower(const std::string& zone, const std::vector<std::string>& names,
                             const std::vector<RecordSet>& current, std::uint32_t move_ttl) {
  LowerPlan plan;
  plan.change = {DnsAction::lower, zone, {}};
  for (const auto& name : names) {
    bool any = false;
    for (auto type : {RecordType::a, RecordType::aaaa}) {
      auto found = lookup(current, {name, type});
      if (!found) continue;
      any = true;
      plan.original.push_back(*found);
      RecordSet lowered = *found;
      lowered.ttl = std::min(found->ttl, move_ttl);
      plan.lowered.push_back(lowered);
      if (lowered.ttl != found->ttl) plan.change.changes.push_back({{name, type}, *found, lowered});
    }
    if (!any)
      return fail(make_error(fmt::format("{} has no A or AAAA records; there is nothing to move", name))
                      .with_hint("check the name and the zone; ferry moves existing address records")
                      .with_code(ExitCode::preflight));
  }
  sort_sets(plan.original);
  sort_sets(plan.lowered);
  sort_changes(plan.change);
  return plan;
}

Result<SwitchPlan> plan_switch(const std::string& zone, const std::vector<RecordSet>& lowered,
                               const std::vector<MovedName>& names, std::uint32_t move_ttl) {
  std::set<std::string> lowered_names, given_names;
  for (const auto& r : lowered) lowered_names.insert(r.name);
  for (const auto& n : names) given_names.insert(n.name);
  for (const auto& n : given_names)
    if (!lowered_names.count(n))
      return fail(make_error(fmt::format("{} was not lowered; switch only the names that were", n))
                      .with_hint("run ferry dns abort, then ferry dns lower with every name")
                      .with_code(ExitCode::preflight));
  for (const auto& n : lowered_names)
    if (!given_names.count(n))
      return fail(make_error(fmt::format("{} was lowered but has no new address", n))
                      .with_hint("give every lowered name its new addresses (--new, --record or [[dns.record]])")
                      .with_code(ExitCode::usage));

  SwitchPlan plan;
  plan.change = {DnsAction::switch_records, zone, {}};
  for (const auto& moved : names) {
    if (!moved.has_new())
      return fail(make_error(fmt::format("{} has no new address", moved.name))
                      .with_hint("give its new addresses (--new, --record NAME=ADDR or dns.record.new)")
                      .with_code(ExitCode::usage));
    // The TTL new RRsets get: the name's lowered TTL (either family), else the move TTL.
    std::uint32_t name_ttl = move_ttl;
    for (const auto& r : lowered)
      if (r.name == moved.name) name_ttl = std::min(name_ttl, r.ttl);
    for (auto type : {RecordType::a, RecordType::aaaa}) {
      const auto& addresses = type == RecordType::a ? moved.new_a : moved.new_aaaa;
      auto old = lookup(lowered, {moved.name, type});
      if (addresses.empty()) {
        if (old)
          return fail(
              make_error(fmt::format("{} has {} records ({}) but no new {} address was given", moved.name,
                                     to_string(type), short_text(old), type == RecordType::a ? "IPv4" : "IPv6"))
                  .with_hint(fmt::format("give its new {} address too; switching only the other family would "
                                         "leave those clients on the old host",
                                         type == RecordType::a ? "IPv4" : "IPv6"))
                  .with_code(ExitCode::usage));
        continue;
      }
      RecordSet target{moved.name, type, old ? old->ttl : name_ttl, addresses};
      plan.target.push_back(target);
      if (!old || old->addresses != target.addresses || old->ttl != target.ttl)
        plan.change.changes.push_back({{moved.name, type}, old, target});
    }
  }
  sort_sets(plan.target);
  sort_changes(plan.change);
  return plan;
}

ChangeSet plan_restore(const std::string& zone, const std::vector<RecordSet>& current,
                       const std::vector<RecordSet>& original) {
  ChangeSet change{DnsAction::restore, zone, {}};
  for (const auto& key : union_keys(current, original)) {
    auto now = lookup(current, key);
    auto then = lookup(original, key);
    if (now && then && *now == *then) continue;
    change.changes.push_back({key, now, then});
  }
  sort_changes(change);
  return change;
}

FinishPlan plan_finish(const std::string& zone, const std::vector<RecordSet>& target,
                       const std::vector<RecordSet>& original) {
  FinishPlan plan;
  plan.change = {DnsAction::finish, zone, {}};
  std::map<std::string, std::uint32_t> name_ttl;  // the largest original TTL at each name
  for (const auto& r : original) name_ttl[r.name] = std::max(name_ttl[r.name], r.ttl);
  for (const auto& t : target) {
    RecordSet final_set = t;
    if (auto orig = lookup(original, key_of(t))) {
      final_set.ttl = orig->ttl;
    } else if (auto it = name_ttl.find(t.name); it != name_ttl.end()) {
      final_set.ttl = it->second;
    }
    plan.final_records.push_back(final_set);
    if (final_set.ttl != t.ttl) plan.change.changes.push_back({key_of(t), t, final_set});
  }
  sort_sets(plan.final_records);
  sort_changes(plan.change);
  return plan;
}

}  // namespace ferry::dns
