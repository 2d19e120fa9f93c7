// Pure planning of the zfs sends that bring a target dataset up to a source snapshot, from the
// two snapshot lists matched by GUID (never by name).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "storage/volume.hpp"
#include "util/error.hpp"

namespace ferry::storage::zfs {

struct ZfsSend {
  std::optional<std::string> from;  // incremental base (-I from); nullopt: full stream
  std::string to;
  bool rollback = false;            // recv -F: the target changed after the base
};

struct ZfsSendPlan {
  std::vector<ZfsSend> sends;  // empty: the target already has `to`
  std::optional<std::string> base;  // the common snapshot the plan starts from
};

// source: the source dataset's snapshots in creation order; target: the target's, or nullopt if
// the target dataset does not exist. target_changed: the target was written after its newest
// snapshot (ferry then needs recv -F, which the caller allows only after its own checks).
Result<ZfsSendPlan> plan_zfs_sends(const std::vector<SnapshotInfo>& source,
                                   const std::optional<std::vector<SnapshotInfo>>& target, const std::string& to,
                                   bool target_changed);

}  // namespace ferry::storage::zfs
