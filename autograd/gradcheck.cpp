// SPDX-License-Identifier: MIT
#include "axon/autograd/gradcheck.hpp"

#include <cmath>
#include <sstream>

#include "axon/autograd/grad.hpp"

namespace axon::autograd {

namespace {

using Inputs = std::vector<TensorD>;

/// Fresh leaf copies, so gradients and perturbations never touch the caller's tensors.
Inputs copy_inputs(const Inputs& inputs) {
  Inputs out;
  out.reserve(inputs.size());
  for (const auto& x : inputs) {
    TensorD c = x.detach();
    c.requires_grad_(x.requires_grad());
    out.push_back(c);
  }
  return out;
}

/// Gradients of sum(seed * f(xs)) with respect to every input (zeros for constant inputs).
std::vector<xt::xarray<double>> analytic(const GradcheckFunction& f, Inputs& xs,
                                         const xt::xarray<double>& seed) {
  for (auto& x : xs) x.zero_grad();
  TensorD y = f(xs);
  if (y.requires_grad()) y.backward(TensorD(seed));
  std::vector<xt::xarray<double>> grads;
  for (auto& x : xs) {
    grads.push_back(x.has_grad() ? x.grad().data()
                                 : xt::xarray<double>(xt::zeros<double>(x.shape())));
  }
  return grads;
}

/// sum(seed * f(xs)) evaluated without recording.
double projected(const GradcheckFunction& f, const Inputs& xs, const xt::xarray<double>& seed) {
  NoGradGuard guard;
  TensorD y = f(xs);
  double s = 0;
  for (std::size_t i = 0; i < y.numel(); ++i) s += seed.data()[i] * y.data_ptr()[i];
  return s;
}

std::string index_str(const Shape& shape, std::size_t flat) {
  Shape idx(shape.size(), 0);
  for (std::size_t d = shape.size(); d-- > 0;) {
    idx[d] = flat % shape[d];
    flat /= shape[d];
  }
  return shape_str(idx);
}

struct Checker {
  const GradcheckOptions& opt;
  GradcheckResult result;

