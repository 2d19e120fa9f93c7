// Forwarding during the TTL window: clients that still hold the old address are sent on to the
// new host by the old host's own firewall (nftables DNAT, masquerade so the replies come back
// through it, IP forwarding on). The service then sees the old host as the client's address.
#pragma once

#include <string>
#include <vector>

#include "exec/host.hpp"
#include "util/error.hpp"

namespace ferry::forward {

// What forwarding needs on the old host: nft, from Debian's nftables.
inline constexpr const char* kTool = "nft";
inline constexpr const char* kToolPackage = "nftables";

struct Forwarding {
  std::string table;         // ferry's own nftables table, so removing it touches nothing else
  std::string from_address;  // the old host's address of the service
  std::string to_address;    // the new host's
  std::vector<int> ports;    // tcp ports
};

// ferry_fwd_<project>/<instance>: one per move from a host (nft accepts '/'; neither name has one).
std::string table_name(const std::string& project, const std::string& instance);
// The nft script that (re)creates the table. Pure: unit-tested.
std::string ruleset(const Forwarding& f);

// Installs the table on `host` (replacing an older one of the same name) and turns IP forwarding
// on; returns the setting from before the first of ferry's tables on the host, for remove().
Result<std::string> install(const exec::Host& host, const Forwarding& f);
// Removes the table (if there); once no other ferry table is left, restores the forwarding setting
// (the host's record of it, or `previous_setting`). True if it did; false: another move's
// forwarding still needs it on.
Result<bool> remove(const exec::Host& host, const std::string& table, bool ipv6, const std::string& previous_setting);

// The commands install() and remove() run (the nft script goes on their stdin), for --dry-run.
std::vector<std::string> install_argv(const Forwarding& f);
std::vector<std::string> remove_argv(bool ipv6, const std::string& previous_setting);
// The nft script remove() feeds remove_argv().
std::string removal_ruleset(const std::string& table, bool ipv6);

// Whether `host` holds ferry's table `table`: nullopt if not, else whether it is IPv6's (a host
// without nft holds none).
Result<std::optional<bool>> installed_family(const exec::Host& host, const std::string& table);

bool is_ipv6(const std::string& address);

}  // namespace ferry::forward
