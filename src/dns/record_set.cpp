#include "dns/record_set.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <cctype>
#include <stdexcept>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace ferry::dns {

std::string to_string(RecordType type) { return type == RecordType::a ? "A" : "AAAA"; }

std::optional<RecordType> parse_record_type(const std::string& text) {
  std::string upper = text;
  std::transform(upper.begin(), upper.end(), upper.begin(), ::toupper);
  if (upper == "A") return RecordType::a;
  if (upper == "AAAA") return RecordType::aaaa;
  return std::nullopt;
}

std::string RecordSet::describe() const {
  std::string list = fmt::format("{}", fmt::join(addresses, " "));
  if (addresses.empty()) return fmt::format("{} {} (none)", name, to_string(type));
  return fmt::format("{} {} {} (TTL {})", name, to_string(type), list, ttl);
}

std::string RRsetKey::describe() const { return name + " " + to_string(type); }

Result<Address> parse_address(const std::string& text) {
  char buf[INET6_ADDRSTRLEN] = {};
  unsigned char bin[16];
  if (inet_pton(AF_INET, text.c_str(), bin) == 1) {
    inet_ntop(AF_INET, bin, buf, sizeof buf);
    return Address{buf, RecordType::a};
  }
  if (inet_pton(AF_INET6, text.c_str(), bin) == 1) {
    inet_ntop(AF_INET6, bin, buf, sizeof buf);
    return Address{buf, RecordType::aaaa};
  }
  return fail(make_error(fmt::format("'{}' is not an IPv4 or IPv6 address", text))
                  .with_code(ExitCode::usage));
}

Result<RecordSet> make_record_set(std::string name, RecordType type, std::uint32_t ttl,
                                  const std::vector<std::string>& addresses) {
  RecordSet set{std::move(name), type, ttl, {}};
  for (const auto& text : addresses) {
    auto address = parse_address(text);
    if (!address) return fail(address.error());
    if (address->type != type)
      return fail(make_error(fmt::format("'{}' is no {} address (for {})", text, to_string(type), set.name))
                      .with_code(ExitCode::usage));
    set.addresses.push_back(address->text);
  }
  std::sort(set.addresses.begin(), set.addresses.end());
  set.addresses.erase(std::unique(set.addresses.begin(), set.addresses.end()), set.addresses.end());
  return set;
}

namespace {

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

bool valid_dname(const std::string& absolute) {
  if (absolute == ".") return true;
  if (absolute.size() > 254 || absolute.empty() || absolute.back() != '.') return false;
  std::size_t start = 0;
  while (start < absolute.size()) {
    auto dot = absolute.find('.', start);
    auto label = absolute.substr(start, dot - start);
    if (label.empty() || label.size() > 63) return false;
    for (unsigned char c : label)
      if (!(std::isalnum(c) || c == '-' || c == '_' || c == '*')) return false;
    start = dot + 1;
  }
  return true;
}

}  // namespace

Result<std::string> normalize_zone(const std::string& zone) {
  std::string z = lower(zone);
  if (z.empty()) return fail(make_error("the zone is empty").with_code(ExitCode::usage));
  if (z.back() != '.') z += '.';
  if (!valid_dname(z))
    return fail(make_error(fmt::format("'{}' is not a valid zone name", zone)).with_code(ExitCode::usage));
  return z;
}

Result<std::string> qualify_name(const std::string& name, const std::string& zone) {
  auto z = normalize_zone(zone);
  if (!z) return z;
  std::string n = lower(name);
  if (n.empty()) return fail(make_error("a record name is empty").with_code(ExitCode::usage));
  std::string absolute;
  const std::string bare_zone = z->substr(0, z->size() - 1);
  if (n == "@") {
    absolute = *z;
  } else if (n.back() == '.') {
    absolute = n;
  } else if (n == bare_zone || (n.size() > bare_zone.size() &&
                                n.compare(n.size() - bare_zone.size() - 1, std::string::npos,
                                          "." + bare_zone) == 0)) {
    absolute = n + ".";
  } else {
    absolute = n + "." + *z;
  }
  if (!valid_dname(absolute))
    return fail(make_error(fmt::format("'{}' is not a valid name", name)).with_code(ExitCode::usage));
  const bool inside = absolute == *z || *z == "." ||
                      (absolute.size() > z->size() &&
                       absolute.compare(absolute.size() - z->size() - 1, std::string::npos, "." + *z) == 0);
  if (!inside)
    return fail(make_error(fmt::format("{} is not in zone {}", absolute, *z)).with_code(ExitCode::usage));
  return absolute;
}

const RecordSet* find_rrset(const std::vector<RecordSet>& sets, const RRsetKey& key) {
  for (const auto& s : sets)
    if (s.name == key.name && s.type == key.type) return &s;
  return nullptr;
}

std::string ServerAddress::to_string() const {
  if (host.find(':') != std::string::npos) return fmt::format("[{}]:{}", host, port);
  return fmt::format("{}:{}", host, port);
}

Result<ServerAddress> parse_server_address(const std::string& text) {
  auto bad = [&](const std::string& why) {
    return fail(make_error(fmt::format("bad DNS server '{}': {}", text, why))
                    .with_hint("write HOST, HOST:PORT or [IPv6]:PORT")
                    .with_code(ExitCode::usage));
  };
  ServerAddress server;
  std::string port_text;
  if (text.empty()) return bad("empty");
  if (text.front() == '[') {
    auto close = text.find(']');
    if (close == std::string::npos) return bad("no closing ]");
    server.host = text.substr(1, close - 1);
    if (close + 1 < text.size()) {
      if (text[close + 1] != ':') return bad("expected :PORT after ]");
      port_text = text.substr(close + 2);
    }
  } else if (std::count(text.begin(), text.end(), ':') > 1) {
    server.host = text;  // a bare IPv6 address
  } else {
    auto colon = text.find(':');
    server.host = text.substr(0, colon);
    if (colon != std::string::npos) port_text = text.substr(colon + 1);
  }
  if (server.host.empty()) return bad("no host");
  if (!port_text.empty() || (text.back() == ':')) {
    if (port_text.empty() || port_text.size() > 5 ||
        !std::all_of(port_text.begin(), port_text.end(), ::isdigit))
      return bad("the port is not a number");
    int port = std::stoi(port_text);
    if (port < 1 || port > 65535) return bad("the port is out of range");
    server.port = static_cast<std::uint16_t>(port);
  }
  return server;
}

void to_json(nlohmann::json& j, const RecordSet& r) {
  j = nlohmann::json{{"name", r.name}, {"type", to_string(r.type)}, {"ttl", r.ttl}, {"addresses", r.addresses}};
}

void from_json(const nlohmann::json& j, RecordSet& r) {
  r.name = j.at("name").get<std::string>();
  auto type = parse_record_type(j.at("type").get<std::string>());
  if (!type) throw std::invalid_argument("unknown record type in " + j.dump());
  r.type = *type;
  r.ttl = j.at("ttl").get<std::uint32_t>();
  r.addresses = j.at("addresses").get<std::vector<std::string>>();
}

}  // namespace ferry::dns
