// SPDX-License-Identifier: MIT
#pragma once

#include <cstddef>
#include <cstring>
#include <string>
#include <type_traits>
#include <vector>

#include "axon/autograd/error.hpp"

/// The byte messages ranks exchange in distributed training (train/rank_step.hpp): plain values
/// appended in order and read back in the same order.
namespace axon::train {

/// Appends plain values to a byte buffer.
class MessageWriter {
 public:
  /// Appends to `out`, which must outlive the writer.
  explicit MessageWriter(std::vector<std::byte>& out) : out_(out) {}
  /// Appends `n` bytes from `data`.
  void bytes(const void* data, std::size_t n) {
    const auto* p = static_cast<const std::byte*>(data);
    out_.insert(out_.end(), p, p + n);
  }
  /// Appends the bytes of a trivially copyable value.
  template <class V>
  void value(V v) {
    static_assert(std::is_trivially_copyable_v<V>);
    bytes(&v, sizeof v);
  }

 private:
  std::vector<std::byte>& out_;
};

/// Reads MessageWriter's values back. ValueError naming `who` and the rank when the message ends
/// early: the ranks did not run the same model or data.
class MessageReader {
 public:
  /// Reads the `size` bytes at `data` (which must outlive the reader), the message rank `rank`
  /// sent.
  MessageReader(const std::byte* data, std::size_t size, std::size_t rank, std::string who)
      : data_(data), size_(size), rank_(rank), who_(std::move(who)) {}
  /// Reads `in` (which must outlive the reader).
  MessageReader(const std::vector<std::byte>& in, std::size_t rank, std::string who)
      : MessageReader(in.data(), in.size(), rank, std::move(who)) {}
  /// Copies the next `n` bytes to `data`.
  void bytes(void* data, std::size_t n) {
    if (size_ - pos_ < n) {
      throw ValueError(who_ + ": the message from rank " + std::to_string(rank_) +
                       " is shorter than expected (do all ranks run the same model and data?)");
    }
    if (n) std::memcpy(data, data_ + pos_, n);
    pos_ += n;
  }
  /// The next value of type V.
  template <class V>
  V value() {
    V v;
    bytes(&v, sizeof v);
    return v;
  }
  /// Whether every byte has been read.
  bool done() const { return pos_ == size_; }

 private:
  const std::byte* data_;
  std::size_t size_;
  std::size_t rank_;
  std::string who_;
  std::size_t pos_ = 0;
};

}  // namespace axon::train
