// One interface over the storage backends (zfs, btrfs): snapshot the instance's volumes, bring
// the target up to a snapshot (resuming where the backend can), tidy up ferry's snapshots.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "exec/host.hpp"
#include "exec/stream.hpp"
#include "storage/volume.hpp"
#include "util/error.hpp"
#include "util/reporter.hpp"

namespace ferry::storage {

struct TransferContext {
  const exec::Host* source = nullptr;
  const exec::Host* target = nullptr;
  std::string target_from_source;  // the target's ssh destination as the source sees it
  std::string bwlimit;             // e.g. "20M": throttles each stream (pv -L)
  std::string move_id;             // the move's: only its snapshots are ferry's to destroy
  // A move back's: the earlier move that left the target its copy. Its snapshots (proven the
  // common base) go too once this move's own snapshot is common to both hosts.
  std::string earlier_move_id;
  util::Reporter* reporter = &util::silent_reporter();  // where each stream's progress shows
  bool in_outage = false;  // the final increment: skip what can wait (size estimate, holds, checks)
  // The snapshot the target received last, as ferry's journal says: lets the final increment go
  // at once, the target checked by the receiving command itself (empty: look it up).
  std::string known_base;
  // How long a receive armed right before the outage may run on the target, counted from the
  // arming (0: no limit); the target ends it by itself if the hosts' link is cut.
  std::chrono::seconds armed_recv_deadline{0};
  std::function<void(const std::string&)> note;  // things the user must know ("resuming ...")
};

struct TransferStats {
  uint64_t bytes = 0;
  double seconds = 0;
  int streams = 0;
  bool resumed = false;
  // One volume's streams add up to its transfer.
  void add(const TransferStats& s) {
    bytes += s.bytes;
    seconds += s.seconds;
    streams += s.streams;
    resumed = resumed || s.resumed;
  }
};

// What a volume looks like on the target before ferry writes to it.
enum class TargetState { absent, ferry_copy, foreign };

// A command a host needs, and the Debian package that has it (preflight names it).
struct Tool {
  std::string command, package;
};
// pv paces the streams under --bwlimit (source host).
inline Tool bwlimit_tool() { return {"pv", "pv"}; }

// One read-only check of the two hosts' storage before anything changes (preflight shows it).
struct StorageCheck {
  enum class Level { pass, warn, fail };
  std::string name;
  Level level = Level::pass;
  std::string message, hint;
};

class StorageDriver {
 public:
  virtual ~StorageDriver() = default;
  virtual std::string name() const = 0;
  // The backend's command line tool, on both hosts.
  virtual Tool tool() const = 0;
  // Whether the target can take the source's streams of these volumes (versions, features).
  virtual std::vector<StorageCheck> check_hosts(const TransferContext&, const std::vector<Volume>&) { return {}; }
  // What the volume holds now on the source: the seed copy's size, before any snapshot exists.
  virtual Result<uint64_t> used_bytes(const TransferContext& ctx, const Volume& volume) = 0;

