// SPDX-License-Identifier: MIT
// Tests nn/dropout.cpp: drop rate and mean preserved, eval and p = 0 identity, seeded masks,
// generator accessors, gradient equal to the mask, bad p.
#include <doctest/doctest.h>

#include <cmath>

#include "axon/autograd/autograd.hpp"
#include "axon/nn/dropout.hpp"

namespace axon::test {

using namespace axon::autograd;

TEST_CASE("nn: dropout zeroes a fraction p and preserves the mean") {
  const double p = 0.3;
  nn::DropoutD drop(p);
  CHECK(drop.p() == p);
  CHECK(drop.repr() == "Dropout(p=0.3)");
  const std::size_t n = 200000;
  const TensorD x = ones<double>({n});
  const TensorD y = drop(x);
  std::size_t zeros_seen = 0, wrong_scale = 0;
  double sum = 0;
  for (double v : y.data()) {
    if (v == 0) {
      ++zeros_seen;
    } else if (std::abs(v - 1.0 / (1.0 - p)) > 1e-12) {
      ++wrong_scale;
    }
    sum += v;
  }
  CHECK(wrong_scale == 0);
  // Standard errors: drop rate sqrt(p(1-p)/n) ~ 1e-3, mean sqrt(p/(1-p)/n) ~ 1.5e-3.
  CHECK(static_cast<double>(zeros_seen) / n == doctest::Approx(p).epsilon(0.02));
  CHECK(std::abs(sum / n - 1.0) < 0.01);
}

TEST_CASE("nn: dropout is the identity in eval mode and for p = 0") {
  Generator gen(0);
  const Tensor x = randn<float>({4, 5}, gen);
  nn::Dropout drop(0.5);
  drop.eval();
  CHECK(drop(x).data() == x.data());
  drop.train();
  CHECK(drop(x).data() != x.data());
  nn::Dropout none(0.0);
  CHECK(none(x).data() == x.data());
}

TEST_CASE("nn: dropout masks are reproducible from the seed and the generator") {
  const Tensor x = ones<float>({64});
  nn::Dropout a(nn::DropoutOptions(0.5).seed(7)), b(nn::DropoutOptions(0.5).seed(7));
  nn::Dropout c(nn::DropoutOptions(0.5).seed(8));
  const Tensor ya = a(x);
  CHECK(ya.data() == b(x).data());
  CHECK(ya.data() != c(x).data());
  CHECK(a(x).data() != ya.data());  // the stream advances between calls

  // set_generator: a shard's own stream, reproducible.
  Generator shard = Generator(123).fork(2);
  a.set_generator(shard);
  b.set_generator(shard);
  CHECK(a(x).data() == b(x).data());
  CHECK(a.generator().state() == b.generator().state());
}

TEST_CASE("nn: dropout draws from the thread's scoped generator when one is set") {
  const Tensor x = ones<float>({64});
  nn::Dropout a(nn::DropoutOptions(0.5).seed(1)), b(nn::DropoutOptions(0.5).seed(2));
  const auto own_state = a.generator().state();
  Tensor ya, yb;
  {
    Generator s1(99), s2(99);
    {
      GeneratorScope scope(s1);
      ya = a(x);
    }
    GeneratorScope scope(s2);
    yb = b(x);
  }
  CHECK(ya.data() == yb.data());              // same scoped stream, different layer seeds
  CHECK(a.generator().state() == own_state);  // the layer's own stream is untouched
}

TEST_CASE("nn: dropout gradient is the mask") {
  nn::DropoutD drop(0.4);
  const TensorD x = ones<double>({50}, true);
  const TensorD y = drop(x);
  y.backward(ones<double>({50}));
  CHECK(x.grad().data() == y.data());  // x = 1, so y is the mask itself
}

TEST_CASE("nn: dropout rejects p outside [0, 1)") {
  CHECK_THROWS_AS(nn::Dropout(1.0), ValueError);
  CHECK_THROWS_AS(nn::Dropout(-0.1), ValueError);
  CHECK_THROWS_AS(nn::Dropout(std::nan("")), ValueError);
  CHECK_NOTHROW(nn::Dropout(0.999));
}

}  // namespace axon::test
