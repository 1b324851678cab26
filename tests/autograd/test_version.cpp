// SPDX-License-Identifier: MIT
// The version counter (autograd/tensor.hpp, detail::SavedVersions): an in-place write to a tensor
// a recorded op still needs is a GraphError at backward naming the op, never a silent wrong
// gradient (issue 18, case 3), while reads never count as writes.
#include <string>

#include <doctest/doctest.h>

#include "axon/autograd/autograd.hpp"
#include "axon/optim/sgd.hpp"

namespace {

using namespace axon::autograd;
using axon::GraphError;

TensorD vec(std::vector<double> v, bool requires_grad = true) {
  const std::size_t n = v.size();
  return from_vector<double>(v, {n}, requires_grad);
}

/// The message of the GraphError `f` throws ("" when it throws none).
template <class F>
std::string graph_error(F f) {
  try {
    f();
  } catch (const GraphError& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST_CASE("version: a write into a saved input is a GraphError naming the op, not 100 for 2") {
  // Issue 18, case 3: y = x * x at x = 1 has dy/dx = 2; writing 50 into x before backward gave
  // 100 with no error.
  TensorD x = vec({1.0});
  TensorD y = x * x;
  CHECK(x.version() == 0);
  x.mutable_data()(0) = 50.0;
  CHECK(x.version() == 1);
  const std::string msg = graph_error([&] { y.backward(); });
  REQUIRE_FALSE(msg.empty());
  CHECK(msg.find("mul") != std::string::npos);
  CHECK(msg.find("shape [1]") != std::string::npos);
  CHECK(msg.find("version 1") != std::string::npos);
  CHECK(msg.find("version 0") != std::string::npos);
  CHECK_FALSE(x.has_grad());

  // The same program without the write gets the right gradient.
  TensorD x2 = vec({1.0});
  TensorD y2 = x2 * x2;
  y2.backward();
  CHECK(x2.grad().item() == doctest::Approx(2.0));
}

TEST_CASE("version: reading values, through a non-const handle too, is not a write") {
  TensorD x = vec({2.0, 3.0});
  TensorD h = x * 3.0;
  TensorD y = sum(h * h);
  double seen = h.data()(1) + *h.data_ptr() + x.data()(0);  // reads only
  CHECK(seen == doctest::Approx(9.0 + 6.0 + 2.0));
  CHECK(h.version() == 0);
  CHECK(x.version() == 0);
  y.backward();
  const TensorD g = x.grad();
  CHECK(g.data()(0) == doctest::Approx(36.0));  // d/dx (3x)^2 = 18x
  CHECK(g.data()(1) == doctest::Approx(54.0));
}

TEST_CASE("version: a write into an op's result is refused by that op's backward") {
  // exp's backward multiplies by its own output: doubling it in place would double the gradient.
  TensorD x = vec({0.5});
  TensorD y = exp(x);
  y.mutable_data() *= 2.0;
  const std::string msg = graph_error([&] { y.backward(); });
  REQUIRE_FALSE(msg.empty());
  CHECK(msg.find("exp") != std::string::npos);
  CHECK(msg.find("result") != std::string::npos);
  // A later op that took the written tensor as its input names itself instead.
  TensorD y2 = exp(x);
  TensorD z2 = sum(y2 * 1.0);
  y2.mutable_data() *= 2.0;
  const std::string msg2 = graph_error([&] { z2.backward(); });
  CHECK(msg2.find("backward of mul_scalar: input 0") != std::string::npos);
}

TEST_CASE("version: the recorded backward (create_graph) checks too") {
  TensorD x = vec({1.5});
  TensorD y = x * x * x;
  x.mutable_data_ptr()[0] = 4.0;
  CHECK(!graph_error([&] { y.backward(false, true); }).empty());
}

TEST_CASE("version: writing a copy, or writing after backward, is fine") {
  TensorD x = vec({1.0, 2.0});
  TensorD y = sum(x * x);
  TensorD copy = x.detach();
  copy.mutable_data()(0) = 7.0;  // a new leaf: the graph does not hold it
  y.backward();
  CHECK(x.grad().data()(1) == doctest::Approx(4.0));
  // The graph is released: the optimizer's in-place step and the next forward are fine.
  x.mutable_data()(0) = 3.0;
  TensorD y2 = sum(x * x);
  x.zero_grad();
  y2.backward();
  CHECK(x.grad().data()(0) == doctest::Approx(6.0));
}

TEST_CASE("version: an optimizer step between two backward() of a kept graph is refused") {
  // As in PyTorch: backward(retain_graph), step, backward again would use updated weights with
  // the old activations.
  TensorD w = vec({1.0, -1.0});
  TensorD x = vec({2.0, 3.0}, false);
  TensorD loss = sum(w * x * w);
  axon::optim::BasicSGD<double> sgd(std::vector<TensorD>{w}, axon::optim::SGDOptions(0.1));
  loss.backward(/*retain_graph=*/true);
  const std::uint32_t before = w.version();
  sgd.step();
  CHECK(w.version() == before + 1);
  const std::string msg = graph_error([&] { loss.backward(); });
  REQUIRE_FALSE(msg.empty());
  CHECK(msg.find("mul") != std::string::npos);
}
