// An exclusive lock on a file of a (possibly remote) host, held while this object lives:
// `flock` runs there and keeps the lock until ferry closes its stdin (or dies).
#pragma once

#include <optional>
#include <string>
#include <utility>

#include "exec/child.hpp"
#include "exec/host.hpp"

namespace ferry::exec {

class RemoteLock {
 public:
  static Result<RemoteLock> acquire(const Host& host, const std::string& path, int timeout_s);
  // Within 30 s or not at all; once held, `holder` (who, pid, since) is written beside the lock
  // (path + ".holder"). Held elsewhere: an Error (exit 4) that names that holder.
  static Result<RemoteLock> acquire_now(const Host& host, const std::string& path, const std::string& holder,
                                        const std::string& what);
  // A moved-from lock holds nothing (a defaulted move left its optional engaged with an empty
  // Child, and each destructor of one waited its 3 s for that Child to exit).
  RemoteLock(RemoteLock&& other) noexcept : holder_(std::exchange(other.holder_, std::nullopt)) {}
  RemoteLock& operator=(RemoteLock&& other) noexcept;
  ~RemoteLock();

 private:
  RemoteLock() = default;
  void release();
  std::optional<Child> holder_;
};

}  // namespace ferry::exec
