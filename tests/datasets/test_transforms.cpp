// SPDX-License-Identifier: MIT
// Tests datasets/transforms.cpp: scaling, one-hot labels, Standardizer fitted on training data.
#include <doctest/doctest.h>

#include <cmath>
#include <vector>

#include "axon/autograd/error.hpp"
#include "axon/datasets/split.hpp"
#include "axon/datasets/transforms.hpp"

namespace axon::test {

using datasets::Batch;
using datasets::DataLoader;
using datasets::Dataset;
using datasets::Standardizer;

TEST_CASE("datasets/transforms: one_hot and one_hot_targets") {
  const auto t = datasets::one_hot({2, 0}, 3);
  CHECK(t.shape() == datasets::Shape{2, 3});
  CHECK(std::vector<float>(t.data_ptr(), t.data_ptr() + 6) == std::vector<float>{0, 0, 1, 1, 0, 0});
  CHECK_THROWS_AS(datasets::one_hot({3}, 3), IndexError);

  DataLoader loader(Dataset::classification(std::vector<float>{5, 6}, {1}, {1, 0}, 2), 2);
  loader.transform(datasets::one_hot_targets(2)).transform(datasets::scale(2.0f));
  for (Batch& b : loader) {
    CHECK(b.targets.shape() == datasets::Shape{2, 2});
    CHECK(b.targets.data_ptr()[1] == 1.0f);
    CHECK(b.inputs.data_ptr()[1] == 12.0f);
  }
}

TEST_CASE("datasets/transforms: Standardizer uses the training statistics only") {
  // Feature 0: training rows 0..3 hold 1,2,3,4 (mean 2.5); the test rows hold 100, 200.
  // Feature 1 is constant on the training rows.
  const std::vector<float> x = {1, 7, 2, 7, 3, 7, 4, 7, 100, 0, 200, 0};
  const Dataset all = Dataset::regression(x, {2}, {1, 2, 3, 4, 5, 6});
  const Dataset train = all.subset(std::vector<std::size_t>{0, 1, 2, 3});
  const Dataset test = all.subset(std::vector<std::size_t>{4, 5});

  Standardizer scaler;
  CHECK_FALSE(scaler.fitted());
  scaler.fit(train);
  REQUIRE(scaler.mean().size() == 2);
  CHECK(scaler.mean()[0] == doctest::Approx(2.5));
  CHECK(scaler.mean()[1] == doctest::Approx(7));
  CHECK(scaler.stddev()[0] == doctest::Approx(std::sqrt(1.25)));
  CHECK(scaler.stddev()[1] == 1.0);  // constant feature

  DataLoader train_loader(train, 4);
  train_loader.transform(scaler);
  for (Batch& b : train_loader) {
    double sum = 0, sum2 = 0;
    for (std::size_t r = 0; r < 4; ++r) {
      sum += b.inputs.data_ptr()[2 * r];
      sum2 += b.inputs.data_ptr()[2 * r] * b.inputs.data_ptr()[2 * r];
      CHECK(b.inputs.data_ptr()[2 * r + 1] == 0.0f);
    }
    CHECK(sum == doctest::Approx(0).epsilon(1e-6));
    CHECK(sum2 / 4 == doctest::Approx(1));
  }
  DataLoader test_loader(test, 2);
  test_loader.transform(scaler);
  for (Batch& b : test_loader) {
    CHECK(b.inputs.data_ptr()[0] == doctest::Approx((100 - 2.5) / std::sqrt(1.25)));
    CHECK(b.inputs.data_ptr()[3] == doctest::Approx(-7));
    auto copy = b.inputs.detach();
    scaler.inverse_transform(copy);
    CHECK(copy.data_ptr()[2] == doctest::Approx(200));
  }

  Standardizer targets(Standardizer::Scope::PerFeature, Standardizer::Field::Targets);
  targets.fit(train);
  CHECK(targets.mean() == std::vector<double>{2.5});
  Batch batch = test.gather(std::vector<std::size_t>{0, 1});
  targets(batch);
  CHECK(batch.targets.data_ptr()[0] == doctest::Approx((5 - 2.5) / std::sqrt(1.25)));

  Standardizer unfitted;
  CHECK_THROWS_AS(unfitted(batch), ValueError);
  auto wrong = datasets::Tensor(xt::xarray<float>::from_shape({2, 3}));
  CHECK_THROWS_AS(scaler.transform(wrong), ShapeError);
}

TEST_CASE("datasets/transforms: global Standardizer on uint8 images") {
  const std::vector<std::uint8_t> pixels = {0, 0, 255, 255, 0, 255, 0, 255};
  const Dataset images = Dataset::classification(pixels, {2, 2}, {0, 1}, 2);
  Standardizer scaler(Standardizer::Scope::Global);
  scaler.fit(images);
  REQUIRE(scaler.mean().size() == 1);
  CHECK(scaler.mean()[0] == doctest::Approx(127.5));
  CHECK(scaler.stddev()[0] == doctest::Approx(127.5));
  Batch b = images.gather(std::vector<std::size_t>{0});
  scaler(b);
  CHECK(b.inputs.data_ptr()[0] == doctest::Approx(-1));
  CHECK(b.inputs.data_ptr()[3] == doctest::Approx(1));
}

TEST_CASE(
    "datasets/transforms: a targets Standardizer on a batch without targets is a ValueError") {
  Standardizer targets(Standardizer::Scope::PerFeature, Standardizer::Field::Targets);
  targets.fit(Dataset::regression(std::vector<float>{1, 2, 3}, {1}, {4, 5, 6}));
  Batch batch = Dataset::classification(std::vector<float>{1, 2}, {1}, {0, 1}, 2)
                    .gather(std::vector<std::size_t>{0, 1});
  CHECK_THROWS_WITH_AS(targets(batch), doctest::Contains("Standardizer::transform: no values"),
                       ValueError);
}

}  // namespace axon::test
