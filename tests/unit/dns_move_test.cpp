// DnsMove against an in-memory zone: the step logic (state, waits, compare-and-swap, verification)
// without servers. The lab tests (tests/lab/dns_*.test.sh) run the same against real ones.
#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <thread>

#include "dns/dns_move.hpp"

using namespace ferry::dns;

namespace {

using Zone = std::map<RRsetKey, RecordSet>;

struct FakeDns {
  Zone zone;
  std::set<std::uint16_t> frozen_ports;  // servers that keep answering `frozen`
  Zone frozen;
  int applies = 0;

  std::vector<RecordSet> read(const Zone& z, const std::vector<RRsetKey>& keys) const {
    std::vector<RecordSet> out;
    for (const auto& k : keys)
      if (auto it = z.find(k); it != z.end()) out.push_back(it->second);
    return out;
  }
};

class FakeProvider : public DnsProvider {
 public:
  explicit FakeProvider(FakeDns& dns) : dns_(dns) {}
  std::string kind() const override { return "fake"; }
  std::string target() const override { return "fake-primary"; }
  ferry::Status check_zone(const std::string&) override { return {}; }
  ferry::Result<std::vector<RecordSet>> current_records(const std::vector<RRsetKey>& keys) override {
    return dns_.read(dns_.zone, keys);
  }
  ferry::Status apply(const ChangeSet& change) override {
    std::vector<Difference> differences;
    if (progress_of(change, dns_.read(dns_.zone, change.keys()), &differences) != ChangeProgress::before)
      return ferry::fail(conflict_error("fake-primary", differences));
    for (const auto& c : change.changes) {
      if (c.after) dns_.zone[c.key] = *c.after;
      else dns_.zone.erase(c.key);
    }
    ++dns_.applies;
    return {};
  }
  std::string describe(const ChangeSet& change) const override { return "fake " + to_string(change.action); }

 private:
  FakeDns& dns_;
};

const RecordType A = RecordType::a, AAAA = RecordType::aaaa;
const std::string kSvc = "svc.ferry.test.";

class DnsMoveTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/ferry-dns-move-XXXXXX";
    dir_ = mkdtemp(tmpl);
    svc_a() = RecordSet{kSvc, A, 300, {"198.18.0.2"}};
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  DnsMove make(std::uint32_t ttl = 1, std::vector<std::string> new_a = {"198.18.0.3"}, std::string zone = "ferry.test.",
               const std::function<void(DnsPlan&)>& tweak = {}) {
    DnsPlan plan;
    plan.move = "c1";
    plan.provider = ProviderKind::manual;
    plan.zone = zone;
    plan.ttl = ttl;
    plan.servers = {{"127.0.0.1", 5301}, {"127.0.0.1", 5302}};
    plan.verify_timeout = 0.3;
    plan.poll_interval = 0.05;
    plan.names = {{kSvc, std::move(new_a), {}}};
    if (tweak) tweak(plan);
    RRsetQuery query = [this](const ServerAddress& s, const std::vector<RRsetKey>& keys, double) {
      if (on_query_) on_query_();
      return ferry::Result<std::vector<RecordSet>>(
          dns_.read(dns_.frozen_ports.count(s.port) ? dns_.frozen : dns_.zone, keys));
    };
    return DnsMove(plan, dir_, [](const std::string&) {}, std::make_unique<FakeProvider>(dns_), query);
  }
  RecordSet& svc_a() { return dns_.zone[RRsetKey{kSvc, RecordType::a}]; }
  DnsState state() { return **load_state(state_path(dir_, "c1")); }

  std::string dir_;
  FakeDns dns_;
  std::function<void()> on_query_;  // another step, taken while this one asks the servers
};

}  // namespace

TEST_F(DnsMoveTest, LowerRecordsTheOriginalAndLowersOnce) {
  auto move = make();
  auto r = move.lower({});
  ASSERT_TRUE(r.ok()) << r.error->message();
  EXPECT_TRUE(r.applied);
  EXPECT_EQ(svc_a().ttl, 1u);
  ASSERT_TRUE(r.verification && r.verification->ok);
  EXPECT_EQ(state().original[0].ttl, 300u);
  EXPECT_TRUE(state().lowered_verified_at);
  ASSERT_TRUE(r.next_step_at);
  EXPECT_NEAR(*r.next_step_at - *state().lowered_verified_at, 300, 0.001);

  auto again = make().lower({});
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE(again.already_done);
  EXPECT_EQ(dns_.applies, 1);
  EXPECT_EQ(state().original[0].ttl, 300u);  // not the lowered TTL
}

