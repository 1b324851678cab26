// SPDX-License-Identifier: MIT
#pragma once

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <iosfwd>
#include <memory>
#include <string>
#include <type_traits>
#include <unordered_map>
#include <utility>
#include <vector>

#include <xtensor/xarray.hpp>

#include "axon/autograd/error.hpp"
#include "axon/autograd/random.hpp"
#include "axon/autograd/shape.hpp"
#include "axon/autograd/tape.hpp"

/// The tensor type: a cheap handle to a row-major xtensor array with its gradient and its place
/// on the tape. Copying a tensor copies the handle (like PyTorch), not the data.
namespace axon::autograd {

namespace detail {
/// An array of shape [0] to copy from. A copy of it owns no heap memory and costs about a third
/// of a new `from_shape({0})`; a default-constructed xarray instead allocates one element.
/// Never destroyed, so it can be copied at any point of program exit.
template <class T>
const xt::xarray<T>& empty_array() {
  static const auto* empty = new xt::xarray<T>(xt::xarray<T>::from_shape({0}));
  return *empty;
}
}  // namespace detail

template <class T>
struct GradHooks;

/// The state behind a tensor handle. Op implementations use it directly.
///
/// Both arrays start empty (shape [0]) rather than default-constructed: a default xarray is 0-d
/// with one heap element, which every recorded op allocated and freed again for nothing
/// (bench/README.md, tape_overhead).
template <class T>
struct TensorImpl {
  xt::xarray<T> value = detail::empty_array<T>();  ///< the tensor's values
  xt::xarray<T> grad = detail::empty_array<T>();   ///< meaningful only when has_grad
  bool has_grad = false;                           ///< whether `grad` holds a gradient
  bool requires_grad = false;  ///< whether backward() computes a gradient for it
  std::uint64_t graph_id = 0;  ///< id of the tape recording that produced it; 0 for a leaf
  std::size_t node_index = 0;  ///< position of the producing node on that tape
  /// Live-handle count of the producing tape (nullptr for a leaf); see detail::HandleCount.
  detail::HandleCount* handle_count = nullptr;
  /// Holds values read from a gradient (grad(), and ops of such values run while recording
  /// with no input requiring a gradient): a recorded op refuses it (see make_result).
  bool from_grad = false;
  /// Counts in-place writes through BasicTensor::mutable_data()/mutable_data_ptr(): a recorded
  /// op notes the versions of its inputs and backward() refuses values written since
  /// (detail::SavedVersions).
  std::uint32_t version = 0;
  /// retain_grad() and register_hook() state; null for almost every tensor.
  std::shared_ptr<GradHooks<T>> hooks;
};

template <class T>
/// A tensor of T (float or double): a shared handle to values, gradient and tape position; ops on
/// it are recorded for backward() while a gradient is required.
class BasicTensor {
 public:
  using value_type = T;        ///< element type (float or double)
  using Impl = TensorImpl<T>;  ///< the shared state a handle points to

  /// An undefined tensor (no storage); `defined()` is false and using it throws ValueError.
  BasicTensor() = default;
  /// A leaf tensor owning `value`.
  explicit BasicTensor(xt::xarray<T> value, bool requires_grad = false);
  /// Wraps existing state (used by ops).
  explicit BasicTensor(std::shared_ptr<Impl> impl) : impl_(std::move(impl)) { acquire(); }
  /// Another handle to the same tensor.
  BasicTensor(const BasicTensor& other) : impl_(other.impl_) { acquire(); }
  /// Takes over `other`'s handle; `other` becomes undefined.
  BasicTensor(BasicTensor&& other) noexcept : impl_(std::move(other.impl_)) {}
  /// Makes this a handle to `other`'s tensor.
  BasicTensor& operator=(const BasicTensor& other) {
    if (impl_ != other.impl_) {
      BasicTensor copy(other);
      swap(copy);
    }
    return *this;
  }
  /// Takes over `other`'s handle; `other` becomes undefined.
  BasicTensor& operator=(BasicTensor&& other) noexcept {
    if (this != &other) {
      BasicTensor moved(std::move(other));
      swap(moved);
    }
    return *this;
  }
  /// Drops the handle; the last handle to a recording lets the tape release it (tape.hpp).
  ~BasicTensor() { drop(); }

