#include "storage/zfs/zfs_driver.hpp"

#include <gtest/gtest.h>

namespace ferry::storage::zfs {
namespace {

// What `zfs send -n -v -P -t TOKEN` printed on the zfs tier (OpenZFS 2.1.11) for a receive
// killed after 20 MB of a 21 MB stream.
const char* kResumeDryRun =
    "resume token contents:\n"
    "nvlist version: 0\n"
    "\tobject = 0x2\n"
    "\toffset = 0x1340000\n"
    "\tbytes = 0x136c6e8\n"
    "\ttoguid = 0x21d5139148d98486\n"
    "\ttoname = tank/z-exp@s1\n"
    "\tembedok = 1\n"
    "\tcompressok = 1\n"
    "full\ttank/z-exp@s1\t685704\n"
    "size\t685704\n";

TEST(ZfsDriverParse, ResumeDryRunGivesWhatIsLeftAndWhatTheTargetHas) {
  EXPECT_EQ(parse_send_size(kResumeDryRun), 685704u);
  EXPECT_EQ(parse_token_bytes(kResumeDryRun), 0x136c6e8u);
}

// The same once the snapshot was destroyed on the source (the zfs tier, OpenZFS 2.1.11): the
// contents come first, the refusal after, and the exit status is 255.
const char* kResumeDryRunSnapshotGone =
    "cannot resume send: 'tank/tt@ferry-x-1' used in the initial send no longer exists\n"
    "resume token contents:\n"
    "nvlist version: 0\n"
    "\tobject = 0x2\n"
    "\toffset = 0x960000\n"
    "\tbytes = 0x9866a0\n"
    "\ttoguid = 0xd1383bcb41734cb4\n"
    "\ttoname = tank/tt@ferry-x-1\n";

TEST(ZfsDriverParse, AResumeTokenNamesTheSnapshotItsStreamBrings) {
  EXPECT_EQ(parse_token_snapshot(kResumeDryRun), "tank/z-exp@s1");
  EXPECT_EQ(parse_token_snapshot(kResumeDryRunSnapshotGone), "tank/tt@ferry-x-1");
  EXPECT_EQ(parse_token_snapshot("full\ttank/a@s1\t21052784\nsize\t21052784\n"), std::nullopt);
}

TEST(ZfsOwnership, OnlyAStreamOfThisMovesSnapshotOfTheSourceDatasetIsFerrys) {
  const std::string id = "261202071530-a3f9", ds = "tank/lxd/containers/c1";
  EXPECT_TRUE(stream_is_this_moves(ds + "@ferry-" + id + "-1", ds, id));
  EXPECT_FALSE(stream_is_this_moves(ds + "@ferry-261202071530-0000-1", ds, id));  // another move's
  EXPECT_FALSE(stream_is_this_moves(ds + "@snapshot-snap0", ds, id));           // the manager's
  EXPECT_FALSE(stream_is_this_moves(ds + "x@ferry-" + id + "-1", ds, id));      // another dataset
  EXPECT_FALSE(stream_is_this_moves("tank/tt@ferry-x-1", ds, id));
  EXPECT_FALSE(stream_is_this_moves(ds + "@ferry-" + id + "-1", ds, ""));        // no move: nothing is proven
}

TEST(ZfsDriverParse, NoTokenBytesInAPlainDryRun) {
  EXPECT_EQ(parse_token_bytes("full\ttank/a@s1\t21052784\nsize\t21052784\n"), std::nullopt);
  EXPECT_EQ(parse_send_size("full\ttank/a@s1\t21052784\nsize\t21052784\n"), 21052784u);
}

TEST(ZfsDriverParse, ProgressLinesCarryTheBytesSoFar) {
  EXPECT_EQ(parse_send_progress("18:35:48\t10382304\ttank/z-exp@s1"), 10382304u);
  EXPECT_EQ(parse_send_progress("full\ttank/z-exp@s1\t21052784"), std::nullopt);
}

}  // namespace
}  // namespace ferry::storage::zfs
