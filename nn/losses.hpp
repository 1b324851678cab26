// SPDX-License-Identifier: MIT
#pragma once

#include <cstddef>
#include <type_traits>
#include <utility>
#include <vector>

#include "axon/autograd/tensor.hpp"

/// Loss functions with PyTorch's semantics (torch.nn.functional), each one fused primitive with a
/// hand-written, numerically stable backward. See docs/LOSSES.md for the choices made. Under
/// create_graph the same backward runs in recorded ops, so a loss's gradient can be differentiated
/// again (gradient penalties, Hessians).
///
/// Scalar options are std::type_identity_t<T> so they take no part in deduction: passing 0.5 to a
/// float loss works. Every loss takes a Reduction: None returns the per-element (or per-sample)
/// losses, Mean their average and Sum their sum (both as 0-d tensors). Gradients flow into every
/// tensor argument that requires one (input, target, pos_weight); integer labels carry none.
namespace axon::nn {

using autograd::BasicTensor;

/// How per-element losses are combined: None keeps them, Mean averages, Sum adds.
enum class Reduction { None, Mean, Sum };

/// Integer class labels, one per sample (cross_entropy, nll_loss).
using Labels = std::vector<std::size_t>;

// ---- regression losses: input and target of equal shape, d = input - target ------------------

/// Squared error (input - target)^2.  d/dinput = 2 d, d/dtarget = -2 d
template <class T>
BasicTensor<T> mse_loss(const BasicTensor<T>& input, const BasicTensor<T>& target,
                        Reduction reduction = Reduction::Mean);

/// Absolute error |input - target|.  d/dinput = sign(d) (0 at 0), d/dtarget = -sign(d)
template <class T>
BasicTensor<T> l1_loss(const BasicTensor<T>& input, const BasicTensor<T>& target,
                       Reduction reduction = Reduction::Mean);

/// Huber: d^2/2 where |d| < delta, else delta (|d| - delta/2); delta > 0.
/// d/dinput = clamp(d, -delta, delta), d/dtarget = -clamp(d, -delta, delta)
template <class T>
BasicTensor<T> huber_loss(const BasicTensor<T>& input, const BasicTensor<T>& target,
                          Reduction reduction = Reduction::Mean, std::type_identity_t<T> delta = 1);

/// Smooth L1: d^2/(2 beta) where |d| < beta, else |d| - beta/2; beta >= 0 (0 gives l1_loss).
/// d/dinput = clamp(d / beta, -1, 1), d/dtarget = -clamp(d / beta, -1, 1)
template <class T>
BasicTensor<T> smooth_l1_loss(const BasicTensor<T>& input, const BasicTensor<T>& target,
                              Reduction reduction = Reduction::Mean,
                              std::type_identity_t<T> beta = 1);

// ---- binary classification: probs/logits and target of equal shape ---------------------------

/// -(y log p + (1 - y) log(1 - p)) with both logs clamped at -100; p in [0, 1] (ValueError).
/// d/dp = (p - y) / max(p (1 - p), 1e-12), d/dy = log(1 - p) - log(p) (clamped logs)
template <class T>
BasicTensor<T> binary_cross_entropy(const BasicTensor<T>& probs, const BasicTensor<T>& target,
                                    Reduction reduction = Reduction::Mean);

/// pw y softplus(-x) + (1 - y) softplus(x), i.e. BCE of sigmoid(x) without forming it; stable for
/// any |x|. `pos_weight` (optional, broadcast to the logits' shape, e.g. [C]) weights positives.
/// d/dx = (1 - y) sigmoid(x) - pw y sigmoid(-x)   (= sigmoid(x) - y when pw = 1)
/// d/dy = pw softplus(-x) - softplus(x),  d/dpw = y softplus(-x)
template <class T>
BasicTensor<T> binary_cross_entropy_with_logits(const BasicTensor<T>& logits,
                                                const BasicTensor<T>& target,
                                                Reduction reduction = Reduction::Mean,
                                                const BasicTensor<T>& pos_weight = {});

// ---- multi-class classification: logits [N,C] (or [C] for one sample) ------------------------

/// -log softmax(x)[label] per sample, with a fused log-softmax (stable for any magnitude). With
/// label smoothing eps: (1 - eps) nll + eps * mean over classes of -log p. Mean averages over N.
/// d/dx = softmax(x) - q,  q = (1 - eps) onehot(label) + eps / C
template <class T>
BasicTensor<T> cross_entropy(const BasicTensor<T>& logits, const Labels& labels,
                             Reduction reduction = Reduction::Mean,
                             std::type_identity_t<T> label_smoothing = 0);

/// -sum_c q_c log softmax(x)_c per sample for target probabilities (one-hot or soft) of the
/// logits' shape, q = (1 - eps) target + eps / C. Mean averages over N.
/// d/dx = softmax(x) sum_c q_c - q,  d/dtarget = -(1 - eps) log softmax(x)
template <class T>
BasicTensor<T> cross_entropy(const BasicTensor<T>& logits, const BasicTensor<T>& target,
                             Reduction reduction = Reduction::Mean,
                             std::type_identity_t<T> label_smoothing = 0);

/// -log_probs[i, label_i] per sample (log_probs from log_softmax). Mean averages over N.
/// d/dlog_probs = -onehot(label)
template <class T>
BasicTensor<T> nll_loss(const BasicTensor<T>& log_probs, const Labels& labels,
                        Reduction reduction = Reduction::Mean);

// ---- loss objects, as torch.nn's: options in the constructor, called like the functions ------

/// torch.nn.MSELoss.
class MSELoss {
 public:
  /// A mean squared error with the given reduction.
  explicit MSELoss(Reduction reduction = Reduction::Mean) : reduction_(reduction) {}
  /// mse_loss(input, target, reduction).
  template <class T>
  BasicTensor<T> operator()(const BasicTensor<T>& input, const BasicTensor<T>& target) const {
    return mse_loss(input, target, reduction_);
  }
  /// The reduction applied.
  Reduction reduction() const { return reduction_; }

