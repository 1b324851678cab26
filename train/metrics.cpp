// SPDX-License-Identifier: MIT
#include "axon/train/metrics.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <sstream>

#include "axon/autograd/error.hpp"

namespace axon::train {

namespace {

using autograd::shape_str;

template <class T>
void check_scores(const char* op, const BasicTensor<T>& scores, const Labels& labels) {
  if (scores.dim() != 2 || scores.shape()[0] != labels.size()) {
    throw ShapeError(std::string(op) + ": scores of shape " + shape_str(scores.shape()) +
                     " do not match " + std::to_string(labels.size()) +
                     " labels (expected [N,C] with N = number of labels)");
  }
  const std::size_t classes = scores.shape()[1];
  for (std::size_t i = 0; i < labels.size(); ++i) {
    if (labels[i] >= classes) {
      throw IndexError(std::string(op) + ": label " + std::to_string(labels[i]) + " of sample " +
                       std::to_string(i) + " is out of range for " + std::to_string(classes) +
                       " classes");
    }
  }
}

template <class T>
void check_same_shape(const char* op, const BasicTensor<T>& a, const BasicTensor<T>& b) {
  if (a.shape() != b.shape()) {
    throw ShapeError(std::string(op) + ": prediction of shape " + shape_str(a.shape()) +
                     " and target of shape " + shape_str(b.shape()) + " differ");
  }
  if (a.numel() == 0) throw ValueError(std::string(op) + ": empty input");
}

/// Whether one of a row's `c` scores is NaN: such a row is never counted as right (every
/// comparison with NaN is false, so "no class scores higher than the true one" would hold).
template <class T>
bool has_nan(const T* row, std::size_t c) {
  return std::any_of(row, row + c, [](T v) { return std::isnan(v); });
}

}  // namespace

template <class T>
Labels predicted_classes(const BasicTensor<T>& scores) {
  if (scores.dim() != 2) {
    throw ShapeError("predicted_classes: expected scores [N,C], got " + shape_str(scores.shape()));
  }
  const std::size_t n = scores.shape()[0], c = scores.shape()[1];
  if (c == 0 && n > 0) {
    throw ShapeError("predicted_classes: scores of shape " + shape_str(scores.shape()) +
                     " have no class to pick");
  }
  Labels out(n, 0);
  const T* p = scores.data_ptr();
  for (std::size_t i = 0; i < n; ++i) {
    const T* row = p + i * c;
    // NaN ranks above every number (NumPy's and PyTorch's argmax): std::max_element alone
    // would skip it only when it is not first.
    const T* nan = std::find_if(row, row + c, [](T v) { return std::isnan(v); });
    out[i] =
        static_cast<std::size_t>((nan != row + c ? nan : std::max_element(row, row + c)) - row);
  }
  return out;
}

template <class T>
double accuracy(const BasicTensor<T>& scores, const Labels& labels) {
  check_scores("accuracy", scores, labels);
  if (labels.empty()) throw ValueError("accuracy: empty input (no sample)");
  const Labels pred = predicted_classes(scores);
  std::size_t correct = 0;
  const std::size_t c = scores.shape()[1];
  for (std::size_t i = 0; i < labels.size(); ++i) {
    correct += pred[i] == labels[i] && !has_nan(scores.data_ptr() + i * c, c);
  }
  return static_cast<double>(correct) / static_cast<double>(labels.size());
}

template <class T>
double top_k_accuracy(const BasicTensor<T>& scores, const Labels& labels, std::size_t k) {
  check_scores("top_k_accuracy", scores, labels);
  if (k == 0) throw ValueError("top_k_accuracy: k must be at least 1");
  if (labels.empty()) throw ValueError("top_k_accuracy: empty input (no sample)");
  const std::size_t c = scores.shape()[1];
  const T* p = scores.data_ptr();
  std::size_t hits = 0;
  for (std::size_t i = 0; i < labels.size(); ++i) {
    const T* row = p + i * c;
    if (has_nan(row, c)) continue;  // a miss
    const T mine = row[labels[i]];
    // Rank of the true class: classes scoring higher, or equal with a lower index, come first.
    std::size_t ahead = 0;
    for (std::size_t j = 0; j < c; ++j) {
      ahead += row[j] > mine || (row[j] == mine && j < labels[i]);
    }
    hits += ahead < k;
  }
  return static_cast<double>(hits) / static_cast<double>(labels.size());
}

template <class T>
double mean_squared_error(const BasicTensor<T>& prediction, const BasicTensor<T>& target) {
  check_same_shape("mean_squared_error", prediction, target);
  double s = 0;
  for (std::size_t i = 0; i < prediction.numel(); ++i) {
    const double d = static_cast<double>(prediction.data_ptr()[i]) - target.data_ptr()[i];
    s += d * d;
  }
  return s / static_cast<double>(prediction.numel());
}

template <class T>
double mean_absolute_error(const BasicTensor<T>& prediction, const BasicTensor<T>& target) {
  check_same_shape("mean_absolute_error", prediction, target);
  double s = 0;
  for (std::size_t i = 0; i < prediction.numel(); ++i) {
    s += std::abs(static_cast<double>(prediction.data_ptr()[i]) - target.data_ptr()[i]);
  }
  return s / static_cast<double>(prediction.numel());
}

template <class T>
double r2_score(const BasicTensor<T>& prediction, const BasicTensor<T>& target) {
  check_same_shape("r2_score", prediction, target);
  const std::size_t n = target.numel();
  double mean = 0;
  for (std::size_t i = 0; i < n; ++i) mean += target.data_ptr()[i];
  mean /= static_cast<double>(n);
  double res = 0, tot = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const double t = target.data_ptr()[i];
    res += (t - prediction.data_ptr()[i]) * (t - prediction.data_ptr()[i]);
    tot += (t - mean) * (t - mean);
  }
  if (tot == 0) return res == 0 ? 1.0 : 0.0;
  return 1.0 - res / tot;
}

