#include "exec/remote_lock.hpp"

#include <poll.h>
#include <unistd.h>

#include <chrono>

namespace ferry::exec {

namespace {
// flock runs this fixed script once it holds the lock; the holder's text is an argument.
constexpr const char* kHolding = R"(h=$1 f=$2; [ -z "$f" ] || printf '%s\n' "$h" >"$f"; echo locked; exec cat >/dev/null)";

Result<Child> spawn_holder(const Host& host, const std::string& path, int timeout_s, const std::string& holder) {
  FERRY_TRY(host.connect());
  SpawnSpec spec;
  spec.argv = host.wrap({"flock", "-w", std::to_string(timeout_s), path, "sh", "-c", kHolding, "ferry-lock", holder,
                         holder.empty() ? "" : path + ".holder"});
  spec.in = Stdio::make_pipe();
  return Child::spawn(spec);
}

// Whether the holder printed "locked" within the time (false also when it ended before).
bool locked_within(Child& child, int timeout_ms) {
  std::string seen;
  for (int waited = 0; waited < timeout_ms && seen.find("locked") == std::string::npos; waited += 100) {
    pollfd p{child.out().get(), POLLIN, 0};
    if (::poll(&p, 1, 100) > 0) {
      char buf[64];
      ssize_t n = ::read(child.out().get(), buf, sizeof buf);
      if (n <= 0) break;
      seen.append(buf, n);
    }
  }
  return seen.find("locked") != std::string::npos;
}
}  // namespace

Result<RemoteLock> RemoteLock::acquire_now(const Host& host, const std::string& path, const std::string& holder,
                                           const std::string& what) {
  // A few seconds' wait: a ferry killed a moment ago releases its lock once its ssh session ends.
  constexpr int kWait = 30;
  auto child = spawn_holder(host, path, kWait, holder);
  if (!child) return Unexpected{child.error()};
  auto began = std::chrono::steady_clock::now();
  if (!locked_within(*child, (kWait + 15) * 1000)) {
    child->terminate(500);
    // Ended well before flock's wait: it could not lock at all (no flock, /run/lock, the link).
    if (std::chrono::steady_clock::now() - began < std::chrono::seconds(kWait - 2))
      return fail(make_error("cannot take the move's lock " + path + " on " + host.name(),
                             "flock ended at once, without the lock")
                      .on(host.name())
                      .with_hint("check that flock (util-linux) is installed there and " + path.substr(0, path.rfind('/')) +
                                 " is writable; nothing was changed"));
    auto held_by = host.probe({"cat", path + ".holder"});
    std::string who = held_by && *held_by ? (*held_by)->substr(0, (*held_by)->find('\n')) : "unknown (flock missing?)";
    return fail(make_error("another ferry is moving " + what + " from " + host.name() + " (waited " + std::to_string(kWait) +
                           " s): " + who)
                    .on(host.name())
                    .with_hint("wait for it to end (`ferry status` where it runs); if that ferry is gone, its lock goes "
                               "with its ssh session; if it was cut off from " + host.name() + ", that takes until sshd "
                               "there notices: end it at once with `pkill -f 'ferry-lock.*" + path + "'` on " + host.name())
                    .with_code(ExitCode::locked));
  }
  RemoteLock lock;
  lock.holder_.emplace(std::move(*child));
  return lock;
}

Result<RemoteLock> RemoteLock::acquire(const Host& host, const std::string& path, int timeout_s) {
  auto child = spawn_holder(host, path, timeout_s, "");
  if (!child) return Unexpected{child.error()};
  if (!locked_within(*child, (timeout_s + 15) * 1000)) {
    child->terminate(500);
    return fail(make_error("cannot lock " + path, "another ferry holds it, or flock is missing").on(host.name()));
  }
  RemoteLock lock;
  lock.holder_.emplace(std::move(*child));
  return lock;
}

RemoteLock& RemoteLock::operator=(RemoteLock&& other) noexcept {
  if (this != &other) {
    release();
    holder_ = std::exchange(other.holder_, std::nullopt);
  }
  return *this;
}

RemoteLock::~RemoteLock() { release(); }

void RemoteLock::release() {
  if (holder_) {
    holder_->in().reset();  // cat sees EOF, flock releases the lock
    for (int waited = 0; waited < 3000 && !holder_->poll_exit(); waited += 20) ::usleep(20000);
    holder_->terminate(0);
    holder_.reset();
  }
}

}  // namespace ferry::exec
