// SPDX-License-Identifier: MIT
#include "axon/autograd/tensor.hpp"

#include "axon/autograd/grad_sink.hpp"

#include <cmath>
#include <ostream>
#include <sstream>

namespace axon::autograd {

template <class T>
BasicTensor<T>::BasicTensor(xt::xarray<T> value, bool requires_grad)
    : impl_(std::make_shared<Impl>()) {
  impl_->value = std::move(value);  // cheaper than moving it in through a constructor
  impl_->requires_grad = requires_grad;
}

template <class T>
std::size_t BasicTensor<T>::size(int axis) const {
  return shape()[normalize_axis(axis, dim(), "size")];
}

template <class T>
T BasicTensor<T>::item() const {
  if (numel() != 1) {
    throw ValueError("item: tensor of shape " + shape_str(shape()) + " has " +
                     std::to_string(numel()) + " elements, expected exactly 1");
  }
  return data_ptr()[0];
}

template <class T>
BasicTensor<T>& BasicTensor<T>::requires_grad_(bool value) {
  if (!is_leaf()) {
    throw GraphError("requires_grad_: only leaf tensors can change requires_grad; use detach()");
  }
  impl().requires_grad = value;
  return *this;
}

template <class T>
bool BasicTensor<T>::has_grad() const {
  const Impl& s = impl();
  if (s.graph_id == 0) return s.has_grad;
  return s.hooks && s.hooks->has_retained;
}

template <class T>
BasicTensor<T> BasicTensor<T>::grad() const {
  const Impl& s = impl();
  if (s.graph_id == 0 && s.has_grad && s.hooks && s.hooks->graph_grad.defined()) {
    return s.hooks->graph_grad;  // from backward(create_graph): differentiable
  }
  const xt::xarray<T>* g = s.has_grad ? &s.grad : nullptr;
  if (s.graph_id != 0) {
    if (!retains_grad()) {
      throw GraphError("grad: the tensor of shape " + shape_str(shape()) +
                       " is not a leaf (an op made it), and a non-leaf's gradient is freed "
                       "during backward(); call retain_grad() on it before backward() to keep it");
    }
    g = s.hooks->has_retained ? &s.hooks->retained : nullptr;
  }
  BasicTensor result(g ? xt::xarray<T>(*g) : xt::xarray<T>(xt::zeros<T>(shape())));
  result.impl().from_grad = true;
  return result;
}

template <class T>
BasicTensor<T>& BasicTensor<T>::retain_grad() {
  Impl& s = impl();
  if (!s.requires_grad) {
    throw GraphError("retain_grad: the tensor of shape " + shape_str(shape()) +
                     " does not require a gradient");
  }
  if (s.graph_id == 0) return *this;  // a leaf keeps its gradient anyway
  if (!s.hooks) s.hooks = std::make_shared<GradHooks<T>>();
  s.hooks->retain = true;
  return *this;
}

template <class T>
bool BasicTensor<T>::retains_grad() const {
  const Impl& s = impl();
  return s.graph_id == 0 || (s.hooks && s.hooks->retain);
}

template <class T>
void BasicTensor<T>::register_hook(Hook hook) {
  Impl& s = impl();
  if (!s.requires_grad) {
    throw GraphError("register_hook: the tensor of shape " + shape_str(shape()) +
                     " does not require a gradient, so no gradient will pass it");
  }
  if (!hook) throw ValueError("register_hook: the hook is empty");
  if (!s.hooks) s.hooks = std::make_shared<GradHooks<T>>();
  s.hooks->hooks.push_back(std::move(hook));
}

template <class T>
xt::xarray<T>& BasicTensor<T>::grad_data() {
  Impl& s = impl();
  if (!s.has_grad) {
    s.grad = xt::zeros<T>(s.value.shape());
    s.has_grad = true;
  }
  return s.grad;
}

template <class T>
void BasicTensor<T>::zero_grad() {
  impl().has_grad = false;
  impl().grad = xt::xarray<T>::from_shape({0});
  if (impl().hooks) {
    impl().hooks->has_retained = false;
    impl().hooks->graph_grad = BasicTensor();
  }
}

template <class T>
BasicTensor<T> BasicTensor<T>::detach() const {
  return BasicTensor(impl().value);
}

template <class T>
void BasicTensor<T>::backward(bool retain_graph, bool create_graph) const {
  if (numel() != 1) {
    throw GraphError("backward: called without a gradient on a tensor of shape " +
                     shape_str(shape()) +
                     "; pass grad_output, or reduce to one element (e.g. sum) first");
  }
  backward(BasicTensor(xt::xarray<T>(xt::ones<T>(shape()))), retain_graph, create_graph);
}

template <class T>
void BasicTensor<T>::backward(const BasicTensor& grad_output, bool retain_graph,
                              bool create_graph) const {
  Impl& s = impl();
  if (!s.requires_grad) {
    throw GraphError("backward: tensor of shape " + shape_str(shape()) +
                     " does not require grad (no input of the ops that made it requires grad, or "
                     "it was computed under NoGradGuard)");
  }
  if (grad_output.shape() != shape()) {
    throw ShapeError("backward: grad_output of shape " + shape_str(grad_output.shape()) +
                     " does not match the tensor's shape " + shape_str(shape()));
  }
  if (create_graph) {  // the graph is kept: its recorded gradients refer to it
    detail::backward_recording(*this, grad_output);
    return;
  }
  if (s.graph_id == 0) {  // a leaf: the gradient is the seed itself
    accumulate_grad(s, xt::xarray<T>(grad_output.data()));
    return;
  }
  Tape& tape = current_tape();
  if (s.graph_id != tape.id()) {
    throw GraphError(
        "backward: the graph of this tensor was already released by an earlier backward() (or "
        "it was recorded on another thread's tape); pass retain_graph=true to the first "
        "backward() to call it twice");
  }
  accumulate_grad(s, xt::xarray<T>(grad_output.data()));
  tape.run_backward(s.node_index);
  if (!retain_graph) tape.release();
}

template <class T>
void accumulate_grad(TensorImpl<T>& impl, xt::xarray<T>&& g) {
  if (g.shape() != impl.value.shape()) {
    throw GraphError(std::string("backward of ") + detail::running_node_name() +
                     ": internal error: gradient of shape " + shape_str(g.shape()) +
                     " for a tensor of shape " + shape_str(impl.value.shape()));
  }
  if (anomaly_enabled()) {
    const T* p = g.data();
    for (std::size_t i = 0; i < g.size(); ++i) {
      if (!std::isfinite(p[i])) {
        std::ostringstream os;
        os << "anomaly: backward of '" << detail::running_node_name() << "' produced " << p[i]
           << " at element " << i << " of a gradient of shape " << shape_str(g.shape());
        const std::string origin = current_tape().first_nonfinite_forward();
        if (!origin.empty()) os << "; the first non-finite forward value: " << origin;
        throw NumericalError(os.str());
      }
    }
  }
  if (impl.graph_id != 0 && !impl.has_grad) {  // the common case inline: an op's first gradient
    impl.grad = std::move(g);
    impl.has_grad = true;
    return;
  }
  if (impl.graph_id == 0 && impl.hooks) detail::run_hooks(impl, g);
  detail::add_into_grad(impl, std::move(g));
}

namespace detail {
template <class T>
void add_into_grad(TensorImpl<T>& impl, xt::xarray<T>&& g) {
  // A leaf (parameter) while a shard of a batch-parallel step runs: into the shard's buffer.
  if (impl.graph_id == 0) {
    if (LeafGradients<T>* sink = detail::leaf_sink<T>()) {
      sink->add(impl, std::move(g));
      return;
    }
  }
  if (!impl.has_grad) {
    impl.grad = std::move(g);
    impl.has_grad = true;
    return;
  }
  if (impl.grad.shape() != impl.value.shape()) {
    const std::string node = detail::running_node_name();
    check_grad_shape(impl, node.empty() ? "accumulate_grad" : "backward of " + node);
  }
  T* dst = impl.grad.data();
  const T* src = g.data();
  const std::size_t n = g.size();
  for (std::size_t i = 0; i < n; ++i) dst[i] += src[i];
}
template void add_into_grad<float>(TensorImpl<float>&, xt::xarray<float>&&);
template void add_into_grad<double>(TensorImpl<double>&, xt::xarray<double>&&);
}  // namespace detail

namespace detail {
void throw_grad_shape(const std::string& who, const Shape& grad, const Shape& value) {
  throw ShapeError(who + ": the tensor's gradient has shape " + shape_str(grad) +
                   " but its value has shape " + shape_str(value) +
                   " (a gradient assigned through grad_data() must have the value's shape)");
}

void throw_grad_input(const char* op, std::size_t input) {
  throw GraphError(std::string(op) + ": input " + std::to_string(input) +
                   " holds values read from a gradient (grad()), which are a constant here: no "
                   "gradient flows through them, so a loss built from them (a gradient penalty) "
                   "gets a wrong gradient. Compute the gradient with autograd::grad(outputs, "
                   "inputs, {}, GradOptions().create_graph(true)) (or backward(retain_graph, "
                   "create_graph=true)) to differentiate through it, or detach() the values if "
                   "a constant is meant");
}

void throw_stale_input(const char* op, std::size_t input) {
  throw GraphError(std::string(op) + ": input " + std::to_string(input) +
                   " belongs to a graph that was already released by backward(); detach() it "
                   "(e.g. a recurrent state carried across batches) or use retain_graph=true");
}
void throw_modified_input(const char* op, std::size_t input, const Shape& shape,
                          std::uint32_t saved, std::uint32_t now) {
  throw GraphError("backward of " + std::string(op) + ": input " + std::to_string(input) +
                   " (a tensor of shape " + shape_str(shape) +
                   ") was written in place (mutable_data()) after the op used it: it is at "
                   "version " +
                   std::to_string(now) + ", the op saw version " + std::to_string(saved) +
                   "; write into a copy (detach()) instead, or before the op runs");
}
void throw_modified_output(const char* op, const Shape& shape, std::uint32_t now) {
  throw GraphError(
      "backward of " + std::string(op) + ": its result (a tensor of shape " + shape_str(shape) +
      ") was written in place (mutable_data()) since the op made "
      "it: it is at version " +
      std::to_string(now) + ", the op saw version 0; write into a copy (detach()) instead");
}
template <class T>
void run_hooks(const TensorImpl<T>& impl, xt::xarray<T>& g) {
  for (const auto& hook : impl.hooks->hooks) {
    BasicTensor<T> replaced = hook(BasicTensor<T>(xt::xarray<T>(g)));
    if (!replaced.defined()) continue;
    if (replaced.shape() != g.shape()) {
      throw ShapeError("register_hook: a hook returned a gradient of shape " +
                       shape_str(replaced.shape()) + " for a tensor of shape " +
                       shape_str(impl.value.shape()));
    }
    g = replaced.data();
  }
}

template <class T>
void node_output_hooks(TensorImpl<T>& out) {
  run_hooks(out, out.grad);
  GradHooks<T>& h = *out.hooks;
  if (!h.retain) return;
  if (!h.has_retained) {
    h.retained = out.grad;
    h.has_retained = true;
    return;
  }
  // A second backward() (retain_graph) adds to the kept gradient, as for a leaf.
  T* dst = h.retained.data();
  const T* src = out.grad.data();
  for (std::size_t i = 0, n = out.grad.size(); i < n; ++i) dst[i] += src[i];
}

template void run_hooks<float>(const TensorImpl<float>&, xt::xarray<float>&);
template void run_hooks<double>(const TensorImpl<double>&, xt::xarray<double>&);
template void node_output_hooks<float>(TensorImpl<float>&);
template void node_output_hooks<double>(TensorImpl<double>&);
}  // namespace detail

// ---- printing ----------------------------------------------------------------------------------

namespace {
template <class T>
void print_rec(std::ostream& os, const T* data, const Shape& shape, std::size_t axis,
               std::size_t offset, const Shape& strides) {
  if (axis == shape.size()) {
    os << data[offset];
    return;
  }
  constexpr std::size_t kEdge = 3;
  const std::size_t n = shape[axis];
  os << "[";
  for (std::size_t i = 0; i < n; ++i) {
    if (n > 2 * kEdge + 1 && i == kEdge) {
      os << "..., ";
      i = n - kEdge;
    }
    if (i) {
      os << ",";
      if (axis + 1 < shape.size()) {
        os << "\n" << std::string(axis + 8, ' ');
      } else {
        os << " ";
      }
    }
    print_rec(os, data, shape, axis + 1, offset + i * strides[axis], strides);
  }
  os << "]";
}
}  // namespace

template <class T>
std::ostream& operator<<(std::ostream& os, const BasicTensor<T>& t) {
  if (!t.defined()) return os << "tensor(undefined)";
  os << "tensor(";
  print_rec(os, t.data_ptr(), t.shape(), 0, 0, contiguous_strides(t.shape()));
  os << ", shape=" << shape_str(t.shape());
  if (t.requires_grad()) os << ", requires_grad";
  return os << ")";
}

// ---- factories -------------------------------------------------------------------------------

template <class T>
BasicTensor<T> zeros(const Shape& shape, bool requires_grad) {
  checked_numel(shape, "zeros");
  return BasicTensor<T>(xt::xarray<T>(xt::zeros<T>(shape)), requires_grad);
}

template <class T>
BasicTensor<T> ones(const Shape& shape, bool requires_grad) {
  checked_numel(shape, "ones");
  return BasicTensor<T>(xt::xarray<T>(xt::ones<T>(shape)), requires_grad);
}

template <class T>
BasicTensor<T> full(const Shape& shape, T value, bool requires_grad) {
  checked_numel(shape, "full");
  xt::xarray<T> v = xt::xarray<T>::from_shape(shape);
  v.fill(value);
  return BasicTensor<T>(std::move(v), requires_grad);
}

template <class T>
BasicTensor<T> scalar(T value, bool requires_grad) {
  xt::xarray<T> v = xt::xarray<T>::from_shape({});
  v.data()[0] = value;
  return BasicTensor<T>(std::move(v), requires_grad);
}

template <class T>
BasicTensor<T> arange(T start, T stop, T step) {
  if (step == T(0) || !std::isfinite(static_cast<double>(start)) ||
      !std::isfinite(static_cast<double>(stop)) || !std::isfinite(static_cast<double>(step))) {
    throw ValueError("arange: step must be non-zero and finite, and bounds finite");
  }
  const double count = std::ceil((static_cast<double>(stop) - static_cast<double>(start)) /
                                 static_cast<double>(step));
  // Converting a count beyond size_t's range is undefined (it came out as 0 elements).
  if (!(count < 0x1p62)) {
    throw ValueError("arange: " + std::to_string(count) + " elements from " +
                     std::to_string(start) + " to " + std::to_string(stop) + " in steps of " +
                     std::to_string(step) + " are too many to allocate");
  }
  const std::size_t n = count > 0 ? static_cast<std::size_t>(count) : 0;
  checked_numel(Shape{n}, "arange");
  xt::xarray<T> v = xt::xarray<T>::from_shape({n});
  for (std::size_t i = 0; i < n; ++i)
    v.data()[i] = static_cast<T>(start + step * static_cast<T>(i));
  return BasicTensor<T>(std::move(v));
}

template <class T>
BasicTensor<T> from_vector(const std::vector<T>& values, const Shape& shape, bool requires_grad) {
  if (values.size() != checked_numel(shape, "from_vector")) {
    throw ShapeError("from_vector: " + std::to_string(values.size()) +
                     " values do not fill shape " + shape_str(shape) + " (" +
                     std::to_string(shape_numel(shape)) + " elements)");
  }
  xt::xarray<T> v = xt::xarray<T>::from_shape(shape);
  std::copy(values.begin(), values.end(), v.data());
  return BasicTensor<T>(std::move(v), requires_grad);
}

template <class T>
BasicTensor<T> rand(const Shape& shape, Generator& gen, T low, T high, bool requires_grad) {
  if (!(low < high)) throw ValueError("rand: low must be below high");
  checked_numel(shape, "rand");
  xt::xarray<T> v = xt::xarray<T>::from_shape(shape);
  for (auto& x : v) x = static_cast<T>(gen.uniform(low, high));
  return BasicTensor<T>(std::move(v), requires_grad);
}

template <class T>
BasicTensor<T> randn(const Shape& shape, Generator& gen, T mean, T stddev, bool requires_grad) {
  if (!(stddev >= T(0))) throw ValueError("randn: stddev must be non-negative");
  checked_numel(shape, "randn");
  xt::xarray<T> v = xt::xarray<T>::from_shape(shape);
  for (auto& x : v) x = static_cast<T>(gen.normal(mean, stddev));
  return BasicTensor<T>(std::move(v), requires_grad);
}

#define AXON_INSTANTIATE(T)                                                          \
  template class BasicTensor<T>;                                                     \
  template std::ostream& operator<<(std::ostream&, const BasicTensor<T>&);           \
  template void accumulate_grad<T>(TensorImpl<T>&, xt::xarray<T> &&);                \
  template BasicTensor<T> zeros<T>(const Shape&, bool);                              \
  template BasicTensor<T> ones<T>(const Shape&, bool);                               \
  template BasicTensor<T> full<T>(const Shape&, T, bool);                            \
  template BasicTensor<T> scalar<T>(T, bool);                                        \
  template BasicTensor<T> arange<T>(T, T, T);                                        \
  template BasicTensor<T> from_vector<T>(const std::vector<T>&, const Shape&, bool); \
  template BasicTensor<T> rand<T>(const Shape&, Generator&, T, T, bool);             \
  template BasicTensor<T> randn<T>(const Shape&, Generator&, T, T, bool);

AXON_INSTANTIATE(float)
AXON_INSTANTIATE(double)

}  // namespace axon::autograd
