// btrfs, by btrfs's rules: read-only snapshots are sent (-p for increments) into a ferry area of
// the target pool, and the instance's writable subvolume is made from the newest received one.
// There is no stream resume: an interrupted subvolume is deleted and sent again.
#pragma once

#include "storage/storage_driver.hpp"

namespace ferry::storage::btrfs {

class BtrfsDriver final : public StorageDriver {
 public:
  std::string name() const override { return "btrfs"; }
  Tool tool() const override { return {"btrfs", "btrfs-progs"}; }
  Result<uint64_t> used_bytes(const TransferContext& ctx, const Volume& volume) override { return estimate_bytes(ctx, volume, ""); }
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
  Status activate_on_target(const TransferContext& ctx, const Volume& volume, const std::string& snap) override;
  Status remove_ferry_snapshots(const TransferContext& ctx, const Volume& volume, const std::string& keep) override;
  Result<Removal> remove_received(const TransferContext& ctx, const Volume& volume) override;
  Result<std::optional<std::string>> common_move_snapshot(const TransferContext& ctx, const Volume& volume) override;
  Result<std::optional<uint64_t>> written_on_target_since(const TransferContext& ctx, const Volume& volume,
                                                          const std::string& snap) override;
  Result<uint64_t> target_free_bytes(const TransferContext& ctx, const Volume& volume) override;
};

struct SubvolumeIds {
  std::string uuid;
  std::string parent_uuid;    // what it is a snapshot of ("-": none)
  std::string received_uuid;  // "-" when not received
  bool readonly = false;
  // `btrfs receive` sets the received UUID and the read-only flag when a subvolume is complete:
  // writable without one is a receive cut off; read-only without one is somebody's snapshot.
  bool half_received() const { return received_uuid == "-" && !readonly; }
};
// Whether two subvolumes hold the same data: one was received from the other (either way: a move
// back sends from the received copy to the original), or both from a third.
bool same_data(const SubvolumeIds& a, const SubvolumeIds& b);

// Parses `btrfs subvolume show` output.
SubvolumeIds parse_subvolume_show(const std::string& text);

// Paths derived from a volume path .../<pool>/<kind>/<name>:
std::string pool_root_of(const std::string& volume_path);                       // .../<pool>
std::string ferry_dir(const std::string& volume_path);                         // .../<pool>/.ferry/<kind>/<name>
std::string manager_snapshot_dir(const std::string& volume_path);              // .../<pool>/<kind>-snapshots/<name>

}  // namespace ferry::storage::btrfs
