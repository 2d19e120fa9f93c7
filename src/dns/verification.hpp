// Verification: every authoritative server, asked directly, answers the expected RRsets.
// Polls until all agree or the timeout passes; a server still answering other data is named.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "dns/change_set.hpp"
#include "dns/dns_query.hpp"
#include "dns/record_set.hpp"
#include "util/error.hpp"

namespace ferry::dns {

struct ServerCheck {
  ServerAddress server;
  bool ok = false;
  std::string error;                     // the server could not be asked (timeout, REFUSED, ...)
  std::vector<Difference> differences;   // what it answered that differs from the expectation
  std::vector<RecordSet> answered;

  std::string describe() const;  // one line: "127.0.0.1:5302 still answers svc.ferry.test. A: ..."
};

struct VerificationReport {
  bool ok = false;
  double elapsed_seconds = 0;
  std::vector<ServerCheck> servers;

  std::vector<std::string> failing_servers() const;
  // An Error naming each server that does not (yet) answer the expected data; code failure.
  Error to_error(const std::string& what_was_verified) const;
};

void to_json(nlohmann::json& j, const VerificationReport& report);

// Pure: what one server's answer (or failure to answer) means for the expectation. `keys` are
// all RRsets involved; a key absent from `expected` must be absent from the answer.
ServerCheck evaluate_answer(const ServerAddress& server, const std::vector<RRsetKey>& keys,
                            const std::vector<RecordSet>& expected, const Result<std::vector<RecordSet>>& answer);

struct VerifyOptions {
  double timeout_seconds = 30;        // for all servers to agree
  double poll_interval_seconds = 1;   // between rounds
  double query_timeout_seconds = 2;   // per query
};

// Asks each server until it answers as expected; servers that agreed are not asked again.
VerificationReport verify_on_servers(const std::vector<ServerAddress>& servers, const std::vector<RRsetKey>& keys,
                                     const std::vector<RecordSet>& expected, const VerifyOptions& options,
                                     const RRsetQuery& query = query_rrsets);

}  // namespace ferry::dns
