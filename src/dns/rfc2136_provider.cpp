#include "dns/rfc2136_provider.hpp"

#include <cstring>
#include <ctime>
#include <utility>

#include <fmt/format.h>

#include "dns/dns_query.hpp"
#include "dns/dns_transport.hpp"
#include "dns/ldns_util.hpp"

namespace ferry::dns {

namespace {

constexpr int kBadSig = 16, kBadKey = 17, kBadTime = 18;
constexpr std::uint16_t kFudge = 300;

std::string rcode_name(int rcode) {
  ldns::CString s(ldns_pkt_rcode2str(static_cast<ldns_pkt_rcode>(rcode)));
  return s ? std::string(s.get()) : fmt::format("RCODE {}", rcode);
}

Unexpected update_error(const std::string& server, std::string what, std::string detail, std::string hint,
                        ExitCode code = ExitCode::failure) {
  Error e = make_error(std::move(what), std::move(detail));
  e.host = server;
  e.hint = std::move(hint);
  e.code = code;
  return fail(std::move(e));
}

// A NOERROR reply is trusted only when signed with our key at a time within the fudge: otherwise
// the update may or may not have been applied, and only the servers can say.
Status judge_accepted_reply(const UpdateReply& r, const std::string& server, const std::string& key) {
  if (!r.has_tsig)
    return update_error(server, fmt::format("DNS server {} answered the signed update without a signature", server),
                        "ferry cannot trust that reply; the update may or may not have been applied",
                        "run ferry dns status to see what the servers hold");
  if (!r.tsig_valid)
    return update_error(server, fmt::format("the reply of DNS server {} does not verify with {}", server, key),
                        "its TSIG signature is wrong: the reply was altered, or it is not from the server; "
                        "the update may or may not have been applied",
                        "run ferry dns status to see what the servers hold");
  if (!r.tsig_time_ok)
    return update_error(server, fmt::format("the reply of DNS server {} is signed at a time outside the fudge", server),
                        "its TSIG time differs from this machine's clock by more than 300 s; the update may or "
                        "may not have been applied",
                        "synchronise the clocks (NTP), then run ferry dns status");
  return {};
}

// NOTAUTH: the TSIG error says what the server did not accept; without one, the zone is not its.
Unexpected notauth_error(const UpdateReply& r, const std::string& server, const std::string& zone,
                         const std::string& key, const std::string& nothing) {
  if (r.tsig_error == kBadSig)
    return update_error(server,
                        fmt::format("DNS server {} rejected the signature of {} (NOTAUTH, TSIG error BADSIG)",
                                    server, key),
                        "the secret in the key file is not the server's secret for this key; " + nothing,
                        "check the key file against the server's key configuration");
  if (r.tsig_error == kBadKey)
    return update_error(server,
                        fmt::format("DNS server {} does not know {} (NOTAUTH, TSIG error BADKEY)", server, key),
                        "no key with this name and algorithm is configured there; " + nothing,
                        "check the key name and algorithm in the key file against the server's configuration");
  if (r.tsig_error == kBadTime)
    return update_error(server,
                        fmt::format("DNS server {} rejected the time of the signed update (NOTAUTH, TSIG error "
                                    "BADTIME)",
                                    server),
                        "this machine's clock and the server's differ by more than 300 s; " + nothing,
                        "synchronise the clocks (NTP) and retry");
  if (r.tsig_error != 0)
    return update_error(server,
                        fmt::format("DNS server {} rejected the TSIG of the update (NOTAUTH, TSIG error {})",
                                    server, r.tsig_error),
                        nothing, "check the key file");
  return update_error(server, fmt::format("DNS server {} is not authoritative for zone {} (NOTAUTH)", server, zone),
                      nothing, "check the zone name (--zone) and that updates go to its primary (--primary)");
}

}  // namespace

Status judge_update_reply(const UpdateReply& r, const std::string& server, const std::string& zone,
                          const std::string& key) {
  const std::string nothing = "nothing was changed";
  switch (r.rcode) {
    case LDNS_RCODE_NOERROR:
      return judge_accepted_reply(r, server, key);
    case LDNS_RCODE_YXRRSET:
    case LDNS_RCODE_NXRRSET:
    case LDNS_RCODE_YXDOMAIN:
    case LDNS_RCODE_NXDOMAIN:
      return update_error(server,
                          fmt::format("the records in zone {} are not what ferry expected ({} from {})", zone,
                                      rcode_name(r.rcode), server),
                          "someone else changed them since ferry read them; " + nothing,
                          "look at the records (ferry dns status), then decide", ExitCode::preflight);
    case LDNS_RCODE_NOTAUTH:
      return notauth_error(r, server, zone, key, nothing);
    case LDNS_RCODE_REFUSED:
      return update_error(server, fmt::format("DNS server {} refused the update of zone {} (REFUSED)", server, zone),
                          "the server does not let " + key + " update this zone, does not serve it, or is not its "
                          "primary; " + nothing,
                          "check the server's update policy for the key, the zone name, and --primary");
    case LDNS_RCODE_SERVFAIL:
      return update_error(server, fmt::format("DNS server {} failed to apply the update of zone {} (SERVFAIL)", server, zone),
                          "the server had a problem of its own (zone not loaded, journal not writable, ...); " + nothing,
                          "see the server's log, then retry");
    case LDNS_RCODE_NOTZONE:
      return update_error(server, fmt::format("DNS server {}: a name of the update is outside zone {} (NOTZONE)", server, zone),
                          nothing, "check the names and the zone");
    case LDNS_RCODE_NOTIMPL:
      return update_error(server, fmt::format("DNS server {} does not implement dynamic updates (NOTIMP)", server),
                          nothing, "use another provider (powerdns, exec, manual) for this server");
    case LDNS_RCODE_FORMERR:
      return update_error(server, fmt::format("DNS server {} could not parse the update (FORMERR)", server), nothing,
                          "report this as a ferry bug, with the output of --dry-run");
    default:
      return update_error(server, fmt::format("DNS server {} answered the update with {}", server, rcode_name(r.rcode)),
                          nothing, "see the server's log");
  }
}

namespace {

ldns_rr* make_rr(const std::string& owner, RecordType type, ldns_rr_class klass, std::uint32_t ttl,
                 const std::string* address) {
  ldns_rr* rr = ldns_rr_new();
  ldns_rr_set_owner(rr, ldns_dname_new_frm_str(owner.c_str()));
  ldns_rr_set_type(rr, ldns::rr_type(type));
  ldns_rr_set_class(rr, klass);
  ldns_rr_set_ttl(rr, ttl);
  if (address)
    ldns_rr_push_rdf(rr, ldns_rdf_new_frm_str(type == RecordType::a ? LDNS_RDF_TYPE_A : LDNS_RDF_TYPE_AAAA,
                                              address->c_str()));
  return rr;
}

// Prerequisites: each `before` RRset exists with exactly these addresses (class IN, RFC 2136
// 2.4.2), or does not exist (class NONE, 2.4.3). Updates: delete the RRset (class ANY, 2.5.2),
// add the new addresses.
ldns::Pkt build_update(const ChangeSet& change) {
  ldns::RrList prereqs(ldns_rr_list_new());
  ldns::RrList updates(ldns_rr_list_new());
  for (const auto& c : change.changes) {
    if (c.before) {
      for (const auto& a : c.before->addresses)
        ldns_rr_list_push_rr(prereqs.get(), make_rr(c.key.name, c.key.type, LDNS_RR_CLASS_IN, 0, &a));
    } else {
      ldns_rr_list_push_rr(prereqs.get(), make_rr(c.key.name, c.key.type, LDNS_RR_CLASS_NONE, 0, nullptr));
    }
    ldns_rr_list_push_rr(updates.get(), make_rr(c.key.name, c.key.type, LDNS_RR_CLASS_ANY, 0, nullptr));
    if (c.after)
      for (const auto& a : c.after->addresses)
        ldns_rr_list_push_rr(updates.get(), make_rr(c.key.name, c.key.type, LDNS_RR_CLASS_IN, c.after->ttl, &a));
  }
  ldns_pkt* pkt = ldns_update_pkt_new(ldns_dname_new_frm_str(change.zone.c_str()), LDNS_RR_CLASS_IN, prereqs.get(),
                                      updates.get(), nullptr);
  if (pkt) ldns_pkt_set_rd(pkt, false);
  return ldns::Pkt(pkt);
}

}  // namespace

std::string update_message_text(const ChangeSet& change) {
  auto pkt = build_update(change);
  if (!pkt) return "(cannot build the update message)";
  ldns_pkt_set_id(pkt.get(), 0);
  // ldns prints an UPDATE with a query's section names; use RFC 2136's, drop the reply lines.
  std::string text = ldns::to_text(pkt.get()), out;
  const std::pair<const char*, const char*> renames[] = {
      {"QUERY: ", "ZONE: "},           {"ANSWER: ", "PREREQ: "},
      {"AUTHORITY: ", "UPDATE: "},     {";; QUESTION SECTION:", ";; ZONE SECTION:"},
      {";; ANSWER SECTION:", ";; PREREQUISITE SECTION:"}, {";; AUTHORITY SECTION:", ";; UPDATE SECTION:"}};
  std::size_t start = 0;
  while (start < text.size()) {
    auto end = text.find('\n', start);
    std::string line = text.substr(start, end == std::string::npos ? std::string::npos : end - start);
    start = end == std::string::npos ? text.size() : end + 1;
    if (line.rfind(";; Query time", 0) == 0 || line.rfind(";; WHEN", 0) == 0 || line.rfind(";; MSG SIZE", 0) == 0 ||
        line.rfind(";; ADDITIONAL SECTION", 0) == 0)
      continue;
    for (const auto& [from, to] : renames)
      if (auto at = line.find(from); at != std::string::npos) line.replace(at, std::strlen(from), to);
    out += line + "\n";
  }
  while (out.size() >= 2 && out[out.size() - 1] == '\n' && out[out.size() - 2] == '\n') out.pop_back();
  return out;
}

Result<std::vector<RecordSet>> Rfc2136Provider::current_records(const std::vector<RRsetKey>& keys) {
  return query_rrsets(primary_, keys, timeout_);
}

std::string Rfc2136Provider::describe(const ChangeSet& change) const {
  return fmt::format(";; DNS UPDATE to {} over TCP, signed with TSIG {} (the secret is not shown)\n{}",
                     primary_.to_string(), key_.describe(), update_message_text(change));
}

Status Rfc2136Provider::apply(const ChangeSet& change) {
  const std::string server = primary_.to_string();
  if (change.empty()) return {};
  auto pkt = build_update(change);
  if (!pkt) return update_error(server, "cannot build the DNS UPDATE message", "", "report this as a ferry bug");
  ldns_pkt_set_random_id(pkt.get());
  ldns_status s = ldns_pkt_tsig_sign(pkt.get(), key_.name().c_str(), key_.secret_for_signing().c_str(), kFudge,
                                     key_.algorithm_dname().c_str(), nullptr);
  if (s != LDNS_STATUS_OK)
    return update_error(server, fmt::format("cannot sign the update with {}", key_.describe()), ldns::status_text(s),
                        "check the key's algorithm");
  ldns::Rdf query_mac(ldns_rdf_clone(ldns_rr_rdf(ldns_pkt_tsig(pkt.get()), 3)));
  const Wire wire = ldns::to_wire(pkt.get());
  if (wire.empty()) return update_error(server, "cannot encode the DNS UPDATE message", "", "report this as a ferry bug");

  auto reply = exchange(primary_, wire, Transport::tcp, timeout_);
  if (!reply) {
    Error e = reply.error();
    e.what = "cannot send the update: " + e.what;
    e.detail += (e.detail.empty() ? "" : "; ") + std::string("nothing was changed");
    return fail(std::move(e));
  }
  ldns_pkt* raw = nullptr;
  if (ldns_wire2pkt(&raw, reply->data(), reply->size()) != LDNS_STATUS_OK)
    return update_error(server, fmt::format("DNS server {} sent a reply ferry cannot parse", server),
                        "the update may or may not have been applied", "run ferry dns status");
  ldns::Pkt answer(raw);

  UpdateReply r;
  r.rcode = ldns_pkt_get_rcode(answer.get());
  if (const ldns_rr* tsig = ldns_pkt_tsig(answer.get()); tsig && ldns_rr_rd_count(tsig) >= 7) {
    r.has_tsig = true;
    r.tsig_error = ldns_rdf2native_int16(ldns_rr_rdf(tsig, 5));
    const ldns_rdf* signed_at = ldns_rr_rdf(tsig, 1);
    if (ldns_rdf_size(signed_at) == 6) {
      const std::uint8_t* d = ldns_rdf_data(signed_at);
      std::uint64_t t = 0;
      for (int i = 0; i < 6; ++i) t = (t << 8) | d[i];
      const std::int64_t skew = static_cast<std::int64_t>(t) - static_cast<std::int64_t>(std::time(nullptr));
      r.tsig_time_ok = skew <= kFudge && skew >= -static_cast<std::int64_t>(kFudge);
    }
    // ldns_pkt_tsig_verify drops the packet's TSIG when it cannot compute a MAC; read it first.
    r.tsig_valid = ldns_pkt_tsig_verify(answer.get(), reply->data(), reply->size(), key_.name().c_str(),
                                        key_.secret_for_signing().c_str(), query_mac.get());
  }
  return judge_update_reply(r, server, change.zone, key_.describe());
}

}  // namespace ferry::dns
