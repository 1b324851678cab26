// SPDX-License-Identifier: MIT
// The header half of the safetensors reader: UTF-8 and JSON checks, entries built from SAX events,
// extents, offsets and tiling of the data section.
#include <algorithm>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "axon/autograd/error.hpp"
#include "axon/io/safetensors.hpp"

namespace axon::io {

namespace {

constexpr DType kAllDTypes[] = {DType::BOOL, DType::U8,  DType::I8,  DType::U16, DType::I16,
                                DType::U32,  DType::I32, DType::U64, DType::I64, DType::F16,
                                DType::BF16, DType::F32, DType::F64};

[[noreturn]] void fail(const std::string& source, const std::string& what) {
  throw IOError(source + ": " + what);
}

[[noreturn]] void fail_tensor(const std::string& source, const std::string& name,
                              const std::string& what) {
  throw IOError(source + ": tensor '" + name + "': " + what);
}

/// Position of the first byte that is not part of well-formed UTF-8 (RFC 3629: no overlong
/// forms, no surrogates, nothing above U+10FFFF), or npos.
std::size_t find_invalid_utf8(std::string_view s) {
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  const std::size_t n = s.size();
  std::size_t i = 0;
  while (i < n) {
    const unsigned c = p[i];
    if (c < 0x80) {
      ++i;
      continue;
    }
    std::size_t len = 0;
    unsigned lo = 0x80, hi = 0xBF;  // allowed range of the second byte
    if (c >= 0xC2 && c <= 0xDF) {
      len = 2;
    } else if (c >= 0xE0 && c <= 0xEF) {
      len = 3;
      if (c == 0xE0) lo = 0xA0;  // overlong
      if (c == 0xED) hi = 0x9F;  // surrogates
    } else if (c >= 0xF0 && c <= 0xF4) {
      len = 4;
      if (c == 0xF0) lo = 0x90;  // overlong
      if (c == 0xF4) hi = 0x8F;  // above U+10FFFF
    } else {
      return i;
    }
    if (n - i < len) return i;
    if (p[i + 1] < lo || p[i + 1] > hi) return i;
    for (std::size_t k = 2; k < len; ++k) {
      if (p[i + k] < 0x80 || p[i + k] > 0xBF) return i;
    }
    i += len;
  }
  return std::string_view::npos;
}

bool parse_dtype(std::string_view name, DType& out) {
  for (DType d : kAllDTypes) {
    if (name == dtype_name(d)) {
      out = d;
      return true;
    }
  }
  return false;
}

/// Builds the header's entries straight from nlohmann's SAX events, so that memory follows the
/// entries (never a DOM of the whole header) and nesting can never go deeper than a header's
/// three levels.
class HeaderBuilder {
 public:
  using json = nlohmann::json;

  /// `json_bytes`: the header's size, which bounds the memory of the index (see charge()).
  HeaderBuilder(const std::string& source, std::size_t json_bytes)
      : source_(source), index_limit_(std::max(kMinIndexBytes, kIndexPerHeaderByte * json_bytes)) {}

  Header take() { return std::move(header_); }

  bool null() { return scalar("null"); }
  bool boolean(bool) { return scalar("a boolean"); }
  bool number_integer(json::number_integer_t v) {
    if (v < 0) return scalar("a negative number");
    return number_unsigned(static_cast<json::number_unsigned_t>(v));
  }
  bool number_unsigned(json::number_unsigned_t v) {
    if (depth_ != 3) return scalar("a number");
    auto& list = field_ == Field::Shape ? shape_ : offsets_;
    const std::size_t limit = field_ == Field::Shape ? kMaxRank : 2;
    if (list.size() >= limit) {
      fail_tensor(source_, name_,
                  field_ == Field::Shape ? "rank above " + std::to_string(kMaxRank)
                                         : std::string("data_offsets has more than 2 values"));
    }
    list.push_back(v);
    return true;
  }
  bool number_float(json::number_float_t, const json::string_t&) {
    return scalar("a non-integer or out-of-range number");
  }
  bool string(json::string_t& s) {
    if (depth_ == 2 && in_metadata_) {
      charge(kMapNodeBytes + heap_bytes(key_) + heap_bytes(s));
      if (!header_.metadata.emplace(std::move(key_), std::move(s)).second) {
        fail(source_, "__metadata__ has a duplicate key");
      }
      return true;
    }
    if (depth_ == 2 && field_ == Field::DType) {
      if (!parse_dtype(s, dtype_)) {
        std::string shown = s.substr(0, 32);
        fail_tensor(source_, name_, "unknown dtype \"" + shown + "\"");
      }
      return true;
    }
    return scalar("a string");
  }
  bool binary(json::binary_t&) { return scalar("binary data"); }