  /// Records one comparison; keeps the first failure's message.
  void compare(double a, double n, const std::string& where) {
    const double err = std::abs(a - n);
    result.max_abs_error = std::max(result.max_abs_error, err);
    ++result.comparisons;
    const bool finite = std::isfinite(a) && std::isfinite(n);
    if ((!finite || err > opt.atol_ + opt.rtol_ * std::abs(n)) && result.ok) {
      std::ostringstream os;
      os.precision(10);
      os << "gradcheck: " << where << ": analytic " << a << " vs numeric " << n << " (|diff| "
         << err << " > atol " << opt.atol_ << " + rtol " << opt.rtol_ << " * |numeric|)";
      result.ok = false;
      result.message = os.str();
    }
  }
};

}  // namespace

GradcheckResult gradcheck(const GradcheckFunction& f, const std::vector<TensorD>& inputs,
                          const GradcheckOptions& options) {
  Inputs xs = copy_inputs(inputs);
  Checker check{options, {}};
  Shape out_shape;
  {
    NoGradGuard guard;
    out_shape = f(xs).shape();
  }
  const std::size_t out_n = shape_numel(out_shape);
  std::size_t in_n = 0;
  for (const auto& x : xs) in_n += x.requires_grad() ? x.numel() : 0;
  const double eps = options.eps_;

  if (in_n * out_n <= options.max_jacobian_entries_) {
    // Full Jacobian: one backward per output element, two evaluations per input element.
    std::vector<std::vector<xt::xarray<double>>> rows;  // rows[j][k] = d out_j / d input_k
    for (std::size_t j = 0; j < out_n; ++j) {
      xt::xarray<double> seed = xt::zeros<double>(out_shape);
      seed.data()[j] = 1.0;
      rows.push_back(analytic(f, xs, seed));
    }
    for (std::size_t k = 0; k < xs.size(); ++k) {
      if (!xs[k].requires_grad()) continue;
      double* p = xs[k].mutable_data_ptr();
      for (std::size_t i = 0; i < xs[k].numel(); ++i) {
        const double saved = p[i];
        p[i] = saved + eps;
        TensorD plus, minus;
        {
          NoGradGuard guard;
          plus = f(xs);
        }
        p[i] = saved - eps;
        {
          NoGradGuard guard;
          minus = f(xs);
        }
        p[i] = saved;
        for (std::size_t j = 0; j < out_n; ++j) {
          const double numeric = (plus.data_ptr()[j] - minus.data_ptr()[j]) / (2 * eps);
          check.compare(rows[j][k].data()[i], numeric,
                        "input " + std::to_string(k) + " element " + index_str(xs[k].shape(), i) +
                            " of output element " + index_str(out_shape, j));
        }
      }
    }
    return check.result;
  }

  // Large problems: random output projections u, compared along random input directions v and
  // at random single elements.
  Generator gen(options.seed_);
  for (std::size_t p = 0; p < options.projections_; ++p) {
    xt::xarray<double> u = xt::xarray<double>::from_shape(out_shape);
    for (auto& e : u) e = gen.normal();
    const auto grads = analytic(f, xs, u);
    for (std::size_t k = 0; k < xs.size(); ++k) {
      if (!xs[k].requires_grad()) continue;
      double* x = xs[k].mutable_data_ptr();
      const std::size_t n = xs[k].numel();
      if (n == 0) continue;
      // Direction v: compare <grad, v> with the directional difference.
      std::vector<double> v(n), saved(x, x + n);
      double dot = 0;
      for (std::size_t i = 0; i < n; ++i) {
        v[i] = gen.normal();
        dot += grads[k].data()[i] * v[i];
      }
      for (std::size_t i = 0; i < n; ++i) x[i] = saved[i] + eps * v[i];
      const double fp = projected(f, xs, u);
      for (std::size_t i = 0; i < n; ++i) x[i] = saved[i] - eps * v[i];
      const double fm = projected(f, xs, u);
      for (std::size_t i = 0; i < n; ++i) x[i] = saved[i];
      check.compare(dot, (fp - fm) / (2 * eps),
                    "input " + std::to_string(k) + " random projection " + std::to_string(p));
      // One random element.
      const std::size_t i = static_cast<std::size_t>(gen.below(n));
      x[i] = saved[i] + eps;
      const double ep = projected(f, xs, u);
      x[i] = saved[i] - eps;
      const double em = projected(f, xs, u);
      x[i] = saved[i];
      check.compare(grads[k].data()[i], (ep - em) / (2 * eps),
                    "input " + std::to_string(k) + " element " + index_str(xs[k].shape(), i) +
                        " under random output projection " + std::to_string(p));
    }
  }
  return check.result;
}

GradcheckResult gradgradcheck(const GradcheckFunction& f, const std::vector<TensorD>& inputs,
                              const GradcheckOptions& options) {
  Inputs xs = copy_inputs(inputs);
  Shape out_shape;
  {
    NoGradGuard guard;
    out_shape = f(xs).shape();
  }
  Generator gen(options.seed_ ^ 0x9e3779b97f4a7c15ull);
  TensorD v = randn<double>(out_shape, gen, 0.0, 1.0, true);
  const std::size_t n = xs.size();
  Inputs all = xs;
  all.push_back(v);
  GradcheckResult total;
  for (std::size_t k = 0; k < n; ++k) {
    if (!xs[k].requires_grad()) continue;
    // The gradient with respect to input k, as a function of every input and of v. Under
    // gradcheck's finite differences (recording off) it is a first-order grad(); when gradcheck
    // differentiates it, grad() records (create_graph).
    const GradcheckFunction first = [&f, n, k](const std::vector<TensorD>& args) -> TensorD {
      const bool record = grad_enabled();
      EnableGradGuard on;
      const Inputs ins(args.begin(), args.begin() + static_cast<std::ptrdiff_t>(n));
      TensorD y = f(ins);
      if (!y.requires_grad()) return zeros<double>(ins[k].shape());
      TensorD g =
          grad<double>(y, ins[k], args[n], GradOptions().create_graph(record).allow_unused(true));
      return g.defined() ? g : zeros<double>(ins[k].shape());
    };
    GradcheckResult r;
    try {
      r = gradcheck(first, all, options);
    } catch (const Error& e) {
      r.ok = false;
      r.message = std::string("gradgradcheck: ") + e.what();
    }
    total.max_abs_error = std::max(total.max_abs_error, r.max_abs_error);
    total.comparisons += r.comparisons;
    if (!r.ok && total.ok) {
      total.ok = false;
      total.message = "gradgradcheck: gradient of input " + std::to_string(k) + ": " + r.message;
    }
  }
  return total;
}

}  // namespace axon::autograd
