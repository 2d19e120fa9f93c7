#include "core/move_facts.hpp"

#include <gtest/gtest.h>

namespace ferry::core {
namespace {

using nlohmann::json;

// Unknown stays unknown: each reader says what it assumes (a rollback never starts a source it
// does not know ran; a stop stops it all the same), instead of each guessing its own default.
TEST(MoveFacts, WhatWasNeverRecordedIsUnknown) {
  auto f = MoveFacts::from_json(json::object());
  EXPECT_FALSE(f.source_was_running.has_value());
  EXPECT_FALSE(f.stop_requested_ms.has_value());
  EXPECT_FALSE(f.source_autostart.has_value());
  EXPECT_FALSE(f.trial_original.has_value());
  EXPECT_TRUE(f.forwarding.is_null());
  EXPECT_EQ(f.dead_man, "");
}

TEST(MoveFacts, NullClearsAndARecordedNullIsKept) {
  auto f = MoveFacts::from_json({{"stop_requested_ms", nullptr}, {"source_autostart", nullptr}, {"forwarding", nullptr},
                                 {"source_was_running", true}, {"dead_man", "armed"}, {"dead_man_seconds", 45}});
  EXPECT_FALSE(f.stop_requested_ms.has_value());  // a rollback cleared it
  ASSERT_TRUE(f.source_autostart.has_value());    // it was unset on the source: that is a fact too
  EXPECT_TRUE(f.source_autostart->is_null());
  EXPECT_TRUE(f.forwarding.is_null());
  EXPECT_EQ(f.source_was_running, true);
  EXPECT_EQ(f.dead_man_seconds, 45);
}

// A value of the wrong type (a hand-edited journal) reads as unknown; it never aborts ferry.
TEST(MoveFacts, AWrongTypeReadsAsUnknown) {
  auto f = MoveFacts::from_json({{"stop_requested_ms", "soon"}, {"source_was_running", "yes"}, {"dead_man_seconds", "x"}});
  EXPECT_FALSE(f.stop_requested_ms.has_value());
  EXPECT_FALSE(f.source_was_running.has_value());
  EXPECT_EQ(f.dead_man_seconds, 0);
}

}  // namespace
}  // namespace ferry::core