TEST_F(DnsMoveTest, DryRunSendsAndWritesNothing) {
  auto r = make().lower({true, false});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.request, "fake lower");
  EXPECT_EQ(r.change.changes.size(), 1u);
  EXPECT_EQ(dns_.applies, 0);
  EXPECT_FALSE(std::filesystem::exists(state_path(dir_, "c1")));
}

TEST_F(DnsMoveTest, SwitchWaitsForTheOldTtlUnlessForced) {
  ASSERT_TRUE(make().lower({}).ok());
  auto early = make().switch_records({});
  ASSERT_FALSE(early.ok());
  EXPECT_EQ(early.exit_code(), ferry::ExitCode::needs_decision);
  EXPECT_NE(early.error->what.find("wait"), std::string::npos);
  ASSERT_TRUE(early.next_step_at);
  EXPECT_EQ(svc_a().addresses[0], "198.18.0.2");

  auto forced = make().switch_records({false, true});
  ASSERT_TRUE(forced.ok()) << forced.error->message();
  EXPECT_EQ(forced.warnings.size(), 1u);
  EXPECT_EQ(svc_a().addresses[0], "198.18.0.3");
  EXPECT_EQ(state().stage, DnsStage::switched);
  EXPECT_TRUE(state().switch_verified_at);
}

// What a move's preflight asks before it begins: the switch after its health gate would go.
TEST_F(DnsMoveTest, APreflightSeesWhatTheSwitchWouldRefuse) {
  auto never = make().check_switchable(now_seconds());
  ASSERT_FALSE(never);
  EXPECT_NE(never.error().what.find("never lowered"), std::string::npos) << never.error().what;
  EXPECT_EQ(never.error().code, ferry::ExitCode::preflight);
  ASSERT_TRUE(make().lower({}).ok());  // the original TTL is 300 s
  auto early = make().check_switchable(now_seconds());
  ASSERT_FALSE(early);
  EXPECT_NE(early.error().what.find("wait"), std::string::npos) << early.error().what;
  EXPECT_TRUE(make().check_switchable(now_seconds() + 301));
  auto elsewhere = make(1, {"198.18.0.3"}, "other.test.").check_switchable(now_seconds() + 301);
  ASSERT_FALSE(elsewhere);
  EXPECT_NE(elsewhere.error().what.find("lowered in zone ferry.test., not other.test."), std::string::npos)
      << elsewhere.error().what;
  EXPECT_EQ(svc_a().addresses[0], "198.18.0.2");  // it only looked
}

// `dns lower --insecure-api` allowed a plain http:// PowerDNS URL; the later steps (switch,
// finish, abort: no provider options on their command line) read the plan from the state, and
// refused it when the state did not carry the permission (the lab's dns_powerdns found it).
TEST_F(DnsMoveTest, TheStateCarriesThePermissionForAPlainHttpApi) {
  auto powerdns = [](DnsPlan& p) {
    p.provider = ProviderKind::powerdns;
    p.api_url = "http://127.0.0.1:8081";
    p.api_key_file = "/k";
    p.insecure_api = true;
  };
  ASSERT_TRUE(make(1, {"198.18.0.3"}, "ferry.test.", powerdns).lower({}).ok());
  DnsPlanInput later;
  later.move = "c1";
  auto layered = layered_plan_input(dir_, later);
  ASSERT_TRUE(layered) << layered.error().message();
  auto plan = finalize_plan(*layered);
  ASSERT_TRUE(plan) << plan.error().message();
  EXPECT_TRUE(plan->insecure_api);
}

TEST_F(DnsMoveTest, SwitchRefusesRecordsChangedBySomeoneElse) {
  svc_a().ttl = 1;  // nothing to lower: no wait
  ASSERT_TRUE(make().lower({}).ok());
  svc_a().addresses = {"198.18.0.99"};
  auto r = make().switch_records({});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.exit_code(), ferry::ExitCode::preflight);
  EXPECT_NE(r.error->detail.find("found 198.18.0.99"), std::string::npos) << r.error->message();
  EXPECT_EQ(svc_a().addresses[0], "198.18.0.99");
  EXPECT_EQ(state().stage, DnsStage::lowered);
}

