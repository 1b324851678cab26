// SPDX-License-Identifier: MIT
#pragma once

#include <cstddef>
#include <string>

/// Crash-safe file replacement: write everything to a temporary file beside the target, flush it
/// to the disk, then rename it over the target. A process killed at any point leaves either the
/// previous file or the new one, never a mixture (POSIX rename is atomic within a directory).
namespace axon::io {

/// A file being written to a temporary path "<path>.<pid>.<n>.tmp" in the target's directory.
/// commit() replaces `path` with it; destroying an uncommitted AtomicFile removes the temporary.
/// A process killed before commit() leaves its temporary behind (the target stays intact). When
/// `path` is a symbolic link, the file it leads to is replaced (the temporary goes beside that
/// file) and the link stays, as writing through the link would do.
///
/// ```
/// io::AtomicFile file("model.safetensors");
/// file.write(bytes.data(), bytes.size());
/// file.commit();
/// ```
class AtomicFile {
 public:
  /// Creates the temporary file (mode 0666 less the umask). IOError naming the path on failure.
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
  /// The temporary file's path.
  const std::string& temp_path() const { return temp_path_; }

 private:
  void discard() noexcept;

  std::string path_;
  std::string target_;  // path_, or the file it leads to when it is a symbolic link
  std::string temp_path_;
  int fd_ = -1;
  bool committed_ = false;
};

}  // namespace axon::io
