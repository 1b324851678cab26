// SPDX-License-Identifier: MIT
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include <xtensor/xarray.hpp>

/// The safetensors file format (docs/CHECKPOINTS.md): an 8-byte little-endian header length N,
/// N bytes of UTF-8 JSON mapping each tensor name to {"dtype", "shape", "data_offsets"} (plus an
/// optional "__metadata__" map of strings), then the tensors' raw little-endian bytes, contiguous
/// and without gaps. The reader trusts nothing in a file: every length, offset and extent is
/// checked (with overflow checks) before it is used, and each problem is an IOError naming the
/// file and, where there is one, the tensor.
namespace axon::io {

/// safetensors element types (all of them can be read and written; models use F32 or F64).
enum class DType : std::uint8_t { BOOL, U8, I8, U16, I16, U32, I32, U64, I64, F16, BF16, F32, F64 };

/// The type's name in a header ("F32").
const char* dtype_name(DType dtype);
/// Bytes per element.
std::size_t dtype_size(DType dtype);
/// The dtype of C++ scalar type T (float: F32, double: F64).
template <class T>
constexpr DType dtype_of() {
  static_assert(std::is_same_v<T, float> || std::is_same_v<T, double>, "float or double");
  return std::is_same_v<T, float> ? DType::F32 : DType::F64;
}

/// String-to-string metadata stored under "__metadata__".
using Metadata = std::map<std::string, std::string>;

/// The largest header the reader accepts (the reference implementation's limit).
inline constexpr std::uint64_t kMaxHeaderBytes = 100'000'000;
/// The largest rank the reader accepts.
inline constexpr std::size_t kMaxRank = 32;

/// One tensor's entry in a header. `begin` and `end` are byte offsets into the data section.
struct TensorInfo {
  std::string name;                ///< the tensor's key in the file
  DType dtype = DType::F32;        ///< element type
  std::vector<std::size_t> shape;  ///< extents (empty for a scalar)
  std::uint64_t begin = 0;         ///< first byte in the data section
  std::uint64_t end = 0;           ///< one past the last byte

  /// Number of elements (product of the extents).
  std::size_t numel() const;
};

/// A parsed and checked header: the tensors in data order (ascending offsets) and the metadata.
struct Header {
  std::vector<TensorInfo> tensors;  ///< tensors in ascending offset order
  Metadata metadata;                ///< the "__metadata__" strings
};

/// Parses and checks the JSON header of a file (`source` names it in errors) whose data section
/// holds `data_bytes` bytes: valid UTF-8 and JSON, an object starting with '{', known dtypes,
/// ranks up to kMaxRank, extents whose product fits 64 bits, offsets that agree with the shape
/// and dtype and tile [0, data_bytes) exactly (no overlap, no gap, nothing past the end or left
/// after the last tensor), no duplicate or empty names, metadata values that are strings.
Header parse_header(std::string_view json, std::uint64_t data_bytes, const std::string& source);

/// A safetensors file read into memory: its checked header and its data section, read once into
/// one buffer (memory: the file's size plus the header's index).
class SafetensorsFile {
 public:
  /// Reads and checks `path`. IOError naming the file for anything wrong with it, or when its
  /// data cannot be allocated. `check`, when given, sees the checked header before the data is
  /// read and may throw to stop there (a load whose names or shapes do not fit fails without
  /// reading, or allocating, the data).
  static SafetensorsFile read(const std::string& path,
                              const std::function<void(const Header&)>& check = {});
  /// The same checks on a file's bytes held in memory (`source` names it in errors).
  static SafetensorsFile parse(std::string_view bytes, const std::string& source);
  /// Reads and checks only the header of `path` (the data section's size is taken from the
  /// file's size).
  static Header read_header(const std::string& path);

  /// The file's name as given.
  const std::string& source() const { return source_; }
  /// The tensors in data order.
  const std::vector<TensorInfo>& tensors() const { return header_.tensors; }
  /// The "__metadata__" map (empty when absent).
  const Metadata& metadata() const { return header_.metadata; }
  /// The entry named `name`, or nullptr.
  const TensorInfo* find(const std::string& name) const;
  /// The raw little-endian bytes of a tensor.
  const unsigned char* bytes(const TensorInfo& info) const { return data_.get() + info.begin; }

  /// Whether every element of `info` converts to T exactly (always for F32 to float; for F64 to
  /// float only when each value is a float; integers when representable).
  template <class T>
  bool converts_exactly(const TensorInfo& info) const;
  /// Copies the tensor's elements, converted to T, to `dst` (numel() elements). ValueError naming
  /// the file, the tensor and its dtype when a value does not convert exactly.
  template <class T>
  void copy_to(const TensorInfo& info, T* dst) const;
  /// The tensor as an array of T (see copy_to).
  template <class T>
  xt::xarray<T> array(const TensorInfo& info) const;
  /// The tensor named `name` as an array of T; IOError when the file has no such tensor.
  template <class T>
  xt::xarray<T> array(const std::string& name) const;

 private:
  SafetensorsFile(std::string source, Header header, std::unique_ptr<unsigned char[]> data)
      : source_(std::move(source)), header_(std::move(header)), data_(std::move(data)) {}

  std::string source_;
  Header header_;
  std::unique_ptr<unsigned char[]> data_;
};

/// A tensor to write: its name, its element type, its shape and its elements in host order
/// (row-major, numel elements of dtype). The data is read in place, not copied.
struct TensorRef {
  std::string name;                ///< the tensor's key
  DType dtype = DType::F32;        ///< element type of `data`
  std::vector<std::size_t> shape;  ///< extents (empty for a scalar)
  const void* data = nullptr;      ///< the first element, row-major
};

/// Writes `tensors` and `metadata` as a safetensors file, atomically (io/atomic_file.hpp): the
/// header is padded with spaces to a multiple of 8 bytes, the tensors are laid out contiguously
/// by decreasing element size, then in the order given, so that each starts aligned to its
/// element size. ValueError for an empty, duplicate or "__metadata__" name or a string that is
/// not UTF-8; IOError when the file cannot be written.
void write_safetensors(const std::string& path, const std::vector<TensorRef>& tensors,
                       const Metadata& metadata = {});

/// The bytes write_safetensors would write (for tests and in-memory use).
std::string encode_safetensors(const std::vector<TensorRef>& tensors,
                               const Metadata& metadata = {});

}  // namespace axon::io
