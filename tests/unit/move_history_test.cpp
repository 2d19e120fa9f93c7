#include <gtest/gtest.h>

#include "core/move_history.hpp"
#include "core/return_target.hpp"

namespace ferry::core {
namespace {

JournalRecord record(std::string time, std::string event, std::string step, nlohmann::json data = {}) {
  return {std::move(time), std::move(event), std::move(step), std::move(data)};
}

nlohmann::json start(const std::string& id, const std::string& from, const std::string& to) {
  return {{"move_id", id}, {"request", {{"instance", "c1"}, {"source", from}, {"target", to}}}};
}

TEST(MoveHistory, EachStartIsALegWithItsEndAndDowntime) {
  auto legs = legs_of({record("2026-12-02T09:00:00Z", "start", "", start("261202090000-0001", "alpha", "beta")),
                       record("2026-12-02T09:00:05Z", "done", "cutover.health", {{"downtime_seconds", 1.25}}),
                       record("2026-12-02T09:00:06Z", "finished", "")});
  ASSERT_EQ(legs.size(), 1u);
  EXPECT_EQ(legs[0].source, "alpha");
  EXPECT_EQ(legs[0].target, "beta");
  EXPECT_EQ(legs[0].state, "finished");
  EXPECT_EQ(legs[0].ended, "2026-12-02T09:00:06Z");
  ASSERT_TRUE(legs[0].downtime_seconds);
  EXPECT_DOUBLE_EQ(*legs[0].downtime_seconds, 1.25);
}

TEST(MoveHistory, TheInstanceServesWhereTheNewestFinishedLegWent) {
  std::vector<Leg> legs = {{"1", "alpha", "beta", "a", "b", "finished", std::nullopt},
                           {"2", "beta", "alpha", "c", "d", "finished", std::nullopt},
                           {"3", "alpha", "beta", "e", "", "under way", std::nullopt}};
  EXPECT_EQ(serving_after(legs), "alpha");
  legs[1].state = "aborted";
  EXPECT_EQ(serving_after(legs), "beta");
  EXPECT_EQ(serving_after({}), "");
}

TEST(ReturnTarget, ItsJournaledFormReadsBack) {
  ReturnTarget r;
  r.moved_to = "beta";
  r.base = "ferry-261202090000-0001-3";
  r.earlier_move_id = "261202090000-0001";
  r.last_used_at = r.last_used_at_moved = "2026-12-02T09:00:00Z";
  r.written = 4096;
  r.forwarding_left_ipv6 = false;
  auto back = ReturnTarget::from_json(r.to_json());
  EXPECT_EQ(back.base, r.base);
  EXPECT_EQ(back.earlier_move_id, r.earlier_move_id);
  EXPECT_EQ(back.written, r.written);
  EXPECT_EQ(back.forwarding_left_ipv6, r.forwarding_left_ipv6);
  EXPECT_FALSE(back.started_since());
  back.last_used_at = "2026-12-02T10:00:00Z";  // started by hand since
  EXPECT_TRUE(back.started_since());
}

}  // namespace
}  // namespace ferry::core
