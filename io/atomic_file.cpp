// SPDX-License-Identifier: MIT
#include "axon/io/atomic_file.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <functional>

#include "axon/autograd/error.hpp"
#include "axon/io/file_access.hpp"

namespace axon::io {

namespace {

std::atomic<unsigned long> temp_counter{0};
std::atomic<bool> named_temporaries_forced{false};

// ".<pid>.<n>.tmp" takes at most 1 + 10 + 1 + 20 + 4 = 36 bytes; file names are at most 255.
constexpr std::size_t kMaxName = 255;
constexpr std::size_t kSuffixRoom = 40;

std::string errno_text() {
  return std::strerror(errno);
}

/// Whether the process `pid` is known to have ended (kill(pid, 0) says there is no such process).
bool process_gone(long pid) {
  if (pid <= 0 || pid == static_cast<long>(::getpid())) return false;
  return ::kill(static_cast<pid_t>(pid), 0) != 0 && errno == ESRCH;
}

}  // namespace

bool detail::force_named_temporaries(bool on) {
  return named_temporaries_forced.exchange(on);
}

std::string temporary_prefix(const std::string& name) {
  if (name.size() + kSuffixRoom <= kMaxName) return name;
  char hash[17];
  std::snprintf(hash, sizeof hash, "%016zx", std::hash<std::string>{}(name));
  return name.substr(0, kMaxName - kSuffixRoom - 17) + "~" + hash;
}

std::size_t remove_stale_temporaries(const std::string& dir, const std::string& prefix) {
  DIR* d = ::opendir(dir.c_str());
  if (!d) return 0;
  std::size_t removed = 0;
  const std::string head = prefix + ".";
  while (const dirent* entry = ::readdir(d)) {
    const std::string name = entry->d_name;
    if (name.size() <= head.size() + 4 || name.compare(0, head.size(), head) != 0 ||
        name.compare(name.size() - 4, 4, ".tmp") != 0) {
      continue;
    }
    // <prefix>.<pid>.<n>.tmp
    const std::string middle = name.substr(head.size(), name.size() - head.size() - 4);
    const std::size_t dot = middle.find('.');
    if (dot == 0 || dot == std::string::npos) continue;
    const std::string pid_text = middle.substr(0, dot), count_text = middle.substr(dot + 1);
    if (pid_text.size() > 10 || count_text.empty() || count_text.size() > 20 ||
        pid_text.find_first_not_of("0123456789") != std::string::npos ||
        count_text.find_first_not_of("0123456789") != std::string::npos) {
      continue;
    }
    if (process_gone(std::stol(pid_text)) && ::unlinkat(::dirfd(d), name.c_str(), 0) == 0) {
      ++removed;
    }
  }
  ::closedir(d);
  return removed;
}

AtomicFile::AtomicFile(std::string path) : path_(std::move(path)) {
  if (path_.empty()) throw IOError("AtomicFile: empty path");
  check_output_path(path_, "save");  // a regular file or nothing; a directory that exists
  target_ = resolve_links(path_);
  dir_ = directory_of(target_);
  prefix_ = temporary_prefix(std::filesystem::path(target_).filename().string());
  remove_stale_temporaries(dir_, prefix_);

  struct stat existing {};
  const bool exists = ::stat(target_.c_str(), &existing) == 0 && S_ISREG(existing.st_mode);
#ifdef O_TMPFILE
  // linkat() gives the unnamed file a name through /proc/self/fd (no privilege needed).
  if (!named_temporaries_forced.load() && ::access("/proc/self/fd", X_OK) == 0) {
    fd_ = ::open(dir_.c_str(), O_TMPFILE | O_WRONLY | O_CLOEXEC, 0666);
    unnamed_ = fd_ >= 0;
  }
#endif
  if (!unnamed_) {
    // O_EXCL with a fresh name per attempt: never reuse (or follow a link at) an existing path.
    for (int attempt = 0; attempt < 100 && fd_ < 0; ++attempt) {
      temp_path_ = next_temp_name();
      fd_ = ::open(temp_path_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
      if (fd_ < 0 && errno != EEXIST) break;
    }
    if (fd_ < 0) {
      throw IOError(path_ + ": cannot create the temporary file " + temp_path_ + ": " +
                    errno_text());
    }
  }
  if (exists) {
    // Keep the owner and group where allowed (root, or a group the user is in), then the mode
    // (after fchown, which may clear set-id bits).
    [[maybe_unused]] const int owned = ::fchown(fd_, existing.st_uid, existing.st_gid);
    if (::fchmod(fd_, existing.st_mode & 07777) != 0) {
      const std::string why = errno_text();
      discard();
      throw IOError(path_ + ": cannot give the new file the mode of the old one: " + why);
    }
  }
}

AtomicFile::~AtomicFile() {
  if (!committed_) discard();
}

std::string AtomicFile::next_temp_name() {
  const std::string name = prefix_ + "." + std::to_string(::getpid()) + "." +
                           std::to_string(temp_counter.fetch_add(1)) + ".tmp";
  return (std::filesystem::path(dir_) / name).string();
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
      throw IOError(path_ + ": cannot write the temporary file: " + why);
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
    throw IOError(path_ + ": fsync of the temporary file failed: " + why);
  }
  if (unnamed_) {
    // Name the complete file beside the target, then rename it over the target (linkat cannot
    // replace a file). Only a kill between these two calls leaves the name behind, and the next
    // save removes it.
    const std::string proc = "/proc/self/fd/" + std::to_string(fd_);
    for (int attempt = 0; attempt < 100; ++attempt) {
      temp_path_ = next_temp_name();
      if (::linkat(AT_FDCWD, proc.c_str(), AT_FDCWD, temp_path_.c_str(), AT_SYMLINK_FOLLOW) == 0) {
        break;
      }
      const int err = errno;
      temp_path_.clear();
      if (err != EEXIST) {
        errno = err;
        const std::string why = errno_text();
        discard();
        throw IOError(path_ + ": cannot link the temporary file into " + dir_ + ": " + why);
      }
    }
    if (temp_path_.empty()) {
      discard();
      throw IOError(path_ + ": cannot find a free temporary name in " + dir_);
    }
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
  const int dir = ::open(dir_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir >= 0) {
    ::fsync(dir);
    ::close(dir);
  }
}

}  // namespace axon::io
