#include "forward/port_forward.hpp"

#include <fmt/core.h>

namespace ferry::forward {

bool is_ipv6(const std::string& address) { return address.find(':') != std::string::npos; }

namespace {
std::string sysctl_key(bool ipv6) { return ipv6 ? "net.ipv6.conf.all.forwarding" : "net.ipv4.ip_forward"; }
std::string family(bool ipv6) { return ipv6 ? "ip6" : "ip"; }
}  // namespace

std::string table_name(const std::string& instance) {
  std::string t = "ferry_fwd_";
  for (char c : instance) t += isalnum(static_cast<unsigned char>(c)) ? c : '_';
  return t;
}

std::string ruleset(const Forwarding& f) {
  bool v6 = is_ipv6(f.to_address);
  std::string fam = family(v6), addr = v6 ? "ip6" : "ip";
  std::string ports;
  for (int p : f.ports) ports += (ports.empty() ? "" : ", ") + std::to_string(p);
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

// One round trip on the switch's path: print the old setting, load the table, turn forwarding on.
const char* kInstall = "set -e; sysctl -n \"$1\"; nft -f -; sysctl -q -w \"$1=1\"";

Result<std::string> install(const exec::Host& host, const Forwarding& f) {
  exec::RunOptions in;
  in.input = ruleset(f);
  auto previous = host.run({"sh", "-c", kInstall, "sh", sysctl_key(is_ipv6(f.to_address))}, in);
  if (!previous) return Unexpected{previous.error()};
  std::string value = *previous;
  while (!value.empty() && (value.back() == '\n' || value.back() == ' ')) value.pop_back();
  return value;
}

Status remove(const exec::Host& host, const std::string& table, bool ipv6, const std::string& previous_setting) {
  exec::RunOptions in;
  in.input = fmt::format("table {0} {1} {{}}\ndelete table {0} {1}\n", family(ipv6), table);
  if (auto r = host.run({"nft", "-f", "-"}, in); !r) return Unexpected{r.error()};
  if (!previous_setting.empty() && previous_setting != "1")
    if (auto r = host.run({"sysctl", "-q", "-w", sysctl_key(ipv6) + "=" + previous_setting}); !r) return Unexpected{r.error()};
  return {};
}

}  // namespace ferry::forward
