#include "storage/btrfs/btrfs_driver.hpp"

#include <algorithm>
#include <regex>
#include <sstream>
#include <tuple>

#include "exec/stream.hpp"

namespace ferry::storage::btrfs {

namespace {

std::vector<std::string> delete_argv(const std::string& path) { return {"btrfs", "subvolume", "delete", path}; }
std::vector<std::string> rmdir_argv(std::vector<std::string> dirs) {
  dirs.insert(dirs.begin(), {"rmdir", "--ignore-fail-on-non-empty"});
  return dirs;
}
std::string dirname(const std::string& p) { return p.substr(0, p.rfind('/')); }
std::string basename(const std::string& p) { return p.substr(p.rfind('/') + 1); }

Result<bool> path_exists(const exec::Host& host, const std::string& path) {
  auto r = host.probe({"test", "-e", path});
  if (!r) return Unexpected{r.error()};
  return r->has_value();
}

Result<std::optional<SubvolumeIds>> show(const exec::Host& host, const std::string& path) {
  auto exists = path_exists(host, path);
  if (!exists) return Unexpected{exists.error()};
  if (!*exists) return std::optional<SubvolumeIds>{};
  auto out = host.run({"btrfs", "subvolume", "show", path});
  if (!out) return Unexpected{out.error()};
  return std::optional<SubvolumeIds>{parse_subvolume_show(*out)};
}

// Whether the target's subvolume (its ids `target`) is whole and holds what the source's at
// `source_path` holds.
Result<bool> holds_source(const TransferContext& ctx, const SubvolumeIds& target, const std::string& source_path) {
  if (target.half_received()) return false;
  auto sid = show(*ctx.source, source_path);
  if (!sid) return Unexpected{sid.error()};
  return *sid && same_data(**sid, target);
}

// The same, for the target's subvolume at `target_path` (false if there is none).
Result<bool> target_holds(const TransferContext& ctx, const std::string& source_path, const std::string& target_path) {
  auto tid = show(*ctx.target, target_path);
  if (!tid) return Unexpected{tid.error()};
  if (!*tid) return false;
  return holds_source(ctx, **tid, source_path);
}

// Names in a directory, in no particular order (list_by_birth gives the creation order).
Result<std::vector<std::string>> list_dir(const exec::Host& host, const std::string& dir) {
  auto r = host.probe({"find", dir, "-mindepth", "1", "-maxdepth", "1", "-printf", "%f\\n"});
  if (!r) return Unexpected{r.error()};
  std::vector<std::string> names;
  if (!*r) return names;
  std::istringstream in(**r);
  std::string line;
  while (std::getline(in, line))
    if (!line.empty()) names.push_back(line);
  return names;
}

struct Hop {
  std::string send_path;
  std::optional<std::string> parent;
  std::string receive_dir;
};

// Parses the byte count of a `dd status=progress` line ("123 bytes (...) copied, ...").
std::optional<uint64_t> parse_dd_bytes(std::string_view line) {
  auto sp = line.find(" bytes");
  if (sp == std::string_view::npos || sp == 0) return std::nullopt;
  uint64_t v = 0;
  for (char c : line.substr(0, sp)) {
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + (c - '0');
  }
  return v;
}

// The stream of one hop: btrfs send reports no progress, so dd counts the bytes as they pass
// (and pv paces them under --bwlimit).
exec::StreamSpec hop_stream(const TransferContext& ctx, const Hop& hop) {
  exec::StreamSpec spec;
  spec.send = {"btrfs", "send", "-q"};
  if (hop.parent) spec.send.insert(spec.send.end(), {"-p", *hop.parent});
  spec.send.push_back(hop.send_path);
  spec.throttle = ctx.bwlimit.empty() ? std::vector<std::string>{"dd", "bs=1M", "status=progress"}
                                      : std::vector<std::string>{"pv", "-f", "-b", "-n", "-i", "1", "-L", ctx.bwlimit};
  spec.recv = {"btrfs", "receive", hop.receive_dir};
  spec.target = ctx.target_from_source;
  return spec;
}

Result<TransferStats> send_subvolume(const TransferContext& ctx, const Hop& hop, const std::string& label,
                                     bool maybe_partial, util::ProgressMeter& bar, uint64_t offset) {
  FERRY_TRY(ctx.target->run({"mkdir", "-p", hop.receive_dir}));
  if (maybe_partial) {
    // A half-received subvolume has no received UUID: delete it and send again.
    auto partial = show(*ctx.target, hop.receive_dir + "/" + basename(hop.send_path));
    if (!partial) return Unexpected{partial.error()};
    if (*partial) {
      // The target's ids are at hand: one round trip less on the outage's path.
      auto whole = holds_source(ctx, **partial, hop.send_path);
      if (!whole) return Unexpected{whole.error()};
      if (*whole) return TransferStats{};
      if (!(*partial)->half_received())
        return fail(make_error(hop.receive_dir + "/" + basename(hop.send_path) + " on the target is a snapshot ferry did not send")
                        .on(ctx.target->name())
                        .with_hint("someone snapshotted the target copy; delete that snapshot on the target, then run ferry again"));
      if (ctx.note) ctx.note("deleting the half-received " + label + " on the target and sending it again");
      FERRY_TRY(ctx.target->run(delete_argv(hop.receive_dir + "/" + basename(hop.send_path))));
    }
  }
  auto spec = hop_stream(ctx, hop);
  bool with_pv = !ctx.bwlimit.empty();
  return run_transfer_stream(
      ctx, spec, label, 0,
      [with_pv](std::string_view line) { return with_pv ? parse_dd_bytes(std::string(line) + " bytes") : parse_dd_bytes(line); },
      "the subvolume is sent again", nullptr, &bar, offset);
}

// Names in a directory in creation order (btrfs keeps each subvolume's birth time).
Result<std::vector<std::string>> list_by_birth(const exec::Host& host, const std::string& dir) {
  auto r = host.probe({"find", dir, "-mindepth", "1", "-maxdepth", "1", "-printf", "%B@ %f\\n"});
  if (!r) return Unexpected{r.error()};
  std::vector<std::pair<double, std::string>> items;
  if (*r) {
    std::istringstream in(**r);
    std::string born, name;
    while (in >> born >> name) {
      double t = 0;
      try { t = std::stod(born); } catch (...) {}
      items.push_back({t, name});
    }
  }
  std::stable_sort(items.begin(), items.end());
  std::vector<std::string> names;
  for (auto& [t, n] : items) names.push_back(n);
  return names;
}

}  // namespace

bool same_data(const SubvolumeIds& a, const SubvolumeIds& b) {
  return a.received_uuid == b.uuid || b.received_uuid == a.uuid || (a.received_uuid != "-" && a.received_uuid == b.received_uuid);
}

SubvolumeIds parse_subvolume_show(const std::string& text) {
  SubvolumeIds ids;
  static const std::regex uuid(R"((^|\n)\s*UUID:\s*(\S+))");
  static const std::regex received(R"(Received UUID:\s*(\S+))");
  static const std::regex parent(R"(Parent UUID:\s*(\S+))");
  static const std::regex flags(R"(Flags:\s*(\S+))");
  std::smatch m;
  if (std::regex_search(text, m, uuid)) ids.uuid = m[2];
  if (std::regex_search(text, m, received)) ids.received_uuid = m[1];
  if (std::regex_search(text, m, parent)) ids.parent_uuid = m[1];
  if (std::regex_search(text, m, flags)) ids.readonly = m[1].str().find("readonly") != std::string::npos;
  return ids;
}

std::string pool_root_of(const std::string& volume_path) { return dirname(dirname(volume_path)); }

std::string ferry_dir(const std::string& volume_path) {
  return pool_root_of(volume_path) + "/.ferry/" + basename(dirname(volume_path)) + "/" + basename(volume_path);
}

std::string manager_snapshot_dir(const std::string& volume_path) {
  return pool_root_of(volume_path) + "/" + basename(dirname(volume_path)) + "-snapshots/" + basename(volume_path);
}

// One round trip for all volumes (the final snapshot is on the outage's path). The script is
// constant; the paths are its arguments, pairs of (subvolume, snapshot).
const char* kSnapshotEach =
    "set -e; while [ $# -gt 0 ]; do "
    "btrfs subvolume show \"$2\" >/dev/null 2>&1 || { mkdir -p \"${2%/*}\"; btrfs subvolume snapshot -r \"$1\" \"$2\" >/dev/null; }; "
    "shift 2; done";

namespace {
std::vector<std::string> snapshot_argv(const std::vector<Volume>& volumes, const std::string& snap) {
  std::vector<std::string> argv = {"sh", "-c", kSnapshotEach, "sh"};
  for (auto& v : volumes) argv.insert(argv.end(), {v.source_path, ferry_dir(v.source_path) + "/" + snap});
  return argv;
}
}  // namespace

Status BtrfsDriver::snapshot(const TransferContext& ctx, const std::vector<Volume>& volumes, const std::string& snap) {
  // btrfs cannot snapshot several subvolumes atomically; the final snapshot is taken with the
  // instance stopped or frozen, so this only matters for the pre-copy rounds.
  FERRY_TRY(ctx.source->run(snapshot_argv(volumes, snap)));
  return {};
}

std::vector<std::string> BtrfsDriver::describe_snapshot(const TransferContext& ctx, const std::vector<Volume>& volumes,
                                                        const std::string& snap) {
  return {exec::shown_command(*ctx.source, exec::script_named(snapshot_argv(volumes, snap), "snapshot each subvolume read-only"),
                              "pairs: subvolume, snapshot; one already there is kept")};
}

Result<bool> BtrfsDriver::has_snapshot(const exec::Host& host, const Volume& v, const std::string& snap, bool on_target) {
  auto ids = show(host, ferry_dir(on_target ? v.target_path : v.source_path) + "/" + snap);
  if (!ids) return Unexpected{ids.error()};
  return ids->has_value() && (!on_target || (*ids)->received_uuid != "-");
}

Result<TargetState> BtrfsDriver::target_state(const TransferContext& ctx, const Volume& v) {
  auto live = path_exists(*ctx.target, v.target_path);
  if (!live) return Unexpected{live.error()};
  auto received = list_dir(*ctx.target, ferry_dir(v.target_path));
  if (!received) return Unexpected{received.error()};
  if (!*live && received->empty()) return TargetState::absent;
  // Ours if a received snapshot came from one of the source's ferry snapshots.
  auto sent = list_dir(*ctx.source, ferry_dir(v.source_path));
  if (!sent) return Unexpected{sent.error()};
  for (auto& r : *received) {
    auto rid = show(*ctx.target, ferry_dir(v.target_path) + "/" + r);
    if (!rid) return Unexpected{rid.error()};
    if (!*rid) continue;
    if ((*rid)->half_received() && is_move_snapshot(r, ctx.move_id)) return TargetState::ferry_copy;  // this move's, cut off
    for (auto& s : *sent) {
      auto sid = show(*ctx.source, ferry_dir(v.source_path) + "/" + s);
      if (!sid) return Unexpected{sid.error()};
      if (*sid && same_data(**sid, **rid)) return TargetState::ferry_copy;
    }
  }
  return TargetState::foreign;
}

Result<uint64_t> BtrfsDriver::estimate_bytes(const TransferContext& ctx, const Volume& v, const std::string&) {
  // Size from the subvolume's usage. du, not `btrfs filesystem du`: the latter misses data not
  // yet written out (delalloc), which a fresh write leaves for up to 30 s.
  auto out = ctx.source->run({"du", "-s", "-x", "-B1", v.source_path});
  if (!out) return Unexpected{out.error()};
  try { return std::stoull(*out); } catch (...) { return uint64_t{0}; }
}

std::vector<std::string> BtrfsDriver::describe_transfer(const TransferContext& ctx, const Volume& v, const std::string& snap) {
  // Which parent each stream has, and which of the manager's snapshots the target lacks, only
  // the hosts' state at that time says: a placeholder word where `-p PARENT` goes.
  auto shown = [&](const std::string& send_path, const std::string& receive_dir, const std::string& note) {
    auto spec = hop_stream(ctx, {send_path, std::nullopt, receive_dir});
    spec.send.insert(spec.send.begin() + 3, "<-p parent: the newest one the target holds, if any>");
    return exec::shown_stream(*ctx.source, ctx.in_outage ? exec::shown_under_deadline(spec) : spec, note);
  };
  return {shown(manager_snapshot_dir(v.source_path) + "/<snapshot>", manager_snapshot_dir(v.target_path),
                "each of the instance's snapshots the target lacks, oldest first"),
          shown(ferry_dir(v.source_path) + "/" + snap, ferry_dir(v.target_path), "")};
}

namespace {

bool contains(const std::vector<std::string>& names, const std::string& name) {
  return std::find(names.begin(), names.end(), name) != names.end();
}

// A snapshot of the target copy that the source does not have is somebody's: ferry's streams
// would go on beside it, and the activation would leave the instance newer than it.
Status refuse_foreign_snapshots(const TransferContext& ctx, const Volume& v, const std::vector<std::string>& snaps,
                                const std::vector<std::string>& there) {
  std::string strangers;
  for (auto& t : there)
    if (!contains(snaps, t)) strangers += (strangers.empty() ? "" : ", ") + t;
  if (strangers.empty()) return {};
  return fail(make_error("the target copy of " + v.role + " has snapshots the source does not: " + strangers)
                  .on(ctx.target->name())
                  .with_hint("someone snapshotted the target copy; delete those snapshots on the target (or abort the move), "
                             "then run ferry again"));
}

// The manager's own snapshots of the instance (`snaps`, oldest first), each against the previous.
// Only those the target lacks (`there` has the others) cost a stream; the newest one present may
// be half-received. Returns the newest one's path: ferry's snapshot goes against it if the target
// received none of ferry's.
Result<std::optional<std::string>> send_manager_snapshots(const TransferContext& ctx, const Volume& v,
                                                          const std::vector<std::string>& snaps,
                                                          const std::vector<std::string>& there, util::ProgressMeter& bar,
                                                          TransferStats& total) {
  std::optional<std::string> previous;
  for (size_t i = 0; i < snaps.size(); ++i) {
    const auto& s = snaps[i];
    std::string path = manager_snapshot_dir(v.source_path) + "/" + s;
    bool present = contains(there, s);
    bool newest_present = present && (i + 1 == snaps.size() || !contains(there, snaps[i + 1]));
    if (!present || newest_present) {
      auto ids = show(*ctx.source, path);
      if (!ids) return Unexpected{ids.error()};
      if (!*ids || !(*ids)->readonly) continue;  // btrfs send takes read-only snapshots only
      auto r = send_subvolume(ctx, {path, previous, manager_snapshot_dir(v.target_path)}, v.role + " snapshot " + s, present,
                              bar, total.bytes);
      if (!r) return Unexpected{r.error()};
      total.add(*r);
    }
    previous = path;
  }
  return previous;
}

// The hop of ferry's snapshot `snap`: against the newest of ferry's snapshots the target
// received whole (else `previous`, the manager's newest), and whether the target has `snap`
// already (then it may be half-received).
Result<std::pair<Hop, bool>> ferry_snapshot_hop(const TransferContext& ctx, const Volume& v, const std::string& snap,
                                                const std::vector<std::string>& received,
                                                const std::optional<std::string>& previous) {
  // In creation order: a move back's ferry-<earlier move>-N came before this move's ferry-<id>-1.
  auto sent = list_by_birth(*ctx.source, ferry_dir(v.source_path));
  if (!sent) return Unexpected{sent.error()};
  Hop hop{ferry_dir(v.source_path) + "/" + snap, previous, ferry_dir(v.target_path)};
  bool target_has_snap = false;
  std::vector<std::string> older_on_target;
  for (auto& s : *sent) {
    bool on_target = contains(received, s);
    if (s == snap) { target_has_snap = on_target; break; }
    if (on_target) older_on_target.push_back(s);
  }
  // Whole: a stream cut off (ferry stopped in it) leaves a subvolume without a received UUID,
  // which `btrfs receive` cannot take as a parent.
  for (auto it = older_on_target.rbegin(); it != older_on_target.rend(); ++it) {
    auto whole = target_holds(ctx, ferry_dir(v.source_path) + "/" + *it, ferry_dir(v.target_path) + "/" + *it);
    if (!whole) return Unexpected{whole.error()};
    if (*whole) {
      hop.parent = ferry_dir(v.source_path) + "/" + *it;
      break;
    }
  }
  return std::pair{hop, target_has_snap};
}

}  // namespace

Result<TransferStats> BtrfsDriver::transfer(const TransferContext& ctx, const Volume& v, const std::string& snap, bool) {
  TransferStats total;
  auto snaps = list_by_birth(*ctx.source, manager_snapshot_dir(v.source_path));
  if (!snaps) return Unexpected{snaps.error()};
  auto there = list_dir(*ctx.target, manager_snapshot_dir(v.target_path));
  if (!there) return Unexpected{there.error()};
  auto received = list_dir(*ctx.target, ferry_dir(v.target_path));
  if (!received) return Unexpected{received.error()};
  // One progress line for the volume over all its streams. A full copy's total is the
  // subvolume's usage; an increment's size btrfs cannot tell beforehand.
  uint64_t expected = 0;
  if (there->empty() && received->empty() && !ctx.in_outage)
    if (auto e = estimate_bytes(ctx, v, snap)) expected = *e;
  auto meter = ctx.reporter->progress(v.role, expected);
  auto& bar = *meter;
  FERRY_TRY(refuse_foreign_snapshots(ctx, v, *snaps, *there));
  // 1. The manager's own snapshots; 2. ferry's snapshot.
  auto previous = send_manager_snapshots(ctx, v, *snaps, *there, bar, total);
  if (!previous) return Unexpected{previous.error()};
  auto hop = ferry_snapshot_hop(ctx, v, snap, *received, *previous);
  if (!hop) return Unexpected{hop.error()};
  auto r = send_subvolume(ctx, hop->first, v.role + " @" + snap, hop->second, bar, total.bytes);
  if (!r) return r;
  total.add(*r);
  bar.finish(total.bytes);
  return total;
}

// Replaces the instance subvolume ($1) by a writable snapshot of the received one ($2), in one
// round trip.
const char* kActivate =
    "set -e; if btrfs subvolume show \"$1\" >/dev/null 2>&1; then btrfs subvolume delete \"$1\" >/dev/null; fi; "
    "mkdir -p \"${1%/*}\"; btrfs subvolume snapshot \"$2\" \"$1\" >/dev/null";

namespace {
std::vector<std::string> activate_argv(const Volume& v, const std::string& snap) {
  return {"sh", "-c", kActivate, "sh", v.target_path, ferry_dir(v.target_path) + "/" + snap};
}
}  // namespace

Status BtrfsDriver::activate_on_target(const TransferContext& ctx, const Volume& v, const std::string& snap) {
  // The instance's subvolume is always a fresh writable snapshot of what ferry received, which
  // also discards what the target's manager wrote into it (its backup.yaml) since.
  FERRY_TRY(ctx.target->run(activate_argv(v, snap)));
  return {};
}

std::vector<std::string> BtrfsDriver::describe_activate(const TransferContext& ctx, const Volume& v, const std::string& snap) {
  return {exec::shown_command(*ctx.target, exec::script_named(activate_argv(v, snap), "replace the subvolume by a snapshot"),
                              "the instance's subvolume: a writable snapshot of the received one")};
}

std::vector<std::string> BtrfsDriver::describe_cleanup(const TransferContext& ctx, const Volume& v, const std::string& keep) {
  std::vector<std::string> lines;
  for (const exec::Host* h : {ctx.source, ctx.target}) {
    std::string dir = ferry_dir(h == ctx.source ? v.source_path : v.target_path);
    lines.push_back(exec::shown_command(*h, delete_argv(dir + "/<snapshot>"),
                                        "each of this move's snapshots" + std::string(ctx.earlier_move_id.empty() ? "" : " (and the earlier move's)") +
                                            (keep.empty() ? "" : " but " + keep)));
    lines.push_back(exec::shown_command(*h, rmdir_argv({dir})));
  }
  return lines;
}

Status BtrfsDriver::remove_ferry_snapshots(const TransferContext& ctx, const Volume& v, const std::string& keep) {
  for (const exec::Host* h : {ctx.source, ctx.target}) {
    std::string dir = ferry_dir(h == ctx.source ? v.source_path : v.target_path);
    auto names = list_dir(*h, dir);
    if (!names) return Unexpected{names.error()};
    for (auto& n : *names)
      if (removable_move_snapshot(ctx, n) && n != keep) FERRY_TRY(h->run(delete_argv(dir + "/" + n)));
    if (!names->empty()) (void)h->run_raw(rmdir_argv({dir}));  // ferry made it
  }
  return {};
}

Result<StorageDriver::Removal> BtrfsDriver::remove_received(const TransferContext& ctx, const Volume& v) {
  Removal out;
  std::vector<std::string> doomed;
  std::vector<std::string> ours;  // target-side UUIDs of this move's received snapshots
  // What the target holds at `dir` under a source name is this move's if its received UUID is
  // the source subvolume's (or it is a receive cut off, of a name the source has).
  auto proven = [&](const std::string& target_dir, const std::string& source_dir, const std::string& n) -> Result<bool> {
    auto rid = show(*ctx.target, target_dir + "/" + n);
    if (!rid) return Unexpected{rid.error()};
    auto sid = show(*ctx.source, source_dir + "/" + n);
    if (!sid) return Unexpected{sid.error()};
    if (!*rid || !*sid) return false;
    bool mine = (*rid)->half_received() || (*rid)->received_uuid == (*sid)->uuid;
    if (mine) ours.push_back((*rid)->uuid);
    return mine;
  };
  for (auto [target_dir, source_dir, only_this_move] :
       {std::tuple{ferry_dir(v.target_path), ferry_dir(v.source_path), true},
        std::tuple{manager_snapshot_dir(v.target_path), manager_snapshot_dir(v.source_path), false}}) {
    auto names = list_dir(*ctx.target, target_dir);
    if (!names) return Unexpected{names.error()};
    for (auto& n : *names) {
      if (only_this_move && !is_move_snapshot(n, ctx.move_id)) continue;  // another move's: not this abort's
      auto mine = proven(target_dir, source_dir, n);
      if (!mine) return Unexpected{mine.error()};
      (*mine ? doomed : out.left).push_back(target_dir + "/" + n);
    }
  }
  // The instance's volume: ferry's if it is a snapshot of one of this move's received subvolumes.
  auto live = show(*ctx.target, v.target_path);
  if (!live) return Unexpected{live.error()};
  if (*live) {
    bool mine = std::find(ours.begin(), ours.end(), (*live)->parent_uuid) != ours.end();
    if (mine) doomed.insert(doomed.begin(), v.target_path);
    else out.left.push_back(v.target_path);
  }
  for (auto& d : out.left) d += " (not proven this move's)";
  for (auto& d : doomed) {
    FERRY_TRY(ctx.target->run(delete_argv(d)));
    out.removed.push_back(d);
  }
  // The directories ferry made for them, if now empty.
  (void)ctx.target->run_raw(rmdir_argv({ferry_dir(v.target_path), manager_snapshot_dir(v.target_path)}));
  return out;
}

Result<std::optional<std::string>> BtrfsDriver::common_move_snapshot(const TransferContext& ctx, const Volume& v) {
  auto sent = list_by_birth(*ctx.source, ferry_dir(v.source_path));
  if (!sent) return Unexpected{sent.error()};
  auto there = list_dir(*ctx.target, ferry_dir(v.target_path));
  if (!there) return Unexpected{there.error()};
  for (auto s = sent->rbegin(); s != sent->rend(); ++s) {
    std::string id = move_id_of_snapshot(*s);
    if (id.empty() || id == ctx.move_id || std::find(there->begin(), there->end(), *s) == there->end()) continue;
    auto same = target_holds(ctx, ferry_dir(v.source_path) + "/" + *s, ferry_dir(v.target_path) + "/" + *s);
    if (!same) return Unexpected{same.error()};
    if (*same) return std::optional<std::string>{*s};
  }
  return std::optional<std::string>{};
}

Result<std::optional<uint64_t>> BtrfsDriver::written_on_target_since(const TransferContext&, const Volume&, const std::string&) {
  return std::optional<uint64_t>{};  // btrfs keeps no such count
}

Result<uint64_t> BtrfsDriver::target_free_bytes(const TransferContext& ctx, const Volume& v) {
  auto out = ctx.target->run({"df", "-B1", "--output=avail", pool_root_of(v.target_path)});
  if (!out) return Unexpected{out.error()};
  std::istringstream in(*out);
  std::string header, avail;
  std::getline(in, header);
  in >> avail;
  try { return std::stoull(avail); } catch (...) { return uint64_t{0}; }
}

}  // namespace ferry::storage::btrfs
