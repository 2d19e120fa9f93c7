// The volumes of one instance as they lie on disk, and the snapshots ferry reasons about.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace ferry::storage {

// One volume of the instance (its root, or an attached custom volume) on both hosts.
struct Volume {
  std::string role;         // "instance" or "custom/<name>": how the user knows it
  std::string pool;         // the manager's pool name (same on both hosts)
  std::string kind;         // the manager's directory: "containers" or "custom"
  std::string volume_name;  // name on disk: "c1", "default_vol1"
  std::string source_path;  // zfs: dataset name; btrfs: subvolume path
  std::string target_path;

  bool is_custom() const { return role.rfind("custom/", 0) == 0; }
  // A custom volume's name in its manager ("" for the instance's own volume).
  std::string custom_name() const { return is_custom() ? role.substr(7) : ""; }
};

// A snapshot as the backend identifies it across hosts: zfs guid, btrfs uuid/received_uuid.
struct SnapshotInfo {
  std::string name;  // short name (after @ for zfs, subvolume basename for btrfs)
  std::string guid;
  uint64_t order = 0;  // createtxg / generation: creation order
};

// Whether `name` is one of move `move_id`'s snapshots: ferry-<move_id>-<sequence>. What ferry
// destroys is only these (and what it proves by GUID or received UUID): a `ferry-*` snapshot of
// another move, or of an admin's, stays.
bool is_move_snapshot(const std::string& name, const std::string& move_id);
// The move id in a name of the form ferry-<move id>-<sequence> ("" if it is not one).
std::string move_id_of_snapshot(const std::string& name);

}  // namespace ferry::storage