// ---- ConfusionMatrix -------------------------------------------------------------------------

ConfusionMatrix::ConfusionMatrix(std::size_t classes) : classes_(classes) {
  if (classes == 0) throw ValueError("ConfusionMatrix: needs at least one class");
  counts_.assign(classes * classes, 0);
  unscored_.assign(classes, 0);
}

void ConfusionMatrix::add(std::size_t truth, std::size_t predicted) {
  if (truth >= classes_ || predicted >= classes_) {
    throw IndexError("ConfusionMatrix: class " + std::to_string(std::max(truth, predicted)) +
                     " is out of range for " + std::to_string(classes_) + " classes");
  }
  ++counts_[truth * classes_ + predicted];
}

template <class T>
void ConfusionMatrix::update(const BasicTensor<T>& scores, const Labels& labels) {
  check_scores("ConfusionMatrix", scores, labels);
  if (scores.shape()[1] != classes_) {
    throw ShapeError("ConfusionMatrix: scores of shape " + shape_str(scores.shape()) + " for " +
                     std::to_string(classes_) + " classes");
  }
  const Labels pred = predicted_classes(scores);
  for (std::size_t i = 0; i < labels.size(); ++i) {
    if (has_nan(scores.data_ptr() + i * classes_, classes_)) {
      ++unscored_[labels[i]];
    } else {
      add(labels[i], pred[i]);
    }
  }
}

void ConfusionMatrix::reset() {
  std::fill(counts_.begin(), counts_.end(), 0);
  std::fill(unscored_.begin(), unscored_.end(), 0);
}

std::size_t ConfusionMatrix::unscored() const {
  std::size_t n = 0;
  for (auto u : unscored_) n += u;
  return n;
}

std::size_t ConfusionMatrix::count(std::size_t truth, std::size_t predicted) const {
  if (truth >= classes_ || predicted >= classes_) {
    throw IndexError("ConfusionMatrix::count: class out of range for " + std::to_string(classes_) +
                     " classes");
  }
  return counts_[truth * classes_ + predicted];
}

std::size_t ConfusionMatrix::total() const {
  std::size_t t = 0;
  for (auto c : counts_) t += c;
  return t + unscored();
}

