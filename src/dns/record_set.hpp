// DNS data ferry moves: address RRsets (A, AAAA) of names in one zone, and where servers are.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "util/error.hpp"

namespace ferry::dns {

enum class RecordType { a, aaaa };

std::string to_string(RecordType type);  // "A", "AAAA"
std::optional<RecordType> parse_record_type(const std::string& text);

// One RRset: every address of one type at one name. Names are absolute ("svc.ferry.test.") and
// lower case; addresses are canonical text (inet_ntop) and sorted, so == compares contents.
struct RecordSet {
  std::string name;
  RecordType type = RecordType::a;
  std::uint32_t ttl = 0;
  std::vector<std::string> addresses;

  bool operator==(const RecordSet&) const = default;
  bool same_addresses(const RecordSet& other) const { return addresses == other.addresses; }
  std::string describe() const;  // "svc.ferry.test. A 198.18.0.2 (TTL 60)"
};

// Which RRset: a name and a type.
struct RRsetKey {
  std::string name;
  RecordType type = RecordType::a;
  bool operator==(const RRsetKey&) const = default;
  auto operator<=>(const RRsetKey&) const = default;
  std::string describe() const;  // "svc.ferry.test. A"
};
inline RRsetKey key_of(const RecordSet& r) { return {r.name, r.type}; }

// Sorts addresses, canonicalises them; fails on text that is no address of the set's type.
Result<RecordSet> make_record_set(std::string name, RecordType type, std::uint32_t ttl,
                                  const std::vector<std::string>& addresses);

// The canonical text of an IPv4 or IPv6 address and its record type; fails on anything else.
struct Address {
  std::string text;
  RecordType type;
};
Result<Address> parse_address(const std::string& text);

// Makes NAME absolute within ZONE: "svc" -> "svc.ferry.test.", "svc.ferry.test" and
// "svc.ferry.test." stay; "@" is the apex. Fails if the result lies outside the zone.
Result<std::string> qualify_name(const std::string& name, const std::string& zone);
// "ferry.test" -> "ferry.test.", lower case; fails on empty or malformed names.
Result<std::string> normalize_zone(const std::string& zone);

// The RRset with this key from a list, if present.
const RecordSet* find_rrset(const std::vector<RecordSet>& sets, const RRsetKey& key);

// A server ferry talks DNS to: "127.0.0.1:5301", "[2001:db8::1]:53", "ns1.example.net".
struct ServerAddress {
  std::string host;
  std::uint16_t port = 53;
  bool operator==(const ServerAddress&) const = default;
  std::string to_string() const;
};
Result<ServerAddress> parse_server_address(const std::string& text);

void to_json(nlohmann::json& j, const RecordSet& r);
void from_json(const nlohmann::json& j, RecordSet& r);

}  // namespace ferry::dns
