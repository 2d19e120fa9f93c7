// Forwarding during the TTL window: clients that still hold the old address are sent on to the
// new host by the old host's own firewall (nftables DNAT, masquerade so the replies come back
// through it, IP forwarding on). The service then sees the old host as the client's address.
#pragma once

#include <string>
#include <vector>

#include "exec/host.hpp"
#include "util/error.hpp"

namespace ferry::forward {

struct Forwarding {
  std::string table;         // ferry's own nftables table, so removing it touches nothing else
  std::string from_address;  // the old host's address of the service
  std::string to_address;    // the new host's
  std::vector<int> ports;    // tcp ports
};

// ferry_fwd_<instance>, sanitised to what nft accepts as a table name.
std::string table_name(const std::string& instance);
// The nft script that (re)creates the table. Pure: unit-tested.
std::string ruleset(const Forwarding& f);

// Installs the table on `host` (replacing an older one of the same name) and turns IP forwarding
// on; returns the previous forwarding setting, to be put back by remove().
Result<std::string> install(const exec::Host& host, const Forwarding& f);
// Removes the table (if there) and restores the forwarding setting (if given).
Status remove(const exec::Host& host, const std::string& table, bool ipv6, const std::string& previous_setting);

bool is_ipv6(const std::string& address);

}  // namespace ferry::forward