  /// Whether this handle refers to a tensor.
  bool defined() const { return static_cast<bool>(impl_); }

  /// Extents of each axis.
  const Shape& shape() const { return impl().value.shape(); }
  /// Extent of one axis (negative counts from the end).
  std::size_t size(int axis) const;
  /// Number of axes (0 for a scalar).
  std::size_t dim() const { return impl().value.dimension(); }
  /// Number of elements.
  std::size_t numel() const { return impl().value.size(); }

  /// The values (contiguous, row-major), read-only. Write through mutable_data().
  const xt::xarray<T>& data() const { return impl().value; }
  /// Pointer to the first value, read-only.
  const T* data_ptr() const { return impl().value.data(); }
  /// The values, for writing in place (as PyTorch's in-place ops). The write is not recorded; it
  /// counts as a new version of the tensor, so a recorded op that used the old values refuses to
  /// run its backward (GraphError naming the op) instead of silently using the new ones. To
  /// change a tensor a graph still needs, write into a copy (detach()) instead.
  xt::xarray<T>& mutable_data() {
    Impl& s = impl();
    ++s.version;
    return s.value;
  }
  /// Pointer to the first value, for writing in place (a new version, as mutable_data()).
  T* mutable_data_ptr() { return mutable_data().data(); }
  /// How many times the values were written in place through mutable_data()/mutable_data_ptr().
  std::uint32_t version() const { return impl().version; }

  /// The single value of a one-element tensor; ValueError otherwise.
  T item() const;

  /// Whether gradients flow into this tensor.
  bool requires_grad() const { return impl().requires_grad; }
  /// Marks a leaf as requiring (or not) a gradient; returns *this. GraphError on a non-leaf.
  BasicTensor& requires_grad_(bool value = true);
  /// True for tensors not produced by a recorded op (user tensors, parameters).
  bool is_leaf() const { return impl().graph_id == 0; }

  /// Whether a gradient has been accumulated since the last zero_grad() (for a non-leaf: kept by
  /// retain_grad()).
  bool has_grad() const;
  /// A copy of the accumulated gradient as a tensor (zeros if none yet). A non-leaf's gradient is
  /// freed during backward(), so reading it is a GraphError unless retain_grad() was called. The
  /// copy is a constant: a recorded op that takes it (or a value computed from it) is a
  /// GraphError, since no gradient flows through it (detach() it if a constant is meant).
  BasicTensor grad() const;
  /// Keeps this non-leaf's gradient through backward() so grad() can read it (a no-op on a
  /// leaf); returns *this. GraphError on a tensor that does not require a gradient.
  BasicTensor& retain_grad();
  /// Whether grad() can be read: a leaf, or a non-leaf after retain_grad().
  bool retains_grad() const;
  /// A function that sees the gradient flowing into this tensor during backward(); it returns
  /// a replacement of the same shape, or an undefined tensor to keep it.
  using Hook = std::function<BasicTensor(const BasicTensor&)>;
  /// Registers `hook`. On a non-leaf it runs once per backward() on the whole gradient, before
  /// the op that made the tensor passes it on; on a leaf it runs on each contribution before it
  /// is added (concurrently from the shards of the batch-parallel trainer: keep it thread-safe).
  /// Hooks run in registration order, each on the previous one's result.
  void register_hook(Hook hook);
  /// The accumulated gradient itself, for in-place use by optimizers (allocated as zeros if none).
  xt::xarray<T>& grad_data();
  /// Drops the accumulated gradient (and a non-leaf's kept one).
  void zero_grad();

