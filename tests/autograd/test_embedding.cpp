// SPDX-License-Identifier: MIT
// Tests autograd/ops/embedding.cpp: the op-case table (index tensors and index vectors, repeated
// indices, padding_idx), gradients scattered into rows by hand, one_hot, the error table.
#include <doctest/doctest.h>

#include <functional>
#include <limits>
#include <type_traits>

#include "op_case.hpp"

namespace axon::test {
namespace {

using namespace axon::autograd;

/// Whole-number indices as a tensor of the table's scalar type.
template <class Xs>
auto index_tensor(const Xs& xs, std::vector<double> values, Shape shape) {
  using T = std::remove_cvref_t<decltype(*xs[0].data_ptr())>;
  return from_vector<T>(std::vector<T>(values.begin(), values.end()), shape);
}

std::vector<OpCase> embedding_cases() {
  // clang-format off
  return {
    {"embedding", "index vector [5] with repeats", {{4, 3}}, [](const auto& x) { return embedding({1, 3, 1, 0, 1}, {5}, x[0]); }},
    {"embedding", "index tensor [2,3]", {{5, 2}}, [](const auto& x) { return embedding(index_tensor(x, {4, 0, 2, 2, 1, 3}, {2, 3}), x[0]); }},
    {"embedding", "0-d index", {{3, 4}}, [](const auto& x) { return embedding(index_tensor(x, {2}, {}), x[0]); }},
    // Row 0 is padding: its gradient is 0 by definition, so its outputs are masked out here to
    // make 0 the true derivative; the scatter skipping it is checked by hand below.
    {"embedding", "padding_idx, its outputs masked", {{4, 3}}, [](const auto& x) { return embedding({0, 2, 0, 3}, {2, 2}, x[0], 0) * index_tensor(x, {0, 1, 0, 1}, {2, 2, 1}); }},
    {"embedding", "output used twice", {{4, 2}}, [](const auto& x) { auto e = embedding({3, 1, 3}, {3}, x[0]); return e * e; }},
  };
  // clang-format on
}

}  // namespace

TEST_CASE("embedding: gradients match finite differences (double)") {
  check_gradients(embedding_cases());
}

TEST_CASE("embedding: second derivatives match finite differences (double)") {
  check_second_gradients(embedding_cases());
}

TEST_CASE("embedding: float agrees with double") {
  check_float_matches_double(embedding_cases());
}

TEST_CASE("embedding: every declared op has a row (one_hot is not differentiable)") {
  check_every_op_has_a_row("ops/embedding.hpp", embedding_cases(), {"one_hot"});
}

TEST_CASE("embedding: rows are gathered and the gradient is scattered, accumulating repeats") {
  auto w = from_vector<double>({0, 1, 10, 11, 20, 21}, {3, 2}, true);
  auto idx = from_vector<double>({2, 0, 2, 1}, {2, 2});
  auto e = embedding(idx, w);
  REQUIRE(e.shape() == Shape{2, 2, 2});
  CHECK(e.data() == xt::xarray<double>({{{20, 21}, {0, 1}}, {{20, 21}, {10, 11}}}));
  e.backward(from_vector<double>({1, 2, 3, 4, 5, 6, 7, 8}, {2, 2, 2}));
  // Row 2 is used at positions 0 and 2: (1,2) + (5,6).
  CHECK(w.grad().data() == xt::xarray<double>({{3, 4}, {7, 8}, {6, 8}}));

  // The same through index vectors, with row 2 as padding: its gradient stays 0, its value is
  // still looked up.
  w.zero_grad();
  auto p = embedding({2, 0, 2, 1}, {4}, w, 2);
  CHECK(p.data() == xt::xarray<double>({{20, 21}, {0, 1}, {20, 21}, {10, 11}}));
  p.backward(ones<double>({4, 2}));
  CHECK(w.grad().data() == xt::xarray<double>({{1, 1}, {1, 1}, {0, 0}}));

  // Empty indices: an empty result, a zero gradient.
  w.zero_grad();
  auto none = embedding(std::vector<std::size_t>{}, {0}, w);
  CHECK(none.shape() == Shape{0, 2});
  none.backward(zeros<double>({0, 2}));
  CHECK(w.grad().data() == xt::zeros<double>({3, 2}));
}

TEST_CASE("one_hot: rows with a single 1, from vectors and from tensors") {
  CHECK(one_hot({2, 0, 1}, 3).data() == xt::xarray<float>({{0, 0, 1}, {1, 0, 0}, {0, 1, 0}}));
  auto labels = from_vector<double>({1, 0, 3, 3}, {2, 2});
  auto h = one_hot(labels, 4);
  REQUIRE(h.shape() == Shape{2, 2, 4});
  CHECK(h.data() ==
        xt::xarray<double>({{{0, 1, 0, 0}, {1, 0, 0, 0}}, {{0, 0, 0, 1}, {0, 0, 0, 1}}}));
  CHECK_FALSE(h.requires_grad());
  CHECK(one_hot<double>(std::vector<std::size_t>{}, 5).shape() == Shape{0, 5});
}

TEST_CASE("embedding/one_hot: bad inputs give typed errors naming the op, the index and V") {
  struct Row {
    const char* what;
    std::function<void()> call;
    const char* must_contain;
    enum { shape, value, index } kind;
  };
  const auto w = zeros<double>({10, 4});
  const auto t = [](std::vector<double> v) { return from_vector<double>(v, {v.size()}); };
  const std::vector<Row> rows = {
      {"index too large",
       [&] {
         embedding(t({1, 12, 3}), w);
       },
       "embedding: index 12 at position 1 is out of range for 10 embeddings (weight [10,4])",
       Row::index},
      {"vector index too large", [&] { embedding({10}, {1}, w); },
       "embedding: index 10 at position 0 is out of range for 10 embeddings", Row::index},
      {"negative index",
       [&] {
         embedding(t({1, -1}), w);
       },
       "embedding: index -1.000000 at position 1 of [2] is not a whole number >= 0", Row::value},
      {"fractional index", [&] { embedding(t({0.5}), w); }, "is not a whole number", Row::value},
      // Regression: values beyond std::size_t were cast (undefined) and came back as row 0.
      {"huge index",
       [&] {
         embedding(t({1, 1e30}), w);
       },
       "embedding: index 1000000000000000019884624838656.000000 at position 1 of [2] is out of "
       "range",
       Row::index},
      {"infinite index", [&] { embedding(t({std::numeric_limits<double>::infinity()}), w); },
       "embedding: index inf at position 0 of [1] is out of range", Row::index},
      {"one_hot infinite label", [&] { one_hot(t({std::numeric_limits<double>::infinity()}), 3); },
       "one_hot: index inf at position 0 of [1] is out of range", Row::index},
      {"padding_idx", [&] { embedding({1}, {1}, w, 10); },
       "embedding: padding_idx 10 is out of range for weight [10,4]", Row::value},
      {"weight rank", [&] { embedding({1}, {1}, zeros<double>({10})); },
       "embedding: weight [10]: expected [num_embeddings, embedding_dim]", Row::shape},
      {"count vs shape",
       [&] {
         embedding({1, 2, 3}, {2, 2}, w);
       },
       "embedding: 3 indices for shape [2,2] (4 values)", Row::shape},
      {"one_hot label",
       [&] {
         one_hot({0, 3}, 3);
       },
       "one_hot: index 3 at position 1 is out of range for 3 classes", Row::index},
      {"one_hot tensor label",
       [&] {
         one_hot(t({0, 2.5}), 3);
       },
       "one_hot: index 2.500000 at position 1", Row::value},
  };
  for (const auto& r : rows) {
    CAPTURE(r.what);
    try {
      r.call();
      FAIL("no exception");
    } catch (const ShapeError& e) {
      CHECK(r.kind == Row::shape);
      CHECK_MESSAGE(std::string(e.what()).find(r.must_contain) != std::string::npos, e.what());
    } catch (const IndexError& e) {
      CHECK(r.kind == Row::index);
      CHECK_MESSAGE(std::string(e.what()).find(r.must_contain) != std::string::npos, e.what());
    } catch (const ValueError& e) {
      CHECK(r.kind == Row::value);
      CHECK_MESSAGE(std::string(e.what()).find(r.must_contain) != std::string::npos, e.what());
    }
  }
}

}  // namespace axon::test