 private:
  Reduction reduction_;
};

/// torch.nn.L1Loss.
class L1Loss {
 public:
  /// A mean absolute error with the given reduction.
  explicit L1Loss(Reduction reduction = Reduction::Mean) : reduction_(reduction) {}
  /// l1_loss(input, target, reduction).
  template <class T>
  BasicTensor<T> operator()(const BasicTensor<T>& input, const BasicTensor<T>& target) const {
    return l1_loss(input, target, reduction_);
  }
  /// The reduction applied.
  Reduction reduction() const { return reduction_; }

 private:
  Reduction reduction_;
};

/// torch.nn.HuberLoss.
class HuberLoss {
 public:
  /// A Huber loss with threshold `delta` (> 0).
  explicit HuberLoss(Reduction reduction = Reduction::Mean, double delta = 1.0)
      : reduction_(reduction), delta_(delta) {}
  /// huber_loss(input, target, reduction, delta).
  template <class T>
  BasicTensor<T> operator()(const BasicTensor<T>& input, const BasicTensor<T>& target) const {
    return huber_loss(input, target, reduction_, static_cast<T>(delta_));
  }
  /// The reduction applied.
  Reduction reduction() const { return reduction_; }
  /// The threshold between the quadratic and the linear part.
  double delta() const { return delta_; }

 private:
  Reduction reduction_;
  double delta_;
};

/// torch.nn.SmoothL1Loss.
class SmoothL1Loss {
 public:
  /// A smooth L1 loss with threshold `beta` (>= 0).
  explicit SmoothL1Loss(Reduction reduction = Reduction::Mean, double beta = 1.0)
      : reduction_(reduction), beta_(beta) {}
  /// smooth_l1_loss(input, target, reduction, beta).
  template <class T>
  BasicTensor<T> operator()(const BasicTensor<T>& input, const BasicTensor<T>& target) const {
    return smooth_l1_loss(input, target, reduction_, static_cast<T>(beta_));
  }
  /// The reduction applied.
  Reduction reduction() const { return reduction_; }
  /// The threshold between the quadratic and the linear part.
  double beta() const { return beta_; }

