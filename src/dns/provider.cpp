#include "dns/provider.hpp"

#include <fmt/format.h>

#include "dns/dns_query.hpp"
#include "dns/exec_provider.hpp"
#include "dns/manual_provider.hpp"
#include "dns/powerdns_provider.hpp"
#include "dns/rfc2136_provider.hpp"
#include "dns/tsig_key.hpp"

namespace ferry::dns {

Error conflict_error(const std::string& where, const std::vector<Difference>& differences) {
  std::string found;
  for (const auto& d : differences) found += (found.empty() ? "" : "\n          ") + d.describe();
  Error e = make_error(fmt::format("the records at {} are not what ferry expected; nothing was changed", where),
                       found);
  e.host = where;
  e.hint = "someone else changed them since the last ferry step; look at them, then either put them back or abort "
           "the move's DNS steps (ferry dns abort restores only if they are as ferry left them)";
  e.code = ExitCode::preflight;
  return e;
}

Result<std::unique_ptr<DnsProvider>> make_provider(const DnsPlan& plan, NoticeSink notices, const RRsetQuery& query) {
  const RRsetQuery ask = query ? query : RRsetQuery(query_rrsets);
  // Where updates go and current records come from: the plan's primary, else the SOA MNAME.
  auto primary = [&]() -> Result<ServerAddress> {
    if (plan.primary) return *plan.primary;
    return zone_primary(plan.zone, plan.timeout);
  };
  switch (plan.provider) {
    case ProviderKind::rfc2136: {
      auto key = load_tsig_key(plan.key_file);
      if (!key) return fail(key.error());
      auto server = primary();
      if (!server) return fail(server.error());
      return std::unique_ptr<DnsProvider>(new Rfc2136Provider(*server, std::move(*key), plan.timeout));
    }
    case ProviderKind::powerdns: {
      auto api_key = load_api_key(plan.api_key_file);
      if (!api_key) return fail(api_key.error());
      return std::unique_ptr<DnsProvider>(
          new PowerDnsProvider(plan.api_url, plan.server_id, plan.zone, std::move(*api_key), plan.timeout));
    }
    case ProviderKind::exec: {
      auto server = primary();
      if (!server) return fail(server.error());
      return std::unique_ptr<DnsProvider>(new ExecProvider(plan.command, plan.move, *server, plan.timeout, ask));
    }
    case ProviderKind::manual: {
      auto server = primary();
      if (!server) return fail(server.error());
      return std::unique_ptr<DnsProvider>(new ManualProvider(*server, plan.timeout, plan.manual_timeout,
                                                             plan.poll_interval, std::move(notices), ask));
    }
  }
  return fail(make_error("unknown DNS provider"));
}

}  // namespace ferry::dns
