// SPDX-License-Identifier: MIT
#pragma once

#include <utility>
#include <vector>

#include <xtensor/xarray.hpp>

#include "axon/autograd/tensor.hpp"

/// Per-shard gradient buffers for batch-parallel training (docs/ARCHITECTURE.md, property 7).
///
/// While a GradSinkScope is alive on a thread, every gradient that backward() on that thread
/// would add into a leaf tensor (a parameter) is added into the scope's LeafGradients instead.
/// Shards running concurrently on different threads therefore never write to the shared
/// parameters; the trainer reduces their buffers afterwards in a fixed order.
namespace axon::autograd {

/// One shard's gradient buffers: the gradient each leaf tensor would have received, keyed by leaf.
template <class T>
class LeafGradients {
 public:
  /// Adds `g` to the buffer of `leaf` (moving it in on first use).
  void add(const TensorImpl<T>& leaf, xt::xarray<T>&& g) {
    for (auto& [key, buffer] : entries_) {
      if (key == &leaf) {
        T* dst = buffer.data();
        const T* src = g.data();
        for (std::size_t i = 0, n = buffer.size(); i < n; ++i) dst[i] += src[i];
        return;
      }
    }
    entries_.emplace_back(&leaf, std::move(g));
  }
  /// The gradient gathered for `leaf`, or nullptr when it received none.
  xt::xarray<T>* find(const TensorImpl<T>* leaf) {
    for (auto& [key, buffer] : entries_) {
      if (key == leaf) return &buffer;
    }
    return nullptr;
  }
  /// Forgets every buffer.
  void clear() { entries_.clear(); }
  /// Number of leaves with a buffer.
  std::size_t size() const { return entries_.size(); }

 private:
  // A model has tens of parameters at most, so a linear scan beats hashing.
  std::vector<std::pair<const TensorImpl<T>*, xt::xarray<T>>> entries_;
};

namespace detail {
/// The thread's active sink for scalar type T (nullptr when none).
template <class T>
LeafGradients<T>*& leaf_sink();
}  // namespace detail

/// Routes this thread's leaf gradients into `sink` for the scope's lifetime.
template <class T>
class GradSinkScope {
 public:
  /// Installs `sink`; the destructor restores the previous one.
  explicit GradSinkScope(LeafGradients<T>& sink) : previous_(detail::leaf_sink<T>()) {
    detail::leaf_sink<T>() = &sink;
  }
  ~GradSinkScope() { detail::leaf_sink<T>() = previous_; }
  GradSinkScope(const GradSinkScope&) = delete;
  GradSinkScope& operator=(const GradSinkScope&) = delete;

 private:
  LeafGradients<T>* previous_;
};

}  // namespace axon::autograd