  bool start_object(std::size_t) {
    if (depth_ == 0) {
      depth_ = 1;
      return true;
    }
    if (depth_ == 1) {
      depth_ = 2;
      in_metadata_ = key_ == "__metadata__";
      if (in_metadata_) {
        if (seen_metadata_) fail(source_, "duplicate __metadata__");
        seen_metadata_ = true;
      } else {
        name_ = std::move(key_);
        if (name_.empty()) fail(source_, "a tensor has an empty name");
        has_dtype_ = has_shape_ = has_offsets_ = false;
        shape_.clear();
        offsets_.clear();
      }
      return true;
    }
    return scalar("an object");
  }
  bool end_object() {
    if (depth_ == 2 && !in_metadata_) finish_tensor();
    --depth_;
    return true;
  }
  bool start_array(std::size_t) {
    if (depth_ == 2 && (field_ == Field::Shape || field_ == Field::Offsets)) {
      depth_ = 3;
      return true;
    }
    return scalar("an array");
  }
  bool end_array() {
    depth_ = 2;
    if (field_ == Field::Offsets && offsets_.size() != 2) {
      fail_tensor(source_, name_,
                  "data_offsets must hold 2 values, not " + std::to_string(offsets_.size()));
    }
    return true;
  }
  bool key(json::string_t& k) {
    if (depth_ == 2 && !in_metadata_) {
      bool* seen = nullptr;
      if (k == "dtype") {
        field_ = Field::DType, seen = &has_dtype_;
      } else if (k == "shape") {
        field_ = Field::Shape, seen = &has_shape_;
      } else if (k == "data_offsets") {
        field_ = Field::Offsets, seen = &has_offsets_;
      } else {
        fail_tensor(source_, name_, "unknown field \"" + k.substr(0, 32) + "\"");
      }
      if (*seen) fail_tensor(source_, name_, "duplicate field \"" + k + "\"");
      *seen = true;
      return true;
    }
    key_ = std::move(k);
    return true;
  }
  bool parse_error(std::size_t position, const std::string&, const nlohmann::detail::exception& e) {
    // nlohmann's messages start with "[json.exception.parse_error.101] parse error at line 1,
    // column 5: ..."; keep the part after the generic prefix.
    std::string what = e.what();
    const std::size_t colon = what.find("parse error");
    if (colon != std::string::npos) what = what.substr(colon);
    fail(source_, "the header is not valid JSON (byte " + std::to_string(position) + "): " + what);
  }

 private:
  enum class Field { None, DType, Shape, Offsets };

  /// A value that has no place where it appears.
  bool scalar(const char* what) {
    if (depth_ == 0) fail(source_, "the header is not a JSON object");
    if (depth_ == 1 && key_ == "__metadata__") fail(source_, "__metadata__ is not an object");
    if (depth_ == 1) fail_tensor(source_, key_, std::string("the entry is ") + what);
    if (in_metadata_) fail(source_, "__metadata__ value of '" + key_ + "' is not a string");
    if (depth_ == 3) fail_tensor(source_, name_, std::string("an extent or offset is ") + what);
    fail_tensor(source_, name_, std::string("a field's value is ") + what + ", of the wrong kind");
  }

