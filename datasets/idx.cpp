// SPDX-License-Identifier: MIT
#include "axon/datasets/idx.hpp"

#include <zlib.h>

#include <algorithm>
#include <bit>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>
#include <new>
#include <sstream>
#include <stdexcept>

#include "axon/autograd/error.hpp"
#include "axon/autograd/shape.hpp"
#include "axon/io/atomic_file.hpp"
#include "axon/io/file_access.hpp"

namespace axon::datasets {

const char* idx_type_name(IdxType type) {
  switch (type) {
    case IdxType::U8:
      return "u8";
    case IdxType::I8:
      return "i8";
    case IdxType::I16:
      return "i16";
    case IdxType::I32:
      return "i32";
    case IdxType::F32:
      return "f32";
    case IdxType::F64:
      return "f64";
  }
  return "?";
}

std::size_t idx_type_size(IdxType type) {
  switch (type) {
    case IdxType::U8:
    case IdxType::I8:
      return 1;
    case IdxType::I16:
      return 2;
    case IdxType::I32:
    case IdxType::F32:
      return 4;
    case IdxType::F64:
      return 8;
  }
  return 0;
}

std::size_t IdxArray::size() const {
  return std::visit([](const auto& v) { return v.size(); }, data);
}

void IdxArray::throw_type_mismatch() const {
  throw ValueError(std::string("IdxArray: the elements are stored as ") + idx_type_name(type) +
                   "; get<T>()/take<T>() asked for another type (as<T>() converts)");
}

namespace {

constexpr std::size_t kMagicBytes = 4;
// Gzip data is read in chunks that start at 1 MiB and double, so memory follows the bytes really
// present rather than the (untrusted) declared size.
constexpr std::size_t kFirstChunkBytes = std::size_t{1} << 20;
// The largest expansion of deflate (258-byte matches coded in 2 bits or so), rounded up.
constexpr std::uint64_t kMaxDeflateRatio = 1032;

[[noreturn]] void fail(const std::string& path, const std::string& what) {
  throw IOError("idx: " + path + ": " + what);
}

std::string hex_byte(unsigned value) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "0x%02X", value & 0xFFu);
  return buf;
}

bool valid_type(std::uint8_t code) {
  switch (code) {
    case 0x08:
    case 0x09:
    case 0x0B:
    case 0x0C:
    case 0x0D:
    case 0x0E:
      return true;
    default:
      return false;
  }
}

/// A stream of bytes: the file itself or its gzip decompression.
class Source {
 public:
  explicit Source(std::unique_ptr<io::InputFile> file) : file_(std::move(file)) {}
  virtual ~Source() = default;
  /// Reads up to `n` bytes; fewer only at the end of the data. IOError on a read error.
  virtual std::size_t read(void* dst, std::size_t n) = 0;
  /// Whether the bytes are decompressed (offsets then count decompressed bytes).
  virtual bool compressed() const = 0;
  /// Size of the file in bytes.
  std::uint64_t file_size() const { return file_->size(); }

 protected:
  std::unique_ptr<io::InputFile> file_;
};

class RawSource final : public Source {
 public:
  using Source::Source;
  std::size_t read(void* dst, std::size_t n) override {
    const std::uint64_t got = file_->read_some(dst, n, offset_);
    offset_ += got;
    return static_cast<std::size_t>(got);
  }
  bool compressed() const override { return false; }

 private:
  std::uint64_t offset_ = 0;
};

/// A gzip member inflated with zlib straight from the file, so that errors give the real
/// offsets (compressed and decompressed) and bytes after the member are seen (gzread would skip
/// them).
class GzSource final : public Source {
 public:
  GzSource(std::unique_ptr<io::InputFile> file, std::string path)
      : Source(std::move(file)), path_(std::move(path)), input_(kInputBytes) {
    // 16 + MAX_WBITS: a gzip wrapper, not zlib's.
    if (inflateInit2(&stream_, 16 + MAX_WBITS) != Z_OK) fail(path_, "cannot start zlib");
  }
  ~GzSource() override { inflateEnd(&stream_); }

