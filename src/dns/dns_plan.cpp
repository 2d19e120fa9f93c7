#include "dns/dns_plan.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <set>
#include <sstream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <toml++/toml.h>

namespace ferry::dns {

std::string to_string(ProviderKind kind) {
  switch (kind) {
    case ProviderKind::rfc2136: return "rfc2136";
    case ProviderKind::powerdns: return "powerdns";
    case ProviderKind::exec: return "exec";
    case ProviderKind::manual: return "manual";
  }
  return "?";
}

std::optional<ProviderKind> parse_provider_kind(const std::string& text) {
  for (auto kind : {ProviderKind::rfc2136, ProviderKind::powerdns, ProviderKind::exec, ProviderKind::manual})
    if (text == to_string(kind)) return kind;
  return std::nullopt;
}

void merge_into(DnsPlanInput& base, const DnsPlanInput& over) {
#define FERRY_MERGE(field) \
  if (over.field) base.field = over.field
  FERRY_MERGE(move);
  FERRY_MERGE(provider);
  FERRY_MERGE(zone);
  FERRY_MERGE(ttl);
  FERRY_MERGE(servers);
  FERRY_MERGE(primary);
  FERRY_MERGE(key_file);
  FERRY_MERGE(timeout);
  FERRY_MERGE(verify_timeout);
  FERRY_MERGE(api_url);
  FERRY_MERGE(api_key_file);
  FERRY_MERGE(server_id);
  FERRY_MERGE(insecure_api);
  FERRY_MERGE(command);
  FERRY_MERGE(poll_interval);
  FERRY_MERGE(manual_timeout);
  FERRY_MERGE(records);
#undef FERRY_MERGE
}

namespace {

Unexpected file_error(const std::string& origin, const std::string& why) {
  return fail(make_error(fmt::format("bad migration file {}", origin), why)
                  .with_hint("see docs/migration-file.md, section [dns]")
                  .with_code(ExitCode::usage));
}

std::string where(const toml::node& node) {
  const auto& src = node.source();
  return src.begin.line ? fmt::format(" (line {})", src.begin.line) : std::string();
}

// Reads one optional field of [dns]; false (and `why` set) when it has the wrong type.
template <typename T>
bool read_value(const toml::table& dns, const char* key, std::optional<T>& out, std::string& why) {
  const toml::node* node = dns.get(key);
  if (!node) return true;
  if constexpr (std::is_same_v<T, std::string>) {
    if (auto v = node->value<std::string>()) {
      out = *v;
      return true;
    }
    why = fmt::format("dns.{} must be a string{}", key, where(*node));
  } else if constexpr (std::is_same_v<T, bool>) {
    if (auto v = node->value<bool>()) {
      out = *v;
      return true;
    }
    why = fmt::format("dns.{} must be true or false{}", key, where(*node));
  } else if constexpr (std::is_same_v<T, double>) {
    if (node->is_number()) {
      out = *node->value<double>();
      if (*out >= 0) return true;
      why = fmt::format("dns.{} must not be negative{}", key, where(*node));
      return false;
    }
    why = fmt::format("dns.{} must be a number of seconds{}", key, where(*node));
  } else if constexpr (std::is_same_v<T, std::uint32_t>) {
    if (auto v = node->value<std::int64_t>(); v && *v >= 0 && *v <= 2147483647) {
      out = static_cast<std::uint32_t>(*v);
      return true;
    }
    why = fmt::format("dns.{} must be a whole number of seconds{}", key, where(*node));
  } else if constexpr (std::is_same_v<T, std::vector<std::string>>) {
    if (const auto* arr = node->as_array()) {
      std::vector<std::string> items;
      for (const auto& item : *arr) {
        auto v = item.value<std::string>();
        if (!v) {
          why = fmt::format("dns.{} must be a list of strings{}", key, where(item));
          return false;
        }
        items.push_back(*v);
      }
      out = items;
      return true;
    }
    why = fmt::format("dns.{} must be a list of strings{}", key, where(*node));
  }
  return false;
}

Result<toml::table> parse_toml(const std::string& toml_text, const std::string& origin) {
  try {
    return toml::parse(toml_text, origin);
  } catch (const toml::parse_error& e) {
    return file_error(origin, fmt::format("line {}: {}", e.source().begin.line, e.description()));
  }
}

// Unknown keys are refused: a typo would otherwise fall back to a default without a word.
Status check_dns_keys(const toml::table& dns, const std::string& origin) {
  static const std::set<std::string> known = {
      "move",    "provider", "zone",         "ttl",       "servers", "primary",
      "key_file", "timeout", "verify_timeout", "api_url", "api_key_file", "server_id", "insecure_api",
      "command", "poll_interval", "manual_timeout", "record"};
  for (const auto& [key, node] : dns) {
    if (!known.count(std::string(key.str())))
      return file_error(origin, fmt::format("unknown key dns.{}{}", key.str(), where(node)));
  }
  return {};
}

// Every key of [dns] but the records, in this order: the first one of the wrong type is named.
bool read_settings(const toml::table& dns, DnsPlanInput& input, std::string& why) {
  return read_value(dns, "move", input.move, why) && read_value(dns, "provider", input.provider, why) &&
         read_value(dns, "zone", input.zone, why) && read_value(dns, "ttl", input.ttl, why) &&
         read_value(dns, "servers", input.servers, why) && read_value(dns, "primary", input.primary, why) &&
         read_value(dns, "key_file", input.key_file, why) && read_value(dns, "timeout", input.timeout, why) &&
         read_value(dns, "verify_timeout", input.verify_timeout, why) &&
         read_value(dns, "api_url", input.api_url, why) &&
         read_value(dns, "api_key_file", input.api_key_file, why) &&
         read_value(dns, "server_id", input.server_id, why) && read_value(dns, "command", input.command, why) &&
         read_value(dns, "insecure_api", input.insecure_api, why) &&
         read_value(dns, "poll_interval", input.poll_interval, why) &&
         read_value(dns, "manual_timeout", input.manual_timeout, why);
}

// A record's `new`: one address, or a list of them.
Result<std::vector<std::string>> read_new_addresses(const toml::node& node, const std::string& origin) {
  std::vector<std::string> addresses;
  if (auto single = node.value<std::string>()) {
    addresses.push_back(*single);
  } else if (const auto* arr = node.as_array()) {
    for (const auto& a : *arr) {
      auto v = a.value<std::string>();
      if (!v) return file_error(origin, "dns.record.new must be a list of addresses" + where(a));
      addresses.push_back(*v);
    }
  } else {
    return file_error(origin, "dns.record.new must be a list of addresses" + where(node));
  }
  return addresses;
}

// One [[dns.record]]: a name and, for a switch, its new addresses.
Result<RecordSpec> read_record(const toml::node& item, const std::string& origin) {
  const toml::table* t = item.as_table();
  if (!t) return file_error(origin, "each dns.record must be a table ([[dns.record]])" + where(item));
  for (const auto& [key, node] : *t) {
    if (key.str() != "name" && key.str() != "new")
      return file_error(origin, fmt::format("unknown key dns.record.{}{}", key.str(), where(node)));
  }
  auto name = (*t)["name"].value<std::string>();
  if (!name) return file_error(origin, "a [[dns.record]] has no name" + where(item));
  RecordSpec spec;
  spec.name = *name;
  if (const toml::node* n = t->get("new")) {
    auto addresses = read_new_addresses(*n, origin);
    if (!addresses) return fail(addresses.error());
    spec.new_addresses = std::move(*addresses);
  }
  return spec;
}

Result<std::vector<RecordSpec>> read_records(const toml::node& records, const std::string& origin) {
  const toml::array* list = records.as_array();
  if (!list) return file_error(origin, "dns.record must be an array of tables ([[dns.record]])" + where(records));
  std::vector<RecordSpec> specs;
  for (const auto& item : *list) {
    auto spec = read_record(item, origin);
    if (!spec) return fail(spec.error());
    specs.push_back(std::move(*spec));
  }
  return specs;
}

}  // namespace

Result<DnsPlanInput> parse_dns_section(const std::string& toml_text, const std::string& origin) {
  auto root = parse_toml(toml_text, origin);
  if (!root) return fail(root.error());
  DnsPlanInput input;
  if (const auto* instance = root->get("instance")) {
    if (auto v = instance->value<std::string>()) input.move = *v;  // dns.move, read below, wins
  }
  const toml::node* dns_node = root->get("dns");
  if (!dns_node) return input;
  const toml::table* dns = dns_node->as_table();
  if (!dns) return file_error(origin, "dns must be a table ([dns])");
  if (auto known = check_dns_keys(*dns, origin); !known) return fail(known.error());
  if (std::string why; !read_settings(*dns, input, why)) return file_error(origin, why);
  if (const toml::node* records = dns->get("record")) {
    auto specs = read_records(*records, origin);
    if (!specs) return fail(specs.error());
    input.records = std::move(*specs);
  }
  return input;
}

Result<DnsPlanInput> load_dns_section(const std::string& path) {
  std::ifstream in(path);
  if (!in)
    return fail(make_error(fmt::format("cannot read the migration file {}", path), std::strerror(errno))
                    .with_code(ExitCode::usage));
  std::stringstream text;
  text << in.rdbuf();
  return parse_dns_section(text.str(), path);
}

void to_json(nlohmann::json& j, const DnsPlanInput& in) {
  j = nlohmann::json::object();
#define FERRY_PUT(field) \
  if (in.field) j[#field] = *in.field
  FERRY_PUT(move);
  FERRY_PUT(provider);
  FERRY_PUT(zone);
  FERRY_PUT(ttl);
  FERRY_PUT(servers);
  FERRY_PUT(primary);
  FERRY_PUT(key_file);
  FERRY_PUT(timeout);
  FERRY_PUT(verify_timeout);
  FERRY_PUT(api_url);
  FERRY_PUT(api_key_file);
  FERRY_PUT(server_id);
  FERRY_PUT(insecure_api);
  FERRY_PUT(command);
  FERRY_PUT(poll_interval);
  FERRY_PUT(manual_timeout);
#undef FERRY_PUT
  if (in.records) {
    auto list = nlohmann::json::array();
    for (const auto& r : *in.records) list.push_back({{"name", r.name}, {"new", r.new_addresses}});
    j["records"] = list;
  }
}

void from_json(const nlohmann::json& j, DnsPlanInput& in) {
#define FERRY_GET(field)                                                          \
  if (j.contains(#field) && !j[#field].is_null())                                 \
    in.field = j[#field].get<std::remove_reference_t<decltype(*in.field)>>()
  FERRY_GET(move);
  FERRY_GET(provider);
  FERRY_GET(zone);
  FERRY_GET(ttl);
  FERRY_GET(servers);
  FERRY_GET(primary);
  FERRY_GET(key_file);
  FERRY_GET(timeout);
  FERRY_GET(verify_timeout);
  FERRY_GET(api_url);
  FERRY_GET(api_key_file);
  FERRY_GET(server_id);
  FERRY_GET(insecure_api);
  FERRY_GET(command);
  FERRY_GET(poll_interval);
  FERRY_GET(manual_timeout);
#undef FERRY_GET
  if (j.contains("records")) {
    std::vector<RecordSpec> specs;
    for (const auto& r : j["records"])
      specs.push_back({r.at("name").get<std::string>(), r.value("new", std::vector<std::string>{})});
    in.records = specs;
  }
}

std::vector<std::string> DnsPlan::absolute_names() const {
  std::vector<std::string> out;
  for (const auto& n : names) out.push_back(n.name);
  return out;
}

namespace {

Unexpected usage(std::string what, std::string hint = {}) {
  return fail(make_error(std::move(what)).with_hint(std::move(hint)).with_code(ExitCode::usage));
}

// The move's state lives in <state_dir>/<move>/: the name must be one path component.
Result<std::string> move_name(const std::optional<std::string>& move) {
  if (!move || move->empty())
    return usage("no move name", "give --move NAME (or --instance NAME, or instance = \"...\" in the migration file)");
  if (move->find('/') != std::string::npos)
    return usage(fmt::format("the move name '{}' cannot contain '/'", *move), "give --move a name without '/'");
  if (*move == "." || *move == "..")
    return usage(fmt::format("the move name '{}' is not a name: its state would live in another directory", *move),
                 "give --move a name other than '.' or '..'");
  return *move;
}

Result<ProviderKind> provider_kind(const std::optional<std::string>& provider) {
  auto kind = parse_provider_kind(provider.value_or("rfc2136"));
  if (!kind) return usage(fmt::format("unknown DNS provider '{}'", *provider), "use rfc2136, powerdns, exec or manual");
  return *kind;
}

Result<std::string> zone_of(const std::optional<std::string>& zone) {
  if (!zone) return usage("no DNS zone", "give --zone ZONE or dns.zone in the migration file");
  auto normalized = normalize_zone(*zone);
  if (!normalized) return fail(normalized.error());
  return *normalized;
}

// The move TTL and the timeouts, with their defaults.
Status fill_timing(const DnsPlanInput& in, DnsPlan& plan) {
  plan.ttl = in.ttl.value_or(60);
  if (plan.ttl == 0) return usage("the move TTL must be at least 1 second");
  plan.timeout = in.timeout.value_or(5);
  plan.verify_timeout = in.verify_timeout.value_or(30);
  plan.poll_interval = in.poll_interval.value_or(1);
  plan.manual_timeout = in.manual_timeout.value_or(3600);
  if (plan.timeout <= 0) return usage("the request timeout must be positive");
  if (plan.poll_interval <= 0) return usage("the poll interval must be positive");
  return {};
}

// The servers to verify on, each once in the order given; the primary defaults to the first.
Status fill_servers(const DnsPlanInput& in, DnsPlan& plan) {
  for (const auto& text : in.servers.value_or(std::vector<std::string>{})) {
    auto server = parse_server_address(text);
    if (!server) return fail(server.error());
    if (std::find(plan.servers.begin(), plan.servers.end(), *server) == plan.servers.end())
      plan.servers.push_back(*server);
  }
  if (in.primary) {
    auto primary = parse_server_address(*in.primary);
    if (!primary) return fail(primary.error());
    plan.primary = *primary;
  } else if (!plan.servers.empty()) {
    plan.primary = plan.servers.front();
  }
  return {};
}

// The settings of every provider (each ignores the others'), with their defaults.
void fill_provider_settings(const DnsPlanInput& in, DnsPlan& plan) {
  plan.key_file = in.key_file.value_or("");
  plan.api_url = in.api_url.value_or("");
  while (!plan.api_url.empty() && plan.api_url.back() == '/') plan.api_url.pop_back();
  plan.api_key_file = in.api_key_file.value_or("");
  plan.server_id = in.server_id.value_or("localhost");
  plan.insecure_api = in.insecure_api.value_or(false);
  plan.command = in.command.value_or(std::vector<std::string>{});
}

Status check_powerdns_settings(const DnsPlan& plan) {
  if (plan.api_url.empty())
    return usage("the powerdns provider needs the API's URL", "give --api-url URL or dns.api_url");
  if (plan.api_key_file.empty())
    return usage("the powerdns provider needs a file holding the API key",
                 "give --api-key-file FILE or dns.api_key_file");
  if (plan.api_url.rfind("https://", 0) != 0 && plan.api_url.rfind("http://", 0) != 0)
    return usage("the PowerDNS API URL must begin with https:// (or http://): " + plan.api_url,
                 "give it as https://HOST:PORT");
  // The API key goes in a header of every request: over plain http anyone on the path reads it.
  if (plan.api_url.rfind("http://", 0) == 0 && !plan.insecure_api)
    return usage("the PowerDNS API URL " + plan.api_url + " is plain http: the API key would cross the network unencrypted",
                 "use https:// (PowerDNS behind a TLS proxy), or say --insecure-api (dns.insecure_api = true) "
                 "when the API is on this host or a network you trust");
  return {};
}

// What the plan's provider cannot do without.
Status check_provider_settings(const DnsPlan& plan) {
  switch (plan.provider) {
    case ProviderKind::rfc2136:
      if (plan.key_file.empty())
        return usage("the rfc2136 provider needs a TSIG key file", "give --key-file FILE or dns.key_file");
      break;
    case ProviderKind::powerdns:
      return check_powerdns_settings(plan);
    case ProviderKind::exec:
      if (plan.command.empty() || plan.command.front().empty())
        return usage("the exec provider needs a program to run",
                     "give it after -- on the command line, or dns.command = [\"/path/to/program\", ...]");
      break;
    case ProviderKind::manual:
      break;
  }
  return {};
}

// A name (absolute) with its new addresses split by family, sorted, each once.
Result<MovedName> moved_name(const std::string& name, const std::vector<std::string>& new_addresses) {
  MovedName moved{name, {}, {}};
  for (const auto& text : new_addresses) {
    auto address = parse_address(text);
    if (!address) return fail(address.error());
    auto& list = address->type == RecordType::a ? moved.new_a : moved.new_aaaa;
    list.push_back(address->text);
  }
  for (auto* list : {&moved.new_a, &moved.new_aaaa}) {
    std::sort(list->begin(), list->end());
    list->erase(std::unique(list->begin(), list->end()), list->end());
  }
  return moved;
}

// The names made absolute in the zone, each once: a name twice is refused before its addresses.
Result<std::vector<MovedName>> moved_names(const std::vector<RecordSpec>& specs, const std::string& zone) {
  std::vector<MovedName> names;
  std::set<std::string> seen;
  for (const auto& spec : specs) {
    auto name = qualify_name(spec.name, zone);
    if (!name) return fail(name.error());
    if (!seen.insert(*name).second) return usage(fmt::format("{} is named twice", *name));
    auto moved = moved_name(*name, spec.new_addresses);
    if (!moved) return fail(moved.error());
    names.push_back(std::move(*moved));
  }
  return names;
}

}  // namespace

Result<DnsPlan> finalize_plan(const DnsPlanInput& in) {
  DnsPlan plan;
  auto move = move_name(in.move);
  if (!move) return fail(move.error());
  plan.move = *move;
  auto provider = provider_kind(in.provider);
  if (!provider) return fail(provider.error());
  plan.provider = *provider;
  auto zone = zone_of(in.zone);
  if (!zone) return fail(zone.error());
  plan.zone = *zone;
  if (auto timing = fill_timing(in, plan); !timing) return fail(timing.error());
  if (auto servers = fill_servers(in, plan); !servers) return fail(servers.error());
  fill_provider_settings(in, plan);
  if (auto settings = check_provider_settings(plan); !settings) return fail(settings.error());
  auto names = moved_names(in.records.value_or(std::vector<RecordSpec>{}), plan.zone);
  if (!names) return fail(names.error());
  plan.names = std::move(*names);
  return plan;
}

}  // namespace ferry::dns