TEST_F(DnsMoveTest, ALaggingServerIsNamedAndFinishWaitsForVerification) {
  svc_a().ttl = 1;
  ASSERT_TRUE(make().lower({}).ok());
  dns_.frozen = dns_.zone;
  dns_.frozen_ports = {5302};
  auto r = make().switch_records({});
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(r.applied);
  EXPECT_NE(r.error->what.find("127.0.0.1:5302 lagging"), std::string::npos) << r.error->what;
  EXPECT_EQ(r.error->what.find("5301"), std::string::npos);
  EXPECT_EQ(state().stage, DnsStage::switched);
  EXPECT_FALSE(state().switch_verified_at);
  auto finish = make().finish({});
  EXPECT_EQ(finish.exit_code(), ferry::ExitCode::preflight);
  dns_.frozen_ports.clear();
  auto verify = make().verify({});
  ASSERT_TRUE(verify.ok());
  EXPECT_TRUE(state().switch_verified_at);
}

TEST_F(DnsMoveTest, AbortRestoresUntilTheTargetServed) {
  ASSERT_TRUE(make().lower({}).ok());
  ASSERT_TRUE(make().switch_records({false, true}).ok());
  auto abort = make().abort({});
  ASSERT_TRUE(abort.ok()) << abort.error->message();
  EXPECT_EQ(svc_a(), (RecordSet{kSvc, A, 300, {"198.18.0.2"}}));
  EXPECT_EQ(state().stage, DnsStage::aborted);
  EXPECT_TRUE(make().abort({}).ok());  // again: nothing to do

  ASSERT_TRUE(make().lower({}).ok());  // a new round after the abort
  ASSERT_TRUE(make().switch_records({false, true}).ok());
  ASSERT_TRUE(make().mark_target_served());
  auto refused = make().abort({});
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.error->hint.find("move in the other direction"), std::string::npos);
  EXPECT_EQ(svc_a().addresses[0], "198.18.0.3");
}

TEST_F(DnsMoveTest, FinishRestoresTheTtlOnceTheLoweredTtlPassed) {
  ASSERT_TRUE(make().lower({}).ok());
  ASSERT_TRUE(make().switch_records({false, true}).ok());
  auto early = make().finish({});
  EXPECT_EQ(early.exit_code(), ferry::ExitCode::needs_decision);
  std::this_thread::sleep_for(std::chrono::milliseconds(1100));
  auto r = make().finish({});
  ASSERT_TRUE(r.ok()) << r.error->message();
  EXPECT_EQ(svc_a(), (RecordSet{kSvc, A, 300, {"198.18.0.3"}}));
  EXPECT_TRUE(state().target_served);
  EXPECT_FALSE(make().abort({}).ok());
}

TEST_F(DnsMoveTest, SwitchLeavingIpv6ClientsBehindIsRefused) {
  dns_.zone[RRsetKey{kSvc, AAAA}] = {kSvc, AAAA, 300, {"2001:2::2"}};
  ASSERT_TRUE(make().lower({}).ok());
  auto r = make().switch_records({false, true});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.exit_code(), ferry::ExitCode::usage);
  EXPECT_EQ(svc_a().addresses[0], "198.18.0.2");
}

// Each step after lower refuses a move with no DNS state the same way: exit 3, what to run first.
TEST_F(DnsMoveTest, StepsAfterLowerRefuseAMoveNeverLowered) {
  auto refusal = [](const DnsStepReport& r) {
    EXPECT_FALSE(r.ok());
    if (r.ok()) return std::pair<std::string, std::string>();
    EXPECT_EQ(r.exit_code(), ferry::ExitCode::preflight);
    return std::pair{r.error->what, r.error->hint};
  };
  using Refusal = std::pair<std::string, std::string>;
  for (bool dry_run : {false, true}) {
    DnsStepOptions o{dry_run, false};
    EXPECT_EQ(refusal(make().switch_records(o)),
              (Refusal{"the DNS of move c1 was never lowered", "run ferry dns lower first, and wait out the old TTL"}));
    EXPECT_EQ(refusal(make().verify(o)),
              (Refusal{"the DNS of move c1 was never lowered; nothing to verify", "run ferry dns lower first"}));
    EXPECT_EQ(refusal(make().abort(o)), (Refusal{"the DNS of move c1 was never lowered; nothing to abort", ""}));
    EXPECT_EQ(refusal(make().finish(o)), (Refusal{"the DNS of move c1 was never lowered; nothing to finish", ""}));
  }
  auto status = make().status(false);
  EXPECT_EQ(refusal(status).first,
            "no DNS state for move c1 (" + state_path(dir_, "c1") + " does not exist)");
  EXPECT_EQ(dns_.applies, 0);
  EXPECT_FALSE(std::filesystem::exists(state_path(dir_, "c1")));
}

