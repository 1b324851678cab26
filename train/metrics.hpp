// SPDX-License-Identifier: MIT
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include <xtensor/xarray.hpp>

#include "axon/autograd/tensor.hpp"

/// Metrics for classification and regression: plain functions over one batch, and streaming
/// Metric objects that `fit` and `evaluate` update batch by batch (the epoch's value is exact, not
/// an average of batch averages).
namespace axon::train {

using autograd::BasicTensor;
/// Class indices of a batch's samples, one per sample.
using Labels = std::vector<std::size_t>;

/// Row-wise arg-max of logits or probabilities [N,C] (first index on ties; a NaN ranks above
/// every number, as NumPy's and PyTorch's argmax); ShapeError unless the scores are [N,C] with
/// C >= 1 (or N = 0).
template <class T>
Labels predicted_classes(const BasicTensor<T>& scores);

/// Fraction of rows whose arg-max equals the label; a row with a NaN score is never right.
/// ShapeError if scores is not [N,C] with N labels; ValueError when N is 0.
template <class T>
double accuracy(const BasicTensor<T>& scores, const Labels& labels);

/// Fraction of rows whose label is among the k highest scores (ties broken by lower index); a
/// row with a NaN score is never right. ValueError when there is no row or k is 0.
template <class T>
double top_k_accuracy(const BasicTensor<T>& scores, const Labels& labels, std::size_t k);

/// Mean squared error over all elements (shapes must match: ShapeError otherwise).
template <class T>
double mean_squared_error(const BasicTensor<T>& prediction, const BasicTensor<T>& target);
/// Mean absolute error over all elements.
template <class T>
double mean_absolute_error(const BasicTensor<T>& prediction, const BasicTensor<T>& target);
/// 1 - SS_res / SS_tot; when the target is constant (SS_tot = 0) returns 1 for a perfect
/// prediction and 0 otherwise (scikit-learn's convention).
template <class T>
double r2_score(const BasicTensor<T>& prediction, const BasicTensor<T>& target);

/// A confusion matrix: rows are true classes, columns predicted classes. A row of scores with a
/// NaN predicts no class: it counts as "unscored" for its true class, in total(), accuracy()'s
/// and recall()'s denominators, and in no column.
class ConfusionMatrix {
 public:
  /// An empty matrix of `classes` x `classes`; ValueError when classes is 0.
  explicit ConfusionMatrix(std::size_t classes);
  /// Adds one prediction; IndexError when a class is out of range.
  void add(std::size_t truth, std::size_t predicted);
  /// Adds the arg-max predictions of a batch of scores [N,C] (rows with a NaN as unscored).
  template <class T>
  void update(const BasicTensor<T>& scores, const Labels& labels);
  /// Empties the matrix (unscored samples included).
  void reset();

  /// The number of classes.
  std::size_t classes() const { return classes_; }
  /// Samples of class `truth` predicted as `predicted`; IndexError when a class is out of range.
  std::size_t count(std::size_t truth, std::size_t predicted) const;
  /// Every sample added, unscored ones included.
  std::size_t total() const;
  /// Samples whose scores held a NaN.
  std::size_t unscored() const;
  /// The diagonal over total() (0 for an empty matrix).
  double accuracy() const;
  /// Per-class precision, recall and F1 (0 where undefined: no predictions / no samples).
  std::vector<double> precision() const;
  std::vector<double> recall() const;  ///< per-class recall
  std::vector<double> f1() const;      ///< per-class F1 score
  /// Unweighted means over classes.
  double macro_precision() const;
  double macro_recall() const;  ///< mean per-class recall
  double macro_f1() const;      ///< mean per-class F1 score
  /// A printable table.
  std::string to_string() const;

 private:
  std::size_t classes_;
  std::vector<std::size_t> counts_;    // row-major [truth][predicted]
  std::vector<std::size_t> unscored_;  // [truth]: rows with a NaN score
};

/// What a model produced for one batch, and what it should have produced.
struct BatchResult {
  const autograd::Tensor& output;  ///< model output (logits/probabilities [N,C] or values)
  const Labels* labels = nullptr;  ///< class labels, for classification
  const autograd::Tensor* targets = nullptr;  ///< target values, for regression
};

/// A streaming metric: reset at the start of an epoch, updated per batch, read at the end.
class Metric {
 public:
  virtual ~Metric() = default;
  /// The name used in progress output, the history and CSV columns ("accuracy", "val_mae").
  virtual std::string name() const = 0;
  /// Clears the accumulated state (start of an epoch).
  virtual void reset() = 0;
  /// Accumulates one batch's predictions and labels or targets; ValueError when the batch lacks
  /// what the metric needs.
  virtual void update(const BatchResult& batch) = 0;
  /// The metric over every batch since reset().
  virtual double value() const = 0;
};

/// Builds a metric from its Keras-style name: "accuracy", "top5_accuracy" (any k), "mse", "mae",
/// "r2", "macro_f1", "macro_precision", "macro_recall". ValueError for an unknown name.
/// `classes` is needed by the macro_* metrics.
std::unique_ptr<Metric> make_metric(const std::string& name, std::size_t classes = 0);

}  // namespace axon::train