  void finish_tensor() {
    if (!has_dtype_ || !has_shape_ || !has_offsets_) {
      fail_tensor(source_, name_, "needs dtype, shape and data_offsets");
    }
    // The vector of entries may double: count each entry twice.
    charge(2 * sizeof(TensorInfo) + heap_bytes(name_) + sizeof(std::size_t) * shape_.size());
    TensorInfo info;
    info.name = std::move(name_);
    info.dtype = dtype_;
    info.shape.assign(shape_.begin(), shape_.end());
    info.begin = offsets_[0];
    info.end = offsets_[1];
    header_.tensors.push_back(std::move(info));
    field_ = Field::None;
  }

  // An index costs far more per entry than its JSON text ("k":"" is 7 bytes, a map node with two
  // strings about 112): a header of millions of tiny entries would take many times the file's
  // size. The index may take kIndexPerHeaderByte times the header's size (or kMinIndexBytes).
  static constexpr std::size_t kIndexPerHeaderByte = 4;
  static constexpr std::size_t kMinIndexBytes = std::size_t{64} << 20;
  static constexpr std::size_t kMapNodeBytes = 32 + 2 * sizeof(std::string) + 16;

  static std::size_t heap_bytes(const std::string& s) { return s.size() > 15 ? s.size() + 17 : 0; }

  void charge(std::size_t bytes) {
    index_bytes_ += bytes;
    if (index_bytes_ > index_limit_) {
      fail(source_, "the header's " + std::to_string(header_.tensors.size()) + " tensors and " +
                        std::to_string(header_.metadata.size()) +
                        " metadata entries would take more than " + std::to_string(index_limit_) +
                        " bytes of memory, " + std::to_string(kIndexPerHeaderByte) +
                        " times the header's size");
    }
  }

