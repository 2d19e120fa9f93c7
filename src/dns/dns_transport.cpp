#include "dns/dns_transport.hpp"

#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <memory>

#include <fmt/format.h>

#include "util/fd.hpp"

namespace ferry::dns {

namespace {

using Clock = std::chrono::steady_clock;

Unexpected net_error(const ServerAddress& server, const std::string& what, const std::string& detail,
                     const std::string& hint = {}) {
  Error e = make_error(fmt::format("DNS server {}: {}", server.to_string(), what), detail);
  e.host = server.to_string();
  e.hint = hint;
  return fail(std::move(e));
}

int ms_left(Clock::time_point deadline) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
  return left < 0 ? 0 : static_cast<int>(left);
}

Result<Fd> connected_socket(const ServerAddress& server, int socktype, Clock::time_point deadline) {
  addrinfo hints{};
  hints.ai_socktype = socktype;
  hints.ai_flags = AI_NUMERICSERV;
  addrinfo* found = nullptr;
  const std::string port = std::to_string(server.port);
  int rc = ::getaddrinfo(server.host.c_str(), port.c_str(), &hints, &found);
  if (rc != 0) return net_error(server, "cannot resolve its name", gai_strerror(rc));
  std::unique_ptr<addrinfo, decltype(&::freeaddrinfo)> guard(found, ::freeaddrinfo);
  Fd fd(::socket(found->ai_family, found->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
  if (!fd.valid()) return net_error(server, "cannot open a socket", std::strerror(errno));
  if (::connect(fd.get(), found->ai_addr, found->ai_addrlen) != 0) {
    if (errno != EINPROGRESS) return net_error(server, "cannot connect", std::strerror(errno));
    pollfd p{fd.get(), POLLOUT, 0};
    int n = ::poll(&p, 1, ms_left(deadline));
    if (n == 0)
      return net_error(server, "no answer (timeout)", "TCP connect did not complete in time",
                       "check that the server runs and that HOST:PORT is right");
    int err = 0;
    socklen_t len = sizeof err;
    ::getsockopt(fd.get(), SOL_SOCKET, SO_ERROR, &err, &len);
    if (err != 0)
      return net_error(server, "cannot connect", std::strerror(err),
                       "check that the server runs and that HOST:PORT is right");
  }
  return fd;
}

// Waits until fd is readable; false on timeout.
bool wait_readable(int fd, Clock::time_point deadline) {
  pollfd p{fd, POLLIN, 0};
  while (true) {
    int n = ::poll(&p, 1, ms_left(deadline));
    if (n < 0 && errno == EINTR) continue;
    return n > 0;
  }
}

Result<Wire> exchange_udp(const ServerAddress& server, const Wire& query, Clock::time_point deadline,
                          double timeout_seconds) {
  auto fd = connected_socket(server, SOCK_DGRAM, deadline);
  if (!fd) return fail(fd.error());
  const auto start = Clock::now();
  constexpr int kTries = 3;
  Wire buffer(65535);
  for (int attempt = 0; attempt < kTries; ++attempt) {
    if (::send(fd->get(), query.data(), query.size(), 0) < 0)
      return net_error(server, "cannot send", std::strerror(errno));
    auto resend_at = start + std::chrono::duration_cast<Clock::duration>(
                                 std::chrono::duration<double>(timeout_seconds * (attempt + 1) / kTries));
    auto until = attempt + 1 == kTries ? deadline : std::min(deadline, resend_at);
    while (wait_readable(fd->get(), until)) {
      ssize_t n = ::recv(fd->get(), buffer.data(), buffer.size(), 0);
      if (n < 0) {
        if (errno == EINTR || errno == EAGAIN) continue;
        if (errno == ECONNREFUSED)
          return net_error(server, "nothing listens there (connection refused)", "ICMP port unreachable",
                           "check that the server runs and that HOST:PORT is right");
        return net_error(server, "cannot receive", std::strerror(errno));
      }
      if (n >= 2 && buffer[0] == query[0] && buffer[1] == query[1]) return Wire(buffer.begin(), buffer.begin() + n);
    }
  }
  return net_error(server, "no answer (timeout)", fmt::format("no reply within {:.1f} s over UDP", timeout_seconds),
                   "check that the server runs and that HOST:PORT is right");
}

Status write_all(const ServerAddress& server, int fd, const Wire& data, Clock::time_point deadline) {
  std::size_t done = 0;
  while (done < data.size()) {
    ssize_t n = ::send(fd, data.data() + done, data.size() - done, MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN) {
        pollfd p{fd, POLLOUT, 0};
        if (::poll(&p, 1, ms_left(deadline)) == 0)
          return net_error(server, "no answer (timeout)", "could not send the message in time");
        continue;
      }
      return net_error(server, "cannot send", std::strerror(errno));
    }
    done += static_cast<std::size_t>(n);
  }
  return {};
}

Status read_exact(const ServerAddress& server, int fd, std::uint8_t* out, std::size_t size,
                  Clock::time_point deadline, double timeout_seconds) {
  std::size_t done = 0;
  while (done < size) {
    if (!wait_readable(fd, deadline))
      return net_error(server, "no answer (timeout)",
                       fmt::format("no reply within {:.1f} s over TCP", timeout_seconds),
                       "check that the server runs and that HOST:PORT is right");
    ssize_t n = ::recv(fd, out + done, size - done, 0);
    if (n < 0) {
      if (errno == EINTR || errno == EAGAIN) continue;
      return net_error(server, "cannot receive", std::strerror(errno));
    }
    if (n == 0) return net_error(server, "closed the connection without answering", "EOF over TCP");
    done += static_cast<std::size_t>(n);
  }
  return {};
}

Result<Wire> exchange_tcp(const ServerAddress& server, const Wire& query, Clock::time_point deadline,
                          double timeout_seconds) {
  auto fd = connected_socket(server, SOCK_STREAM, deadline);
  if (!fd) return fail(fd.error());
  Wire framed;
  framed.push_back(static_cast<std::uint8_t>(query.size() >> 8));
  framed.push_back(static_cast<std::uint8_t>(query.size() & 0xff));
  framed.insert(framed.end(), query.begin(), query.end());
  FERRY_TRY(write_all(server, fd->get(), framed, deadline));
  std::uint8_t length[2];
  FERRY_TRY(read_exact(server, fd->get(), length, 2, deadline, timeout_seconds));
  Wire reply((length[0] << 8) | length[1]);
  FERRY_TRY(read_exact(server, fd->get(), reply.data(), reply.size(), deadline, timeout_seconds));
  if (reply.size() < 2 || reply[0] != query[0] || reply[1] != query[1])
    return net_error(server, "answered with a different message ID", "the reply does not belong to the request");
  return reply;
}

}  // namespace

Result<Wire> exchange(const ServerAddress& server, const Wire& query, Transport transport, double timeout_seconds) {
  const auto deadline =
      Clock::now() + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(timeout_seconds));
  if (query.size() < 12) return net_error(server, "internal error", "message too short");
  return transport == Transport::udp ? exchange_udp(server, query, deadline, timeout_seconds)
                                     : exchange_tcp(server, query, deadline, timeout_seconds);
}

}  // namespace ferry::dns