  std::size_t read(void* dst, std::size_t n) override {
    auto* out = static_cast<unsigned char*>(dst);
    std::size_t total = 0;
    while (total < n && !ended_) {
      if (stream_.avail_in == 0) refill();
      const unsigned want = static_cast<unsigned>(std::min<std::size_t>(n - total, 1u << 30));
      stream_.next_out = out + total;
      stream_.avail_out = want;
      const int code = inflate(&stream_, Z_NO_FLUSH);
      const std::size_t got = want - stream_.avail_out;
      total += got;
      out_offset_ += got;
      if (code == Z_STREAM_END) {
        ended_ = true;
      } else if (code == Z_BUF_ERROR && stream_.avail_in == 0 && at_eof_) {
        fail(path_, "truncated gzip stream (unexpected end of file at byte " +
                        std::to_string(file_size()) + ", decompressed byte offset " +
                        std::to_string(out_offset_) + ")");
      } else if (code == Z_MEM_ERROR) {
        fail(path_, "zlib cannot allocate its memory");
      } else if (code != Z_OK && code != Z_BUF_ERROR) {
        fail(path_, "corrupt gzip stream at compressed byte offset " + std::to_string(consumed()) +
                        " (decompressed byte offset " + std::to_string(out_offset_) +
                        "): " + (stream_.msg ? stream_.msg : "error " + std::to_string(code)));
      }
    }
    return total;
  }
  bool compressed() const override { return true; }

  /// After the declared data: the member must end there (its trailer checked) and be the last
  /// thing in the file.
  void finish(std::uint64_t declared_end) {
    unsigned char extra;
    if (read(&extra, 1) != 0) {
      fail(path_, "unexpected trailing data at decompressed byte offset " +
                      std::to_string(declared_end) +
                      ": the header declares a stream that ends there");
    }
    if (consumed() < file_size()) {
      fail(path_, std::to_string(file_size() - consumed()) +
                      " trailing byte(s) after the gzip member, at compressed byte offset " +
                      std::to_string(consumed()));
    }
  }

 private:
  static constexpr std::size_t kInputBytes = std::size_t{1} << 17;

  void refill() {
    const std::uint64_t got = file_->read_some(input_.data(), input_.size(), in_offset_);
    in_offset_ += got;
    at_eof_ = got == 0 || in_offset_ >= file_size();
    stream_.next_in = input_.data();
    stream_.avail_in = static_cast<unsigned>(got);
  }
  /// Compressed bytes inflate has taken so far.
  std::uint64_t consumed() const { return in_offset_ - stream_.avail_in; }

  std::string path_;
  std::vector<unsigned char> input_;
  z_stream stream_{};
  std::uint64_t in_offset_ = 0;   // compressed bytes read from the file
  std::uint64_t out_offset_ = 0;  // decompressed bytes delivered
  bool at_eof_ = false, ended_ = false;
};

/// Opens `path` (a regular file only; the open never blocks), choosing raw or gzip by the first
/// two bytes (1f 8b).
std::unique_ptr<Source> open_source(const std::string& path) {
  auto file = std::make_unique<io::InputFile>(path, "idx: ");
  unsigned char head[2] = {0, 0};
  const std::uint64_t got = file->read_some(head, 2, 0);
  if (got == 2 && head[0] == 0x1F && head[1] == 0x8B) {
    return std::make_unique<GzSource>(std::move(file), path);
  }
  return std::make_unique<RawSource>(std::move(file));
}

