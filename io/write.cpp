// SPDX-License-Identifier: MIT
// The safetensors writer: layout, JSON header, little-endian data, atomic replacement.
#include <algorithm>
#include <bit>
#include <cstdint>
#include <numeric>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "axon/autograd/error.hpp"
#include "axon/io/atomic_file.hpp"
#include "axon/io/safetensors.hpp"

namespace axon::io {

namespace {

struct Layout {
  std::vector<std::size_t> order;  // indices into the tensors, in data order
  std::vector<std::uint64_t> bytes;
  std::string prefix_and_header;  // the 8-byte length, then the padded JSON
};

Layout plan(const std::vector<TensorRef>& tensors, const Metadata& metadata) {
  Layout layout;
  const std::size_t n = tensors.size();
  layout.bytes.resize(n);
  std::vector<std::string_view> names;
  for (std::size_t i = 0; i < n; ++i) {
    const TensorRef& t = tensors[i];
    if (t.name.empty()) throw ValueError("write_safetensors: a tensor has an empty name");
    if (t.name == "__metadata__") {
      throw ValueError("write_safetensors: \"__metadata__\" cannot name a tensor");
    }
    std::uint64_t count = 1;
    for (std::size_t d : t.shape) {
      if (__builtin_mul_overflow(count, static_cast<std::uint64_t>(d), &count)) {
        throw ValueError("write_safetensors: tensor '" + t.name + "': the shape overflows");
      }
    }
    if (__builtin_mul_overflow(count, static_cast<std::uint64_t>(dtype_size(t.dtype)),
                               &layout.bytes[i])) {
      throw ValueError("write_safetensors: tensor '" + t.name + "': the shape overflows");
    }
    if (layout.bytes[i] > 0 && t.data == nullptr) {
      throw ValueError("write_safetensors: tensor '" + t.name + "' has no data");
    }
    names.push_back(t.name);
  }
  std::sort(names.begin(), names.end());
  const auto dup = std::adjacent_find(names.begin(), names.end());
  if (dup != names.end()) {
    throw ValueError("write_safetensors: duplicate tensor name '" + std::string(*dup) + "'");
  }

  layout.order.resize(n);
  std::iota(layout.order.begin(), layout.order.end(), std::size_t{0});
  std::stable_sort(layout.order.begin(), layout.order.end(), [&](std::size_t a, std::size_t b) {
    return dtype_size(tensors[a].dtype) > dtype_size(tensors[b].dtype);
  });

  nlohmann::ordered_json header = nlohmann::ordered_json::object();
  if (!metadata.empty()) {
    nlohmann::ordered_json meta = nlohmann::ordered_json::object();
    for (const auto& [key, value] : metadata) meta[key] = value;
    header["__metadata__"] = std::move(meta);
  }
  std::uint64_t offset = 0;
  for (std::size_t i : layout.order) {
    const TensorRef& t = tensors[i];
    header[t.name] = {{"dtype", dtype_name(t.dtype)},
                      {"shape", t.shape},
                      {"data_offsets", {offset, offset + layout.bytes[i]}}};
    offset += layout.bytes[i];
  }
  std::string json;
  try {
    json = header.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::strict);
  } catch (const nlohmann::json::exception& e) {
    throw ValueError(std::string("write_safetensors: a name or metadata string is not UTF-8: ") +
                     e.what());
  }
  json.append((8 - json.size() % 8) % 8, ' ');
  std::string& out = layout.prefix_and_header;
  out.resize(8);
  for (int i = 0; i < 8; ++i) out[i] = static_cast<char>((json.size() >> (8 * i)) & 0xFF);
  out += json;
  return layout;
}

/// Calls sink(pointer, size) with the little-endian bytes of each tensor in data order.
template <class Sink>
void emit_data(const std::vector<TensorRef>& tensors, const Layout& layout, Sink sink) {
  std::vector<unsigned char> swapped;
  for (std::size_t i : layout.order) {
    const TensorRef& t = tensors[i];
    const std::uint64_t bytes = layout.bytes[i];
    if (bytes == 0) continue;
    const std::size_t width = dtype_size(t.dtype);
    const auto* src = static_cast<const unsigned char*>(t.data);
    if (std::endian::native == std::endian::little || width == 1) {
      sink(src, bytes);
      continue;
    }
    // A big-endian host: reverse each element's bytes, a chunk at a time.
    constexpr std::uint64_t kChunk = 1 << 16;
    for (std::uint64_t pos = 0; pos < bytes; pos += kChunk) {
      const std::uint64_t len = std::min(kChunk, bytes - pos);
      swapped.assign(src + pos, src + pos + len);
      for (std::uint64_t e = 0; e < len; e += width) {
        std::reverse(swapped.begin() + static_cast<std::ptrdiff_t>(e),
                     swapped.begin() + static_cast<std::ptrdiff_t>(e + width));
      }
      sink(swapped.data(), len);
    }
  }
}

}  // namespace

void write_safetensors(const std::string& path, const std::vector<TensorRef>& tensors,
                       const Metadata& metadata) {
  const Layout layout = plan(tensors, metadata);
  AtomicFile file(path);
  file.write(layout.prefix_and_header.data(), layout.prefix_and_header.size());
  emit_data(tensors, layout, [&](const unsigned char* p, std::uint64_t n) {
    file.write(p, static_cast<std::size_t>(n));
  });
  file.commit();
}

std::string encode_safetensors(const std::vector<TensorRef>& tensors, const Metadata& metadata) {
  const Layout layout = plan(tensors, metadata);
  std::string out = layout.prefix_and_header;
  emit_data(tensors, layout, [&](const unsigned char* p, std::uint64_t n) {
    out.append(reinterpret_cast<const char*>(p), static_cast<std::size_t>(n));
  });
  return out;
}

}  // namespace axon::io
