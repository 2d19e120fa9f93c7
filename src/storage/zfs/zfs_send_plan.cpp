#include "storage/zfs/zfs_send_plan.hpp"

#include <algorithm>

namespace ferry::storage::zfs {

Result<ZfsSendPlan> plan_zfs_sends(const std::vector<SnapshotInfo>& source,
                                   const std::optional<std::vector<SnapshotInfo>>& target, const std::string& to,
                                   bool target_changed) {
  auto to_it = std::find_if(source.begin(), source.end(), [&](auto& s) { return s.name == to; });
  if (to_it == source.end()) return fail("snapshot @" + to + " does not exist on the source");
  ZfsSendPlan plan;
  if (!target) {
    // A container is a clone of its image: a replication stream would need the origin on the
    // target. Send the oldest snapshot in full, then everything up to `to` as one -I stream.
    const auto& oldest = source.front();
    plan.sends.push_back({std::nullopt, oldest.name, false});
    if (oldest.name != to) plan.sends.push_back({oldest.name, to, false});
    return plan;
  }
  if (std::any_of(target->begin(), target->end(), [&](auto& t) { return t.guid == to_it->guid; })) {
    plan.base = to;
    return plan;  // already there
  }
  // The newest source snapshot (up to `to`) whose GUID the target also has.
  std::optional<std::string> base;
  for (auto it = source.begin(); it != std::next(to_it); ++it)
    if (std::any_of(target->begin(), target->end(), [&](auto& t) { return t.guid == it->guid; })) base = it->name;
  if (!base)
    return fail(make_error("the target dataset exists but shares no snapshot with the source",
                           "it is not a copy ferry made of this instance")
                    .with_hint("destroy it on the target if it is disposable, or move to another pool")
                    .with_code(ExitCode::preflight));
  // An incremental stream applies only on top of the target's newest snapshot.
  auto base_guid = std::find_if(source.begin(), source.end(), [&](auto& s) { return s.name == *base; })->guid;
  if (target->empty() || target->back().guid != base_guid)
    return fail(make_error("the target has snapshots newer than the last common one (@" + *base + ")",
                           "newest on the target: @" + (target->empty() ? std::string("?") : target->back().name))
                    .with_hint("someone snapshotted the target copy; destroy those snapshots on the target, then run ferry again"));
  plan.base = base;
  plan.sends.push_back({base, to, target_changed});
  return plan;
}

}  // namespace ferry::storage::zfs
