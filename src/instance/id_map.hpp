// Subordinate ids: what an unprivileged container's id map needs of a host, and what the host
// gives root (/etc/subuid, /etc/subgid, where the managers take their maps from). A target
// that gives fewer ids than the container uses cannot start it: preflight refuses the move.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "exec/host.hpp"
#include "util/error.hpp"

namespace ferry::instance {

struct IdRange {
  uint64_t start = 0, count = 0;
};

struct RootIdRanges {
  std::string text;  // the root: lines as the files hold them (to compare two hosts)
  std::vector<IdRange> uids, gids;
  bool has_uids() const { return !uids.empty(); }
};

// The root lines of /etc/subuid and /etc/subgid on the host ("" text: none).
Result<RootIdRanges> root_id_ranges(const exec::Host& host);

// Pure: `grep -H '^root:'` output of both files ("/etc/subuid:root:100000:65536").
RootIdRanges parse_root_id_ranges(const std::string& grep_output);
uint64_t largest_count(const std::vector<IdRange>& ranges);

// The ids the container needs the target to give root: 0 for a privileged container. The
// size of its map today (volatile.idmap.current or .next), capped at security.idmap.size or,
// without it, 65536 (a distribution's ids up to nobody, 65534): what a map the target
// allocates anew must hold.
struct IdsNeeded {
  uint64_t uids = 0, gids = 0;
};
IdsNeeded ids_needed(const nlohmann::json& config, const nlohmann::json& expanded_config);

}  // namespace ferry::instance
