#include "exec/remote_lock.hpp"

#include <poll.h>
#include <unistd.h>

namespace ferry::exec {

Result<RemoteLock> RemoteLock::acquire(const Host& host, const std::string& path, int timeout_s) {
  FERRY_TRY(host.connect());
  SpawnSpec spec;
  // flock's -c runs this fixed text with sh; nothing of the user's goes into it.
  spec.argv = host.wrap({"flock", "-w", std::to_string(timeout_s), path, "-c", "echo locked; exec cat >/dev/null"});
  spec.in = Stdio::make_pipe();
  auto child = Child::spawn(spec);
  if (!child) return Unexpected{child.error()};
  std::string seen;
  for (int waited = 0; waited < (timeout_s + 15) * 1000 && seen.find("locked") == std::string::npos; waited += 100) {
    pollfd p{child->out().get(), POLLIN, 0};
    if (::poll(&p, 1, 100) > 0) {
      char buf[64];
      ssize_t n = ::read(child->out().get(), buf, sizeof buf);
      if (n <= 0) break;
      seen.append(buf, n);
    }
  }
  if (seen.find("locked") == std::string::npos) {
    child->terminate(500);
    return fail(make_error("cannot lock " + path, "another ferry holds it, or flock is missing").on(host.name()));
  }
  RemoteLock lock;
  lock.holder_.emplace(std::move(*child));
  return lock;
}

RemoteLock::~RemoteLock() {
  if (holder_) {
    holder_->in().reset();  // cat sees EOF, flock releases the lock
    for (int waited = 0; waited < 3000 && !holder_->poll_exit(); waited += 20) ::usleep(20000);
    holder_->terminate(0);
  }
}

}  // namespace ferry::exec
