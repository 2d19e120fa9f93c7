// What an unprivileged container's id map needs of the target, and what a host gives root.
#include "instance/id_map.hpp"

#include <gtest/gtest.h>

namespace ferry::instance {
namespace {

TEST(IdMap, RootRangesArePerFileAndOtherUsersAreIgnored) {
  auto r = parse_root_id_ranges(
      "/etc/subuid:root:100000:65536\n/etc/subuid:root:1000000:1000000000\n/etc/subgid:root:100000:65536\n");
  ASSERT_EQ(r.uids.size(), 2u);
  ASSERT_EQ(r.gids.size(), 1u);
  EXPECT_EQ(largest_count(r.uids), 1000000000u);
  EXPECT_EQ(largest_count(r.gids), 65536u);
  EXPECT_EQ(r.text, "root:100000:65536\nroot:1000000:1000000000\nroot:100000:65536\n");
  EXPECT_FALSE(parse_root_id_ranges("").has_uids());
  EXPECT_FALSE(parse_root_id_ranges("/etc/subuid:root:x:y\n").has_uids());
}

TEST(IdMap, AContainerNeedsItsMapsSizeUpToTheUsual65536) {
  nlohmann::json config = {
      {"volatile.idmap.current",
       R"([{"Isuid":true,"Isgid":false,"Hostid":1000000,"Nsid":0,"Maprange":1000000000},)"
       R"({"Isuid":false,"Isgid":true,"Hostid":1000000,"Nsid":0,"Maprange":1000000000}])"}};
  auto need = ids_needed(config, config);
  EXPECT_EQ(need.uids, 65536u);
  EXPECT_EQ(need.gids, 65536u);
  config["volatile.idmap.current"] = R"([{"Isuid":true,"Isgid":true,"Hostid":100000,"Nsid":0,"Maprange":1000}])";
  need = ids_needed(config, config);
  EXPECT_EQ(need.uids, 1000u);  // it runs with 1000 on the source: 1000 will do on the target
  EXPECT_EQ(need.gids, 1000u);
}

TEST(IdMap, IdmapSizeCapsTheNeedAndAPrivilegedContainerNeedsNone) {
  nlohmann::json own = nlohmann::json::object();
  EXPECT_EQ(ids_needed(own, own).uids, 65536u);  // never started: a new map's size
  nlohmann::json expanded = {{"security.idmap.size", "200000"}};
  own["volatile.idmap.next"] = R"([{"Isuid":true,"Isgid":true,"Hostid":100000,"Nsid":0,"Maprange":300000}])";
  EXPECT_EQ(ids_needed(own, expanded).uids, 200000u);
  EXPECT_EQ(ids_needed(own, {{"security.privileged", "true"}}).uids, 0u);  // from a profile
  EXPECT_EQ(ids_needed(own, {{"security.privileged", "true"}}).gids, 0u);
}

}  // namespace
}  // namespace ferry::instance
