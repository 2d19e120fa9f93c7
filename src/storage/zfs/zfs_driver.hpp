// OpenZFS: snapshots matched by GUID, full then -I streams, resumable receives (-s, send -t),
// user holds on the common snapshot so nothing prunes the base mid-move.
#pragma once

#include <map>
#include <mutex>
#include <optional>

#include "storage/storage_driver.hpp"

namespace ferry::storage::zfs {

// Each dataset's snapshots in creation order, from one listing of several datasets; nullopt: the
// dataset does not exist.
using SnapshotListings = std::map<std::string, std::optional<std::vector<SnapshotInfo>>>;

// What a dataset's streams need of it, the same for every stream of a move.
struct SourceFacts {
  std::vector<std::string> flags;  // send flags
  std::vector<std::string> props;  // local properties a plain stream does not carry
};

class ZfsDriver final : public StorageDriver {
 public:
  std::string name() const override { return "zfs"; }
  Tool tool() const override { return {"zfs", "zfsutils-linux"}; }
  std::vector<StorageCheck> check_hosts(const TransferContext& ctx, const std::vector<Volume>& volumes) override;
  Result<uint64_t> used_bytes(const TransferContext& ctx, const Volume& volume) override;
  Status snapshot(const TransferContext& ctx, const std::vector<Volume>& volumes, const std::string& snap) override;
  Result<bool> has_snapshot(const exec::Host& host, const Volume& volume, const std::string& snap,
                            bool on_target) override;
  Result<TargetState> target_state(const TransferContext& ctx, const Volume& volume) override;
  Result<uint64_t> estimate_bytes(const TransferContext& ctx, const Volume& volume, const std::string& snap) override;
  Result<TransferStats> transfer(const TransferContext& ctx, const Volume& volume, const std::string& snap,
                                 bool allow_rollback) override;
  std::vector<std::string> describe_snapshot(const TransferContext& ctx, const std::vector<Volume>& volumes,
                                             const std::string& snap) override;
  std::vector<std::string> describe_activate(const TransferContext& ctx, const Volume& volume, const std::string& snap) override;
  std::vector<std::string> describe_cleanup(const TransferContext& ctx, const Volume& volume, const std::string& keep) override;
  std::vector<std::string> describe_transfer(const TransferContext& ctx, const Volume& volume,
                                             const std::string& snap) override;
  // One `zfs list -t snapshot` per host naming every volume's dataset, and one `zfs get` of
  // their source facts, all at once.
  void prepare_describe(const TransferContext& ctx, const std::vector<Volume>& volumes) override;
  void arm_final_increment(const TransferContext& ctx, const Volume& volume, const std::string& snap) override;
  void arm_snapshot(const TransferContext& ctx, const std::vector<Volume>& volumes, const std::string& snap) override;
  std::vector<std::string> describe_armed(const TransferContext& ctx, const std::vector<Volume>& volumes,
                                          const std::string& snap) override;
  Status activate_on_target(const TransferContext& ctx, const Volume& volume, const std::string& snap) override;
  Status remove_ferry_snapshots(const TransferContext& ctx, const Volume& volume, const std::string& keep) override;
  Result<Removal> remove_received(const TransferContext& ctx, const Volume& volume) override;
  Result<std::optional<std::string>> common_move_snapshot(const TransferContext& ctx, const Volume& volume) override;
  Result<std::optional<uint64_t>> written_on_target_since(const TransferContext& ctx, const Volume& volume,
                                                          const std::string& snap) override;
  Result<uint64_t> target_free_bytes(const TransferContext& ctx, const Volume& volume) override;

 private:
  // What does not change during a move, asked once per dataset (sends run in parallel threads).
  Result<SourceFacts> source_facts(const exec::Host& source, const std::string& ds);
  // The final increment of one dataset, armed as the outage began (from known_base to snap).
  struct ArmedIncrement {
    std::string base, snap;
    exec::ArmedStream stream;
  };
  // The final increment as one stream, no lookup first; fired if it was armed.
  Result<TransferStats> final_increment(const TransferContext& ctx, const Volume& v, const std::string& snap,
                                        const SourceFacts& facts);
  // The snapshot listings prepare_describe read (an Error: that host's listing failed). Its
  // source facts go into facts_, which does not change during a move.
  struct DescribePass {
    Result<SnapshotListings> source, target;
  };
  // A dataset's snapshots for describing: from the pass, or asked now if it has none (no pass
  // prepared, or a dataset it did not read).
  Result<std::optional<std::vector<SnapshotInfo>>> described_snapshots(const exec::Host& host, const std::string& ds,
                                                                       bool on_target);
  std::optional<DescribePass> described_;
  std::mutex mutex_;
  std::map<std::string, SourceFacts> facts_;
  std::map<std::string, ArmedIncrement> armed_;  // by target dataset
  exec::ArmedCommands armed_commands_;  // the outage's `zfs snapshot`, armed with the increments
};

// Parses `zfs list -H -p -t snapshot -o name,guid,createtxg` output.
std::vector<SnapshotInfo> parse_snapshot_list(const std::string& text);
// Parses one `zfs list -H -p -t snapshot -o name,guid,createtxg ... DS...` of `datasets` (`ok`: its
// exit status was 0): stdout has the snapshots of those that exist, stderr a "cannot open 'DS':
// dataset does not exist" line for each of the others. nullopt: it failed for another reason.
std::optional<SnapshotListings> parse_snapshot_listings(const std::vector<std::string>& datasets, const std::string& out,
                                                        const std::string& err, bool ok);
// Parses `zfs get -H -o name,property,value,source encryption,<the carried properties> DS...`:
// each dataset's facts as send_flags and carried_properties read them one dataset at a time.
// A dataset zfs could not open is absent.
std::map<std::string, SourceFacts> parse_source_facts(const std::string& text);
// Parses the bytes figure of a `zfs send -v -P` progress or size line; nullopt for other lines.
std::optional<uint64_t> parse_send_progress(std::string_view line);
std::optional<uint64_t> parse_send_size(const std::string& dry_run_output);
// The snapshot a resume token's stream brings ("pool/ds@snap"), from the token contents `zfs send
// -n -v -t TOKEN` prints before it looks for that snapshot (so even when it is gone).
std::optional<std::string> parse_token_snapshot(const std::string& dry_run_output);
// Whether a stream of `snapshot` ("pool/ds@snap") is one of this move's of the source dataset:
// the only partial receive ferry continues or discards.
bool stream_is_this_moves(const std::string& snapshot, const std::string& source_dataset, const std::string& move_id);
// The bytes a receive already holds, from the token contents `zfs send -n -v -t TOKEN` prints.
std::optional<uint64_t> parse_token_bytes(const std::string& dry_run_output);

}  // namespace ferry::storage::zfs