 private:
  Reduction reduction_;
  double beta_;
};

/// torch.nn.BCELoss (on probabilities).
class BCELoss {
 public:
  /// A binary cross-entropy on probabilities with the given reduction.
  explicit BCELoss(Reduction reduction = Reduction::Mean) : reduction_(reduction) {}
  /// binary_cross_entropy(probs, target, reduction).
  template <class T>
  BasicTensor<T> operator()(const BasicTensor<T>& probs, const BasicTensor<T>& target) const {
    return binary_cross_entropy(probs, target, reduction_);
  }
  /// The reduction applied.
  Reduction reduction() const { return reduction_; }

 private:
  Reduction reduction_;
};

/// torch.nn.BCEWithLogitsLoss. A template only because of the typed pos_weight tensor:
/// `BCEWithLogitsLoss loss;` is BCEWithLogitsLoss<float>; a double pos_weight deduces double.
template <class T = float>
class BCEWithLogitsLoss {
 public:
  /// A binary cross-entropy on logits; `pos_weight` (optional) weights the positive term.
  explicit BCEWithLogitsLoss(Reduction reduction = Reduction::Mean, BasicTensor<T> pos_weight = {})
      : reduction_(reduction), pos_weight_(std::move(pos_weight)) {}
  /// binary_cross_entropy_with_logits(logits, target, reduction, pos_weight).
  BasicTensor<T> operator()(const BasicTensor<T>& logits, const BasicTensor<T>& target) const {
    return binary_cross_entropy_with_logits(logits, target, reduction_, pos_weight_);
  }
  /// The reduction applied.
  Reduction reduction() const { return reduction_; }
  /// The positive weight (undefined when none).
  const BasicTensor<T>& pos_weight() const { return pos_weight_; }

 private:
  Reduction reduction_;
  BasicTensor<T> pos_weight_;
};

/// torch.nn.CrossEntropyLoss: logits with integer labels or with target probabilities.
class CrossEntropyLoss {
 public:
  /// A cross-entropy with the given reduction and label smoothing in [0, 1].
  explicit CrossEntropyLoss(Reduction reduction = Reduction::Mean, double label_smoothing = 0.0)
      : reduction_(reduction), label_smoothing_(label_smoothing) {}
  /// cross_entropy(logits, labels, reduction, label_smoothing).
  template <class T>
  BasicTensor<T> operator()(const BasicTensor<T>& logits, const Labels& labels) const {
    return cross_entropy(logits, labels, reduction_, static_cast<T>(label_smoothing_));
  }
  /// cross_entropy(logits, target probabilities, reduction, label_smoothing).
  template <class T>
  BasicTensor<T> operator()(const BasicTensor<T>& logits, const BasicTensor<T>& target) const {
    return cross_entropy(logits, target, reduction_, static_cast<T>(label_smoothing_));
  }
  /// The reduction applied.
  Reduction reduction() const { return reduction_; }
  /// The label smoothing eps.
  double label_smoothing() const { return label_smoothing_; }

 private:
  Reduction reduction_;
  double label_smoothing_;
};

/// torch.nn.NLLLoss (on log-probabilities).
class NLLLoss {
 public:
  /// A negative log-likelihood with the given reduction.
  explicit NLLLoss(Reduction reduction = Reduction::Mean) : reduction_(reduction) {}
  /// nll_loss(log_probs, labels, reduction).
  template <class T>
  BasicTensor<T> operator()(const BasicTensor<T>& log_probs, const Labels& labels) const {
    return nll_loss(log_probs, labels, reduction_);
  }
  /// The reduction applied.
  Reduction reduction() const { return reduction_; }

 private:
  Reduction reduction_;
};

}  // namespace axon::nn