  // Creates `snap` on every volume of the source (one atomic operation per pool where possible).
  virtual Status snapshot(const TransferContext& ctx, const std::vector<Volume>& volumes, const std::string& snap) = 0;
  virtual Result<bool> has_snapshot(const exec::Host& host, const Volume& volume, const std::string& snap,
                                    bool on_target) = 0;
  // absent, a copy that shares a snapshot with the source (continuable), or something else.
  virtual Result<TargetState> target_state(const TransferContext& ctx, const Volume& volume) = 0;
  virtual Result<uint64_t> estimate_bytes(const TransferContext& ctx, const Volume& volume, const std::string& snap) = 0;
  // Brings the target up to `snap`. allow_rollback: the caller checked that whatever changed on
  // the target since the last common snapshot is the managers' own bookkeeping (or was allowed).
  virtual Result<TransferStats> transfer(const TransferContext& ctx, const Volume& volume, const std::string& snap,
                                         bool allow_rollback) = 0;
  // Called as the outage begins (ctx.known_base set): may start the final increment's receiving
  // end now, so that transfer() only has to send. Never fails: transfer() does without.
  virtual void arm_final_increment(const TransferContext&, const Volume&, const std::string& /*snap*/) {}
  // Called first as the outage begins: may make snapshot(ctx, volumes, snap) ready ahead (its
  // session up and waiting), so that the outage pays for the snapshot alone. Never fails either.
  virtual void arm_snapshot(const TransferContext&, const std::vector<Volume>&, const std::string& /*snap*/) {}
  // What the two above start as the outage begins, for --dry-run (nothing: the usual way).
  virtual std::vector<std::string> describe_armed(const TransferContext&, const std::vector<Volume>&,
                                                  const std::string& /*snap*/) {
    return {};
  }
  // Called by core once before it describes a plan (the describe_* calls below): may read what
  // those calls need of every volume at once (read-only), so that describing a plan of many steps
  // asks each host once, not once per step and volume. Each call starts a new pass and drops what
  // the last one read; only describe_* answers from it, never a call that acts on the hosts.
  virtual void prepare_describe(const TransferContext&, const std::vector<Volume>&) {}
  // The commands each of the calls here would run, for --dry-run, as exec::shown_command
  // shows them (built by the same functions as the commands that run; <...> for what only the
  // hosts' state at that time decides). Read-only queries at most.
  virtual std::vector<std::string> describe_snapshot(const TransferContext& ctx, const std::vector<Volume>& volumes,
                                                     const std::string& snap) = 0;
  virtual std::vector<std::string> describe_transfer(const TransferContext& ctx, const Volume& volume,
                                                     const std::string& snap) = 0;
  virtual std::vector<std::string> describe_activate(const TransferContext& ctx, const Volume& volume,
                                                     const std::string& snap) = 0;
  virtual std::vector<std::string> describe_cleanup(const TransferContext& ctx, const Volume& volume,
                                                    const std::string& keep) = 0;
  // Makes the received data the instance's live volume on the target (btrfs: a writable
  // subvolume from the received read-only one; zfs: nothing to do).
  virtual Status activate_on_target(const TransferContext& ctx, const Volume& volume, const std::string& snap) = 0;
  // Removes this move's snapshots (and holds) on both hosts except `keep` (empty: all of them).
  virtual Status remove_ferry_snapshots(const TransferContext& ctx, const Volume& volume, const std::string& keep) = 0;
  // Before the target's manager imported it: removes what this move received of `volume` on the
  // target, and only what it proves is this move's (its snapshots' GUIDs or received UUIDs match
  // the source's snapshots of this move; a partial receive's token names one). Returns what it
  // removed and what it left (not proven, with why).
  struct Removal {
    std::vector<std::string> removed, left;
  };
  virtual Result<Removal> remove_received(const TransferContext& ctx, const Volume& volume) = 0;
  // A move back: the newest snapshot of an earlier ferry move that both hosts hold, proven the same
  // data (zfs: its GUID; btrfs: one of the two received from the other). nullopt: none.
  virtual Result<std::optional<std::string>> common_move_snapshot(const TransferContext& ctx, const Volume& volume) = 0;
  // Bytes written to the target's volume since `snap` (nullopt: the backend cannot say).
  virtual Result<std::optional<uint64_t>> written_on_target_since(const TransferContext& ctx, const Volume& volume,
                                                                  const std::string& snap) = 0;
  // Free bytes where the target would receive the volume.
  virtual Result<uint64_t> target_free_bytes(const TransferContext& ctx, const Volume& volume) = 0;
};

// Whether a snapshot is one this move may destroy at its end: its own, or (a move back) the
// earlier move's common base, once superseded.
bool removable_move_snapshot(const TransferContext& ctx, const std::string& name);

// On-disk location of a volume on a host, from the pool's root (zfs dataset / btrfs mount path).
std::string volume_path(const std::string& driver, const std::string& pool_root, const std::string& kind,
                        const std::string& volume_name);

std::unique_ptr<StorageDriver> make_driver(const std::string& driver);

// Runs one stream of a transfer with a progress line; `parse_bytes` reads the byte count from
// a line the stages print. A failed stream becomes an Error naming the command and `retry`.
// `armed`: the same stream, started ahead of time (ArmedStream): fired instead of run.
// `into`: a line several streams report into (a btrfs volume's), this one's bytes counted from
// `offset`; the caller finishes it.
Result<TransferStats> run_transfer_stream(const TransferContext& ctx, exec::StreamSpec spec, const std::string& label,
                                          uint64_t expected_bytes,
                                          const std::function<std::optional<uint64_t>(std::string_view)>& parse_bytes,
                                          const std::string& retry, exec::ArmedStream* armed = nullptr,
                                          util::ProgressMeter* into = nullptr, uint64_t offset = 0);

}  // namespace ferry::storage
