// Small file helpers: atomic writes (temp file, fsync, rename) and an exclusive lock file.
#pragma once

#include <string>

#include "util/error.hpp"
#include "util/fd.hpp"

namespace ferry {

Status write_file_atomic(const std::string& path, const std::string& content);
Result<std::string> read_file(const std::string& path);
Status make_dirs(const std::string& path);

// Held while it lives; another process asking for the same path gets an error naming the holder.
class LockFile {
 public:
  static Result<LockFile> acquire(const std::string& path, const std::string& what);
  LockFile(LockFile&&) = default;
  LockFile& operator=(LockFile&&) = default;

 private:
  explicit LockFile(Fd fd) : fd_(std::move(fd)) {}
  Fd fd_;
};

}  // namespace ferry
