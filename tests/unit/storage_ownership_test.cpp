#include <gtest/gtest.h>

#include "storage/btrfs/btrfs_driver.hpp"
#include "storage/storage_driver.hpp"
#include "storage/volume.hpp"

namespace ferry::storage {
namespace {

TEST(MoveSnapshot, OnlyThisMovesNamesWithASequenceAreItsSnapshots) {
  const std::string id = "261202071530-a3f9";
  EXPECT_TRUE(is_move_snapshot("ferry-" + id + "-1", id));
  EXPECT_TRUE(is_move_snapshot("ferry-" + id + "-12", id));
  EXPECT_FALSE(is_move_snapshot("ferry-" + id + "-", id));
  EXPECT_FALSE(is_move_snapshot("ferry-" + id + "-1x", id));
  EXPECT_FALSE(is_move_snapshot("ferry-" + id + "-1-2", id));
  EXPECT_FALSE(is_move_snapshot("ferry-261202071530-0000-1", id));  // another move's
  EXPECT_FALSE(is_move_snapshot("ferry-backup", id));               // an admin's
  EXPECT_FALSE(is_move_snapshot("snap0", id));
  EXPECT_FALSE(is_move_snapshot("ferry--1", ""));                   // no move id proves nothing
}

// `btrfs subvolume show` of btrfs-progs 6.2 (Debian 12), as the lab's hosts print it.
const char* kShow =
    "containers/c1\n"
    "\tName: \t\t\tc1\n"
    "\tUUID: \t\t\t9c0f5d1e-8f2a-4b6e-a1c3-2d4e5f6a7b8c\n"
    "\tParent UUID: \t\t1b2c3d4e-5f60-4718-293a-4b5c6d7e8f90\n"
    "\tReceived UUID: \t\t-\n"
    "\tCreation time: \t\t2026-12-02 07:30:00 +0000\n"
    "\tSubvolume ID: \t\t261\n"
    "\tGeneration: \t\t40\n"
    "\tGen at creation: \t39\n"
    "\tParent ID: \t\t5\n"
    "\tTop level ID: \t\t5\n"
    "\tFlags: \t\t\t-\n"
    "\tSend transaction ID: \t0\n"
    "\tSnapshot(s):\n";

TEST(BtrfsIds, ShowGivesUuidParentReceivedAndFlags) {
  auto ids = btrfs::parse_subvolume_show(kShow);
  EXPECT_EQ(ids.uuid, "9c0f5d1e-8f2a-4b6e-a1c3-2d4e5f6a7b8c");
  EXPECT_EQ(ids.parent_uuid, "1b2c3d4e-5f60-4718-293a-4b5c6d7e8f90");
  EXPECT_EQ(ids.received_uuid, "-");
  EXPECT_FALSE(ids.readonly);
}

TEST(BtrfsIds, OnlyAWritableSubvolumeWithoutReceivedUuidIsAReceiveCutOff) {
  btrfs::SubvolumeIds cut_off{"u", "-", "-", false};
  btrfs::SubvolumeIds someones_snapshot{"u", "p", "-", true};  // e.g. `lxc snapshot` on the target copy
  btrfs::SubvolumeIds received{"u", "-", "r", true};
  EXPECT_TRUE(cut_off.half_received());
  EXPECT_FALSE(someones_snapshot.half_received());
  EXPECT_FALSE(received.half_received());
  std::string ro(kShow);
  ro.replace(ro.find("Flags: \t\t\t-"), 11, "Flags: \t\t\treadonly");
  EXPECT_FALSE(btrfs::parse_subvolume_show(ro).half_received());
  EXPECT_TRUE(btrfs::parse_subvolume_show(kShow).half_received());
}

TEST(MoveSnapshot, TheMoveIdOfAFerrySnapshotIsReadBackForAMoveBack) {
  EXPECT_EQ(move_id_of_snapshot("ferry-261202071530-a3f9-3"), "261202071530-a3f9");
  EXPECT_EQ(move_id_of_snapshot("ferry-261202071530-12"), "261202071530");  // an id without its random part
  EXPECT_EQ(move_id_of_snapshot("ferry-backup"), "");
  EXPECT_EQ(move_id_of_snapshot("ferry-26120207x530-a3f9-3"), "");
  EXPECT_EQ(move_id_of_snapshot("ferry--3"), "");
  EXPECT_EQ(move_id_of_snapshot("snap0"), "");
  EXPECT_EQ(move_id_of_snapshot("ferry-261202071530-a3f9-"), "");
}

TEST(MoveSnapshot, AMoveBackMayRemoveItsOwnAndTheEarlierMovesSnapshotsOnly) {
  TransferContext ctx;
  ctx.move_id = "261202090000-0001";
  ctx.earlier_move_id = "261202071530-a3f9";
  EXPECT_TRUE(removable_move_snapshot(ctx, "ferry-261202090000-0001-2"));
  EXPECT_TRUE(removable_move_snapshot(ctx, "ferry-261202071530-a3f9-3"));
  EXPECT_FALSE(removable_move_snapshot(ctx, "ferry-261202080000-beef-1"));  // a third move's
  ctx.earlier_move_id.clear();  // abort: the earlier move's base stays
  EXPECT_FALSE(removable_move_snapshot(ctx, "ferry-261202071530-a3f9-3"));
}

TEST(BtrfsIds, SameDataWhenReceivedFromTheOtherEitherWayOrBothFromAThird) {
  btrfs::SubvolumeIds original{"ua", "-", "-", true};
  btrfs::SubvolumeIds received{"ub", "-", "ua", true};    // on the other host, from the original
  btrfs::SubvolumeIds sibling{"uc", "-", "ua", true};     // a third host's, from the same original
  btrfs::SubvolumeIds other{"ud", "-", "-", true};
  btrfs::SubvolumeIds half{"ue", "-", "-", false};
  EXPECT_TRUE(btrfs::same_data(original, received));
  EXPECT_TRUE(btrfs::same_data(received, original));      // a move back sends from the received copy
  EXPECT_TRUE(btrfs::same_data(received, sibling));
  EXPECT_FALSE(btrfs::same_data(original, other));
  EXPECT_FALSE(btrfs::same_data(other, half));             // no received UUIDs prove nothing
}

}  // namespace
}  // namespace ferry::storage
