#include "core/request_checks.hpp"

#include <arpa/inet.h>

#include <regex>

#include <fmt/core.h>
#include <nlohmann/json.hpp>

#include "health/health_check.hpp"
#include "instance/instance_manager.hpp"

namespace ferry::core {

std::string escaped(const std::string& value) {
  return nlohmann::json(value).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

namespace {

Error bad(const std::string& flag, const std::string& value, const std::string& why, const std::string& hint) {
  return make_error(fmt::format("{} {}: {}", flag, escaped(value), why)).with_hint(hint).with_code(ExitCode::usage);
}

// LXD's and Incus's rule for instance names (a host name label): 1-63 letters, digits and dashes,
// starting with a letter, not ending with a dash.
Status check_instance_name(const std::string& name) {
  static const std::regex valid("[A-Za-z]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?");
  if (std::regex_match(name, valid)) return {};
  return fail(bad("instance", name, "not a valid instance name",
                  "LXD and Incus names are 1-63 letters, digits and dashes, start with a letter and do not end with a dash"));
}

// Project names go into API paths and on-disk names (<project>_<instance>): a conservative set.
Status check_project_name(const std::string& name) {
  static const std::regex valid("[A-Za-z0-9][A-Za-z0-9_.-]{0,62}");
  if (std::regex_match(name, valid) && name != "." && name != "..") return {};
  return fail(bad("--project", name, "not a valid project name",
                  "use the project's name as `lxc project list` shows it (letters, digits, '-', '_', '.')"));
}

bool is_ip_address(const std::string& text) {
  unsigned char buf[16];
  return inet_pton(AF_INET, text.c_str(), buf) == 1 || inet_pton(AF_INET6, text.c_str(), buf) == 1;
}

// An ssh destination: [user@]host (a name, an ssh_config alias, an IPv4 or IPv6 address, or
// [v6]), or ssh://[user@]host[:port]. Never one that starts with '-' (it would be an ssh option),
// never blanks, quotes or shell syntax.
bool valid_destination(std::string dest) {
  bool uri = dest.rfind("ssh://", 0) == 0;
  if (uri) dest.erase(0, 6);
  static const std::regex user("[A-Za-z0-9_.+][A-Za-z0-9_.+-]*"), name("[A-Za-z0-9_][A-Za-z0-9_.-]*"),
      port("[0-9]{1,5}");
  if (auto at = dest.rfind('@'); at != std::string::npos) {
    if (!std::regex_match(dest.substr(0, at), user)) return false;
    dest.erase(0, at + 1);
  }
  if (dest.empty()) return false;
  if (std::regex_match(dest, name) || is_ip_address(dest)) return true;
  std::string host = dest, rest;
  if (dest.front() == '[') {
    auto close = dest.find(']');
    if (close == std::string::npos || !is_ip_address(dest.substr(1, close - 1))) return false;
    host.clear();
    rest = dest.substr(close + 1);
  } else if (auto colon = dest.rfind(':'); colon != std::string::npos && uri) {
    host = dest.substr(0, colon);
    rest = dest.substr(colon);
  } else {
    return false;
  }
  if (!host.empty() && !std::regex_match(host, name)) return false;
  return rest.empty() || (uri && rest.front() == ':' && std::regex_match(rest.substr(1), port));
}

Status check_destination(const std::string& flag, const std::string& dest, bool may_be_empty) {
  if (dest.empty() && may_be_empty) return {};
  if (!dest.empty() && valid_destination(dest)) return {};
  return fail(bad(flag, dest, dest.empty() ? "empty" : "not an ssh destination",
                  "write [user@]host, an alias from your ssh config, or ssh://[user@]host[:port] (no leading '-', no spaces)"));
}


Status check_address(const std::string& flag, const std::string& address) {
  if (address.empty() || is_ip_address(address)) return {};
  return fail(bad(flag, address, "not an IPv4 or IPv6 address", "give the address itself, e.g. 198.51.100.7 or 2001:db8::7"));
}

Status check_hook(const std::string& flag, const std::string& command, bool given) {
  if (!given) return {};
  if (command.find_first_not_of(" \t\n") == std::string::npos)
    return fail(bad(flag, command, "empty", "give the command to run inside the instance, or leave the option out"));
  if (command.find('\0') != std::string::npos)
    return fail(bad(flag, command, "holds a NUL byte", "give the command as the shell inside the instance reads it"));
  return {};
}

Status check_positive(const std::string& flag, double value, bool zero_allowed = false) {
  if (value > 0 || (zero_allowed && value == 0)) return {};
  return fail(bad(flag, fmt::format("{:g}", value), zero_allowed ? "negative" : "must be more than 0", "give a number of seconds"));
}

}  // namespace

Status check_request(const MoveRequest& r) {
  FERRY_TRY(check_instance_name(r.instance));
  FERRY_TRY(check_project_name(r.project));
  if (r.source != "local") FERRY_TRY(check_destination("--from", r.source, false));
  if (r.target != "local") FERRY_TRY(check_destination("--to", r.target, r.given.count("--to") == 0));
  FERRY_TRY(check_destination("--target-from-source", r.target_from_source, true));
  if (r.manager != "auto" && !instance::parse_manager_kind(r.manager))
    return fail(bad("--manager", r.manager, "unknown manager", "use lxd, incus or auto"));
  static const std::regex rate("[0-9]+(\\.[0-9]+)?[KMGT]?");
  if (!r.bwlimit.empty() && !std::regex_match(r.bwlimit, rate))
    return fail(bad("--bwlimit", r.bwlimit, "not a rate", "write bytes per second with an optional K, M, G or T: 20M"));
  FERRY_TRY(check_address("--source-address", r.source_address));
  FERRY_TRY(check_address("--target-address", r.target_address));
  for (int port : r.forward_ports)
    if (port < 1 || port > 65535) return fail(bad("--forward-port", std::to_string(port), "not a TCP port", "give a port from 1 to 65535"));
  if (!r.health.empty()) {
    auto check = health::parse_health_check(r.health, r.target_address, r.health_status);
    if (!check) return fail(bad("--health", r.health, check.error().what, check.error().hint));
    if (check->kind == health::HealthCheck::Kind::http && r.target_address.empty())
      return fail(bad("--health", r.health, "an http(s) check needs --target-address",
                      "the name still points at the old host until DNS moves: give the new host's address with "
                      "--target-address (the check sends the name in the Host header to it)"));
  }
  if (r.health_status < 100 || r.health_status > 599)
    return fail(bad("--health-status", std::to_string(r.health_status), "not an HTTP status", "give a status from 100 to 599"));
  FERRY_TRY(check_hook("--before-stop", r.before_stop, r.given.count("--before-stop") > 0));
  FERRY_TRY(check_hook("--after-start", r.after_start, r.given.count("--after-start") > 0));
  FERRY_TRY(check_hook("--try-check", r.try_check, r.given.count("--try-check") > 0));
  FERRY_TRY(check_positive("--stop-timeout", r.stop_timeout));
  FERRY_TRY(check_positive("--hook-timeout", r.hook_timeout));
  FERRY_TRY(check_positive("--health-timeout", r.health_timeout));
  FERRY_TRY(check_positive("--max-downtime", r.max_downtime));
  FERRY_TRY(check_positive("--outage-deadline", r.outage_deadline, /*zero_allowed=*/true));
  if (r.max_rounds < 1) return fail(bad("--max-rounds", std::to_string(r.max_rounds), "must be at least 1", "give a number of rounds"));
  if (r.precopy_rounds < 0)
    return fail(bad("--precopy-rounds", std::to_string(r.precopy_rounds), "negative", "give a number of rounds (0: none)"));
  return {};
}

}  // namespace ferry::core