  /// A new leaf with a copy of the values, cut from the graph (and a plain constant, even when
  /// read from a gradient).
  BasicTensor detach() const;
  /// A copy of the values in another scalar type (a new leaf).
  template <class U>
  BasicTensor<U> to() const {
    xt::xarray<U> v = xt::xarray<U>::from_shape(shape());
    const T* src = data_ptr();
    for (std::size_t i = 0; i < numel(); ++i) v.data()[i] = static_cast<U>(src[i]);
    return BasicTensor<U>(std::move(v), requires_grad() && is_leaf());
  }

  /// Backpropagates from a one-element tensor (seed 1). Releases the graph unless retain_graph.
  /// With create_graph the backward pass records its own ops (the graph is then kept): each
  /// leaf's grad() is a tensor on the tape that can be differentiated again, as in PyTorch.
  void backward(bool retain_graph = false, bool create_graph = false) const;
  /// Backpropagates with an explicit gradient of this tensor's shape.
  void backward(const BasicTensor& grad_output, bool retain_graph = false,
                bool create_graph = false) const;

  /// The state behind the handle; ValueError when undefined.
  Impl& impl() const {
    if (!impl_) throw ValueError("tensor: use of an undefined (default-constructed) tensor");
    return *impl_;
  }
  /// The shared state pointer (ops capture it in backward closures). Closures hold this, not a
  /// BasicTensor: a handle inside the tape would count as a user's and keep the recording alive.
  const std::shared_ptr<Impl>& impl_ptr() const { return impl_; }

 private:
  // Only tensors recorded on a tape are counted (see detail::HandleCount); leaves cost nothing.
  void acquire() const {
    if (impl_ && impl_->handle_count) impl_->handle_count->acquire(impl_->graph_id);
  }
  void drop() const noexcept {
    if (impl_ && impl_->handle_count) impl_->handle_count->drop(impl_->graph_id);
  }
  void swap(BasicTensor& other) noexcept { impl_.swap(other.impl_); }

  std::shared_ptr<Impl> impl_;
};

using Tensor = BasicTensor<float>;    ///< float32 elements
using TensorD = BasicTensor<double>;  ///< float64 elements (gradient checks)

/// Prints `tensor([[1, 2], [3, 4]], shape=[2,2], requires_grad)` (long axes are elided).
template <class T>
std::ostream& operator<<(std::ostream& os, const BasicTensor<T>& t);

// ---- factories -------------------------------------------------------------------------------

/// A tensor of zeros.
template <class T = float>
BasicTensor<T> zeros(const Shape& shape, bool requires_grad = false);
/// A tensor of ones.
template <class T = float>
BasicTensor<T> ones(const Shape& shape, bool requires_grad = false);
/// A tensor filled with `value`.
template <class T = float>
BasicTensor<T> full(const Shape& shape, T value, bool requires_grad = false);
/// A 0-d tensor holding `value`.
template <class T = float>
BasicTensor<T> scalar(T value, bool requires_grad = false);
/// 1-D tensor start, start+step, ... (< stop), as numpy.arange.
template <class T = float>
BasicTensor<T> arange(T start, T stop, T step = T(1));
/// A tensor of `shape` from row-major `values`; ShapeError when the counts differ.
template <class T = float>
BasicTensor<T> from_vector(const std::vector<T>& values, const Shape& shape,
                           bool requires_grad = false);
/// Uniform draws in [low, high) from `gen`.
template <class T = float>
BasicTensor<T> rand(const Shape& shape, Generator& gen, T low = T(0), T high = T(1),
                    bool requires_grad = false);
/// Normal draws with the given mean and standard deviation from `gen`.
template <class T = float>
BasicTensor<T> randn(const Shape& shape, Generator& gen, T mean = T(0), T stddev = T(1),
                     bool requires_grad = false);

}  // namespace axon::autograd

// How an op records itself (make_result, FunctionNode, accumulate_grad): every op needs it.
#include "axon/autograd/recording.hpp"