  const std::string& source_;
  std::size_t index_limit_;
  std::size_t index_bytes_ = 0;
  Header header_;
  int depth_ = 0;
  bool in_metadata_ = false, seen_metadata_ = false;
  std::string key_, name_;
  Field field_ = Field::None;
  bool has_dtype_ = false, has_shape_ = false, has_offsets_ = false;
  DType dtype_ = DType::F32;
  std::vector<std::uint64_t> shape_, offsets_;
};

/// Checks one entry's extents and offsets on their own: the byte count implied by the shape
/// (computed without overflow, whatever the order of the extents) equals end - begin, and the
/// range lies inside the data section.
void check_entry(const TensorInfo& t, std::uint64_t data_bytes, const std::string& source) {
  // The product of the non-zero extents must fit, so that no order of the extents overflows.
  std::uint64_t nonzero = 1;
  bool has_zero = false;
  for (std::size_t d : t.shape) {
    if (d == 0) {
      has_zero = true;
      continue;
    }
    if (__builtin_mul_overflow(nonzero, static_cast<std::uint64_t>(d), &nonzero)) {
      fail_tensor(source, t.name, "the product of the shape's extents overflows 64 bits");
    }
  }
  std::uint64_t bytes = 0;
  if (__builtin_mul_overflow(nonzero, static_cast<std::uint64_t>(dtype_size(t.dtype)), &bytes) ||
      bytes > static_cast<std::uint64_t>(std::numeric_limits<std::ptrdiff_t>::max())) {
    fail_tensor(source, t.name, "the shape's byte count overflows");
  }
  if (has_zero) bytes = 0;
  if (t.begin > t.end) {
    fail_tensor(source, t.name,
                "data_offsets [" + std::to_string(t.begin) + ", " + std::to_string(t.end) +
                    "] run backwards");
  }
  if (t.end > data_bytes) {
    fail_tensor(source, t.name,
                "data_offsets end " + std::to_string(t.end) + " is past the data section (" +
                    std::to_string(data_bytes) + " bytes)");
  }
  if (t.end - t.begin != bytes) {
    fail_tensor(source, t.name,
                "data_offsets [" + std::to_string(t.begin) + ", " + std::to_string(t.end) +
                    "] span " + std::to_string(t.end - t.begin) + " bytes but the shape and " +
                    dtype_name(t.dtype) + " need " + std::to_string(bytes));
  }
}

}  // namespace

const char* dtype_name(DType dtype) {
  switch (dtype) {
    case DType::BOOL:
      return "BOOL";
    case DType::U8:
      return "U8";
    case DType::I8:
      return "I8";
    case DType::U16:
      return "U16";
    case DType::I16:
      return "I16";
    case DType::U32:
      return "U32";
    case DType::I32:
      return "I32";
    case DType::U64:
      return "U64";
    case DType::I64:
      return "I64";
    case DType::F16:
      return "F16";
    case DType::BF16:
      return "BF16";
    case DType::F32:
      return "F32";
    case DType::F64:
      return "F64";
  }
  return "?";
}

std::size_t dtype_size(DType dtype) {
  switch (dtype) {
    case DType::BOOL:
    case DType::U8:
    case DType::I8:
      return 1;
    case DType::U16:
    case DType::I16:
    case DType::F16:
    case DType::BF16:
      return 2;
    case DType::U32:
    case DType::I32:
    case DType::F32:
      return 4;
    case DType::U64:
    case DType::I64:
    case DType::F64:
      return 8;
  }
  return 0;
}

std::size_t TensorInfo::numel() const {
  std::size_t n = 1;
  for (std::size_t d : shape) n *= d;  // checked by parse_header: cannot overflow
  return n;
}

Header parse_header(std::string_view json, std::uint64_t data_bytes, const std::string& source) {
  // JSON never holds a raw NUL, and nlohmann's lexer would take one for the end of the input.
  const std::size_t nul = json.find('\0');
  if (nul != std::string_view::npos) {
    fail(source, "the header holds a NUL byte (byte " + std::to_string(nul) + " of the header)");
  }
  const std::size_t bad = find_invalid_utf8(json);
  if (bad != std::string_view::npos) {
    fail(source, "the header is not valid UTF-8 (byte " + std::to_string(bad) + " of the header)");
  }
  if (json.empty() || json.front() != '{') fail(source, "the header does not start with '{'");
  HeaderBuilder builder(source, json.size());
  nlohmann::json::sax_parse(json.begin(), json.end(), &builder);
  Header header = builder.take();

  for (const TensorInfo& t : header.tensors) check_entry(t, data_bytes, source);
  // Names are unique (the JSON parser keeps duplicates as separate events).
  std::vector<const TensorInfo*> by_name;
  by_name.reserve(header.tensors.size());
  for (const TensorInfo& t : header.tensors) by_name.push_back(&t);
  std::sort(by_name.begin(), by_name.end(),
            [](const TensorInfo* a, const TensorInfo* b) { return a->name < b->name; });
  for (std::size_t i = 1; i < by_name.size(); ++i) {
    if (by_name[i]->name == by_name[i - 1]->name) {
      fail_tensor(source, by_name[i]->name, "appears twice in the header");
    }
  }
  // The ranges tile the data section: sorted by offset, each starts where the previous ended.
  std::stable_sort(header.tensors.begin(), header.tensors.end(),
                   [](const TensorInfo& a, const TensorInfo& b) {
                     return a.begin != b.begin ? a.begin < b.begin : a.end < b.end;
                   });
  std::uint64_t expected = 0;
  const TensorInfo* previous = nullptr;
  for (const TensorInfo& t : header.tensors) {
    if (t.begin < expected) {
      fail_tensor(source, t.name,
                  "data_offsets [" + std::to_string(t.begin) + ", " + std::to_string(t.end) +
                      "] overlap tensor '" + previous->name + "'");
    }
    if (t.begin > expected) {
      fail_tensor(source, t.name,
                  "a gap of " + std::to_string(t.begin - expected) + " bytes before it (" +
                      (previous ? "after tensor '" + previous->name + "'"
                                : std::string("at the start of the data")) +
                      ")");
    }
    expected = t.end;
    if (t.end > t.begin || !previous) previous = &t;
  }
  if (expected != data_bytes) {
    fail(source, std::to_string(data_bytes - expected) +
                     " bytes after the last tensor's data (the data section is " +
                     std::to_string(data_bytes) + " bytes)");
  }
  return header;
}

}  // namespace axon::io