double ConfusionMatrix::accuracy() const {
  std::size_t diag = 0;
  for (std::size_t i = 0; i < classes_; ++i) diag += counts_[i * classes_ + i];
  const std::size_t t = total();
  return t ? static_cast<double>(diag) / static_cast<double>(t) : 0.0;
}

std::vector<double> ConfusionMatrix::precision() const {
  std::vector<double> out(classes_, 0.0);
  for (std::size_t p = 0; p < classes_; ++p) {
    std::size_t col = 0;
    for (std::size_t t = 0; t < classes_; ++t) col += counts_[t * classes_ + p];
    if (col) out[p] = static_cast<double>(counts_[p * classes_ + p]) / static_cast<double>(col);
  }
  return out;
}

std::vector<double> ConfusionMatrix::recall() const {
  std::vector<double> out(classes_, 0.0);
  for (std::size_t t = 0; t < classes_; ++t) {
    std::size_t row = 0;
    for (std::size_t p = 0; p < classes_; ++p) row += counts_[t * classes_ + p];
    row += unscored_[t];
    if (row) out[t] = static_cast<double>(counts_[t * classes_ + t]) / static_cast<double>(row);
  }
  return out;
}

std::vector<double> ConfusionMatrix::f1() const {
  const auto p = precision(), r = recall();
  std::vector<double> out(classes_, 0.0);
  for (std::size_t i = 0; i < classes_; ++i) {
    if (p[i] + r[i] > 0) out[i] = 2 * p[i] * r[i] / (p[i] + r[i]);
  }
  return out;
}

namespace {
double mean_of(const std::vector<double>& v) {
  double s = 0;
  for (double x : v) s += x;
  return v.empty() ? 0.0 : s / static_cast<double>(v.size());
}
}  // namespace

double ConfusionMatrix::macro_precision() const {
  return mean_of(precision());
}
double ConfusionMatrix::macro_recall() const {
  return mean_of(recall());
}
double ConfusionMatrix::macro_f1() const {
  return mean_of(f1());
}

std::string ConfusionMatrix::to_string() const {
  std::ostringstream os;
  os << "truth\\pred";
  for (std::size_t p = 0; p < classes_; ++p) os << '\t' << p;
  const bool nan_column = unscored() > 0;
  if (nan_column) os << "\tNaN";
  os << '\n';
  for (std::size_t t = 0; t < classes_; ++t) {
    os << t;
    for (std::size_t p = 0; p < classes_; ++p) os << '\t' << counts_[t * classes_ + p];
    if (nan_column) os << '\t' << unscored_[t];
    os << '\n';
  }
  return os.str();
}

// ---- streaming metrics -----------------------------------------------------------------------

namespace {

const Labels& need_labels(const BatchResult& b, const std::string& metric) {
  if (!b.labels) throw ValueError("metric " + metric + ": needs class labels");
  return *b.labels;
}

const autograd::Tensor& need_targets(const BatchResult& b, const std::string& metric) {
  if (!b.targets) throw ValueError("metric " + metric + ": needs regression targets");
  return *b.targets;
}

class TopKAccuracy final : public Metric {
 public:
  explicit TopKAccuracy(std::size_t k) : k_(k) {}
  std::string name() const override {
    return k_ == 1 ? "accuracy" : "top" + std::to_string(k_) + "_accuracy";
  }
  void reset() override { hits_ = seen_ = 0; }
  void update(const BatchResult& b) override {
    const Labels& labels = need_labels(b, name());
    hits_ += top_k_accuracy(b.output, labels, k_) * static_cast<double>(labels.size());
    seen_ += labels.size();
  }
  double value() const override { return seen_ ? hits_ / static_cast<double>(seen_) : 0.0; }

