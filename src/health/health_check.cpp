#include "health/health_check.hpp"

#include "exec/interrupt.hpp"

#include <curl/curl.h>
#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>
#include <fcntl.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <memory>
#include <regex>
#include <thread>

#include <fmt/core.h>

#include "util/fd.hpp"

namespace ferry::health {

namespace {

size_t discard_body(char*, size_t size, size_t n, void*) { return size * n; }

Status probe_http(const HealthCheck& c, double timeout_s) {
  std::unique_ptr<CURL, decltype(&curl_easy_cleanup)> curl(curl_easy_init(), curl_easy_cleanup);
  if (!curl) return fail("cannot initialise libcurl");
  curl_slist* resolve = nullptr;
  if (!c.address.empty()) resolve = curl_slist_append(nullptr, fmt::format("{}:{}:{}", c.host, c.port, c.address).c_str());
  std::unique_ptr<curl_slist, decltype(&curl_slist_free_all)> resolve_guard(resolve, curl_slist_free_all);
  char errbuf[CURL_ERROR_SIZE] = {0};
  curl_easy_setopt(curl.get(), CURLOPT_URL, c.url.c_str());
  if (resolve) curl_easy_setopt(curl.get(), CURLOPT_RESOLVE, resolve);
  curl_easy_setopt(curl.get(), CURLOPT_TIMEOUT_MS, static_cast<long>(timeout_s * 1000));
  curl_easy_setopt(curl.get(), CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl.get(), CURLOPT_NOPROXY, "*");
  curl_easy_setopt(curl.get(), CURLOPT_WRITEFUNCTION, discard_body);
  curl_easy_setopt(curl.get(), CURLOPT_ERRORBUFFER, errbuf);
  CURLcode rc = curl_easy_perform(curl.get());
  if (rc != CURLE_OK) return fail(make_error(c.describe() + ": " + (errbuf[0] ? errbuf : curl_easy_strerror(rc))));
  long status = 0;
  curl_easy_getinfo(curl.get(), CURLINFO_RESPONSE_CODE, &status);
  if (status != c.expect_status)
    return fail(make_error(fmt::format("{}: status {} (expected {})", c.describe(), status, c.expect_status)));
  return {};
}

Status probe_tcp(const HealthCheck& c, double timeout_s) {
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  std::string where = c.address.empty() ? c.host : c.address;
  if (int rc = ::getaddrinfo(where.c_str(), std::to_string(c.port).c_str(), &hints, &found); rc != 0)
    return fail(make_error(c.describe() + ": cannot resolve " + where, gai_strerror(rc)));
  std::unique_ptr<addrinfo, decltype(&freeaddrinfo)> guard(found, freeaddrinfo);
  Fd fd(::socket(found->ai_family, found->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, found->ai_protocol));
  if (!fd.valid()) return fail("cannot create a socket");
  if (::connect(fd.get(), found->ai_addr, found->ai_addrlen) != 0 && errno != EINPROGRESS)
    return fail(make_error(c.describe() + ": " + std::strerror(errno)));
  pollfd p{fd.get(), POLLOUT, 0};
  if (::poll(&p, 1, static_cast<int>(timeout_s * 1000)) <= 0) return fail(make_error(c.describe() + ": no answer"));
  int err = 0;
  socklen_t len = sizeof err;
  ::getsockopt(fd.get(), SOL_SOCKET, SO_ERROR, &err, &len);
  if (err) return fail(make_error(c.describe() + ": " + std::strerror(err)));
  return {};
}

}  // namespace

std::string HealthCheck::describe() const {
  if (kind == Kind::tcp) return fmt::format("tcp connect to {}:{}", address.empty() ? host : address, port);
  return address.empty() ? "GET " + url : fmt::format("GET {} at {}", url, address);
}

Result<HealthCheck> parse_health_check(const std::string& spec, const std::string& address, int expect_status) {
  HealthCheck c;
  c.address = address;
  c.expect_status = expect_status;
  std::smatch m;
  // Host names and addresses only; a path of printable characters (no blanks, no control bytes).
  static const std::regex tcp_port(R"(tcp:(\d{1,5}))"), tcp_full(R"(tcp://([A-Za-z0-9_.-]+|\[[0-9A-Fa-f:.]+\]):(\d{1,5}))"),
      http(R"((https?)://([A-Za-z0-9_.-]+|\[[0-9A-Fa-f:.]+\])(?::(\d{1,5}))?(/[!-~]*)?)");
  auto bad = [&](const std::string& why) {
    return Unexpected{make_error("bad health check: " + why)
                          .with_hint("use http://NAME[:PORT]/PATH, https://..., tcp:PORT (with --target-address) or tcp://ADDR:PORT")
                          .with_code(ExitCode::usage)};
  };
  if (std::regex_match(spec, m, tcp_port)) {
    if (address.empty()) return bad("tcp:PORT needs --target-address");
    c.port = std::stoi(m[1]);
    c.host = address;
  } else if (std::regex_match(spec, m, tcp_full)) {
    c.host = m[1];
    c.port = std::stoi(m[2]);
    if (c.address.empty()) c.address = c.host;
  } else if (std::regex_match(spec, m, http)) {
    c.kind = HealthCheck::Kind::http;
    c.url = spec;
    c.host = m[2];
    c.port = m[3].matched ? std::stoi(m[3]) : (m[1] == "https" ? 443 : 80);
  } else {
    return bad("not a URL or tcp:PORT");
  }
  if (c.port < 1 || c.port > 65535) return bad("port out of range");
  return c;
}

Status probe_once(const HealthCheck& check, double timeout_s) {
  return check.kind == HealthCheck::Kind::http ? probe_http(check, timeout_s) : probe_tcp(check, timeout_s);
}

Result<double> wait_until_healthy(const HealthCheck& check, double timeout_s, double interval_s) {
  auto start = std::chrono::steady_clock::now();
  auto elapsed = [&] { return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count(); };
  Error last = make_error("not probed");
  while (true) {
    double left = timeout_s - elapsed();
    auto r = probe_once(check, std::clamp(left, 0.2, 2.0));
    if (r) return elapsed();
    last = r.error();
    // A signal or the outage's deadline ends the wait at once: the rollback must not wait for it.
    if (exec::interrupted())
      return Unexpected{make_error("the health check was interrupted", last.what).with_code(ExitCode::interrupted)};
    if (exec::deadline_passed())
      return Unexpected{make_error(fmt::format("the outage's deadline passed after {:.0f} s of health checks", elapsed()), last.what)};
    if (elapsed() + interval_s >= timeout_s) break;
    std::this_thread::sleep_for(std::chrono::duration<double>(interval_s));
  }
  return Unexpected{make_error(fmt::format("the target did not pass the health check within {:.0f} s", timeout_s), last.what)};
}

}  // namespace ferry::health
