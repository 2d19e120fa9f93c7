// The manual provider: prints exactly what to change, then polls the zone's primary until the
// change is there (or the manual timeout passes). For DNS hosts with only a web form.
#pragma once

#include <string>

#include "dns/provider.hpp"

namespace ferry::dns {

// Pure: the instructions for a change: per RRset the records now and the records to make, in
// zone-file syntax, and the same change as an nsupdate script.
std::string manual_instructions(const ChangeSet& change);

class ManualProvider final : public DnsProvider {
 public:
  ManualProvider(ServerAddress primary, double query_timeout, double wait_timeout, double poll_interval,
                 NoticeSink notices, RRsetQuery query)
      : primary_(std::move(primary)),
        query_timeout_(query_timeout),
        wait_timeout_(wait_timeout),
        poll_interval_(poll_interval),
        notices_(std::move(notices)),
        query_(std::move(query)) {}

  std::string kind() const override { return "manual"; }
  std::string target() const override { return "you, checked at " + primary_.to_string(); }
  Status check_zone(const std::string& zone) override { return check_serves_zone(primary_, zone, query_timeout_); }
  Result<std::vector<RecordSet>> current_records(const std::vector<RRsetKey>& keys) override;
  Status apply(const ChangeSet& change) override;
  std::string describe(const ChangeSet& change) const override { return manual_instructions(change); }

 private:
  ServerAddress primary_;
  double query_timeout_, wait_timeout_, poll_interval_;
  NoticeSink notices_;
  RRsetQuery query_;
};

}  // namespace ferry::dns
