#include "dns/dns_query.hpp"

#include <algorithm>
#include <memory>

#include <fmt/format.h>

#include "dns/dns_transport.hpp"
#include "dns/ldns_util.hpp"

namespace ferry::dns {

namespace {

Unexpected answer_error(const ServerAddress& server, const std::string& what, const std::string& detail = {},
                        const std::string& hint = {}) {
  Error e = make_error(fmt::format("DNS server {}: {}", server.to_string(), what), detail);
  e.host = server.to_string();
  e.hint = hint;
  return fail(std::move(e));
}

// One question to one server; the parsed reply.
Result<ldns::Pkt> ask(const ServerAddress& server, const std::string& name, ldns_rr_type type, bool recursive,
                      double timeout) {
  ldns_rdf* owner = ldns_dname_new_frm_str(name.c_str());
  if (!owner) return answer_error(server, fmt::format("cannot ask for '{}'", name), "not a domain name");
  ldns::Pkt query(ldns_pkt_query_new(owner, type, LDNS_RR_CLASS_IN, recursive ? LDNS_RD : 0));
  if (!query) return answer_error(server, "cannot build a query");
  ldns_pkt_set_random_id(query.get());
  const Wire wire = ldns::to_wire(query.get());
  auto reply = exchange(server, wire, Transport::udp, timeout);
  if (!reply) return fail(reply.error());
  ldns_pkt* parsed = nullptr;
  if (ldns_wire2pkt(&parsed, reply->data(), reply->size()) != LDNS_STATUS_OK)
    return answer_error(server, "sent a reply ferry cannot parse");
  ldns::Pkt answer(parsed);
  if (ldns_pkt_tc(answer.get())) {
    reply = exchange(server, wire, Transport::tcp, timeout);
    if (!reply) return fail(reply.error());
    parsed = nullptr;
    if (ldns_wire2pkt(&parsed, reply->data(), reply->size()) != LDNS_STATUS_OK)
      return answer_error(server, "sent a reply ferry cannot parse");
    answer.reset(parsed);
  }
  if (!ldns_pkt_qr(answer.get())) return answer_error(server, "sent a reply without the QR bit");
  return answer;
}

std::string rcode_text(ldns_pkt_rcode rcode) {
  ldns::CString s(ldns_pkt_rcode2str(rcode));
  return s ? std::string(s.get()) : std::to_string(static_cast<int>(rcode));
}

}  // namespace

Result<std::vector<RecordSet>> query_rrsets(const ServerAddress& server, const std::vector<RRsetKey>& keys,
                                            double timeout_seconds) {
  std::vector<RecordSet> found;
  for (const auto& key : keys) {
    auto answer = ask(server, key.name, ldns::rr_type(key.type), false, timeout_seconds);
    if (!answer) return fail(answer.error());
    ldns_pkt* pkt = answer->get();
    const auto rcode = ldns_pkt_get_rcode(pkt);
    if (rcode != LDNS_RCODE_NOERROR && rcode != LDNS_RCODE_NXDOMAIN)
      return answer_error(server, fmt::format("answered {} for {}", rcode_text(rcode), key.describe()),
                          rcode == LDNS_RCODE_REFUSED ? "the server refuses to answer for this name; it may not serve the zone"
                                                      : std::string(),
                          "check that it is an authoritative server of the zone");
    if (!ldns_pkt_aa(pkt))
      return answer_error(server, fmt::format("answered {} without authority (AA bit clear)", key.describe()),
                          "it does not serve the zone itself (a resolver or a lame server)",
                          "name the zone's authoritative servers with --dns-server");
    ldns::Rdf owner(ldns_dname_new_frm_str(key.name.c_str()));
    RecordSet set{key.name, key.type, 0, {}};
    bool first = true;
    const ldns_rr_list* rrs = ldns_pkt_answer(pkt);
    for (std::size_t i = 0; i < ldns_rr_list_rr_count(rrs); ++i) {
      const ldns_rr* rr = ldns_rr_list_rr(rrs, i);
      if (ldns_dname_compare(ldns_rr_owner(rr), owner.get()) != 0) continue;
      if (ldns_rr_get_type(rr) == LDNS_RR_TYPE_CNAME)
        return answer_error(server, fmt::format("{} is a CNAME, not an address record", key.name), {},
                            "move the name the CNAME points to instead");
      if (ldns_rr_get_type(rr) != ldns::rr_type(key.type) || ldns_rr_get_class(rr) != LDNS_RR_CLASS_IN) continue;
      if (ldns_rr_rd_count(rr) < 1) continue;
      auto address = parse_address(ldns::to_text(ldns_rr_rdf(rr, 0)));
      if (!address) continue;
      set.addresses.push_back(address->text);
      set.ttl = first ? ldns_rr_ttl(rr) : std::min(set.ttl, ldns_rr_ttl(rr));
      first = false;
    }
    if (set.addresses.empty()) continue;
    std::sort(set.addresses.begin(), set.addresses.end());
    set.addresses.erase(std::unique(set.addresses.begin(), set.addresses.end()), set.addresses.end());
    found.push_back(std::move(set));
  }
  return found;
}

Status check_serves_zone(const ServerAddress& server, const std::string& zone, double timeout_seconds) {
  auto answer = ask(server, zone, LDNS_RR_TYPE_SOA, false, timeout_seconds);
  if (!answer) return fail(answer.error());
  ldns_pkt* pkt = answer->get();
  const auto rcode = ldns_pkt_get_rcode(pkt);
  const std::string hint = "check the zone name (--zone) and the server (--primary, --dns-server)";
  if (rcode != LDNS_RCODE_NOERROR)
    return answer_error(server, fmt::format("does not serve zone {}: it answered {} to the zone's SOA query", zone,
                                            rcode_text(rcode)),
                        {}, hint);
  ldns::RrList soa(ldns_pkt_rr_list_by_type(pkt, LDNS_RR_TYPE_SOA, LDNS_SECTION_ANSWER));
  ldns::Rdf owner(ldns_dname_new_frm_str(zone.c_str()));
  if (!ldns_pkt_aa(pkt) || !soa || ldns_rr_list_rr_count(soa.get()) == 0 ||
      ldns_dname_compare(ldns_rr_owner(ldns_rr_list_rr(soa.get(), 0)), owner.get()) != 0)
    return answer_error(server, fmt::format("does not serve zone {}: no authoritative SOA record for it", zone),
                        "it may serve a parent or child zone, or be a resolver", hint);
  return {};
}

namespace {

struct ResolverFree {
  void operator()(ldns_resolver* r) const { ldns_resolver_deep_free(r); }
};
using Resolver = std::unique_ptr<ldns_resolver, ResolverFree>;

Result<std::vector<std::string>> resolve_names(Resolver& res, const std::string& name, ldns_rr_type type) {
  ldns::Rdf owner(ldns_dname_new_frm_str(name.c_str()));
  if (!owner) return fail(make_error(fmt::format("'{}' is not a domain name", name)));
  ldns_pkt* raw = nullptr;
  ldns_status s = ldns_resolver_query_status(&raw, res.get(), owner.get(), type, LDNS_RR_CLASS_IN, LDNS_RD);
  ldns::Pkt pkt(raw);
  if (s != LDNS_STATUS_OK || !pkt)
    return fail(make_error(fmt::format("cannot look up {} through the system's resolver", name), ldns::status_text(s)));
  std::vector<std::string> out;
  ldns::RrList rrs(ldns_pkt_rr_list_by_type(pkt.get(), type, LDNS_SECTION_ANSWER));
  for (std::size_t i = 0; rrs && i < ldns_rr_list_rr_count(rrs.get()); ++i) {
    const ldns_rr* rr = ldns_rr_list_rr(rrs.get(), i);
    if (ldns_rr_rd_count(rr) >= 1) out.push_back(ldns::to_text(ldns_rr_rdf(rr, 0)));
  }
  return out;
}

Result<Resolver> system_resolver(double timeout) {
  ldns_resolver* raw = nullptr;
  ldns_status s = ldns_resolver_new_frm_file(&raw, nullptr);
  if (s != LDNS_STATUS_OK)
    return fail(make_error("cannot read the system's resolver configuration (/etc/resolv.conf)", ldns::status_text(s)));
  Resolver res(raw);
  timeval tv{static_cast<time_t>(timeout), static_cast<suseconds_t>((timeout - static_cast<long>(timeout)) * 1e6)};
  ldns_resolver_set_timeout(res.get(), tv);
  ldns_resolver_set_retry(res.get(), 2);
  return res;
}

Result<std::vector<ServerAddress>> addresses_of(Resolver& res, const std::string& host) {
  std::vector<ServerAddress> out;
  for (auto type : {LDNS_RR_TYPE_A, LDNS_RR_TYPE_AAAA}) {
    auto list = resolve_names(res, host, type);
    if (!list) return fail(list.error());
    for (const auto& a : *list) out.push_back({a, 53});
  }
  return out;
}

}  // namespace

Result<std::vector<ServerAddress>> zone_ns_servers(const std::string& zone, double timeout_seconds) {
  auto res = system_resolver(timeout_seconds);
  if (!res) return fail(res.error());
  auto hint = "name the authoritative servers with --dns-server HOST[:PORT] (or dns.servers)";
  auto names = resolve_names(*res, zone, LDNS_RR_TYPE_NS);
  if (!names) return fail(names.error().with_hint(hint));
  if (names->empty())
    return fail(make_error(fmt::format("the system's resolver knows no NS records for {}", zone)).with_hint(hint));
  std::vector<ServerAddress> servers;
  for (const auto& ns : *names) {
    auto addresses = addresses_of(*res, ns);
    if (!addresses) return fail(addresses.error().with_hint(hint));
    if (addresses->empty())
      return fail(make_error(fmt::format("name server {} of {} has no address", ns, zone)).with_hint(hint));
    for (const auto& a : *addresses)
      if (std::find(servers.begin(), servers.end(), a) == servers.end()) servers.push_back(a);
  }
  return servers;
}

Result<ServerAddress> zone_primary(const std::string& zone, double timeout_seconds) {
  auto res = system_resolver(timeout_seconds);
  if (!res) return fail(res.error());
  auto hint = "name the primary with --primary HOST[:PORT] (or dns.primary), or list it first in --dns-server";
  ldns::Rdf owner(ldns_dname_new_frm_str(zone.c_str()));
  ldns_pkt* raw = nullptr;
  ldns_status s = ldns_resolver_query_status(&raw, res->get(), owner.get(), LDNS_RR_TYPE_SOA, LDNS_RR_CLASS_IN, LDNS_RD);
  ldns::Pkt pkt(raw);
  if (s != LDNS_STATUS_OK || !pkt)
    return fail(make_error(fmt::format("cannot look up the SOA of {}", zone), ldns::status_text(s)).with_hint(hint));
  ldns::RrList soa(ldns_pkt_rr_list_by_type(pkt.get(), LDNS_RR_TYPE_SOA, LDNS_SECTION_ANSWER));
  if (!soa || ldns_rr_list_rr_count(soa.get()) == 0)
    return fail(make_error(fmt::format("{} has no SOA record in the system's resolver", zone)).with_hint(hint));
  const std::string mname = ldns::to_text(ldns_rr_rdf(ldns_rr_list_rr(soa.get(), 0), 0));
  auto addresses = addresses_of(*res, mname);
  if (!addresses) return fail(addresses.error().with_hint(hint));
  if (addresses->empty())
    return fail(make_error(fmt::format("the primary {} of {} has no address", mname, zone)).with_hint(hint));
  return addresses->front();
}

}  // namespace ferry::dns
