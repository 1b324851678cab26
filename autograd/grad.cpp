// SPDX-License-Identifier: MIT
#include "axon/autograd/grad.hpp"

#include <algorithm>
#include <sstream>

#include "axon/autograd/grad_sink.hpp"
#include "axon/autograd/ops/elementwise.hpp"

namespace axon::autograd {

// ---- the recording pass ------------------------------------------------------------------------

namespace detail {

template <class T>
RecordingPass<T>*& current_recording_pass() {
  thread_local RecordingPass<T>* pass = nullptr;
  return pass;
}

namespace {
/// Makes `pass` this thread's current recording pass (and recording on) for the scope.
template <class T>
class PassScope {
 public:
  explicit PassScope(RecordingPass<T>& pass) : previous_(current_recording_pass<T>()) {
    current_recording_pass<T>() = &pass;
  }
  ~PassScope() { current_recording_pass<T>() = previous_; }
  PassScope(const PassScope&) = delete;
  PassScope& operator=(const PassScope&) = delete;

 private:
  RecordingPass<T>* previous_;
  EnableGradGuard recording_;
};

/// Anomaly mode: the first NaN or Inf in a recorded backward's result, naming the op.
template <class T>
void check_finite(const BasicTensor<T>& g) {
  const T* p = g.data_ptr();
  for (std::size_t i = 0; i < g.numel(); ++i) {
    if (!std::isfinite(p[i])) {
      std::ostringstream os;
      os << "anomaly: recorded backward of '" << running_node_name() << "' produced " << p[i]
         << " at element " << i << " of a gradient of shape " << shape_str(g.shape());
      throw NumericalError(os.str());
    }
  }
}
}  // namespace

template <class T>
void RecordingPass<T>::add(const std::shared_ptr<TensorImpl<T>>& impl, const BasicTensor<T>& g) {
  if (g.shape() != impl->value.shape()) {
    throw GraphError(std::string("recorded backward of ") + running_node_name() +
                     ": internal error: gradient of shape " + shape_str(g.shape()) +
                     " for a tensor of shape " + shape_str(impl->value.shape()));
  }
  if (anomaly_enabled()) check_finite(g);
  auto [it, inserted] = grads_.try_emplace(impl.get(), Entry{impl, g});
  if (!inserted) it->second.grad = autograd::add(it->second.grad, g);
}

template <class T>
BasicTensor<T> RecordingPass<T>::take(const TensorImpl<T>* impl) {
  auto it = grads_.find(impl);
  if (it == grads_.end()) return {};
  if (std::find(keep_.begin(), keep_.end(), impl) != keep_.end()) return it->second.grad;
  BasicTensor<T> g = std::move(it->second.grad);
  grads_.erase(it);
  return g;
}

template <class T>
void add_grad(const std::shared_ptr<TensorImpl<T>>& impl, const BasicTensor<T>& g) {
  RecordingPass<T>* pass = current_recording_pass<T>();
  if (!pass) {
    throw GraphError(std::string("recorded backward of ") + running_node_name() +
                     ": internal error: add_grad called outside a recording pass");
  }
  if (impl->requires_grad) pass->add(impl, g);
}

void throw_no_recorded_backward(const char* op) {
  throw GraphError(std::string(op) +
                   ": this op has no recorded backward, so a backward pass with create_graph "
                   "cannot differentiate through it; compute the gradient without create_graph "
                   "(first order), or write the computation with ops that have one "
                   "(docs/AUTOGRAD.md lists them)");
}

template <class T>
void recorded_output_hooks(TensorImpl<T>& out, BasicTensor<T>& g) {
  GradHooks<T>& h = *out.hooks;
  for (const auto& hook : h.hooks) {
    BasicTensor<T> replaced = hook(g);
    if (!replaced.defined()) continue;
    if (replaced.shape() != g.shape()) {
      throw ShapeError("register_hook: a hook returned a gradient of shape " +
                       shape_str(replaced.shape()) + " for a tensor of shape " +
                       shape_str(out.value.shape()));
    }
    g = replaced;
  }
  if (!h.retain) return;
  if (!h.has_retained) {
    h.retained = g.data();
    h.has_retained = true;
    return;
  }
  T* dst = h.retained.data();
  const T* src = g.data_ptr();
  for (std::size_t i = 0, n = g.numel(); i < n; ++i) dst[i] += src[i];
}

template <class T>
void backward_recording(const BasicTensor<T>& out, const BasicTensor<T>& seed) {
  Tape& tape = current_tape();
  const TensorImpl<T>& o = out.impl();
  if (o.graph_id != 0 && o.graph_id != tape.id()) {
    throw GraphError(
        "backward: the graph of this tensor was already released by an earlier backward() (or "
        "it was recorded on another thread's tape); pass retain_graph=true to the first "
        "backward() to call it twice");
  }
  RecordingPass<T> pass;
  {
    PassScope<T> scope(pass);
    pass.add(out.impl_ptr(), seed);
    if (o.graph_id != 0) tape.run_recorded(o.node_index, 0, pass);
  }
  // What is left are the leaves' gradients. Each gets the values in .grad (or the shard's sink)
  // and the recorded tensor for grad().
  for (const auto& [key, entry] : pass.entries()) {
    TensorImpl<T>& leaf = *entry.impl;
    if (leaf.graph_id != 0) continue;
    BasicTensor<T> g = entry.grad;
    if (leaf.hooks) {
      for (const auto& hook : leaf.hooks->hooks) {
        BasicTensor<T> replaced = hook(g);
        if (replaced.defined() && replaced.shape() == g.shape()) g = replaced;
      }
    }
    if (!leaf.hooks) leaf.hooks = std::make_shared<GradHooks<T>>();
    BasicTensor<T>& kept = leaf.hooks->graph_grad;
    if (kept.defined()) {
      kept = autograd::add(kept, g);
    } else if (leaf.has_grad) {
      kept = autograd::add(BasicTensor<T>(xt::xarray<T>(leaf.grad)), g);
    } else {
      kept = g;
    }
    add_into_grad(leaf, xt::xarray<T>(g.data()));
  }
}

}  // namespace detail

// ---- grad() ------------------------------------------------------------------------------------

namespace {

template <class T>
void check_request(const std::vector<BasicTensor<T>>& outputs,
                   const std::vector<BasicTensor<T>>& inputs,
                   const std::vector<BasicTensor<T>>& grad_outputs) {
  if (outputs.empty()) throw ValueError("grad: no outputs given");
  if (!grad_outputs.empty() && grad_outputs.size() != outputs.size()) {
    throw ValueError("grad: " + std::to_string(grad_outputs.size()) + " grad_outputs for " +
                     std::to_string(outputs.size()) + " outputs (give one per output, or none)");
  }
  const Tape& tape = current_tape();
  for (std::size_t i = 0; i < outputs.size(); ++i) {
    const auto& out = outputs[i];
    if (!out.requires_grad()) {
      throw GraphError("grad: output " + std::to_string(i) + " of shape " + shape_str(out.shape()) +
                       " does not require a gradient");
    }
    if (!out.is_leaf() && out.impl().graph_id != tape.id()) {
      throw GraphError("grad: output " + std::to_string(i) +
                       " belongs to a graph that was already released by backward() or grad() "
                       "(pass retain_graph to the first call), or to another thread's tape");
    }
    if (grad_outputs.empty()) {
      if (out.numel() != 1) {
        throw GraphError("grad: output " + std::to_string(i) + " has shape " +
                         shape_str(out.shape()) +
                         "; without grad_outputs every output must have one element");
      }
    } else if (grad_outputs[i].shape() != out.shape()) {
      throw ShapeError("grad: grad_outputs[" + std::to_string(i) + "] has shape " +
                       shape_str(grad_outputs[i].shape()) + " but output " + std::to_string(i) +
                       " has shape " + shape_str(out.shape()));
    }
  }
  if (inputs.empty()) throw ValueError("grad: no inputs given");
  for (std::size_t k = 0; k < inputs.size(); ++k) {
    if (!inputs[k].requires_grad()) {
      throw GraphError("grad: input " + std::to_string(k) + " of shape " +
                       shape_str(inputs[k].shape()) + " does not require a gradient");
    }
  }
}

template <class T>
BasicTensor<T> seed_of(const std::vector<BasicTensor<T>>& outputs,
                       const std::vector<BasicTensor<T>>& grad_outputs, std::size_t i) {
  if (!grad_outputs.empty()) return grad_outputs[i];
  return BasicTensor<T>(xt::xarray<T>(xt::ones<T>(outputs[i].shape())));
}

[[noreturn]] void throw_unused(std::size_t k) {
  throw GraphError("grad: input " + std::to_string(k) +
                   " was not used to compute the outputs; pass GradOptions().allow_unused(true) "
                   "to get an undefined tensor for it");
}

/// The node range a pass needs: from the last output's node down to `stop` (the earliest
/// input's node when every input is a non-leaf; 0 when one is a leaf).
struct Range {
  bool any = false;  // some output is a recorded tensor
  std::size_t last = 0, stop = 0;
};

template <class T>
Range range_of(const std::vector<BasicTensor<T>>& outputs,
               const std::vector<BasicTensor<T>>& inputs) {
  Range r;
  for (const auto& out : outputs) {
    if (out.is_leaf()) continue;
    r.last = r.any ? std::max(r.last, out.impl().node_index) : out.impl().node_index;
    r.any = true;
  }
  bool leaf_input = false;
  std::size_t first = 0;
  for (std::size_t k = 0; k < inputs.size(); ++k) {
    if (inputs[k].is_leaf()) leaf_input = true;
    const std::size_t idx = inputs[k].impl().node_index;
    first = k == 0 ? idx : std::min(first, idx);
  }
  r.stop = leaf_input ? 0 : first;
  return r;
}

/// create_graph: the whole pass on tensors, recorded.
template <class T>
std::vector<BasicTensor<T>> grad_recorded(const std::vector<BasicTensor<T>>& outputs,
                                          const std::vector<BasicTensor<T>>& inputs,
                                          const std::vector<BasicTensor<T>>& grad_outputs,
                                          bool allow_unused) {
  std::vector<const TensorImpl<T>*> keep;
  for (const auto& x : inputs) keep.push_back(&x.impl());
  detail::RecordingPass<T> pass(keep);
  const Range r = range_of(outputs, inputs);
  {
    detail::PassScope<T> scope(pass);
    for (std::size_t i = 0; i < outputs.size(); ++i) {
      pass.add(outputs[i].impl_ptr(), seed_of(outputs, grad_outputs, i));
    }
    if (r.any && r.stop <= r.last) current_tape().run_recorded(r.last, r.stop, pass);
  }
  std::vector<BasicTensor<T>> result;
  for (std::size_t k = 0; k < inputs.size(); ++k) {
    const BasicTensor<T>* g = pass.find(&inputs[k].impl());
    if (!g && !allow_unused) throw_unused(k);
    result.push_back(g ? *g : BasicTensor<T>());
  }
  return result;
}

/// First order: the ordinary array backward, with the leaves' gradients caught in a sink (so no
/// .grad() changes) and the non-leaf inputs' gradients copied just before their node runs.
template <class T>
std::vector<BasicTensor<T>> grad_arrays(const std::vector<BasicTensor<T>>& outputs,
                                        const std::vector<BasicTensor<T>>& inputs,
                                        const std::vector<BasicTensor<T>>& grad_outputs,
                                        bool allow_unused) {
  Tape& tape = current_tape();
  LeafGradients<T> sink;
  std::vector<std::pair<std::size_t, std::size_t>> order;  // (node, input) of non-leaf inputs
  for (std::size_t k = 0; k < inputs.size(); ++k) {
    if (!inputs[k].is_leaf()) order.emplace_back(inputs[k].impl().node_index, k);
  }
  std::sort(order.begin(), order.end(), std::greater<>());
  std::vector<xt::xarray<T>> caught(inputs.size());
  std::vector<bool> got(inputs.size(), false);
  const Range r = range_of(outputs, inputs);
  {
    GradSinkScope<T> scope(sink);
    for (std::size_t i = 0; i < outputs.size(); ++i) {
      accumulate_grad(outputs[i].impl(), xt::xarray<T>(seed_of(outputs, grad_outputs, i).data()));
    }
    std::size_t next = r.last;  // the next node to run
    for (const auto& [node, k] : order) {
      if (!r.any || node > r.last) continue;  // made after every output: unused
      if (node < next) tape.run_backward(next, node + 1);
      next = node;
      TensorImpl<T>& in = inputs[k].impl();
      if (in.has_grad) {
        caught[k] = in.grad;
        got[k] = true;
      }
    }
    if (r.any) {
      // A leaf input needs every node; otherwise what lies below the earliest input is dropped.
      if (r.stop == 0 && std::any_of(inputs.begin(), inputs.end(),
                                     [](const BasicTensor<T>& x) { return x.is_leaf(); })) {
        tape.run_backward(next, 0);
      } else {
        tape.drop_grads(next);
      }
    }
  }
  std::vector<BasicTensor<T>> result;
  for (std::size_t k = 0; k < inputs.size(); ++k) {
    xt::xarray<T>* leaf = inputs[k].is_leaf() ? sink.find(&inputs[k].impl()) : nullptr;
    if (leaf) {
      caught[k] = *leaf;
      got[k] = true;
    }
    if (!got[k] && !allow_unused) throw_unused(k);
    BasicTensor<T> g = got[k] ? BasicTensor<T>(std::move(caught[k])) : BasicTensor<T>();
    if (g.defined()) g.impl().from_grad = true;
    result.push_back(std::move(g));
  }
  return result;
}

}  // namespace

template <class T>
std::vector<BasicTensor<T>> grad(const std::vector<BasicTensor<T>>& outputs,
                                 const std::vector<BasicTensor<T>>& inputs,
                                 const std::vector<BasicTensor<T>>& grad_outputs,
                                 const GradOptions& options) {
  check_request(outputs, inputs, grad_outputs);
  const bool retain = options.retain_graph().value_or(options.create_graph());
  std::vector<BasicTensor<T>> result =
      options.create_graph() ? grad_recorded(outputs, inputs, grad_outputs, options.allow_unused())
                             : grad_arrays(outputs, inputs, grad_outputs, options.allow_unused());
  if (!retain) current_tape().release();
  return result;
}

#define AXON_INSTANTIATE(T)                                                                        \
  template class detail::RecordingPass<T>;                                                         \
  template detail::RecordingPass<T>*& detail::current_recording_pass<T>();                         \
  template void detail::add_grad<T>(const std::shared_ptr<TensorImpl<T>>&, const BasicTensor<T>&); \
  template void detail::recorded_output_hooks<T>(TensorImpl<T>&, BasicTensor<T>&);                 \
  template void detail::backward_recording<T>(const BasicTensor<T>&, const BasicTensor<T>&);       \
  template std::vector<BasicTensor<T>> grad<T>(                                                    \
      const std::vector<BasicTensor<T>>&, const std::vector<BasicTensor<T>>&,                      \
      const std::vector<BasicTensor<T>>&, const GradOptions&);

AXON_INSTANTIATE(float)
AXON_INSTANTIATE(double)

}  // namespace axon::autograd
