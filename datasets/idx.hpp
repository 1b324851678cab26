// SPDX-License-Identifier: MIT
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <variant>
#include <vector>

/// The IDX file format of MNIST and Fashion-MNIST: a 4-byte magic (two zero bytes, an element
/// type code, the rank), `rank` big-endian uint32 extents, then the elements in big-endian,
/// row-major order. Files may be gzip-compressed (detected by the magic bytes 1f 8b).
namespace axon::datasets {

/// IDX element type codes.
enum class IdxType : std::uint8_t {
  U8 = 0x08,
  I8 = 0x09,
  I16 = 0x0B,
  I32 = 0x0C,
  F32 = 0x0D,
  F64 = 0x0E,
};

/// "u8", "i8", "i16", "i32", "f32", "f64".
const char* idx_type_name(IdxType type);
/// Bytes per element of `type`.
std::size_t idx_type_size(IdxType type);

/// The largest rank read_idx accepts.
inline constexpr std::size_t kIdxMaxRank = 8;

/// A decoded IDX file: its element type, its extents and its elements in host byte order.
struct IdxArray {
  /// The elements, as a vector of the element type named by `type`.
  using Storage =
      std::variant<std::vector<std::uint8_t>, std::vector<std::int8_t>, std::vector<std::int16_t>,
                   std::vector<std::int32_t>, std::vector<float>, std::vector<double>>;

  IdxType type = IdxType::U8;      ///< element type, from the file's magic number
  std::vector<std::size_t> shape;  ///< extents, outermost first
  Storage data;                    ///< the elements, row-major

  /// Number of elements (product of the extents).
  std::size_t size() const;

  /// The elements in their stored type; ValueError when `T` is not that type.
  template <class T>
  const std::vector<T>& get() const {
    if (const auto* v = std::get_if<std::vector<T>>(&data)) return *v;
    throw_type_mismatch();
  }
  /// Moves the elements out in their stored type (leaving them empty); ValueError when `T` is
  /// not that type.
  template <class T>
  std::vector<T> take() {
    if (auto* v = std::get_if<std::vector<T>>(&data)) return std::move(*v);
    throw_type_mismatch();
  }
  /// A copy of the elements converted to `T` (float or double, say), whatever the stored type.
  template <class T>
  std::vector<T> as() const {
    return std::visit([](const auto& v) { return std::vector<T>(v.begin(), v.end()); }, data);
  }

 private:
  [[noreturn]] void throw_type_mismatch() const;
};

/// Reads an IDX file, raw or gzip-compressed. Every problem is an IOError naming the file and
/// what was expected against what was found: a bad magic, an unknown type code, a rank outside
/// 1..kIdxMaxRank, extents whose byte count overflows 64 bits, a file shorter or longer than its
/// header declares (with the byte offset), a corrupt gzip stream. The declared size is checked
/// against the real size before the elements are allocated (raw files), or the elements are read
/// in growing chunks so that memory follows the data actually present (gzip files); a gzip
/// stream is inflated no further than the declared size, a declared size beyond what deflate
/// can pack into the file (about 1032 bytes per byte) is refused before any allocation, bytes
/// after the gzip member are an error, and corruption is reported at its compressed and
/// decompressed offsets. Only regular files are read (the open never blocks on a FIFO); an
/// allocation that fails is an IOError naming the file.
IdxArray read_idx(const std::string& path);

/// Writes `array` as an IDX file, gzip-compressed when `compress`, atomically (io::AtomicFile:
/// only a regular file is replaced, its mode kept). IOError when it cannot write;
/// ValueError when the shape does not match the element count or the rank is out of range.
void write_idx(const std::string& path, const IdxArray& array, bool compress = false);

}  // namespace axon::datasets