// verify and status say when the next step is allowed, from the stage the state is in.
TEST_F(DnsMoveTest, VerifyAndStatusSayWhenTheNextStepIsAllowed) {
  ASSERT_TRUE(make().lower({}).ok());
  auto allowed = switch_allowed_at(state());
  ASSERT_TRUE(allowed);
  for (const auto& r : {make().verify({}), make().status(false)}) {
    ASSERT_TRUE(r.ok()) << r.error->message();
    ASSERT_TRUE(r.next_step_at);
    EXPECT_DOUBLE_EQ(*r.next_step_at, *allowed);
  }
  ASSERT_TRUE(make().switch_records({false, true}).ok());
  allowed = finish_allowed_at(state());
  ASSERT_TRUE(allowed);
  for (const auto& r : {make().verify({}), make().status(false)}) {
    ASSERT_TRUE(r.ok()) << r.error->message();
    ASSERT_TRUE(r.next_step_at);
    EXPECT_DOUBLE_EQ(*r.next_step_at, *allowed);
  }
  ASSERT_TRUE(make().abort({}).ok());
  for (const auto& r : {make().verify({}), make().status(false)}) {
    ASSERT_TRUE(r.ok()) << r.error->message();
    EXPECT_FALSE(r.next_step_at);
  }
}

// lower carries on a lowering of the same names (none given: the recorded ones), starts over
// when the recorded one was never applied, and refuses what it cannot carry on.
TEST_F(DnsMoveTest, LowerCarriesOnItsOwnLoweringOnly) {
  const std::string kWww = "www.ferry.test.";
  dns_.zone[RRsetKey{kWww, A}] = {kWww, A, 300, {"198.18.0.4"}};
  auto www = [&](DnsPlan& p) { p.names = {{kWww, {"198.18.0.5"}, {}}}; };
  auto no_names = [](DnsPlan& p) { p.names.clear(); };
  ASSERT_TRUE(make().lower({}).ok());
  auto other = make(1, {}, "ferry.test.", www).lower({});
  ASSERT_FALSE(other.ok());
  EXPECT_EQ(other.exit_code(), ferry::ExitCode::preflight);
  EXPECT_EQ(other.error->what, "this move's DNS was lowered for other names (svc.ferry.test.)");
  EXPECT_EQ(other.error->hint, "run ferry dns abort first, then lower the new set of names");
  auto recorded = make(1, {}, "ferry.test.", no_names).lower({});
  ASSERT_TRUE(recorded.ok()) << recorded.error->message();
  EXPECT_TRUE(recorded.already_done);

  auto unconfirmed = state();  // as if the lowering had failed after recording the originals
  unconfirmed.lowered_at.reset();
  ASSERT_TRUE(save_state(state_path(dir_, "c1"), unconfirmed));
  auto over = make(1, {}, "ferry.test.", www).lower({});
  ASSERT_TRUE(over.ok()) << over.error->message();
  ASSERT_EQ(state().original.size(), 1u);
  EXPECT_EQ(state().original[0].name, kWww);

  ASSERT_TRUE(make(1, {}, "ferry.test.", www).switch_records({false, true}).ok());
  auto switched = make(1, {}, "ferry.test.", www).lower({});
  ASSERT_FALSE(switched.ok());
  EXPECT_EQ(switched.exit_code(), ferry::ExitCode::preflight);
  EXPECT_EQ(switched.error->what, "this move's DNS is already switched; there is nothing to lower");
  EXPECT_EQ(switched.error->hint, "ferry dns status shows where it stands");

  ASSERT_TRUE(make(1, {}, "ferry.test.", www).abort({}).ok());
  auto nothing = make(1, {}, "ferry.test.", no_names).lower({});
  ASSERT_FALSE(nothing.ok());
  EXPECT_EQ(nothing.exit_code(), ferry::ExitCode::usage);
  EXPECT_EQ(nothing.error->what, "no names to lower");
}

TEST_F(DnsMoveTest, VerifyNeverWritesOverAStepTakenWhileItAskedTheServers) {
  ASSERT_TRUE(make().lower({}).ok());
  // Another ferry switches while this verify waits for the servers (it holds no lock then).
  bool switched = false;
  on_query_ = [&] {
    if (switched) return;
    switched = true;
    auto other = state();
    other.stage = DnsStage::switched;
    other.switched_at = 1.0;
    ASSERT_TRUE(save_state(state_path(dir_, "c1"), other));
  };
  auto r = make().verify({});
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error->what.find("changed while it was verified (it is now switched)"), std::string::npos) << r.error->what;
  EXPECT_EQ(state().stage, DnsStage::switched);  // the other step's state, not the verified copy
  EXPECT_EQ(state().switched_at, 1.0);
}
