#include "storage/storage_driver.hpp"

#include "storage/btrfs/btrfs_driver.hpp"
#include "storage/zfs/zfs_driver.hpp"

namespace ferry::storage {

std::string volume_path(const std::string&, const std::string& pool_root, const std::string& kind,
                        const std::string& volume_name) {
  // Both backends lay volumes out the same way below the pool's root: <root>/<kind>/<name>.
  return pool_root + "/" + kind + "/" + volume_name;
}

std::unique_ptr<StorageDriver> make_driver(const std::string& driver) {
  if (driver == "zfs") return std::make_unique<zfs::ZfsDriver>();
  if (driver == "btrfs") return std::make_unique<btrfs::BtrfsDriver>();
  return nullptr;
}

}  // namespace ferry::storage
