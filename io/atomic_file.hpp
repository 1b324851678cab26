// SPDX-License-Identifier: MIT
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <string>

/// Crash-safe file replacement: write everything to a temporary file in the target's directory,
/// flush it to the disk, then rename it over the target. A process killed at any point leaves
/// either the previous file or the new one, never a mixture (POSIX rename is atomic within a
/// directory).
namespace axon::io {

/// A file being written beside its target, then renamed over it by commit(). The temporary is an
/// unnamed file (O_TMPFILE) where the file system supports it, so a process killed while writing
/// leaves nothing behind; it gets the name "<name>.<pid>.<n>.tmp" only just before the rename.
/// Where O_TMPFILE is unsupported the temporary is named from the start, and each save removes
/// the temporaries of the same target left by processes that no longer run. Names too long for
/// that suffix use a shortened, hashed prefix. Destroying an uncommitted AtomicFile removes the
/// temporary.
///
/// Only a regular file is replaced (IOError for a FIFO, a device, a directory or a loop of
/// links). A replaced file keeps its permission bits and, where the process may set them, its
/// owner and group. When `path` is a symbolic link, the file it leads to is replaced and the link
/// stays, as writing through the link would do.
///
/// ```
/// io::AtomicFile file("model.safetensors");
/// file.write(bytes.data(), bytes.size());
/// file.commit();
/// ```
class AtomicFile {
 public:
  /// Creates the temporary file (mode 0666 less the umask, or the target's mode when it exists).
  /// IOError naming the path on failure.
  explicit AtomicFile(std::string path);
  ~AtomicFile();
  AtomicFile(const AtomicFile&) = delete;
  AtomicFile& operator=(const AtomicFile&) = delete;

  /// Appends `size` bytes. IOError naming the target (disk full, I/O error).
  void write(const void* data, std::size_t size);
  /// fsync()s the temporary, renames it over the target and fsync()s the directory, so that the
  /// new contents survive a power loss once commit() returns. IOError on failure (the target is
  /// then unchanged and the temporary removed).
  void commit();

  /// The target path.
  const std::string& path() const { return path_; }
  /// The temporary file's path: empty while it is an unnamed file.
  const std::string& temp_path() const { return temp_path_; }
  /// Whether the temporary is an unnamed O_TMPFILE file.
  bool unnamed() const { return unnamed_; }

 private:
  void discard() noexcept;
  /// A fresh "<prefix>.<pid>.<n>.tmp" path beside the target.
  std::string next_temp_name();

  std::string path_;
  std::string target_;  // path_, or the file it leads to when it is a symbolic link
  std::string dir_;     // the target's directory
  std::string prefix_;  // the temporary names' prefix (the target's name, shortened if long)
  std::string temp_path_;
  int fd_ = -1;
  bool unnamed_ = false;
  bool committed_ = false;
};

/// Removes "<prefix>.<pid>.<n>.tmp" files in `dir` whose process `pid` no longer runs (left by a
/// save that was killed). Returns how many were removed. Errors are ignored.
std::size_t remove_stale_temporaries(const std::string& dir, const std::string& prefix);

namespace detail {
/// Test hook: while `on`, AtomicFile does not use O_TMPFILE and names its temporary from the start,
/// as on a file system without O_TMPFILE, so that the tests run that path on any machine. Returns
/// the previous setting. Process-wide; not meant for programs.
bool force_named_temporaries(bool on);
}  // namespace detail

/// The prefix AtomicFile gives the temporaries of a target named `name` (the file name, no
/// directory): `name` itself, or a shortened name with a hash when the suffix would not fit.
std::string temporary_prefix(const std::string& name);

}  // namespace axon::io
