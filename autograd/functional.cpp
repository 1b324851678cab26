// SPDX-License-Identifier: MIT
#include "axon/autograd/functional.hpp"

#include <utility>

#include "axon/autograd/operators.hpp"
#include "axon/autograd/ops/reductions.hpp"
#include "axon/autograd/ops/shape.hpp"

namespace axon::autograd {

namespace {

template <class T>
using Tensors = std::vector<BasicTensor<T>>;

/// The inputs the function is run on: leaves requiring a gradient (the caller's own tensors when
/// they already require one and the result is to stay differentiable).
template <class T>
Tensors<T> prepare(const Tensors<T>& inputs, bool create_graph, const char* op) {
  if (inputs.empty()) throw ValueError(std::string(op) + ": no inputs given");
  Tensors<T> xs;
  for (const auto& x : inputs) {
    if (!x.defined()) throw ValueError(std::string(op) + ": an input is undefined");
    if (create_graph && x.requires_grad()) {
      xs.push_back(x);
    } else {
      BasicTensor<T> c = x.detach();
      c.requires_grad_(true);
      xs.push_back(c);
    }
  }
  return xs;
}

template <class T>
void check_like(const Tensors<T>& xs, const Tensors<T>& vs, const char* op, const char* what) {
  if (vs.size() != xs.size()) {
    throw ValueError(std::string(op) + ": " + std::to_string(vs.size()) + " " + what + " for " +
                     std::to_string(xs.size()) + " inputs");
  }
  for (std::size_t k = 0; k < xs.size(); ++k) {
    if (vs[k].shape() != xs[k].shape()) {
      throw ShapeError(std::string(op) + ": " + what + "[" + std::to_string(k) + "] has shape " +
                       shape_str(vs[k].shape()) + " but input " + std::to_string(k) +
                       " has shape " + shape_str(xs[k].shape()));
    }
  }
}

/// Undefined gradients (inputs the output does not depend on) as zeros.
template <class T>
Tensors<T> zeros_for_unused(Tensors<T> gs, const Tensors<T>& xs) {
  for (std::size_t k = 0; k < gs.size(); ++k) {
    if (!gs[k].defined()) gs[k] = zeros<T>(xs[k].shape());
  }
  return gs;
}

template <class T>
Shape joined(const Shape& a, const Shape& b) {
  Shape s = a;
  s.insert(s.end(), b.begin(), b.end());
  return s;
}

}  // namespace

template <class T>
std::pair<BasicTensor<T>, std::vector<BasicTensor<T>>> vjp(
    const TensorFunction<T>& f, const std::vector<BasicTensor<T>>& inputs, const BasicTensor<T>& v,
    bool create_graph) {
  EnableGradGuard on;
  const Tensors<T> xs = prepare(inputs, create_graph, "vjp");
  BasicTensor<T> y = f(xs);
  if (v.shape() != y.shape()) {
    throw ShapeError("vjp: v has shape " + shape_str(v.shape()) + " but the output has shape " +
                     shape_str(y.shape()));
  }
  if (!y.requires_grad()) {
    Tensors<T> none(xs.size());
    return {y, zeros_for_unused(none, xs)};
  }
  auto gs = grad<T>({y}, xs, {v}, GradOptions().create_graph(create_graph).allow_unused(true));
  return {create_graph ? y : y.detach(), zeros_for_unused(std::move(gs), xs)};
}

template <class T>
std::pair<BasicTensor<T>, BasicTensor<T>> jvp(const TensorFunction<T>& f,
                                              const std::vector<BasicTensor<T>>& inputs,
                                              const std::vector<BasicTensor<T>>& tangents,
                                              bool create_graph) {
  EnableGradGuard on;
  const Tensors<T> xs = prepare(inputs, create_graph, "jvp");
  check_like(xs, tangents, "jvp", "tangents");
  BasicTensor<T> y = f(xs);
  if (!y.requires_grad()) return {y, zeros<T>(y.shape())};
  BasicTensor<T> u = zeros<T>(y.shape(), true);  // dummy cotangent: u^T J is linear in u
  auto gs = grad<T>({y}, xs, {u}, GradOptions().create_graph(true).allow_unused(true));
  Tensors<T> used, ts;
  for (std::size_t k = 0; k < gs.size(); ++k) {
    if (gs[k].defined() && gs[k].requires_grad()) {
      used.push_back(gs[k]);
      ts.push_back(tangents[k]);
    }
  }
  if (used.empty()) return {create_graph ? y : y.detach(), zeros<T>(y.shape())};
  auto jt = grad<T>(
      used, {u}, ts,
      GradOptions().create_graph(create_graph).retain_graph(create_graph).allow_unused(true));
  BasicTensor<T> out = jt[0].defined() ? jt[0] : zeros<T>(y.shape());
  return {create_graph ? y : y.detach(), out};
}

template <class T>
std::vector<BasicTensor<T>> jacobian(const TensorFunction<T>& f,
                                     const std::vector<BasicTensor<T>>& inputs) {
  EnableGradGuard on;
  const Tensors<T> xs = prepare(inputs, false, "jacobian");
  BasicTensor<T> y = f(xs);
  std::vector<xt::xarray<T>> jac;
  for (const auto& x : xs) jac.push_back(xt::zeros<T>(joined<T>(y.shape(), x.shape())));
  if (y.requires_grad()) {
    const std::size_t m = y.numel();
    for (std::size_t j = 0; j < m; ++j) {
      xt::xarray<T> seed = xt::zeros<T>(y.shape());
      seed.data()[j] = T(1);
      auto gs = grad<T>({y}, xs, {BasicTensor<T>(std::move(seed))},
                        GradOptions().retain_graph(j + 1 < m).allow_unused(true));
      for (std::size_t k = 0; k < xs.size(); ++k) {
        if (!gs[k].defined()) continue;
        const std::size_t n = xs[k].numel();
        std::copy_n(std::as_const(gs[k]).data_ptr(), n, jac[k].data() + j * n);
      }
    }
  }
  Tensors<T> out;
  for (auto& a : jac) out.push_back(BasicTensor<T>(std::move(a)));
  return out;
}

template <class T>
BasicTensor<T> hessian(const std::function<BasicTensor<T>(const BasicTensor<T>&)>& f,
                       const BasicTensor<T>& input) {
  EnableGradGuard on;
  BasicTensor<T> x = prepare<T>({input}, false, "hessian")[0];
  BasicTensor<T> y = f(x);
  if (y.numel() != 1) {
    throw ShapeError("hessian: the function must return one element (got shape " +
                     shape_str(y.shape()) + ")");
  }
  xt::xarray<T> h = xt::zeros<T>(joined<T>(x.shape(), x.shape()));
  if (!y.requires_grad()) return BasicTensor<T>(std::move(h));
  BasicTensor<T> g = grad(y, x, {}, GradOptions().create_graph(true));
  const std::size_t n = x.numel();
  for (std::size_t i = 0; i < n && g.requires_grad(); ++i) {
    xt::xarray<T> seed = xt::zeros<T>(x.shape());
    seed.data()[i] = T(1);
    const BasicTensor<T> row = grad(g, x, BasicTensor<T>(std::move(seed)),
                                    GradOptions().retain_graph(i + 1 < n).allow_unused(true));
    if (row.defined()) std::copy_n(row.data_ptr(), n, h.data() + i * n);
  }
  current_tape().release();
  return BasicTensor<T>(std::move(h));
}

template <class T>
std::pair<BasicTensor<T>, std::vector<BasicTensor<T>>> hvp(
    const TensorFunction<T>& f, const std::vector<BasicTensor<T>>& inputs,
    const std::vector<BasicTensor<T>>& v, bool create_graph) {
  EnableGradGuard on;
  const Tensors<T> xs = prepare(inputs, create_graph, "hvp");
  check_like(xs, v, "hvp", "v");
  BasicTensor<T> y = f(xs);
  if (y.numel() != 1) {
    throw ShapeError("hvp: the function must return one element (got shape " +
                     shape_str(y.shape()) + ")");
  }
  Tensors<T> none(xs.size());
  if (!y.requires_grad()) return {y, zeros_for_unused(none, xs)};
  auto gs = grad<T>({y}, xs, {}, GradOptions().create_graph(true).allow_unused(true));
  BasicTensor<T> dot;
  for (std::size_t k = 0; k < gs.size(); ++k) {
    if (!gs[k].defined() || !gs[k].requires_grad()) continue;
    BasicTensor<T> term = sum(gs[k] * v[k]);
    dot = dot.defined() ? dot + term : term;
  }
  if (!dot.defined()) return {create_graph ? y : y.detach(), zeros_for_unused(none, xs)};
  auto hv = grad<T>({dot}, xs, {}, GradOptions().create_graph(create_graph).allow_unused(true));
  return {create_graph ? y : y.detach(), zeros_for_unused(std::move(hv), xs)};
}

#define AXON_INSTANTIATE(T)                                                                       \
  template std::pair<BasicTensor<T>, std::vector<BasicTensor<T>>> vjp<T>(                         \
      const TensorFunction<T>&, const std::vector<BasicTensor<T>>&, const BasicTensor<T>&, bool); \
  template std::pair<BasicTensor<T>, BasicTensor<T>> jvp<T>(                                      \
      const TensorFunction<T>&, const std::vector<BasicTensor<T>>&,                               \
      const std::vector<BasicTensor<T>>&, bool);                                                  \
  template std::vector<BasicTensor<T>> jacobian<T>(const TensorFunction<T>&,                      \
                                                   const std::vector<BasicTensor<T>>&);           \
  template BasicTensor<T> hessian<T>(const std::function<BasicTensor<T>(const BasicTensor<T>&)>&, \
                                     const BasicTensor<T>&);                                      \
  template std::pair<BasicTensor<T>, std::vector<BasicTensor<T>>> hvp<T>(                         \
      const TensorFunction<T>&, const std::vector<BasicTensor<T>>&,                               \
      const std::vector<BasicTensor<T>>&, bool);

AXON_INSTANTIATE(float)
AXON_INSTANTIATE(double)

}  // namespace axon::autograd
