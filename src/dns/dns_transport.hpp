// Sends one DNS message to one server and returns the reply's bytes: UDP (connected, resent
// within the timeout) or TCP (length-prefixed). Errors name the server and say what happened.
#pragma once

#include <cstdint>
#include <vector>

#include "dns/record_set.hpp"
#include "util/error.hpp"

namespace ferry::dns {

using Wire = std::vector<std::uint8_t>;

enum class Transport { udp, tcp };

// The reply must carry the query's ID (first two bytes); others are ignored (UDP) or refused (TCP).
Result<Wire> exchange(const ServerAddress& server, const Wire& query, Transport transport, double timeout_seconds);

}  // namespace ferry::dns
