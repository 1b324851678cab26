// SPDX-License-Identifier: MIT
#include "io/atomic_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <filesystem>

#include "autograd/error.hpp"

namespace axon::io {

namespace {

std::atomic<unsigned long> temp_counter{0};

std::string errno_text() {
  return std::strerror(errno);
}

/// The directory holding `path` ("." for a bare file name).
std::string directory_of(const std::string& path) {
  const std::filesystem::path parent = std::filesystem::path(path).parent_path();
  return parent.empty() ? std::string(".") : parent.string();
}

/// `path`, or where it leads when it is a symbolic link (through any chain of links), so that
/// saving to a link updates the file it points to, as writing through it would, instead of
/// replacing the link by a regular file. A dangling link leads to the path it names.
std::string write_target(const std::string& path) {
  namespace fs = std::filesystem;
  fs::path p(path);
  std::error_code ec;
  for (int hops = 0; hops < 40 && fs::is_symlink(fs::symlink_status(p, ec)); ++hops) {
    const fs::path next = fs::read_symlink(p, ec);
    if (ec) break;
    p = next.is_absolute() ? next : p.parent_path() / next;
  }
  return p.string();
}

}  // namespace

AtomicFile::AtomicFile(std::string path) : path_(std::move(path)) {
  if (path_.empty()) throw IOError("AtomicFile: empty path");
  target_ = write_target(path_);
  // O_EXCL with a fresh name per attempt: never reuse (or follow a link at) an existing path.
  for (int attempt = 0; attempt < 100; ++attempt) {
    temp_path_ = target_ + "." + std::to_string(::getpid()) + "." +
                 std::to_string(temp_counter.fetch_add(1)) + ".tmp";
    fd_ = ::open(temp_path_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
    if (fd_ >= 0) return;
    if (errno != EEXIST) break;
  }
  throw IOError(path_ + ": cannot create the temporary file " + temp_path_ + ": " + errno_text());
}

AtomicFile::~AtomicFile() {
  if (!committed_) discard();
}

void AtomicFile::discard() noexcept {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
  if (!temp_path_.empty()) ::unlink(temp_path_.c_str());
}

void AtomicFile::write(const void* data, std::size_t size) {
  if (fd_ < 0) throw IOError(path_ + ": write after commit or failure");
  const auto* p = static_cast<const char*>(data);
  while (size > 0) {
    const ssize_t n = ::write(fd_, p, size);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      const std::string why = n < 0 ? errno_text() : "no progress";
      discard();
      throw IOError(path_ + ": cannot write " + temp_path_ + ": " + why);
    }
    p += n;
    size -= static_cast<std::size_t>(n);
  }
}

void AtomicFile::commit() {
  if (fd_ < 0) throw IOError(path_ + ": commit after commit or failure");
  if (::fsync(fd_) != 0) {
    const std::string why = errno_text();
    discard();
    throw IOError(path_ + ": fsync of " + temp_path_ + " failed: " + why);
  }
  const int fd = fd_;
  fd_ = -1;
  if (::close(fd) != 0) {
    const std::string why = errno_text();
    discard();
    throw IOError(path_ + ": close of " + temp_path_ + " failed: " + why);
  }
  if (::rename(temp_path_.c_str(), target_.c_str()) != 0) {
    const std::string why = errno_text();
    discard();
    throw IOError(path_ + ": cannot rename " + temp_path_ + " over it: " + why);
  }
  committed_ = true;
  // Make the rename itself durable. The new file is already in place, so a failure here is not
  // reported: the contents are complete either way.
  const int dir = ::open(directory_of(target_).c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir >= 0) {
    ::fsync(dir);
    ::close(dir);
  }
}

}  // namespace axon::io
