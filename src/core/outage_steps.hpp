// The steps issue 6 added around the outage: the trial boot, hooks, the crash-mode end of the
// source, the health gate, forwarding and the DNS switch. Each is idempotent, like every step.
#pragma once

#include <nlohmann/json.hpp>

#include "core/journal.hpp"
#include "core/move_context.hpp"
#include "core/plan.hpp"

namespace ferry::core {

Result<nlohmann::json> do_trial(MoveContext& ctx, Journal& journal);
Result<nlohmann::json> do_hook(MoveContext& ctx, const Step& step);
Result<nlohmann::json> do_end_source(MoveContext& ctx);
Result<nlohmann::json> do_health(MoveContext& ctx, Journal& journal);
Result<nlohmann::json> do_forward(MoveContext& ctx, Journal& journal);
Result<nlohmann::json> do_dns_switch(MoveContext& ctx);

// The forwarding a move would install (ports from the instance's proxy devices unless given);
// nullopt when the request lacks what it needs (addresses, ports).
std::optional<nlohmann::json> planned_forwarding(const MoveContext& ctx);
// Removes the forwarding a move installed (ferry finish).
Result<std::string> remove_forwarding(MoveContext& ctx, Journal& journal);
// The DNS finish (the original TTL back) of a move that switched names.
Result<nlohmann::json> finish_dns(MoveContext& ctx);
// The --dns file read as the switch will read it (its TSIG key too), before anything changes.
Status check_dns_input(const MoveRequest& request, const std::string& state_dir);
// For a move that will reach its cutover: the [dns] names are lowered, in the file's zone, and
// the old TTL has passed (what the switch after the health gate would refuse). Exit 3 if not.
Status check_dns_switchable(const MoveRequest& request, const std::string& state_dir);

}  // namespace ferry::core
