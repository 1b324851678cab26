// SPDX-License-Identifier: MIT
#include "axon/io/file_access.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstring>
#include <filesystem>
#include <new>

#include "axon/autograd/error.hpp"

namespace axon::io {

namespace {

/// What a file of type `mode` is, for messages ("a FIFO").
std::string kind_of(mode_t mode) {
  if (S_ISDIR(mode)) return "a directory";
  if (S_ISFIFO(mode)) return "a FIFO";
  if (S_ISCHR(mode)) return "a character device";
  if (S_ISBLK(mode)) return "a block device";
  if (S_ISSOCK(mode)) return "a socket";
  if (S_ISLNK(mode)) return "a symbolic link";
  return "not a regular file";
}

std::string errno_text(int err) {
  if (err == ELOOP) return "a loop of symbolic links (or more than the system follows)";
  return std::strerror(err);
}

}  // namespace

InputFile::InputFile(const std::string& path, std::string prefix)
    : path_(path), prefix_(std::move(prefix)) {
  if (path_.empty()) throw IOError(prefix_ + "empty path");
  fd_ = ::open(path_.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  if (fd_ < 0) {
    const int err = errno;
    fail(err == ENOENT ? std::string("no such file")
                       : "cannot open for reading: " + errno_text(err));
  }
  struct stat st {};
  if (::fstat(fd_, &st) != 0) {
    const int err = errno;
    ::close(fd_);
    fd_ = -1;
    fail("cannot stat: " + errno_text(err));
  }
  if (!S_ISREG(st.st_mode)) {
    ::close(fd_);
    fd_ = -1;
    fail("is " + kind_of(st.st_mode) + ", not a regular file");
  }
  // Regular files ignore O_NONBLOCK; clear it all the same, so that reads are plain reads.
  const int flags = ::fcntl(fd_, F_GETFL);
  if (flags >= 0) ::fcntl(fd_, F_SETFL, flags & ~O_NONBLOCK);
  size_ = static_cast<std::uint64_t>(st.st_size);
}

InputFile::~InputFile() {
  if (fd_ >= 0) ::close(fd_);
}

void InputFile::fail(const std::string& what) const {
  throw IOError(prefix_ + path_ + ": " + what);
}

std::uint64_t InputFile::read_some(void* dst, std::uint64_t n, std::uint64_t offset) const {
  auto* p = static_cast<char*>(dst);
  std::uint64_t done = 0;
  while (done < n) {
    const std::size_t chunk = static_cast<std::size_t>(std::min<std::uint64_t>(n - done, 1u << 30));
    const ssize_t got = ::pread(fd_, p + done, chunk, static_cast<off_t>(offset + done));
    if (got < 0 && errno == EINTR) continue;
    if (got < 0)
      fail("read error at byte " + std::to_string(offset + done) + ": " + errno_text(errno));
    if (got == 0) break;
    done += static_cast<std::uint64_t>(got);
  }
  return done;
}

void InputFile::read_at(void* dst, std::uint64_t n, std::uint64_t offset) const {
  const std::uint64_t got = read_some(dst, n, offset);
  if (got < n) fail("the file ended early at byte " + std::to_string(offset + got));
}

std::string InputFile::read_all() const {
  std::string bytes;
  try {
    bytes.resize(static_cast<std::size_t>(size_));
  } catch (const std::bad_alloc&) {
    fail("cannot allocate " + std::to_string(size_) + " bytes to read the file");
  } catch (const std::length_error&) {
    fail("cannot allocate " + std::to_string(size_) + " bytes to read the file");
  }
  const std::uint64_t got = read_some(bytes.data(), size_, 0);
  bytes.resize(static_cast<std::size_t>(got));  // a file that shrank meanwhile
  return bytes;
}

std::string directory_of(const std::string& path) {
  const std::filesystem::path parent = std::filesystem::path(path).parent_path();
  return parent.empty() ? std::string(".") : parent.string();
}

std::string resolve_links(const std::string& path) {
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

void check_output_path(const std::string& path, const std::string& who) {
  const auto fail = [&](const std::string& what) {
    throw IOError(who + ": " + path + ": " + what);
  };
  if (path.empty()) throw IOError(who + ": the output path is empty");
  const std::string name = std::filesystem::path(path).filename().string();
  if (name.empty() || name == "." || name == "..") fail("names a directory, not a file");
  long name_max = ::pathconf(directory_of(path).c_str(), _PC_NAME_MAX);
  if (name_max <= 0) name_max = NAME_MAX;
  if (name.size() > static_cast<std::size_t>(name_max)) {
    fail("the file name has " + std::to_string(name.size()) + " bytes, more than the " +
         std::to_string(name_max) + " the file system allows");
  }
  struct stat st {};
  if (::stat(path.c_str(), &st) == 0) {
    if (!S_ISREG(st.st_mode)) {
      fail("is " + kind_of(st.st_mode) + ", not a regular file; it will not be replaced");
    }
  } else if (errno != ENOENT) {
    fail("cannot be written: " + errno_text(errno));
  }
  const std::string dir = directory_of(resolve_links(path));
  struct stat dir_st {};
  if (::stat(dir.c_str(), &dir_st) != 0) {
    fail("the directory " + dir + " does not exist or cannot be reached (" + errno_text(errno) +
         ")");
  }
  if (!S_ISDIR(dir_st.st_mode)) fail(dir + " is not a directory");
  if (::access(dir.c_str(), W_OK | X_OK) != 0) {
    fail("cannot create files in the directory " + dir + " (" + errno_text(errno) + ")");
  }
}

}  // namespace axon::io
