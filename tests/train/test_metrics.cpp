// SPDX-License-Identifier: MIT
// Tests train/metrics.cpp: batch metrics, the confusion matrix, streaming metrics.
#include <doctest/doctest.h>

#include <cmath>
#include <limits>

#include "axon/autograd/tensor.hpp"
#include "axon/train/metrics.hpp"

namespace axon::test {

using namespace axon::train;
using autograd::from_vector;

namespace {
// 4 samples, 3 classes. Arg-max per row: 0, 2, 1, 2.
autograd::Tensor scores() {
  return from_vector<float>({0.9f, 0.05f, 0.05f,  //
                             0.1f, 0.2f, 0.7f,    //
                             0.3f, 0.6f, 0.1f,    //
                             0.2f, 0.3f, 0.5f},
                            {4, 3});
}
}  // namespace

TEST_CASE("metrics: accuracy, top-k, predicted classes") {
  const Labels labels = {0, 2, 0, 1};
  CHECK(predicted_classes(scores()) == Labels{0, 2, 1, 2});
  CHECK(accuracy(scores(), labels) == doctest::Approx(0.5));
  // top-2: row 2 has label 0 at rank 2 (0.6 > 0.3), row 3 label 1 at rank 2 (0.5 > 0.3).
  CHECK(top_k_accuracy(scores(), labels, 2) == doctest::Approx(1.0));
  CHECK(top_k_accuracy(scores(), labels, 1) == doctest::Approx(0.5));
  CHECK_THROWS_AS(accuracy(scores(), Labels{0, 1}), ShapeError);
  CHECK_THROWS_AS(accuracy(scores(), Labels{0, 1, 2, 3}), IndexError);
  CHECK_THROWS_AS(top_k_accuracy(scores(), labels, 0), ValueError);
}

TEST_CASE("metrics: regression metrics") {
  auto pred = from_vector<double>({1, 2, 3, 4}, {4});
  auto target = from_vector<double>({1, 2, 4, 2}, {4});
  CHECK(mean_squared_error(pred, target) == doctest::Approx(5.0 / 4));
  CHECK(mean_absolute_error(pred, target) == doctest::Approx(3.0 / 4));
  // mean 2.25; SS_tot = 1.5625 + 0.0625 + 3.0625 + 0.0625 = 4.75; SS_res = 5.
  CHECK(r2_score(pred, target) == doctest::Approx(1.0 - 5.0 / 4.75));
  CHECK(r2_score(target, target) == doctest::Approx(1.0));
  CHECK_THROWS_AS(mean_squared_error(pred, from_vector<double>({1, 2}, {2})), ShapeError);
}

TEST_CASE("metrics: confusion matrix, precision, recall, F1") {
  ConfusionMatrix cm(3);
  cm.update(scores(), Labels{0, 2, 0, 1});
  CHECK(cm.total() == 4);
  CHECK(cm.count(0, 0) == 1);
  CHECK(cm.count(0, 1) == 1);
  CHECK(cm.count(2, 2) == 1);
  CHECK(cm.count(1, 2) == 1);
  CHECK(cm.accuracy() == doctest::Approx(0.5));
  const auto p = cm.precision(), r = cm.recall(), f = cm.f1();
  CHECK(p[0] == doctest::Approx(1.0));  // predicted 0 once, correct
  CHECK(p[1] == doctest::Approx(0.0));
  CHECK(p[2] == doctest::Approx(0.5));
  CHECK(r[0] == doctest::Approx(0.5));
  CHECK(r[1] == doctest::Approx(0.0));
  CHECK(r[2] == doctest::Approx(1.0));
  CHECK(f[0] == doctest::Approx(2 * 0.5 / 1.5));
  CHECK(f[2] == doctest::Approx(2 * 0.5 / 1.5));
  CHECK(cm.macro_f1() == doctest::Approx((f[0] + f[1] + f[2]) / 3));
  CHECK(cm.to_string().find("truth") != std::string::npos);
  CHECK_THROWS_AS(cm.add(3, 0), IndexError);
  cm.reset();
  CHECK(cm.total() == 0);
}

TEST_CASE("metrics: streaming metrics equal the whole-set value") {
  auto s = scores();
  const Labels labels = {0, 2, 0, 1};
  auto acc = make_metric("accuracy");
  auto top2 = make_metric("top2_accuracy");
  auto f1 = make_metric("macro_f1", 3);
  CHECK(top2->name() == "top2_accuracy");
  for (auto* m : {acc.get(), top2.get(), f1.get()}) m->reset();
  // Two batches of two rows each.
  auto first = from_vector<float>({0.9f, 0.05f, 0.05f, 0.1f, 0.2f, 0.7f}, {2, 3});
  auto second = from_vector<float>({0.3f, 0.6f, 0.1f, 0.2f, 0.3f, 0.5f}, {2, 3});
  const Labels l1 = {0, 2}, l2 = {0, 1};
  for (auto* m : {acc.get(), top2.get(), f1.get()}) {
    m->update(BatchResult{first, &l1});
    m->update(BatchResult{second, &l2});
  }
  CHECK(acc->value() == doctest::Approx(accuracy(s, labels)));
  CHECK(top2->value() == doctest::Approx(1.0));
  ConfusionMatrix cm(3);
  cm.update(s, labels);
  CHECK(f1->value() == doctest::Approx(cm.macro_f1()));

  auto mse = make_metric("mse");
  auto r2 = make_metric("r2");
  auto pred = from_vector<float>({1, 2, 3, 4}, {4});
  auto target = from_vector<float>({1, 2, 4, 2}, {4});
  mse->reset();
  r2->reset();
  mse->update(BatchResult{pred, nullptr, &target});
  r2->update(BatchResult{pred, nullptr, &target});
  CHECK(mse->value() == doctest::Approx(1.25));
  CHECK(r2->value() == doctest::Approx(1.0 - 5.0 / 4.75));
  CHECK_THROWS_AS(make_metric("nonsense"), ValueError);
  CHECK_THROWS_AS(acc->update(BatchResult{pred}), ValueError);  // no labels
}

TEST_CASE("metrics: streaming r2 of a constant target follows the r2_score convention") {
  // Seven targets of 3.3: sum(y^2) - sum(y)^2 / n is 1.4e-14 in double, not 0, so an r2 made of
  // raw sums gave 1 - SS_res / 1.4e-14 (about -4e12) instead of 0.
  const auto target = from_vector<float>(std::vector<float>(7, 3.3f), {7});
  const auto pred = from_vector<float>(std::vector<float>(7, 3.0f), {7});
  auto r2 = make_metric("r2");
  r2->reset();
  r2->update(BatchResult{pred, nullptr, &target});
  CHECK(r2_score(pred, target) == 0.0);
  CHECK(r2->value() == 0.0);
  r2->reset();
  r2->update(BatchResult{target, nullptr, &target});
  CHECK(r2->value() == 1.0);

  // A large mean with a small spread, in two batches: the streaming value equals the
  // whole-set one.
  const auto t1 = from_vector<float>({10000.5f, 10001.f}, {2});
  const auto t2 = from_vector<float>({10000.f, 10000.25f, 10000.75f}, {3});
  const auto p1 = from_vector<float>({10000.25f, 10001.f}, {2});
  const auto p2 = from_vector<float>({10000.25f, 10000.5f, 10000.75f}, {3});
  const auto t_all = from_vector<float>({10000.5f, 10001.f, 10000.f, 10000.25f, 10000.75f}, {5});
  const auto p_all = from_vector<float>({10000.25f, 10001.f, 10000.25f, 10000.5f, 10000.75f}, {5});
  r2->reset();
  r2->update(BatchResult{p1, nullptr, &t1});
  r2->update(BatchResult{p2, nullptr, &t2});
  CHECK(r2->value() == doctest::Approx(r2_score(p_all, t_all)).epsilon(1e-12));
}

TEST_CASE("metrics: a top-k name with a k too large to parse is a ValueError") {
  // std::stoul threw std::out_of_range, which is not an axon::Error.
  CHECK_THROWS_WITH_AS(make_metric("top99999999999999999999999_accuracy"),
                       doctest::Contains("make_metric: unknown metric"), ValueError);
  CHECK(make_metric("top12_accuracy")->name() == "top12_accuracy");
}

TEST_CASE("metrics: accuracy of no sample, or of scores with no class, is an error") {
  // accuracy and top_k_accuracy returned 0 for no sample (the regression metrics already threw
  // "empty input"), and predicted_classes gave class 0 for rows of no class.
  const auto none = autograd::zeros<float>({0, 3});
  CHECK_THROWS_WITH_AS(accuracy(none, Labels{}), doctest::Contains("accuracy: empty input"),
                       ValueError);
  CHECK_THROWS_WITH_AS(top_k_accuracy(none, Labels{}, 2),
                       doctest::Contains("top_k_accuracy: empty input"), ValueError);
  CHECK_THROWS_WITH_AS(predicted_classes(autograd::zeros<float>({2, 0})),
                       doctest::Contains("predicted_classes: scores of shape [2,0]"), ShapeError);
  CHECK(predicted_classes(none).empty());
}

TEST_CASE("metrics: a row with a NaN score is never right") {
  // Regression: every comparison with NaN is false, so "no class scores higher than the true
  // one" held for NaN outputs, and a model whose outputs were all NaN scored an accuracy of 1.0
  // in fit, evaluate and top-k; accuracy() picked class 0, right for every label 0.
  const float nan = std::numeric_limits<float>::quiet_NaN();
  const auto all_nan = from_vector<float>({nan, nan, nan, nan, nan, nan}, {2, 3});
  const Labels zeros = {0, 0};
  CHECK(accuracy(all_nan, zeros) == 0.0);
  CHECK(top_k_accuracy(all_nan, zeros, 1) == 0.0);
  CHECK(top_k_accuracy(all_nan, zeros, 3) == 0.0);
  // One NaN among numbers: row 0's arg-max would be its label without the NaN.
  const auto mixed = from_vector<double>({0.9, std::nan(""), 0.0,  //
                                          0.1, 0.2, 0.7},
                                         {2, 3});
  const Labels labels = {0, 2};
  CHECK(predicted_classes(mixed) == Labels{1, 2});  // NaN ranks first, as argmax in PyTorch
  CHECK(accuracy(mixed, labels) == doctest::Approx(0.5));
  CHECK(top_k_accuracy(mixed, labels, 3) == doctest::Approx(0.5));

  // The streaming metrics fit and evaluate use.
  const Labels right = {0, 2, 1, 2};  // scores()'s arg-max: 4 right of 4
  const autograd::Tensor four = scores();
  for (const char* name : {"accuracy", "top2_accuracy"}) {
    CAPTURE(name);
    auto metric = make_metric(name);
    metric->update(BatchResult{all_nan, &zeros});
    CHECK(metric->value() == 0.0);
    metric->update(BatchResult{four, &right});
    CHECK(metric->value() == doctest::Approx(4.0 / 6));
  }
  // The confusion matrix: NaN rows predict no class; they count against accuracy and recall.
  ConfusionMatrix cm(3);
  cm.update(mixed, labels);
  CHECK(cm.total() == 2);
  CHECK(cm.unscored() == 1);
  CHECK(cm.count(0, 1) == 0);
  CHECK(cm.count(2, 2) == 1);
  CHECK(cm.accuracy() == doctest::Approx(0.5));
  CHECK(cm.recall()[0] == 0.0);
  CHECK(cm.precision()[1] == 0.0);
  CHECK(cm.to_string().find("NaN") != std::string::npos);
  auto macro = make_metric("macro_recall", 3);
  macro->update(BatchResult{all_nan, &zeros});
  CHECK(macro->value() == 0.0);
  cm.reset();
  CHECK(cm.unscored() == 0);
}

}  // namespace axon::test
