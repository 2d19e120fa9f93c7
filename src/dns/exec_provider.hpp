// The exec provider: runs the user's program (an argv, no shell) with the change as JSON on
// stdin, for any DNS host ferry has no provider for. Exit 0: applied. Exit 3: the `old` records
// were not there, nothing changed. Anything else: failed (its stderr goes into the error).
// Current records are read from the zone's primary by DNS.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "dns/provider.hpp"

namespace ferry::dns {

inline constexpr int kHookConflictExit = 3;

// Pure: the document on the program's stdin (docs/dns.md, "The exec provider").
nlohmann::json exec_change_document(const ChangeSet& change, const std::string& move);

class ExecProvider final : public DnsProvider {
 public:
  ExecProvider(std::vector<std::string> argv, std::string move, ServerAddress primary, double timeout_seconds,
               RRsetQuery query);

  std::string kind() const override { return "exec"; }
  std::string target() const override;
  Status check_zone(const std::string& zone) override { return check_serves_zone(primary_, zone, timeout_); }
  Result<std::vector<RecordSet>> current_records(const std::vector<RRsetKey>& keys) override;
  Status apply(const ChangeSet& change) override;
  std::string describe(const ChangeSet& change) const override;

 private:
  std::vector<std::string> argv_;
  std::string move_;
  ServerAddress primary_;
  double timeout_;
  RRsetQuery query_;
};

}  // namespace ferry::dns
