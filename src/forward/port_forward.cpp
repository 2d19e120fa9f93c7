#include "forward/port_forward.hpp"

#include <fmt/format.h>

namespace ferry::forward {

bool is_ipv6(const std::string& address) { return address.find(':') != std::string::npos; }

namespace {
std::string sysctl_key(bool ipv6) { return ipv6 ? "net.ipv6.conf.all.forwarding" : "net.ipv4.ip_forward"; }
std::string family(bool ipv6) { return ipv6 ? "ip6" : "ip"; }
}  // namespace

std::string table_name(const std::string& project, const std::string& instance) {
  // nft takes letters, digits, '_', '.', '-' and '/' in a table name; a project name has no '/'
  // (nor an instance name): one table per project and instance, two never the same.
  auto kept = [](const std::string& s) {
    std::string out;
    for (char c : s) out += isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.' ? c : '_';
    return out;
  };
  return "ferry_fwd_" + kept(project) + "/" + kept(instance);
}

std::string ruleset(const Forwarding& f) {
  bool v6 = is_ipv6(f.to_address);
  std::string fam = family(v6), addr = v6 ? "ip6" : "ip";
  std::string ports = fmt::format("{}", fmt::join(f.ports, ", "));
  // Declaring the table first makes the delete valid whether or not it exists: one atomic script.
  std::string s = fmt::format("table {0} {1} {{}}\ndelete table {0} {1}\ntable {0} {1} {{\n", fam, f.table);
  s += "  chain prerouting {\n    type nat hook prerouting priority dstnat; policy accept;\n";
  s += fmt::format("    {} daddr {} tcp dport {{ {} }} dnat to {}\n  }}\n", addr, f.from_address, ports, f.to_address);
  s += "  chain output {\n    type nat hook output priority -100; policy accept;\n";
  s += fmt::format("    {} daddr {} tcp dport {{ {} }} dnat to {}\n  }}\n", addr, f.from_address, ports, f.to_address);
  s += "  chain postrouting {\n    type nat hook postrouting priority srcnat; policy accept;\n";
  s += fmt::format("    {} daddr {} tcp dport {{ {} }} masquerade\n  }}\n}}\n", addr, f.to_address, ports);
  return s;
}

// Forwarding is host-wide and several moves may forward from one host: the setting before the
// first of them is kept in /run/ferry, under a lock, and put back when the last table goes.
// One round trip on the switch's path: print that setting, load the table, turn forwarding on.
const char* kInstall =
    "set -e; saved=/run/ferry/forwarding.$1; mkdir -p /run/ferry; exec 9>/run/ferry/forwarding.lock; flock 9; "
    "[ -e \"$saved\" ] || sysctl -n \"$1\" >\"$saved\"; cat \"$saved\"; nft -f -; sysctl -q -w \"$1=1\"";
// Removes the table; puts the setting back only if no ferry table of the family is left ($3: the
// journaled setting, for a host whose /run was cleared since). Prints "kept" if it stays on.
const char* kRemove =
    "set -e; saved=/run/ferry/forwarding.$1; mkdir -p /run/ferry; exec 9>/run/ferry/forwarding.lock; flock 9; "
    "nft -f -; if nft list tables \"$2\" | grep -q ' ferry_fwd_'; then echo kept; exit 0; fi; "
    "v=$(cat \"$saved\" 2>/dev/null || echo \"$3\"); rm -f \"$saved\"; "
    "if [ -n \"$v\" ] && [ \"$v\" != 1 ]; then sysctl -q -w \"$1=$v\"; fi";

std::vector<std::string> install_argv(const Forwarding& f) { return {"sh", "-c", kInstall, "sh", sysctl_key(is_ipv6(f.to_address))}; }

std::vector<std::string> remove_argv(bool ipv6, const std::string& previous_setting) {
  return {"sh", "-c", kRemove, "sh", sysctl_key(ipv6), family(ipv6), previous_setting};
}

std::string removal_ruleset(const std::string& table, bool ipv6) {
  return fmt::format("table {0} {1} {{}}\ndelete table {0} {1}\n", family(ipv6), table);
}

Result<std::string> install(const exec::Host& host, const Forwarding& f) {
  exec::RunOptions in;
  in.input = ruleset(f);
  auto previous = host.run(install_argv(f), in);
  if (!previous) return Unexpected{previous.error()};
  std::string value = *previous;
  while (!value.empty() && (value.back() == '\n' || value.back() == ' ')) value.pop_back();
  return value;
}

Result<bool> remove(const exec::Host& host, const std::string& table, bool ipv6, const std::string& previous_setting) {
  exec::RunOptions in;
  in.input = removal_ruleset(table, ipv6);
  auto out = host.run(remove_argv(ipv6, previous_setting), in);
  if (!out) return Unexpected{out.error()};
  return out->find("kept") == std::string::npos;
}

Result<std::optional<bool>> installed_family(const exec::Host& host, const std::string& table) {
  auto out = host.run({"sh", "-c", "command -v nft >/dev/null || exit 0; nft list tables", "sh"});
  if (!out) return Unexpected{out.error()};
  for (bool v6 : {false, true})
    if (out->find("table " + family(v6) + " " + table + "\n") != std::string::npos) return std::optional<bool>{v6};
  return std::optional<bool>{};
}

}  // namespace ferry::forward
