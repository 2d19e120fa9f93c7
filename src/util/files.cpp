#include "util/files.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace ferry {

Status make_dirs(const std::string& path) {
  std::error_code ec;
  std::filesystem::create_directories(path, ec);
  if (ec) return fail("cannot create directory " + path, ec.message());
  return {};
}

Status write_file_atomic(const std::string& path, const std::string& content) {
  std::string tmp = path + ".tmp." + std::to_string(::getpid());
  Fd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
  if (!fd.valid()) return fail("cannot write " + tmp, std::strerror(errno));
  size_t done = 0;
  while (done < content.size()) {
    ssize_t n = ::write(fd.get(), content.data() + done, content.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return fail("cannot write " + tmp, std::strerror(errno));
    done += n;
  }
  if (::fsync(fd.get()) != 0) return fail("cannot fsync " + tmp, std::strerror(errno));
  fd.reset();
  if (::rename(tmp.c_str(), path.c_str()) != 0) return fail("cannot rename " + tmp, std::strerror(errno));
  // The rename is durable only once the directory is synced.
  Fd dir(::open(std::filesystem::path(path).parent_path().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (dir.valid()) ::fsync(dir.get());
  return {};
}

Result<std::string> read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return fail("cannot read " + path, std::strerror(errno));
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

Result<LockFile> LockFile::acquire(const std::string& path, const std::string& what) {
  Fd fd(::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600));
  if (!fd.valid()) return fail("cannot open lock file " + path, std::strerror(errno));
  if (::flock(fd.get(), LOCK_EX | LOCK_NB) != 0) {
    char buf[32] = {};
    (void)!::pread(fd.get(), buf, sizeof buf - 1, 0);
    Error e = make_error("another ferry is working on " + what + " (pid " + std::string(buf) + ")");
    e.hint = "wait for it to finish, or check `ferry status`; the lock is " + path;
    return fail(e.with_code(ExitCode::locked));
  }
  std::string pid = std::to_string(::getpid());
  (void)!::ftruncate(fd.get(), 0);
  (void)!::pwrite(fd.get(), pid.data(), pid.size(), 0);
  return LockFile(std::move(fd));
}

}  // namespace ferry
