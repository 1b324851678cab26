// SPDX-License-Identifier: MIT
// Tests autograd/ops/attention.cpp: the op-case table (gradcheck and gradgradcheck with and
// without masks, causal, L != S, E != Ev, dropout), agreement with the same attention composed
// from matmul and softmax, the fully masked row error, bitwise equal results on 1 and 2 threads,
// the error table.
#include <doctest/doctest.h>

#include <cmath>
#include <functional>
#include <limits>
#include <string>
#include <vector>

#include <oneapi/tbb/global_control.h>

#include "op_case.hpp"

namespace axon::test {
namespace {

using namespace axon::autograd;

/// The scalar type of an op-case lambda's inputs.
template <class X>
using scalar_of = typename std::decay_t<decltype(std::declval<X>()[0])>::value_type;

/// A 0/1 mask [L, S] with a 1 (masked out) where (l + 2 s) % 3 == 0, never a whole row.
template <class V>
BasicTensor<V> pattern_mask(std::size_t rows, std::size_t cols) {
  xt::xarray<V> m = xt::zeros<V>({rows, cols});
  for (std::size_t l = 0; l < rows; ++l) {
    for (std::size_t s = 1; s < cols; ++s) m(l, s) = (l + 2 * s) % 3 == 0 ? V(1) : V(0);
  }
  return BasicTensor<V>(std::move(m));
}

std::vector<OpCase> attention_cases() {
  const auto plain = [](const auto& x) { return scaled_dot_product_attention(x[0], x[1], x[2]); };
  // clang-format off
  return {
    {"scaled_dot_product_attention", "[B,H,L,E], no mask", {{2, 2, 3, 4}, {2, 2, 3, 4}, {2, 2, 3, 4}}, plain},
    {"scaled_dot_product_attention", "L != S, E != Ev", {{2, 3, 4}, {2, 5, 4}, {2, 5, 2}}, plain},
    {"scaled_dot_product_attention", "2-D", {{3, 2}, {4, 2}, {4, 3}}, plain},
    {"scaled_dot_product_attention", "q used as k and v", {{2, 3, 4}}, [](const auto& x) { return scaled_dot_product_attention(x[0], x[0], x[0]); }},
    {"scaled_dot_product_attention", "additive mask [L,S] takes a gradient", {{2, 3, 4}, {2, 5, 4}, {2, 5, 3}, {3, 5}}, [](const auto& x) {
      using V = scalar_of<decltype(x)>;
      return scaled_dot_product_attention(x[0], x[1], x[2], AttentionOptions<V>().attn_mask(x[3]));
    }},
    {"scaled_dot_product_attention", "additive mask [B,1,1,S] broadcast", {{2, 2, 3, 4}, {2, 2, 4, 4}, {2, 2, 4, 3}, {2, 1, 1, 4}}, [](const auto& x) {
      using V = scalar_of<decltype(x)>;
      return scaled_dot_product_attention(x[0], x[1], x[2], AttentionOptions<V>().attn_mask(x[3]));
    }},
    {"scaled_dot_product_attention", "bool mask, nonzero masked out", {{2, 3, 4}, {2, 5, 4}, {2, 5, 3}}, [](const auto& x) {
      using V = scalar_of<decltype(x)>;
      return scaled_dot_product_attention(x[0], x[1], x[2], AttentionOptions<V>().attn_mask(pattern_mask<V>(3, 5)).attn_mask_is_bool(true));
    }},
    {"scaled_dot_product_attention", "causal, L == S", {{2, 4, 3}, {2, 4, 3}, {2, 4, 2}}, [](const auto& x) {
      using V = scalar_of<decltype(x)>;
      return scaled_dot_product_attention(x[0], x[1], x[2], AttentionOptions<V>().is_causal(true));
    }},
    {"scaled_dot_product_attention", "causal, L < S, with -inf mask", {{1, 3, 4}, {1, 5, 4}, {1, 5, 3}}, [](const auto& x) {
      using V = scalar_of<decltype(x)>;
      const V inf = std::numeric_limits<V>::infinity();
      auto mask = from_vector<V>({0, -inf, 0, 0, 0}, {5});  // key 1 removed for every query
      return scaled_dot_product_attention(x[0], x[1], x[2], AttentionOptions<V>().attn_mask(mask).is_causal(true));
    }},
    {"scaled_dot_product_attention", "scale 0.7", {{2, 3, 4}, {2, 3, 4}, {2, 3, 4}}, [](const auto& x) {
      using V = scalar_of<decltype(x)>;
      return scaled_dot_product_attention(x[0], x[1], x[2], AttentionOptions<V>().scale(0.7));
    }},
    {"scaled_dot_product_attention", "dropout 0.3 (seeded)", {{2, 3, 4}, {2, 5, 4}, {2, 5, 3}}, [](const auto& x) {
      using V = scalar_of<decltype(x)>;
      Generator gen(17);  // the same draws at every call: the same dropout mask
      return scaled_dot_product_attention(x[0], x[1], x[2], AttentionOptions<V>().dropout_p(0.3).generator(&gen));
    }},
  };
  // clang-format on
}

/// The same attention composed from existing ops: softmax(q . k^T * scale + mask) . v.
template <class V>
BasicTensor<V> composite(const BasicTensor<V>& q, const BasicTensor<V>& k, const BasicTensor<V>& v,
                         const BasicTensor<V>& mask, double scale) {
  const int r = static_cast<int>(q.dim());
  BasicTensor<V> s = mul(matmul(q, transpose(k, r - 2, r - 1)), V(scale));
  if (mask.defined()) s = add(s, mask);
  return matmul(softmax(s, -1), v);
}

}  // namespace

TEST_CASE("attention: gradients match finite differences (double)") {
  check_gradients(attention_cases());
}

TEST_CASE("attention: second derivatives match finite differences (double)") {
  check_second_gradients(attention_cases());
}

TEST_CASE("attention: float agrees with double") {
  check_float_matches_double(attention_cases());
}

TEST_CASE("attention: every declared op has a row") {
  check_every_op_has_a_row("ops/attention.hpp", attention_cases());
}

TEST_CASE("attention: agrees with softmax(q k^T * scale + mask) v built from matmul and softmax") {
  Generator gen(3);
  const double inf = std::numeric_limits<double>::infinity();
  // Causal as an additive mask for the composite: -inf above the diagonal.
  xt::xarray<double> causal = xt::zeros<double>({4, 6});
  for (std::size_t l = 0; l < 4; ++l) {
    for (std::size_t s = l + 1; s < 6; ++s) causal(l, s) = -inf;
  }
  struct Row {
    const char* what;
    TensorD mask;      // what the op gets
    TensorD additive;  // what the composite adds
    bool is_bool, is_causal;
  };
  const TensorD bias = randn<double>({2, 1, 4, 6}, gen);
  const TensorD bool_mask = pattern_mask<double>(4, 6);
  xt::xarray<double> bool_as_add_values = bool_mask.data();
  for (double& m : bool_as_add_values) m = m != 0.0 ? -inf : 0.0;
  const TensorD bool_as_add(bool_as_add_values);
  const std::vector<Row> rows = {
      {"no mask", TensorD(), TensorD(), false, false},
      {"additive [B,1,L,S]", bias, bias, false, false},
      {"bool", bool_mask, bool_as_add, true, false},
      {"causal", TensorD(), TensorD(causal), false, true},
  };
  for (const auto& row : rows) {
    CAPTURE(std::string(row.what));
    auto q = randn<double>({2, 3, 4, 5}, gen, 0.0, 1.0, true);
    auto k = randn<double>({2, 3, 6, 5}, gen, 0.0, 1.0, true);
    auto v = randn<double>({2, 3, 6, 7}, gen, 0.0, 1.0, true);
    auto opts = AttentionOptions<double>().is_causal(row.is_causal).attn_mask_is_bool(row.is_bool);
    if (row.mask.defined()) opts.attn_mask(row.mask);
    const auto out = scaled_dot_product_attention(q, k, v, opts);
    const auto want = composite(q, k, v, row.additive, 1.0 / std::sqrt(5.0));
    REQUIRE(out.shape() == Shape{2, 3, 4, 7});
    CHECK(xt::allclose(out.data(), want.data(), 1e-12, 1e-13));
    const auto seed = randn<double>({2, 3, 4, 7}, gen);
    const auto got_g = grad<double>({out}, {q, k, v}, {seed}, GradOptions().retain_graph(true));
    const auto want_g = grad<double>({want}, {q, k, v}, {seed});
    for (std::size_t i = 0; i < 3; ++i) {
      CAPTURE(i);
      CHECK(xt::allclose(got_g[i].data(), want_g[i].data(), 1e-11, 1e-12));
    }
  }
}

TEST_CASE("attention: a query row with every key masked out is a ValueError naming the row") {
  const double inf = std::numeric_limits<double>::infinity();
  auto q = ones<double>({2, 3, 4});
  auto k = ones<double>({2, 2, 4});
  // Row 1 of batch position [1] loses both keys.
  xt::xarray<double> m = xt::zeros<double>({2, 3, 2});
  m(1, 1, 0) = -inf;
  m(1, 1, 1) = -inf;
  try {
    scaled_dot_product_attention(q, k, k, AttentionOptions<double>().attn_mask(TensorD(m)));
    FAIL("no exception");
  } catch (const ValueError& e) {
    CHECK_MESSAGE(std::string(e.what()).find("scaled_dot_product_attention: query row 1 of batch "
                                             "position [1] (scores [2,3,2]) has every key "
                                             "masked out") != std::string::npos,
                  std::string(e.what()));
  }
  // The same with a bool mask.
  CHECK_THROWS_AS(
      scaled_dot_product_attention(
          q, k, k, AttentionOptions<double>().attn_mask(ones<double>({2})).attn_mask_is_bool(true)),
      ValueError);
}

TEST_CASE("attention: results are bitwise the same on 1 and 2 threads") {
  // 16 matrices of [64,64] scores: several parallel chunks.
  Generator gen(9);
  const auto q0 = randn<float>({4, 4, 64, 32}, gen);
  const auto k0 = randn<float>({4, 4, 64, 32}, gen);
  const auto v0 = randn<float>({4, 4, 64, 16}, gen);
  const auto mask = randn<float>({4, 1, 1, 64}, gen);
  const auto seed = randn<float>({4, 4, 64, 16}, gen);
  auto run = [&](std::size_t threads) {
    tbb::global_control limit(tbb::global_control::max_allowed_parallelism, threads);
    auto q = q0.detach().requires_grad_(true);
    auto k = k0.detach().requires_grad_(true);
    auto v = v0.detach().requires_grad_(true);
    Generator drop(4);
    auto out = scaled_dot_product_attention(
        q, k, v,
        AttentionOptions<float>().attn_mask(mask).is_causal(true).dropout_p(0.1).generator(&drop));
    out.backward(seed);
    return std::vector<xt::xarray<float>>{out.data(), q.grad().data(), k.grad().data(),
                                          v.grad().data()};
  };
  const auto one = run(1);
  const auto two = run(2);
  for (std::size_t i = 0; i < one.size(); ++i) {
    CAPTURE(i);
    CHECK(one[i] == two[i]);
  }
}

TEST_CASE("attention: dropout zeroes weights and scales the rest, drawn from the generator") {
  // v = identity rows: out row l is the dropped-out weights of query l.
  auto q = zeros<double>({1, 4, 2});  // equal scores: every weight 1/4 before dropout
  auto k = zeros<double>({1, 4, 2});
  xt::xarray<double> eye = xt::eye<double>(4);
  eye.reshape({1, 4, 4});
  auto v = TensorD(eye);
  Generator gen(21);
  const auto out = scaled_dot_product_attention(
      q, k, v, AttentionOptions<double>().dropout_p(0.5).generator(&gen));
  std::size_t zeros_seen = 0;
  for (double w : out.data()) {
    CHECK((w == 0.0 || w == doctest::Approx(0.5)));  // 0.25 / (1 - 0.5)
    zeros_seen += w == 0.0;
  }
  CHECK(zeros_seen > 0);
  CHECK(zeros_seen < 16);
  // The same seed gives the same draws.
  Generator again(21);
  CHECK(scaled_dot_product_attention(q, k, v,
                                     AttentionOptions<double>().dropout_p(0.5).generator(&again))
            .data() == out.data());
}

TEST_CASE("attention: bad inputs give ShapeError or ValueError naming the op") {
  struct Row {
    const char* what;
    std::function<void()> call;
    const char* must_contain;
  };
  const auto z = [](Shape s) { return zeros<double>(s); };
  const std::vector<Row> rows = {
      {"rank", [&] { scaled_dot_product_attention(z({4}), z({4}), z({4})); },
       "scaled_dot_product_attention: q [4], k [4], v [4]: q, k and v must have the same rank"},
      {"leading",
       [&] {
         scaled_dot_product_attention(z({2, 3, 4}), z({3, 3, 4}), z({3, 3, 4}));
       },
       "scaled_dot_product_attention: q [2,3,4], k [3,3,4], v [3,3,4]: leading axes differ"},
      {"features",
       [&] {
         scaled_dot_product_attention(z({3, 4}), z({5, 3}), z({5, 2}));
       },
       "q [3,4], k [5,3], v [5,2]: q has 4 features per row, k has 3"},
      {"values",
       [&] {
         scaled_dot_product_attention(z({3, 4}), z({5, 4}), z({6, 2}));
       },
       "k has 5 keys, v has 6 values"},
      {"mask",
       [&] {
         scaled_dot_product_attention(z({3, 4}), z({5, 4}), z({5, 2}),
                                      AttentionOptions<double>().attn_mask(z({3, 4})));
       },
       "scaled_dot_product_attention: attn_mask [3,4] does not broadcast to the scores [3,5]"},
      {"mask rank",
       [&] {
         scaled_dot_product_attention(z({3, 4}), z({5, 4}), z({5, 2}),
                                      AttentionOptions<double>().attn_mask(z({2, 3, 5})));
       },
       "attn_mask [2,3,5] does not broadcast to the scores [3,5]"},
  };
  for (const auto& r : rows) {
    CAPTURE(std::string(r.what));
    try {
      r.call();
      FAIL("no exception");
    } catch (const ShapeError& e) {
      CHECK_MESSAGE(std::string(e.what()).find(r.must_contain) != std::string::npos,
                    std::string(e.what()));
    }
  }
  CHECK_THROWS_WITH_AS(
      scaled_dot_product_attention(z({3, 4}), z({5, 4}), z({5, 2}),
                                   AttentionOptions<double>().dropout_p(1.0)),
      doctest::Contains("scaled_dot_product_attention: dropout_p must be in [0, 1)"), ValueError);
  CHECK_THROWS_WITH_AS(scaled_dot_product_attention(z({3, 4}), z({5, 4}), z({5, 2}),
                                                    AttentionOptions<double>().dropout_p(0.2)),
                       doctest::Contains("needs a generator"), ValueError);
}

}  // namespace axon::test
