// SPDX-License-Identifier: MIT
#include "axon/io/safetensors.hpp"

#include <algorithm>
#include <bit>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <limits>
#include <new>
#include <type_traits>

#include "axon/autograd/error.hpp"
#include "axon/io/file_access.hpp"

namespace axon::io {

namespace {

[[noreturn]] void fail(const std::string& source, const std::string& what) {
  throw IOError(source + ": " + what);
}

std::uint64_t load_u64_le(const unsigned char* p) {
  std::uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | p[i];
  return v;
}

/// The header length stored in the first 8 bytes, checked against the file's size. A length
/// above the limit whose bytes are all printable text is a file of another kind (a text file read
/// as a checkpoint): say so instead of quoting a 19-digit length.
std::uint64_t header_length(const unsigned char* prefix, std::uint64_t file_size,
                            const std::string& source) {
  const std::uint64_t n = load_u64_le(prefix);
  if (n > kMaxHeaderBytes) {
    const bool text = std::all_of(prefix, prefix + 8, [](unsigned char c) {
      return (c >= 0x20 && c < 0x7F) || c == '\n' || c == '\r' || c == '\t';
    });
    fail(source, std::string(text ? "not a safetensors file (it starts with text); " : "") +
                     "header length " + std::to_string(n) + " exceeds the limit of " +
                     std::to_string(kMaxHeaderBytes) + " bytes");
  }
  if (n > file_size - 8) {
    fail(source, "header length " + std::to_string(n) + " runs past the end of the file (" +
                     std::to_string(file_size) + " bytes)");
  }
  if (n < 2) fail(source, "header length " + std::to_string(n) + " is too short for a header");
  return n;
}

void check_file_size(std::uint64_t size, const std::string& source) {
  if (size < 8) {
    fail(source,
         "the file is " + std::to_string(size) + " bytes, shorter than the 8-byte header length");
  }
}

std::unique_ptr<unsigned char[]> allocate(std::uint64_t bytes, const std::string& source) {
  // One byte at least, so that bytes() is never a null pointer.
  try {
    return std::unique_ptr<unsigned char[]>(
        new unsigned char[static_cast<std::size_t>(std::max<std::uint64_t>(bytes, 1))]);
  } catch (const std::bad_alloc&) {
    fail(source, "cannot allocate " + std::to_string(bytes) + " bytes for the tensor data");
  }
}

/// Reads the header of an open file: its JSON text, parsed and checked. An allocation failure
/// (a header near the limit under a memory cap) is an IOError naming the file.
Header read_checked_header(const InputFile& file, const std::string& path,
                           std::uint64_t& header_bytes) {
  check_file_size(file.size(), path);
  unsigned char prefix[8];
  file.read_at(prefix, 8, 0);
  header_bytes = header_length(prefix, file.size(), path);
  try {
    std::string json(static_cast<std::size_t>(header_bytes), '\0');
    file.read_at(json.data(), header_bytes, 8);
    return parse_header(json, file.size() - 8 - header_bytes, path);
  } catch (const std::bad_alloc&) {
    fail(path, "cannot allocate the memory to parse its " + std::to_string(header_bytes) +
                   "-byte header");
  }
}

// ---- element conversion ------------------------------------------------------------------------

template <class S>
S load_le(const unsigned char* p) {
  using U = std::conditional_t<
      sizeof(S) == 1, std::uint8_t,
      std::conditional_t<sizeof(S) == 2, std::uint16_t,
                         std::conditional_t<sizeof(S) == 4, std::uint32_t, std::uint64_t>>>;
  U u = 0;
  for (std::size_t i = sizeof(S); i-- > 0;) u = static_cast<U>((u << 8) | p[i]);
  return std::bit_cast<S>(u);
}

/// IEEE half to float (exact).
float half_to_float(std::uint16_t h) {
  const std::uint32_t sign = static_cast<std::uint32_t>(h & 0x8000u) << 16;
  const std::uint32_t exponent = (h >> 10) & 0x1Fu;
  const std::uint32_t mantissa = h & 0x3FFu;
  if (exponent == 0) {
    const float magnitude = std::ldexp(static_cast<float>(mantissa), -24);
    return sign ? -magnitude : magnitude;
  }
  if (exponent == 31) return std::bit_cast<float>(sign | 0x7F800000u | (mantissa << 13));
  return std::bit_cast<float>(sign | ((exponent + 112) << 23) | (mantissa << 13));
}

/// Whether integer `s` is exactly representable in floating type T.
template <class T, class S>
bool integer_fits(S s) {
  std::uint64_t magnitude = 0;
  if constexpr (std::is_signed_v<S>) {
    magnitude = s < 0 ? 0 - static_cast<std::uint64_t>(s) : static_cast<std::uint64_t>(s);
  } else {
    magnitude = static_cast<std::uint64_t>(s);
  }
  if (magnitude == 0) return true;
  magnitude >>= std::countr_zero(magnitude);
  return magnitude < (std::uint64_t{1} << std::numeric_limits<T>::digits);
}

/// Converts source value `s` to T; false when it is not exact.
template <class T, class S>
bool convert_value(S s, T& out) {
  if constexpr (std::is_integral_v<S>) {
    out = static_cast<T>(s);
    return integer_fits<T>(s);
  } else if constexpr (sizeof(S) <= sizeof(T)) {
    out = static_cast<T>(s);
    return true;
  } else {
    // Narrowing (F64 to float): out-of-range values would be undefined behaviour to convert.
    if (std::isnan(s)) {
      out = std::numeric_limits<T>::quiet_NaN();
      return true;
    }
    if (std::isfinite(s) && std::fabs(s) > static_cast<S>(std::numeric_limits<T>::max())) {
      return false;
    }
    out = static_cast<T>(s);
    return static_cast<S>(out) == s;
  }
}

/// Converts `n` elements of source type S at `src`; writes them to `dst` unless it is null.
/// Returns the index of the first inexact element, or n.
template <class T, class Decode>
std::size_t convert_all(const unsigned char* src, std::size_t n, std::size_t width, T* dst,
                        Decode decode) {
  for (std::size_t i = 0; i < n; ++i) {
    T value{};
    if (!convert_value<T>(decode(src + i * width), value)) return i;
    if (dst) dst[i] = value;
  }
  return n;
}

template <class T>
std::size_t convert(const TensorInfo& info, const unsigned char* src, T* dst) {
  const std::size_t n = info.numel();
  if (info.dtype == dtype_of<T>() && std::endian::native == std::endian::little) {
    if (dst && n > 0) std::memcpy(dst, src, n * sizeof(T));
    return n;
  }
  switch (info.dtype) {
    case DType::BOOL:
      return convert_all<T>(src, n, 1, dst,
                            [](const unsigned char* p) -> std::uint8_t { return *p ? 1 : 0; });
    case DType::U8:
      return convert_all<T>(src, n, 1, dst, load_le<std::uint8_t>);
    case DType::I8:
      return convert_all<T>(src, n, 1, dst, load_le<std::int8_t>);
    case DType::U16:
      return convert_all<T>(src, n, 2, dst, load_le<std::uint16_t>);
    case DType::I16:
      return convert_all<T>(src, n, 2, dst, load_le<std::int16_t>);
    case DType::U32:
      return convert_all<T>(src, n, 4, dst, load_le<std::uint32_t>);
    case DType::I32:
      return convert_all<T>(src, n, 4, dst, load_le<std::int32_t>);
    case DType::U64:
      return convert_all<T>(src, n, 8, dst, load_le<std::uint64_t>);
    case DType::I64:
      return convert_all<T>(src, n, 8, dst, load_le<std::int64_t>);
    case DType::F16:
      return convert_all<T>(src, n, 2, dst, [](const unsigned char* p) {
        return half_to_float(load_le<std::uint16_t>(p));
      });
    case DType::BF16:
      return convert_all<T>(src, n, 2, dst, [](const unsigned char* p) {
        return std::bit_cast<float>(static_cast<std::uint32_t>(load_le<std::uint16_t>(p)) << 16);
      });
    case DType::F32:
      return convert_all<T>(src, n, 4, dst, load_le<float>);
    case DType::F64:
      return convert_all<T>(src, n, 8, dst, load_le<double>);
  }
  return 0;
}

}  // namespace

SafetensorsFile SafetensorsFile::read(const std::string& path,
                                      const std::function<void(const Header&)>& check) {
  const InputFile file(path);
  std::uint64_t n = 0;
  Header header = read_checked_header(file, path, n);
  if (check) check(header);
  const std::uint64_t data_bytes = file.size() - 8 - n;
  auto data = allocate(data_bytes, path);
  file.read_at(data.get(), data_bytes, 8 + n);
  return SafetensorsFile(path, std::move(header), std::move(data));
}

SafetensorsFile SafetensorsFile::parse(std::string_view bytes, const std::string& source) {
  check_file_size(bytes.size(), source);
  const auto* p = reinterpret_cast<const unsigned char*>(bytes.data());
  const std::uint64_t n = header_length(p, bytes.size(), source);
  const std::uint64_t data_bytes = bytes.size() - 8 - n;
  Header header;
  try {
    header = parse_header(bytes.substr(8, static_cast<std::size_t>(n)), data_bytes, source);
  } catch (const std::bad_alloc&) {
    fail(source, "cannot allocate the memory to parse its " + std::to_string(n) + "-byte header");
  }
  auto data = allocate(data_bytes, source);
  if (data_bytes > 0) std::memcpy(data.get(), p + 8 + n, static_cast<std::size_t>(data_bytes));
  return SafetensorsFile(source, std::move(header), std::move(data));
}

Header SafetensorsFile::read_header(const std::string& path) {
  const InputFile file(path);
  std::uint64_t n = 0;
  return read_checked_header(file, path, n);
}

const TensorInfo* SafetensorsFile::find(const std::string& name) const {
  for (const TensorInfo& t : header_.tensors) {
    if (t.name == name) return &t;
  }
  return nullptr;
}

template <class T>
bool SafetensorsFile::converts_exactly(const TensorInfo& info) const {
  return convert<T>(info, bytes(info), nullptr) == info.numel();
}

template <class T>
void SafetensorsFile::copy_to(const TensorInfo& info, T* dst) const {
  if (info.dtype != dtype_of<T>()) {
    // Check every value before writing any, so that a failed copy leaves `dst` as it was.
    const std::size_t bad = convert<T>(info, bytes(info), static_cast<T*>(nullptr));
    if (bad != info.numel()) {
      throw ValueError(source_ + ": tensor '" + info.name + "': element " + std::to_string(bad) +
                       " of dtype " + dtype_name(info.dtype) + " does not convert exactly to " +
                       dtype_name(dtype_of<T>()));
    }
  }
  convert<T>(info, bytes(info), dst);
}

template <class T>
xt::xarray<T> SafetensorsFile::array(const TensorInfo& info) const {
  xt::xarray<T> out = xt::xarray<T>::from_shape(info.shape);
  copy_to(info, out.data());
  return out;
}

template <class T>
xt::xarray<T> SafetensorsFile::array(const std::string& name) const {
  const TensorInfo* info = find(name);
  if (!info) fail(source_, "no tensor named '" + name + "'");
  return array<T>(*info);
}

template bool SafetensorsFile::converts_exactly<float>(const TensorInfo&) const;
template bool SafetensorsFile::converts_exactly<double>(const TensorInfo&) const;
template void SafetensorsFile::copy_to<float>(const TensorInfo&, float*) const;
template void SafetensorsFile::copy_to<double>(const TensorInfo&, double*) const;
template xt::xarray<float> SafetensorsFile::array<float>(const TensorInfo&) const;
template xt::xarray<double> SafetensorsFile::array<double>(const TensorInfo&) const;
template xt::xarray<float> SafetensorsFile::array<float>(const std::string&) const;
template xt::xarray<double> SafetensorsFile::array<double>(const std::string&) const;

}  // namespace axon::io
