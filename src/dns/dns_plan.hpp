// What the DNS part of a move is to do: provider, zone, servers, names and their new addresses.
// Built in layers (defaults < an earlier step's state < migration file < command line).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "dns/record_set.hpp"
#include "util/error.hpp"

namespace ferry::dns {

enum class ProviderKind { rfc2136, powerdns, exec, manual };
std::string to_string(ProviderKind kind);
std::optional<ProviderKind> parse_provider_kind(const std::string& text);

// A name to move, as the user wrote it, and its new addresses (may be empty for `lower`).
struct RecordSpec {
  std::string name;
  std::vector<std::string> new_addresses;
  bool operator==(const RecordSpec&) const = default;
};

// Every setting optional, so layers can be merged field by field. Holds no secret: keys and
// API keys are named by their files. Field names are the migration file's keys ([dns] table).
struct DnsPlanInput {
  std::optional<std::string> move;  // the move's name: its state lives in <state_dir>/<move>/
  std::optional<std::string> provider;
  std::optional<std::string> zone;
  std::optional<std::uint32_t> ttl;                  // the move TTL, default 60
  std::optional<std::vector<std::string>> servers;  // authoritative servers to verify on
  std::optional<std::string> primary;                // where rfc2136 updates go, reads come from
  std::optional<std::string> key_file;               // TSIG key (rfc2136)
  std::optional<double> timeout;                     // seconds per request, default 5
  std::optional<double> verify_timeout;              // seconds for all servers to agree, default 30
  std::optional<std::string> api_url;                // powerdns
  std::optional<std::string> api_key_file;           // powerdns
  std::optional<std::string> server_id;              // powerdns, default "localhost"
  std::optional<bool> insecure_api;                  // powerdns: allow a plain http:// API URL
  std::optional<std::vector<std::string>> command;   // exec: argv, no shell
  std::optional<double> poll_interval;               // manual and verification polling, default 1
  std::optional<double> manual_timeout;              // manual: how long to wait, default 3600
  std::optional<std::vector<RecordSpec>> records;

  bool operator==(const DnsPlanInput&) const = default;
};

// Fields set in `over` replace those in `base`.
void merge_into(DnsPlanInput& base, const DnsPlanInput& over);

// The [dns] table of a migration file (TOML; docs/migration-file.md). Unknown keys in [dns] are
// errors (typos would silently fall back to defaults); other tables belong to other modules.
// The top-level `instance` key names the move when [dns] has no `move`.
Result<DnsPlanInput> parse_dns_section(const std::string& toml_text, const std::string& origin);
Result<DnsPlanInput> load_dns_section(const std::string& path);

void to_json(nlohmann::json& j, const DnsPlanInput& input);
void from_json(const nlohmann::json& j, DnsPlanInput& input);

// A name to move, made absolute, with its new addresses split by family.
struct MovedName {
  std::string name;
  std::vector<std::string> new_a;     // canonical, sorted
  std::vector<std::string> new_aaaa;  // canonical, sorted
  bool has_new() const { return !new_a.empty() || !new_aaaa.empty(); }
};

struct DnsPlan {
  std::string move;
  ProviderKind provider = ProviderKind::rfc2136;
  std::string zone;  // absolute, lower case
  std::uint32_t ttl = 60;
  std::vector<ServerAddress> servers;    // empty: the zone's NS set, looked up when needed
  std::optional<ServerAddress> primary;  // empty: the first of `servers`, else the SOA MNAME
  std::string key_file;
  double timeout = 5;
  double verify_timeout = 30;
  std::string api_url;
  std::string api_key_file;
  std::string server_id = "localhost";
  bool insecure_api = false;  // a plain http:// API URL was allowed
  std::vector<std::string> command;
  double poll_interval = 1;
  double manual_timeout = 3600;
  std::vector<MovedName> names;

  std::vector<std::string> absolute_names() const;
};

// Checks and completes the merged input: required fields per provider, names inside the zone,
// addresses parse, no name twice. Errors carry ExitCode::usage.
Result<DnsPlan> finalize_plan(const DnsPlanInput& input);

}  // namespace ferry::dns
