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

// One listing of three datasets, as `zfs list -H -p -t snapshot -o name,guid,createtxg -s createtxg
// -d 1 DS...` prints it: sorted by createtxg over all of them, so their lines interleave.
const char* kListingOfThree =
    "tank/lxd/containers/c1@snapshot-snap0\t111\t10\n"
    "tank/lxd/custom/default_vol1@ferry-m-1\t222\t11\n"
    "tank/lxd/containers/c1@ferry-m-1\t333\t11\n"
    "tank/lxd/containers/c1@ferry-m-2\t444\t20\n";

TEST(ZfsSnapshotListings, ALineGoesToItsDatasetInCreationOrder) {
  std::vector<std::string> datasets = {"tank/lxd/containers/c1", "tank/lxd/custom/default_vol1", "tank/lxd/custom/default_vol2"};
  auto listings = parse_snapshot_listings(datasets, kListingOfThree, "", true);
  ASSERT_TRUE(listings);
  ASSERT_EQ(listings->size(), 3u);
  auto& c1 = listings->at("tank/lxd/containers/c1");
  ASSERT_TRUE(c1);
  ASSERT_EQ(c1->size(), 3u);
  EXPECT_EQ((*c1)[0].name, "snapshot-snap0");
  EXPECT_EQ((*c1)[1].guid, "333");
  EXPECT_EQ((*c1)[2].name, "ferry-m-2");
  EXPECT_EQ((*c1)[2].order, 20u);
  auto& vol1 = listings->at("tank/lxd/custom/default_vol1");
  ASSERT_TRUE(vol1);
  ASSERT_EQ(vol1->size(), 1u);
  EXPECT_EQ((*vol1)[0].guid, "222");
  // There, without a snapshot yet: an empty list, not "does not exist".
  auto& vol2 = listings->at("tank/lxd/custom/default_vol2");
  ASSERT_TRUE(vol2);
  EXPECT_TRUE(vol2->empty());
}

TEST(ZfsSnapshotListings, AMissingDatasetIsNoneAndTheOthersStillListed) {
  // zfs goes on past a dataset it cannot open, names it on stderr and exits 1.
  std::vector<std::string> datasets = {"tank/lxd/containers/c1", "tank/lxd/containers/c"};
  auto listings = parse_snapshot_listings(datasets, "tank/lxd/containers/c1@ferry-m-1\t333\t11\n",
                                          "cannot open 'tank/lxd/containers/c': dataset does not exist\n", false);
  ASSERT_TRUE(listings);
  EXPECT_EQ(listings->at("tank/lxd/containers/c"), std::nullopt);  // a prefix of the other: told apart
  ASSERT_TRUE(listings->at("tank/lxd/containers/c1"));
  EXPECT_EQ(listings->at("tank/lxd/containers/c1")->size(), 1u);
}

TEST(ZfsSnapshotListings, AnyOtherFailureIsAFailedListing) {
  std::vector<std::string> datasets = {"tank/a", "tank/b"};
  EXPECT_EQ(parse_snapshot_listings(datasets, "", "cannot open 'tank/a': dataset does not exist\n"
                                                  "internal error: Permission denied\n", false),
            std::nullopt);
  EXPECT_EQ(parse_snapshot_listings(datasets, "", "", false), std::nullopt);  // failed, saying nothing
  EXPECT_EQ(parse_snapshot_listings(datasets, "", "ssh: connect to host x: Connection refused\n", false), std::nullopt);
}

TEST(ZfsSnapshotListings, ASingleDatasetReadsAsTheOneByOneListingDid) {
  auto listings = parse_snapshot_listings({"tank/a"}, "tank/a@s1\t1\t5\ntank/a@s2\t2\t6\n", "", true);
  ASSERT_TRUE(listings);
  ASSERT_TRUE(listings->at("tank/a"));
  auto one_by_one = parse_snapshot_list("tank/a@s1\t1\t5\ntank/a@s2\t2\t6\n");
  ASSERT_EQ(listings->at("tank/a")->size(), one_by_one.size());
  EXPECT_EQ((*listings->at("tank/a"))[1].name, one_by_one[1].name);
}

// `zfs get -H -o name,property,value,source encryption,<carried> DS...` of two datasets, one of
// them encrypted; without -p, as carried_properties reads them ("none", "128K").
const char* kFactsOfTwo =
    "tank/lxd/containers/c1\tencryption\toff\tdefault\n"
    "tank/lxd/containers/c1\tmountpoint\tlegacy\tlocal\n"
    "tank/lxd/containers/c1\tquota\tnone\tlocal\n"
    "tank/lxd/containers/c1\trefquota\tnone\tdefault\n"
    "tank/lxd/containers/c1\trecordsize\t128K\tinherited from tank\n"
    "tank/lxd/containers/c1\tatime\toff\tlocal\n"
    "tank/lxd/custom/default_vol1\tencryption\taes-256-gcm\t-\n"
    "tank/lxd/custom/default_vol1\tmountpoint\t/var/lib/lxd/storage-pools/p/custom/default_vol1\tlocal\n";

TEST(ZfsSourceFacts, EachDatasetGetsItsFlagsAndOnlyItsLocalProperties) {
  auto facts = parse_source_facts(kFactsOfTwo);
  ASSERT_EQ(facts.size(), 2u);
  auto& c1 = facts.at("tank/lxd/containers/c1");
  EXPECT_EQ(c1.flags, (std::vector<std::string>{"-L", "-e", "-c"}));
  EXPECT_EQ(c1.props, (std::vector<std::string>{"-o", "mountpoint=legacy", "-o", "quota=none", "-o", "atime=off"}));
  auto& vol1 = facts.at("tank/lxd/custom/default_vol1");
  EXPECT_EQ(vol1.flags, (std::vector<std::string>{"-w"}));  // encrypted: raw
  EXPECT_EQ(vol1.props, (std::vector<std::string>{"-o", "mountpoint=/var/lib/lxd/storage-pools/p/custom/default_vol1"}));
}

TEST(ZfsSourceFacts, ADatasetWithoutItsEncryptionRowIsNotRead) {
  // zfs could not open it, or cut off: the describing asks that one by itself.
  auto facts = parse_source_facts("tank/a\tmountpoint\tlegacy\tlocal\n");
  EXPECT_TRUE(facts.empty());
  EXPECT_TRUE(parse_source_facts("").empty());
}

}  // namespace
}  // namespace ferry::storage::zfs