/// `bytes` as one gzip member.
std::string gzip_bytes(const std::string& bytes, const std::string& path) {
  if (bytes.size() > 0xFFFFFFFFull / 2) fail(path, "too large to compress in one piece");
  z_stream z{};
  if (deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY) !=
      Z_OK) {
    fail(path, "cannot start zlib");
  }
  std::string out(deflateBound(&z, static_cast<uLong>(bytes.size())) + 32, '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(bytes.data()));
  z.avail_in = static_cast<uInt>(bytes.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  const int code = deflate(&z, Z_FINISH);
  out.resize(z.total_out);
  deflateEnd(&z);
  if (code != Z_STREAM_END) fail(path, "gzip compression failed");
  return out;
}

/// a * b, or false when it overflows 64 bits.
bool checked_mul(std::uint64_t a, std::uint64_t b, std::uint64_t& out) {
  return !__builtin_mul_overflow(a, b, &out);
}

/// Big-endian file order to host order, in place.
template <class T>
void to_host_order(std::vector<T>& values) {
  if constexpr (sizeof(T) > 1 && std::endian::native == std::endian::little) {
    using U = std::conditional_t<sizeof(T) == 2, std::uint16_t,
                                 std::conditional_t<sizeof(T) == 4, std::uint32_t, std::uint64_t>>;
    auto* bytes = reinterpret_cast<unsigned char*>(values.data());
    for (std::size_t i = 0; i < values.size(); ++i) {
      U u;
      std::memcpy(&u, bytes + i * sizeof(T), sizeof(T));
      if constexpr (sizeof(T) == 2) u = __builtin_bswap16(u);
      if constexpr (sizeof(T) == 4) u = __builtin_bswap32(u);
      if constexpr (sizeof(T) == 8) u = __builtin_bswap64(u);
      std::memcpy(bytes + i * sizeof(T), &u, sizeof(T));
    }
  }
}

struct Header {
  IdxType type;
  std::vector<std::size_t> shape;
  std::uint64_t count;       // elements
  std::uint64_t data_bytes;  // count * element size
  std::uint64_t header_bytes;
  std::string describe() const {
    return autograd::list_str(shape) + " " + idx_type_name(type) + " (" +
           std::to_string(data_bytes) + " data bytes)";
  }
};

Header read_header(Source& src, const std::string& path) {
  const char* unit = src.compressed() ? "decompressed data" : "file";
  unsigned char magic[kMagicBytes];
  const std::size_t got = src.read(magic, kMagicBytes);
  if (got < kMagicBytes) {
    fail(path, std::string(unit) + " is " + std::to_string(got) +
                   " bytes long, expected at least 4 (the IDX magic 00 00 <type> <rank>)");
  }
  if (magic[0] != 0 || magic[1] != 0) {
    fail(path, "bad magic: expected 0x00 0x00 at byte offset 0, found " + hex_byte(magic[0]) + " " +
                   hex_byte(magic[1]) + " (not an IDX file)");
  }
  if (!valid_type(magic[2])) {
    fail(path, "unknown element type code " + hex_byte(magic[2]) +
                   " at byte offset 2, expected one of 0x08 0x09 0x0B 0x0C 0x0D 0x0E");
  }
  Header h;
  h.type = static_cast<IdxType>(magic[2]);
  const std::size_t rank = magic[3];
  if (rank < 1 || rank > kIdxMaxRank) {
    fail(path, "rank " + std::to_string(rank) + " at byte offset 3, expected 1.." +
                   std::to_string(kIdxMaxRank));
  }
  unsigned char dims[4 * kIdxMaxRank];
  const std::size_t dim_got = src.read(dims, 4 * rank);
  if (dim_got < 4 * rank) {
    fail(path, "truncated header: rank " + std::to_string(rank) + " needs " +
                   std::to_string(4 * rank) + " bytes of extents from byte offset 4, found " +
                   std::to_string(dim_got));
  }
  for (std::size_t i = 0; i < rank; ++i) {
    const unsigned char* p = dims + 4 * i;
    h.shape.push_back((std::size_t{p[0]} << 24) | (std::size_t{p[1]} << 16) |
                      (std::size_t{p[2]} << 8) | std::size_t{p[3]});
  }
  h.header_bytes = kMagicBytes + 4 * rank;
  // The byte count must fit in 64 bits whichever order the extents are multiplied in: a zero
  // extent must not hide an overflow among the others.
  std::uint64_t forward = idx_type_size(h.type), backward = idx_type_size(h.type);
  bool ok = true;
  for (std::size_t i = 0; i < rank; ++i) {
    ok = ok && checked_mul(forward, h.shape[i], forward);
    ok = ok && checked_mul(backward, h.shape[rank - 1 - i], backward);
  }
  std::uint64_t total = 0;
  ok = ok && !__builtin_add_overflow(forward, h.header_bytes, &total);
  if (!ok) {
    fail(path, "extents " + autograd::list_str(h.shape) + " of " + idx_type_name(h.type) +
                   " elements declare more than 2^64 bytes");
  }
  h.data_bytes = forward;
  h.count = forward / idx_type_size(h.type);
  return h;
}

template <class T>
std::vector<T> read_raw_elements(RawSource& src, const Header& h, const std::string& path) {
  // The whole size is known: compare before allocating anything.
  const std::uint64_t size = src.file_size();
  const std::uint64_t expected = h.header_bytes + h.data_bytes;
  if (size < expected) {
    fail(path, "truncated: header declares " + h.describe() + ", so " + std::to_string(expected) +
                   " bytes in all; the file has " + std::to_string(size) +
                   " (data ends at byte offset " + std::to_string(size) + ")");
  }
  if (size > expected) {
    fail(path, std::to_string(size - expected) + " unexpected trailing byte(s) at byte offset " +
                   std::to_string(expected) + ": header declares " + h.describe() +
                   ", so the file should be " + std::to_string(expected) + " bytes");
  }
  std::vector<T> values(h.count);
  const std::size_t got = src.read(values.data(), h.data_bytes);
  if (got < h.data_bytes) {
    fail(path, "file shrank while reading: data ends at byte offset " +
                   std::to_string(h.header_bytes + got) + ", expected " + std::to_string(expected));
  }
  return values;
}

template <class T>
std::vector<T> read_gz_elements(GzSource& src, const Header& h, const std::string& path) {
  // Deflate packs at most about 1032 bytes into one: a declared size beyond that cannot be in
  // the file, and is refused before any memory is taken for it.
  const std::uint64_t most = src.file_size() * kMaxDeflateRatio + kFirstChunkBytes;
  if (h.data_bytes > most) {
    fail(path, "truncated: header declares " + h.describe() + ", more than a gzip file of " +
                   std::to_string(src.file_size()) + " bytes can hold (at most " +
                   std::to_string(most) + " bytes)");
  }
  std::vector<T> values;
  std::size_t have = 0;
  while (have < h.count) {
    const std::size_t target =
        have == 0 ? std::min<std::uint64_t>(h.count,
                                            std::max<std::size_t>(1, kFirstChunkBytes / sizeof(T)))
                  : std::min<std::uint64_t>(h.count, 2 * have);
    values.reserve(target);  // exactly: no doubling beyond the declared size
    values.resize(target);
    const std::size_t want = (target - have) * sizeof(T);
    const std::size_t got =
        src.read(reinterpret_cast<unsigned char*>(values.data()) + have * sizeof(T), want);
    if (got < want) {
      const std::uint64_t end = h.header_bytes + have * sizeof(T) + got;
      fail(path, "truncated: the decompressed stream ends at byte offset " + std::to_string(end) +
                     ", header declares " + h.describe() + ", so " +
                     std::to_string(h.header_bytes + h.data_bytes) + " bytes in all");
    }
    have = target;
  }
  src.finish(h.header_bytes + h.data_bytes);
  return values;
}

template <class T>
IdxArray::Storage read_elements(Source& src, const Header& h, const std::string& path) {
  std::vector<T> values = src.compressed()
                              ? read_gz_elements<T>(static_cast<GzSource&>(src), h, path)
                              : read_raw_elements<T>(static_cast<RawSource&>(src), h, path);
  to_host_order(values);
  return values;
}

}  // namespace

