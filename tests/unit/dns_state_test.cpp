#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "dns/dns_state.hpp"

using namespace ferry::dns;

namespace {
DnsState sample() {
  DnsState s;
  s.move = "c1";
  s.zone = "ferry.test.";
  s.provider = "rfc2136";
  s.move_ttl = 60;
  s.original = {{"svc.ferry.test.", RecordType::a, 300, {"198.18.0.2"}},
                {"svc.ferry.test.", RecordType::aaaa, 30, {"2001:2::2"}}};
  s.lowered = {{"svc.ferry.test.", RecordType::a, 60, {"198.18.0.2"}},
               {"svc.ferry.test.", RecordType::aaaa, 30, {"2001:2::2"}}};
  s.lowered_at = 1000;
  s.lowered_verified_at = 1002;
  s.plan = {{"zone", "ferry.test."}};
  s.record(1000, "lowered");
  return s;
}

struct TempDir {
  std::filesystem::path path;
  TempDir() {
    char tmpl[] = "/tmp/ferry-dns-state-XXXXXX";
    path = mkdtemp(tmpl);
  }
  ~TempDir() { std::filesystem::remove_all(path); }
};
}  // namespace

TEST(DnsState, RoundTripsThroughJson) {
  auto s = sample();
  auto back = state_from_json(state_to_json(s), "x");
  ASSERT_TRUE(back) << back.error().message();
  EXPECT_EQ(back->original, s.original);
  EXPECT_EQ(back->lowered_verified_at, s.lowered_verified_at);
  EXPECT_FALSE(back->switched_at);
  EXPECT_EQ(back->events.size(), 1u);
}

TEST(DnsState, RefusesForeignOrNewerFiles) {
  auto j = state_to_json(sample());
  j["version"] = 99;
  EXPECT_FALSE(state_from_json(j, "x"));
  EXPECT_FALSE(state_from_json(nlohmann::json{{"format", "other"}}, "x"));
  j = state_to_json(sample());
  j["stage"] = "flying";
  EXPECT_FALSE(state_from_json(j, "x"));
}

TEST(DnsState, SwitchWaitsForTheLongestLoweredTtlFromVerification) {
  auto s = sample();
  EXPECT_EQ(ttl_before_lowering(s), 300u);  // the AAAA at 30 s was not lowered
  EXPECT_EQ(*switch_allowed_at(s), 1302.0);
  s.lowered_verified_at.reset();
  EXPECT_FALSE(switch_allowed_at(s));
}

TEST(DnsState, FinishWaitsForTheLoweredTtlFromTheSwitch) {
  auto s = sample();
  s.stage = DnsStage::switched;
  EXPECT_FALSE(finish_allowed_at(s));
  s.switch_verified_at = 2000;
  EXPECT_EQ(ttl_before_switch(s), 60u);
  EXPECT_EQ(*finish_allowed_at(s), 2060.0);
}

TEST(DnsState, NothingToLowerMeansNoWait) {
  auto s = sample();
  s.original = s.lowered;
  EXPECT_EQ(ttl_before_lowering(s), 0u);
  EXPECT_EQ(*switch_allowed_at(s), 1002.0);
}

TEST(DnsState, SavesAtomicallyAndLoads) {
  TempDir dir;
  const auto path = state_path(dir.path.string(), "c1");
  auto missing = load_state(path);
  ASSERT_TRUE(missing);
  EXPECT_FALSE(*missing);
  ASSERT_TRUE(save_state(path, sample()));
  EXPECT_FALSE(std::filesystem::exists(path + ".tmp"));
  auto loaded = load_state(path);
  ASSERT_TRUE(loaded);
  ASSERT_TRUE(*loaded);
  EXPECT_EQ((*loaded)->move, "c1");
  std::ofstream(path) << "{ not json";
  EXPECT_FALSE(load_state(path));
}

TEST(DnsState, OneLockAtATime) {
  TempDir dir;
  const auto path = state_path(dir.path.string(), "c1");
  auto first = StateLock::acquire(path);
  ASSERT_TRUE(first);
  auto second = StateLock::acquire(path);
  ASSERT_FALSE(second);
  EXPECT_EQ(second.error().code, ferry::ExitCode::locked);
}