 private:
  std::size_t k_;
  double hits_ = 0;
  std::size_t seen_ = 0;
};

/// Accumulates sums over all elements seen so far.
class RegressionMetric final : public Metric {
 public:
  explicit RegressionMetric(std::string kind) : kind_(std::move(kind)) {}
  std::string name() const override { return kind_; }
  void reset() override { n_ = 0, sq_ = abs_ = mean_t_ = m2_t_ = 0; }
  void update(const BatchResult& b) override {
    const autograd::Tensor& t = need_targets(b, kind_);
    mean_squared_error(b.output, t);  // shape check
    for (std::size_t i = 0; i < t.numel(); ++i) {
      const double y = t.data_ptr()[i], d = b.output.data_ptr()[i] - y;
      sq_ += d * d;
      abs_ += std::abs(d);
      // Welford's update of the targets' mean and sum of squared deviations: sum(y^2) -
      // sum(y)^2 / n cancels (a constant target gave a tiny positive SS_tot, not 0).
      ++n_;
      const double delta = y - mean_t_;
      mean_t_ += delta / static_cast<double>(n_);
      m2_t_ += delta * (y - mean_t_);
    }
  }
  double value() const override {
    if (n_ == 0) return 0.0;
    const double n = static_cast<double>(n_);
    if (kind_ == "mse") return sq_ / n;
    if (kind_ == "mae") return abs_ / n;
    if (m2_t_ <= 0) return sq_ == 0 ? 1.0 : 0.0;  // r2: SS_tot is m2_t_
    return 1.0 - sq_ / m2_t_;
  }

 private:
  std::string kind_;
  std::size_t n_ = 0;
  double sq_ = 0, abs_ = 0, mean_t_ = 0, m2_t_ = 0;
};

class MacroMetric final : public Metric {
 public:
  MacroMetric(std::string kind, std::size_t classes) : kind_(std::move(kind)), cm_(classes) {}
  std::string name() const override { return kind_; }
  void reset() override { cm_.reset(); }
  void update(const BatchResult& b) override { cm_.update(b.output, need_labels(b, kind_)); }
  double value() const override {
    if (kind_ == "macro_f1") return cm_.macro_f1();
    if (kind_ == "macro_precision") return cm_.macro_precision();
    return cm_.macro_recall();
  }

 private:
  std::string kind_;
  ConfusionMatrix cm_;
};

}  // namespace

std::unique_ptr<Metric> make_metric(const std::string& name, std::size_t classes) {
  if (name == "accuracy" || name == "acc") return std::make_unique<TopKAccuracy>(1);
  if (name.rfind("top", 0) == 0 && name.size() > 12 &&
      name.compare(name.size() - 9, 9, "_accuracy") == 0) {
    const std::string digits = name.substr(3, name.size() - 12);
    // At most 9 digits: std::stoul would throw std::out_of_range past its range.
    if (!digits.empty() && digits.size() <= 9 &&
        std::all_of(digits.begin(), digits.end(),
                    [](char c) { return std::isdigit(static_cast<unsigned char>(c)) != 0; })) {
      const auto k = static_cast<std::size_t>(std::stoul(digits));
      if (k > 0) return std::make_unique<TopKAccuracy>(k);
    }
  }
  if (name == "mse" || name == "mae" || name == "r2")
    return std::make_unique<RegressionMetric>(name);
  if (name == "macro_f1" || name == "macro_precision" || name == "macro_recall") {
    if (classes == 0) throw ValueError("metric " + name + ": needs the number of classes");
    return std::make_unique<MacroMetric>(name, classes);
  }
  throw ValueError("make_metric: unknown metric '" + name +
                   "' (known: accuracy, topK_accuracy, mse, mae, r2, macro_f1, "
                   "macro_precision, macro_recall)");
}

#define AXON_INSTANTIATE(T)                                                             \
  template Labels predicted_classes<T>(const BasicTensor<T>&);                          \
  template double accuracy<T>(const BasicTensor<T>&, const Labels&);                    \
  template double top_k_accuracy<T>(const BasicTensor<T>&, const Labels&, std::size_t); \
  template double mean_squared_error<T>(const BasicTensor<T>&, const BasicTensor<T>&);  \
  template double mean_absolute_error<T>(const BasicTensor<T>&, const BasicTensor<T>&); \
  template double r2_score<T>(const BasicTensor<T>&, const BasicTensor<T>&);            \
  template void ConfusionMatrix::update<T>(const BasicTensor<T>&, const Labels&);

AXON_INSTANTIATE(float)
AXON_INSTANTIATE(double)

}  // namespace axon::train
