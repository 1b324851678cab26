// SPDX-License-Identifier: MIT
#pragma once

#include <cstdint>
#include <string>

/// Opening input files and checking output paths the same way for every reader and writer:
/// nothing blocks on a FIFO, nothing but a regular file is read or replaced, and an allocation on
/// behalf of a file fails with an IOError naming it.
namespace axon::io {

/// A regular file opened for reading. The open does not block (O_NONBLOCK: a FIFO without a
/// writer would hang a plain open), and the type is checked with fstat before anything is read,
/// so a FIFO, a character device such as /dev/zero, a socket or a directory is an IOError.
/// Errors read "<prefix><path>: <what>" (prefix "csv: " for instance, or empty).
class InputFile {
 public:
  /// Opens `path`; IOError naming it when it is missing, unreadable or not a regular file.
  InputFile(const std::string& path, std::string prefix = {});
  ~InputFile();
  InputFile(const InputFile&) = delete;
  InputFile& operator=(const InputFile&) = delete;

  /// The file descriptor (blocking mode, close-on-exec).
  int fd() const { return fd_; }
  /// The file's size in bytes when it was opened.
  std::uint64_t size() const { return size_; }
  /// Reads exactly `n` bytes at `offset`; IOError naming the file when it ends early.
  void read_at(void* dst, std::uint64_t n, std::uint64_t offset) const;
  /// Reads up to `n` bytes at `offset`; returns how many were read (fewer at the end).
  std::uint64_t read_some(void* dst, std::uint64_t n, std::uint64_t offset) const;
  /// The whole file (size() bytes). IOError naming the file when the memory cannot be allocated.
  std::string read_all() const;
  /// Throws IOError "<prefix><path>: <what>".
  [[noreturn]] void fail(const std::string& what) const;

 private:
  std::string path_;
  std::string prefix_;
  int fd_ = -1;
  std::uint64_t size_ = 0;
};

/// Checks, before any work is done, that `path` can be written by an atomic save: the path is not
/// empty, its file name fits the file system's limit, whatever is there is a regular file or a
/// chain of links to one (not a FIFO, a device, a directory or a loop of links), and the
/// directory that will hold it exists and can be written. IOError "<who>: <path>: <reason>".
/// Used by fit for its checkpoint path and by the examples for --save and --checkpoint, so that
/// a bad path fails before the first epoch instead of after training.
void check_output_path(const std::string& path, const std::string& who);

/// `path`, or where it leads when it is a symbolic link (through a chain of links, relative ones
/// taken from the link's directory). A dangling link leads to the path it names.
std::string resolve_links(const std::string& path);

/// The directory holding `path` ("." for a bare file name).
std::string directory_of(const std::string& path);

}  // namespace axon::io
