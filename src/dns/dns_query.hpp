// Asking authoritative servers directly: non-recursive queries for address RRsets, and the
// zone's NS set and primary through the system's resolver.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "dns/record_set.hpp"
#include "util/error.hpp"

namespace ferry::dns {

// The A/AAAA RRsets one server holds for these keys (RD clear; the answer must carry AA).
// A key without records is absent from the result. UDP, then TCP if the reply is truncated.
Result<std::vector<RecordSet>> query_rrsets(const ServerAddress& server, const std::vector<RRsetKey>& keys,
                                            double timeout_seconds);

// Fails unless the server answers the zone's SOA with authority: it serves the zone itself.
Status check_serves_zone(const ServerAddress& server, const std::string& zone, double timeout_seconds);

// The same signature, so tests and the manual provider can substitute it.
using RRsetQuery = std::function<Result<std::vector<RecordSet>>(const ServerAddress&, const std::vector<RRsetKey>&,
                                                                double timeout_seconds)>;

// The servers of the zone's NS set (their A and AAAA addresses, port 53), via /etc/resolv.conf.
Result<std::vector<ServerAddress>> zone_ns_servers(const std::string& zone, double timeout_seconds);
// The zone's SOA MNAME (its primary), resolved, port 53, via /etc/resolv.conf.
Result<ServerAddress> zone_primary(const std::string& zone, double timeout_seconds);

}  // namespace ferry::dns
