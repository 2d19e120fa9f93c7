// DNS providers behind one interface: read the current RRsets, apply one change as a
// compare-and-swap, and describe exactly what would be sent (for --dry-run, without secrets).
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "dns/change_set.hpp"
#include "dns/dns_plan.hpp"
#include "dns/dns_query.hpp"
#include "dns/record_set.hpp"
#include "util/error.hpp"

namespace ferry::dns {

// Where providers report progress and instructions meant for the operator (the manual
// provider's "change this now"); the CLI sends it to stdout, or to stderr under --json.
using NoticeSink = std::function<void(const std::string&)>;

class DnsProvider {
 public:
  virtual ~DnsProvider() = default;

  virtual std::string kind() const = 0;   // "rfc2136", "powerdns", "exec", "manual"
  virtual std::string target() const = 0; // where changes go: "127.0.0.1:5301", an URL, a program

  // Fails with a clear message unless the provider's source of truth serves the zone.
  virtual Status check_zone(const std::string& zone) = 0;

  // The RRsets of these keys as the provider's source of truth holds them (the primary, the API).
  virtual Result<std::vector<RecordSet>> current_records(const std::vector<RRsetKey>& keys) = 0;

  // Applies the whole change at once, only if every `before` RRset is still there exactly
  // (rfc2136: prerequisites in the same UPDATE). If it is not, nothing changes and the Error has
  // ExitCode::preflight. Other errors name the server and change nothing as far as ferry can tell.
  virtual Status apply(const ChangeSet& change) = 0;

  // What apply() would send, byte for byte where the protocol allows; never a secret.
  virtual std::string describe(const ChangeSet& change) const = 0;
};

// The error for a change whose `before` records are not there (someone else changed them).
Error conflict_error(const std::string& where, const std::vector<Difference>& differences);

// Builds the provider the plan names. Reads the key file / API key file here, so a bad file
// is reported before anything is asked or changed.
Result<std::unique_ptr<DnsProvider>> make_provider(const DnsPlan& plan, NoticeSink notices,
                                                   const RRsetQuery& query = {});

}  // namespace ferry::dns
