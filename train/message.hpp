// SPDX-License-Identifier: MIT
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <type_traits>
#include <vector>

#include "axon/autograd/error.hpp"
#include "axon/autograd/tensor.hpp"
#include "axon/datasets/dataset.hpp"

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
  /// Appends zero bytes up to the next multiple of `alignment` bytes from the message's start
  /// (so that an array after it can be read in place, MessageReader::view).
  void align(std::size_t alignment) {
    out_.resize((out_.size() + alignment - 1) / alignment * alignment);
  }

 private:
  std::vector<std::byte>& out_;
};

/// Writes plain values in MessageWriter's layout at a fixed place instead of appending: a filler
/// made without a place only counts the bytes (size()), so that a message can be measured, given
/// room, and then written where it is sent from (Communicator::allgather_filled).
class MessageFiller {
 public:
  /// Writes at `at` (which must have room for the message), or only counts when `at` is null.
  explicit MessageFiller(std::byte* at = nullptr) : at_(at) {}
  /// Writes `n` bytes from `data`.
  void bytes(const void* data, std::size_t n) {
    if (at_ && n) std::memcpy(at_ + pos_, data, n);
    pos_ += n;
  }
  /// Writes the bytes of a trivially copyable value.
  template <class V>
  void value(V v) {
    static_assert(std::is_trivially_copyable_v<V>);
    bytes(&v, sizeof v);
  }
  /// Zero bytes up to the next multiple of `alignment` bytes from the message's start.
  void align(std::size_t alignment) {
    const std::size_t to = (pos_ + alignment - 1) / alignment * alignment;
    if (at_ && to > pos_) std::memset(at_ + pos_, 0, to - pos_);
    pos_ = to;
  }
  /// Bytes written (or counted) so far.
  std::size_t size() const { return pos_; }

 private:
  std::byte* at_;
  std::size_t pos_ = 0;
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
    if (size_ - pos_ < n) short_message();
    if (n) std::memcpy(data, data_ + pos_, n);
    pos_ += n;
  }
  /// The next `n` bytes where they are in the message, without a copy.
  const std::byte* view(std::size_t n) {
    const std::byte* at = data_ + pos_;
    skip(n);
    return at;
  }
  /// Skips the next `n` bytes.
  void skip(std::size_t n) {
    if (size_ - pos_ < n) short_message();
    pos_ += n;
  }
  /// Skips MessageWriter::align's padding.
  void align(std::size_t alignment) { skip((pos_ + alignment - 1) / alignment * alignment - pos_); }
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
  [[noreturn]] void short_message() const {
    throw ValueError(who_ + ": the message from rank " + std::to_string(rank_) +
                     " is shorter than expected (do all ranks run the same model and data?)");
  }

  const std::byte* data_;
  std::size_t size_;
  std::size_t rank_;
  std::string who_;
  std::size_t pos_ = 0;
};

/// Appends a tensor: its rank, its shape and its elements (`w` a MessageWriter or MessageFiller).
template <class W, class T>
void write_tensor(W& w, const autograd::BasicTensor<T>& t) {
  w.value(static_cast<std::uint64_t>(t.dim()));
  for (std::size_t d : t.shape()) w.value(static_cast<std::uint64_t>(d));
  w.bytes(t.data_ptr(), sizeof(T) * t.numel());
}

/// Reads write_tensor's tensor back.
template <class T>
autograd::BasicTensor<T> read_tensor(MessageReader& r) {
  autograd::Shape shape(r.value<std::uint64_t>());
  for (auto& d : shape) d = static_cast<std::size_t>(r.value<std::uint64_t>());
  auto value = xt::xarray<T>::from_shape(shape);
  r.bytes(value.data(), sizeof(T) * value.size());
  return autograd::BasicTensor<T>(std::move(value));
}

/// Appends what metrics read of a batch: its labels, targets and indices (not its inputs).
template <class W>
void write_batch_rows(W& w, const datasets::Batch& batch) {
  w.value(static_cast<std::uint64_t>(batch.size()));
  w.value(static_cast<std::uint64_t>(batch.labels.size()));
  w.bytes(batch.labels.data(), sizeof(std::size_t) * batch.labels.size());
  w.value(static_cast<std::uint8_t>(batch.targets.defined()));
  if (batch.targets.defined()) write_tensor(w, batch.targets);
  w.value(static_cast<std::uint64_t>(batch.indices.size()));
  w.bytes(batch.indices.data(), sizeof(std::size_t) * batch.indices.size());
}

/// Reads write_batch_rows's batch back: labels, targets and indices, no inputs. Its indices are
/// never empty (zeros when the sent batch had none), so that size() is the sent batch's.
inline datasets::Batch read_batch_rows(MessageReader& r) {
  datasets::Batch batch;
  const auto size = static_cast<std::size_t>(r.value<std::uint64_t>());
  batch.labels.resize(static_cast<std::size_t>(r.value<std::uint64_t>()));
  r.bytes(batch.labels.data(), sizeof(std::size_t) * batch.labels.size());
  if (r.value<std::uint8_t>() != 0) batch.targets = read_tensor<float>(r);
  batch.indices.resize(static_cast<std::size_t>(r.value<std::uint64_t>()));
  r.bytes(batch.indices.data(), sizeof(std::size_t) * batch.indices.size());
  if (batch.indices.empty()) batch.indices.resize(size);
  return batch;
}

}  // namespace axon::train