namespace {

IdxArray read_idx_checked(const std::string& path) {
  std::unique_ptr<Source> src = open_source(path);
  const Header h = read_header(*src, path);
  IdxArray out;
  out.type = h.type;
  out.shape = h.shape;
  switch (h.type) {
    case IdxType::U8:
      out.data = read_elements<std::uint8_t>(*src, h, path);
      break;
    case IdxType::I8:
      out.data = read_elements<std::int8_t>(*src, h, path);
      break;
    case IdxType::I16:
      out.data = read_elements<std::int16_t>(*src, h, path);
      break;
    case IdxType::I32:
      out.data = read_elements<std::int32_t>(*src, h, path);
      break;
    case IdxType::F32:
      out.data = read_elements<float>(*src, h, path);
      break;
    case IdxType::F64:
      out.data = read_elements<double>(*src, h, path);
      break;
  }
  return out;
}

}  // namespace

IdxArray read_idx(const std::string& path) {
  try {
    return read_idx_checked(path);
  } catch (const std::bad_alloc&) {
    fail(path, "cannot allocate the memory for the elements its header declares");
  } catch (const std::length_error&) {
    fail(path, "cannot allocate the memory for the elements its header declares");
  }
}

void write_idx(const std::string& path, const IdxArray& array, bool compress) {
  if (array.shape.empty() || array.shape.size() > kIdxMaxRank) {
    throw ValueError("write_idx: " + path + ": rank " + std::to_string(array.shape.size()) +
                     ", expected 1.." + std::to_string(kIdxMaxRank));
  }
  std::uint64_t count = 1;
  for (std::size_t d : array.shape) {
    if (d > 0xFFFFFFFFull || !checked_mul(count, d, count)) {
      throw ValueError("write_idx: " + path + ": extents " + autograd::list_str(array.shape) +
                       " do not fit the IDX format");
    }
  }
  const std::size_t held = array.size();
  const std::size_t type_size = idx_type_size(array.type);
  const bool type_matches =
      std::visit([&](const auto& v) { return sizeof(v[0]) == type_size; }, array.data);
  if (count != held || !type_matches) {
    throw ValueError("write_idx: " + path + ": shape " + autograd::list_str(array.shape) + " of " +
                     idx_type_name(array.type) + " does not match the " + std::to_string(held) +
                     " stored elements");
  }
  std::string bytes = {0, 0, static_cast<char>(array.type), static_cast<char>(array.shape.size())};
  for (std::size_t d : array.shape) {
    for (int shift = 24; shift >= 0; shift -= 8) bytes.push_back(static_cast<char>(d >> shift));
  }
  const std::size_t data_start = bytes.size();
  bytes.resize(data_start + held * type_size);
  std::visit(
      [&](const auto& v) {
        auto copy = v;
        to_host_order(copy);  // the swap is its own inverse: host order to big-endian
        std::memcpy(bytes.data() + data_start, copy.data(), held * type_size);
      },
      array.data);
  if (compress) bytes = gzip_bytes(bytes, path);
  // Atomically, and only over a regular file (a FIFO or a device is refused, not written to).
  io::AtomicFile file(path);
  file.write(bytes.data(), bytes.size());
  file.commit();
}

}  // namespace axon::datasets
