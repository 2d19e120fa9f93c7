// The DNS steps of a move, each idempotent, each a compare-and-swap through one provider,
// recorded in the move's DNS state file and verified on every authoritative server:
//   lower   record the records, set the move TTL           (prepare)
//   switch  the new addresses, once the old TTL has passed (cutover, after the health check)
//   verify  ask every authoritative server again
//   abort   put the original records back (until the target has served)
//   finish  the original TTL back, once the lowered TTL has passed since the switch
// This is the interface the move's plan calls; `ferry dns ...` calls the same.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "dns/change_set.hpp"
#include "dns/dns_plan.hpp"
#include "dns/dns_state.hpp"
#include "dns/provider.hpp"
#include "dns/verification.hpp"
#include "util/error.hpp"

namespace ferry::dns {

struct DnsStepOptions {
  bool dry_run = false;  // compute and describe the change; send nothing, write nothing
  bool force = false;    // switch/finish before the old TTL has passed (with a warning)
};

// What a step did (or, under dry_run, would do). `error` is set when it failed; the rest says
// how far it got (e.g. applied but not verified).
struct DnsStepReport {
  std::string action;  // "lower", "switch", "verify", "abort", "finish", "status"
  std::string move, zone, provider, provider_target;
  bool dry_run = false;
  ChangeSet change;
  std::string request;        // the provider's exact request for `change` (no secrets)
  bool already_done = false;  // the records already were as this step wants them
  bool applied = false;       // the change was sent and accepted
  std::optional<VerificationReport> verification;
  std::vector<std::string> warnings;
  std::optional<DnsState> state;  // after the step (under dry_run: as it would be)
  std::string state_file;
  std::optional<double> next_step_at;  // when switch (after lower) or finish (after switch) is allowed
  std::optional<Error> error;

  bool ok() const { return !error.has_value(); }
  ExitCode exit_code() const { return error ? error->code : ExitCode::ok; }
};

void to_json(nlohmann::json& j, const DnsStepReport& report);

class DnsMove {
 public:
  // state_dir: the move's state lives in <state_dir>/<plan.move>/dns.json. `provider` may be
  // given (tests); otherwise it is made from the plan when a step first needs it.
  DnsMove(DnsPlan plan, std::string state_dir, NoticeSink notices, std::unique_ptr<DnsProvider> provider = nullptr,
          RRsetQuery query = {});

  DnsStepReport lower(const DnsStepOptions& options);
  DnsStepReport switch_records(const DnsStepOptions& options);
  // Whether switch_records would go ahead at time `at` (seconds since the epoch), from the state
  // alone: lowered, confirmed, in this zone, the old TTL passed. For a move's preflight.
  Status check_switchable(double at) const;
  DnsStepReport verify(const DnsStepOptions& options);
  DnsStepReport abort(const DnsStepOptions& options);
  DnsStepReport finish(const DnsStepOptions& options);
  // The state, the waits, and (if ask_servers) what each authoritative server answers now.
  DnsStepReport status(bool ask_servers);

  // Called by the move once the target has served clients: from then on abort refuses.
  Status mark_target_served();

  const std::string& state_file() const { return state_file_; }
  const DnsPlan& plan() const { return plan_; }

 private:
  DnsStepReport start(const std::string& action, bool dry_run) const;
  // The state file under its lock (none for a dry run), and what it holds: every step that may
  // change the state starts here.
  struct LockedState {
    std::optional<StateLock> lock;
    std::optional<DnsState> state;
  };
  Result<LockedState> lock_and_load(bool dry_run) const;
  // Why the names cannot be switched at `now` (no refusal: they can). only_too_early: the old
  // TTL has not passed yet, which --force may override.
  struct SwitchGate {
    std::optional<Error> refusal;
    bool only_too_early = false;
    std::string too_early_why;
    std::optional<double> next_step_at;
  };
  SwitchGate switch_gate(const std::optional<DnsState>& loaded, double now) const;
  Result<DnsProvider*> provider();
  Result<std::vector<ServerAddress>> servers();
  // Applies `change` unless the records already are as it wants; refuses if they are neither.
  Status apply_change(DnsStepReport& report, const ChangeSet& change, bool dry_run);
  // Verifies the state's expected records on every server; updates verified timestamps.
  void verify_state(DnsStepReport& report, DnsState& state);
  // Records that the state's stage was seen on every server (once per stage).
  static void mark_verified(DnsState& state);
  Status save(DnsStepReport& report, const DnsState& state, bool dry_run);

  DnsPlan plan_;
  std::string state_dir_;
  std::string state_file_;
  NoticeSink notices_;
  std::unique_ptr<DnsProvider> provider_;
  RRsetQuery query_;
  std::optional<std::vector<ServerAddress>> servers_;
};

// Every RRset key the state touches (both families of each name), for queries and verification.
std::vector<RRsetKey> state_keys(const DnsState& state);

// Layers the plan input: the state's recorded input (if the move has one) < `over`.
// Under `over.move`'s state in state_dir.
Result<DnsPlanInput> layered_plan_input(const std::string& state_dir, const DnsPlanInput& over);

}  // namespace ferry::dns
