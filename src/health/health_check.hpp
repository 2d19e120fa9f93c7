// The health gate: is the service up on the target? An HTTP(S) request for the service's own
// URL sent to the target's address (the right Host header and SNI, certificate checked), or a
// TCP connect. Probed from where ferry runs, as a client would.
#pragma once

#include <string>

#include "util/error.hpp"

namespace ferry::health {

struct HealthCheck {
  enum class Kind { http, tcp } kind = Kind::tcp;
  std::string url;      // http(s): as given
  std::string host;     // the name in the URL (Host, SNI), or the tcp address
  int port = 0;
  std::string address;  // where to connect (the target's address); empty: resolve host
  int expect_status = 200;
  std::string describe() const;
};

// "http://NAME[:PORT]/PATH", "https://...", "tcp:PORT" or "tcp://ADDR:PORT". `address` is the
// target's address the probe connects to (required for tcp:PORT).
Result<HealthCheck> parse_health_check(const std::string& spec, const std::string& address, int expect_status);

// One attempt; an Error says what went wrong (refused, timeout, status 503, ...).
Status probe_once(const HealthCheck& check, double timeout_s);

// Probes every interval until one attempt passes or timeout_s has gone by. Returns the seconds
// it took; on timeout the Error carries the last attempt's failure.
Result<double> wait_until_healthy(const HealthCheck& check, double timeout_s, double interval_s = 0.1);

}  // namespace ferry::health
