// The powerdns provider: PowerDNS's HTTP API (GET the zone, PATCH RRsets), through libcurl.
// The API has no conditional update: ferry compares the RRsets it just read with what the
// change expects and sends the PATCH only if they agree; a change landing in between (a few
// milliseconds) is not caught. All RRsets of one change go in one PATCH, which PowerDNS
// applies in one transaction.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "dns/provider.hpp"

namespace ferry::dns {

// Pure: the RRsets of these keys in a zone document of GET /api/v1/servers/ID/zones/ZONE.
// Disabled records are ignored.
Result<std::vector<RecordSet>> parse_pdns_zone(const nlohmann::json& zone, const std::vector<RRsetKey>& keys);
// Pure: the PATCH body for a change (REPLACE, or DELETE for RRsets that go away).
nlohmann::json pdns_patch_body(const ChangeSet& change);

class PowerDnsProvider final : public DnsProvider {
 public:
  PowerDnsProvider(std::string api_url, std::string server_id, std::string zone, std::string api_key,
                   double timeout_seconds);

  std::string kind() const override { return "powerdns"; }
  std::string target() const override { return zone_url(); }
  // GET of the zone fails with 404 and a clear message when PowerDNS lacks it.
  Status check_zone(const std::string& zone) override;
  Result<std::vector<RecordSet>> current_records(const std::vector<RRsetKey>& keys) override;
  Status apply(const ChangeSet& change) override;
  std::string describe(const ChangeSet& change) const override;

 private:
  std::string zone_url() const;
  struct Response {
    long status = 0;
    std::string body;
  };
  Result<Response> request(const std::string& method, const std::string& body) const;
  Error http_error(const std::string& action, const Response& response) const;

  std::string api_url_, server_id_, zone_, api_key_;
  double timeout_;
};

// Reads an API key file (the key on its first line); the key is never printed.
Result<std::string> load_api_key(const std::string& path);

}  // namespace ferry::dns
