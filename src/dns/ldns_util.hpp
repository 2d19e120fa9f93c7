// Owning pointers for ldns objects and small conversions (internal to src/dns).
#pragma once

#include <ldns/ldns.h>

#include <memory>
#include <string>

#include "dns/dns_transport.hpp"

namespace ferry::dns::ldns {

struct PktFree {
  void operator()(ldns_pkt* p) const { ldns_pkt_free(p); }
};
struct RdfFree {
  void operator()(ldns_rdf* r) const { ldns_rdf_deep_free(r); }
};
struct RrListFree {
  void operator()(ldns_rr_list* l) const { ldns_rr_list_deep_free(l); }
};
struct BufferFree {
  void operator()(ldns_buffer* b) const { ldns_buffer_free(b); }
};
struct CharFree {
  void operator()(char* c) const { free(c); }
};

using Pkt = std::unique_ptr<ldns_pkt, PktFree>;
using Rdf = std::unique_ptr<ldns_rdf, RdfFree>;
using RrList = std::unique_ptr<ldns_rr_list, RrListFree>;
using Buffer = std::unique_ptr<ldns_buffer, BufferFree>;
using CString = std::unique_ptr<char, CharFree>;

inline std::string status_text(ldns_status s) { return ldns_get_errorstr_by_id(s); }

// The packet's wire format; empty on failure.
inline Wire to_wire(const ldns_pkt* pkt) {
  Buffer buffer(ldns_buffer_new(LDNS_MAX_PACKETLEN));
  if (!buffer || ldns_pkt2buffer_wire(buffer.get(), pkt) != LDNS_STATUS_OK) return {};
  const auto* data = static_cast<const std::uint8_t*>(ldns_buffer_begin(buffer.get()));
  return Wire(data, data + ldns_buffer_position(buffer.get()));
}

inline std::string to_text(const ldns_rdf* rdf) {
  CString s(ldns_rdf2str(rdf));
  return s ? std::string(s.get()) : std::string();
}

inline std::string to_text(const ldns_pkt* pkt) {
  CString s(ldns_pkt2str(pkt));
  return s ? std::string(s.get()) : std::string();
}

inline ldns_rr_type rr_type(RecordType t) { return t == RecordType::a ? LDNS_RR_TYPE_A : LDNS_RR_TYPE_AAAA; }

}  // namespace ferry::dns::ldns
