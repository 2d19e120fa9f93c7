// The rfc2136 provider: one TSIG-signed DNS UPDATE per change (RFC 2136, RFC 8945), sent over
// TCP to the zone's primary, with prerequisites that make it a compare-and-swap; the reply's
// signature is verified.
#pragma once

#include <string>

#include "dns/change_set.hpp"
#include "dns/dns_query.hpp"
#include "dns/provider.hpp"
#include "dns/tsig_key.hpp"

namespace ferry::dns {

// What came back for an UPDATE, reduced to what decides the outcome (pure input for judging).
struct UpdateReply {
  int rcode = 0;
  bool has_tsig = false;
  int tsig_error = 0;        // 16 BADSIG, 17 BADKEY, 18 BADTIME
  bool tsig_valid = false;   // the MAC verified with our key
  bool tsig_time_ok = true;  // its time within the fudge of ours
};

// Success, a conflict (ExitCode::preflight: the prerequisites failed), or a clear failure that
// names the server, the zone and the key (never its secret).
Status judge_update_reply(const UpdateReply& reply, const std::string& server, const std::string& zone,
                          const std::string& key_description);

// The UPDATE message for a change, in presentation format (unsigned; the TSIG is added when sent).
std::string update_message_text(const ChangeSet& change);

class Rfc2136Provider final : public DnsProvider {
 public:
  Rfc2136Provider(ServerAddress primary, TsigKey key, double timeout_seconds)
      : primary_(std::move(primary)), key_(std::move(key)), timeout_(timeout_seconds) {}

  std::string kind() const override { return "rfc2136"; }
  std::string target() const override { return primary_.to_string(); }
  Status check_zone(const std::string& zone) override { return check_serves_zone(primary_, zone, timeout_); }
  Result<std::vector<RecordSet>> current_records(const std::vector<RRsetKey>& keys) override;
  Status apply(const ChangeSet& change) override;
  std::string describe(const ChangeSet& change) const override;

 private:
  ServerAddress primary_;
  TsigKey key_;
  double timeout_;
};

}  // namespace ferry::dns
