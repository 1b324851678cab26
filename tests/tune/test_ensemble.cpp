// SPDX-License-Identifier: MIT
// Tests nn/ensemble.cpp (averaged outputs, averaged probabilities, gradients) and
// tune/cross_validate.cpp (folds partition the data; each fold validates once).
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <memory>
#include <numeric>
#include <set>
#include <vector>

#include "axon/autograd/ops/softmax.hpp"
#include "axon/autograd/tensor.hpp"
#include "axon/datasets/dataset.hpp"
#include "axon/nn/ensemble.hpp"
#include "axon/nn/gradcheck.hpp"
#include "axon/nn/linear.hpp"
#include "axon/tune/cross_validate.hpp"

namespace axon::test {

using autograd::Generator;

TEST_CASE("Ensemble: the mean of its members' outputs, members registered by index") {
  Generator gen(3);
  auto a = std::make_shared<nn::LinearD>(nn::LinearOptions(4, 3), gen);
  auto b = std::make_shared<nn::LinearD>(nn::LinearOptions(4, 3), gen);
  nn::EnsembleD ensemble({a, b});
  const auto x = autograd::randn<double>({5, 4}, gen);
  const auto out = ensemble(x), ya = (*a)(x), yb = (*b)(x);
  REQUIRE(out.shape() == ya.shape());
  for (std::size_t i = 0; i < out.data().size(); ++i) {
    CHECK(out.data().flat(i) == doctest::Approx((ya.data().flat(i) + yb.data().flat(i)) / 2));
  }
  const auto names = ensemble.state_dict();
  REQUIRE(names.size() == 4);
  CHECK(names[0].first == "0.weight");
  CHECK(names[3].first == "1.bias");
  // Gradients in double against central differences, through both members.
  const auto xg = autograd::TensorD(x.data(), true);
  const auto check = nn::gradcheck_module(ensemble, xg);
  CHECK_MESSAGE(check.ok, check.message);
}

TEST_CASE("Ensemble: classifiers average probabilities, output is their log") {
  Generator gen(4);
  std::vector<std::shared_ptr<nn::ModuleD>> members;
  for (int i = 0; i < 3; ++i)
    members.push_back(std::make_shared<nn::LinearD>(nn::LinearOptions(4, 5), gen));
  nn::EnsembleD ensemble(members, nn::EnsembleMode::kProbabilities);
  const auto x = autograd::randn<double>({6, 4}, gen, 0.0, 3.0);
  const auto out = ensemble(x);
  REQUIRE(out.shape() == autograd::Shape{6, 5});
  for (std::size_t r = 0; r < 6; ++r) {
    double total = 0;
    for (std::size_t c = 0; c < 5; ++c) {
      double mean = 0;
      for (const auto& m : members) mean += autograd::softmax((*m)(x)).data()(r, c) / 3;
      CHECK(std::exp(out.data()(r, c)) == doctest::Approx(mean).epsilon(1e-9));
      total += std::exp(out.data()(r, c));
    }
    CHECK(total == doctest::Approx(1.0));
  }
  const auto check = nn::gradcheck_module(ensemble, autograd::TensorD(x.data(), true));
  CHECK_MESSAGE(check.ok, check.message);
}

TEST_CASE("Ensemble: empty, null and mismatched members are typed errors") {
  Generator gen(5);
  CHECK_THROWS_AS(nn::Ensemble({}), ValueError);
  CHECK_THROWS_AS(nn::Ensemble({nullptr}), ValueError);
  nn::Ensemble mixed({std::make_shared<nn::Linear>(nn::LinearOptions(2, 3), gen),
                      std::make_shared<nn::Linear>(nn::LinearOptions(2, 4), gen)});
  CHECK_THROWS_WITH_AS(mixed(autograd::randn<float>({1, 2}, gen)), doctest::Contains("member 1"),
                       ShapeError);
}

TEST_CASE("tune: k folds partition the samples; each validates once") {
  const auto folds = tune::kfold_indices(23, 5, 9);
  REQUIRE(folds.size() == 5);
  std::vector<std::size_t> all;
  for (std::size_t f = 0; f < 5; ++f) {
    CHECK(folds[f].size() == (f < 3 ? 5u : 4u));
    CHECK(std::is_sorted(folds[f].begin(), folds[f].end()));
    all.insert(all.end(), folds[f].begin(), folds[f].end());
  }
  std::sort(all.begin(), all.end());
  std::vector<std::size_t> expected(23);
  std::iota(expected.begin(), expected.end(), 0);
  CHECK(all == expected);
  CHECK(tune::kfold_indices(23, 5, 9) == folds);
  CHECK(tune::kfold_indices(23, 5, 10) != folds);
  CHECK_THROWS_AS(tune::kfold_indices(3, 4, 0), ValueError);
  CHECK_THROWS_AS(tune::kfold_indices(3, 1, 0), ValueError);

  // Sample i's target is i: each fold sees the others as training data and its own as validation.
  std::vector<float> features(23), targets(23);
  std::iota(features.begin(), features.end(), 0.0f);
  std::iota(targets.begin(), targets.end(), 0.0f);
  const auto data = datasets::Dataset::regression(features, {1}, targets);
  std::size_t calls = 0;
  const auto cv = tune::cross_validate(
      data, 5, 9, [&](const datasets::Dataset& train, const datasets::Dataset& val, std::size_t f) {
        CHECK(f == calls++);
        CHECK(train.size() + val.size() == 23);
        std::set<float> seen;
        for (std::size_t i = 0; i < val.size(); ++i) seen.insert(val.row_targets(i)[0]);
        for (std::size_t i = 0; i < train.size(); ++i)
          CHECK(seen.count(train.row_targets(i)[0]) == 0);
        return static_cast<double>(val.size());
      });
  CHECK(calls == 5);
  CHECK(cv.scores == std::vector<double>{5, 5, 5, 4, 4});
  CHECK(cv.mean == doctest::Approx(4.6));
  CHECK(cv.stddev == doctest::Approx(std::sqrt(1.2 / 4)));
}

}  // namespace axon::test
