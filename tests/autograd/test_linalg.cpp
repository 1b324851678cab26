// SPDX-License-Identifier: MIT
// Tests autograd/ops/linalg.cpp: the op-case table, float vs double, values against a naive
// triple loop, empty dimensions, the error table.
#include <doctest/doctest.h>

#include <cmath>
#include <utility>

#include "op_case.hpp"

namespace axon::test {
namespace {

using namespace axon::autograd;

template <class X>
auto no_bias(const X&) {
  return std::decay_t<decltype(std::declval<X>()[0])>();
}

std::vector<OpCase> linalg_cases() {
  const auto mm = [](const auto& x) { return matmul(x[0], x[1]); };
  // clang-format off
  return {
    {"matmul", "1-D x 1-D (dot)", {{4}, {4}}, mm},
    {"matmul", "2-D x 1-D", {{3, 4}, {4}}, mm},
    {"matmul", "1-D x 2-D", {{4}, {4, 5}}, mm},
    {"matmul", "2-D x 2-D", {{3, 4}, {4, 5}}, mm},
    {"matmul", "3-D x 3-D", {{2, 3, 4}, {2, 4, 5}}, mm},
    {"matmul", "lhs batch of 1 broadcasts", {{1, 3, 4}, {3, 4, 2}}, mm},
    {"matmul", "rhs batch of 1 broadcasts", {{3, 2, 4}, {1, 4, 5}}, mm},
    {"matmul", "3-D x 2-D", {{2, 3, 4}, {4, 5}}, mm},
    {"matmul", "2-D x 3-D", {{3, 4}, {2, 4, 5}}, mm},
    {"matmul", "3-D x 1-D", {{2, 3, 4}, {4}}, mm},
    {"matmul", "1-D x 3-D", {{4}, {2, 4, 3}}, mm},
    {"matmul", "value used twice (x . x)", {{3, 3}}, [](const auto& x) { return matmul(x[0], x[0]); }},
    {"matmul", "size-1 inner dim (outer product)", {{3, 1}, {1, 4}}, mm},
    {"matmul", "4-D x 4-D", {{2, 3, 2, 4}, {2, 3, 4, 3}}, mm},
    {"matmul", "broadcast batch [2,1] x [3]", {{2, 1, 3, 4}, {3, 4, 2}}, mm},
    {"matmul", "broadcast batch [1,3] x [2,1]", {{1, 3, 2, 4}, {2, 1, 4, 3}}, mm},
    {"matmul", "4-D x 2-D (shared rhs)", {{2, 3, 2, 4}, {4, 3}}, mm},
    {"matmul", "2-D x 4-D (shared lhs)", {{2, 4}, {2, 3, 4, 3}}, mm},
    {"matmul", "1-D x 4-D", {{4}, {2, 3, 4, 2}}, mm},
    {"matmul", "4-D x 1-D", {{2, 3, 2, 4}, {4}}, mm},
    {"matmul", "5-D x 3-D", {{2, 1, 2, 2, 3}, {2, 3, 2}}, mm},
    {"linear", "with bias", {{4, 3}, {5, 3}, {5}}, [](const auto& x) { return linear(x[0], x[1], x[2]); }},
    {"linear", "without bias", {{4, 3}, {5, 3}}, [](const auto& x) { return linear(x[0], x[1], no_bias(x)); }},
    {"linear", "1-D input", {{3}, {2, 3}, {2}}, [](const auto& x) { return linear(x[0], x[1], x[2]); }},
    {"linear", "3-D input", {{2, 3, 4}, {2, 4}, {2}}, [](const auto& x) { return linear(x[0], x[1], x[2]); }},
    {"linear", "input used as weight too", {{3, 3}, {3}}, [](const auto& x) { return linear(x[0], x[0], x[1]); }},
  };
  // clang-format on
}

/// C = A . B for A [batch?, M, K] and B [batch?, K, N] read through explicit batch steps.
template <class T>
std::vector<T> naive_matmul(const T* a, const T* b, std::size_t batch, std::size_t a_step,
                            std::size_t b_step, std::size_t m, std::size_t k, std::size_t n) {
  std::vector<T> c(batch * m * n, T(0));
  for (std::size_t i = 0; i < batch; ++i) {
    for (std::size_t r = 0; r < m; ++r) {
      for (std::size_t col = 0; col < n; ++col) {
        double s = 0;  // accumulated in double: the reference
        for (std::size_t j = 0; j < k; ++j) {
          s += double(a[i * a_step + r * k + j]) * double(b[i * b_step + j * n + col]);
        }
        c[(i * m + r) * n + col] = T(s);
      }
    }
  }
  return c;
}

template <class T>
void check_matmul_against_naive() {
  struct Row {
    Shape a, b, out;
    std::size_t batch, a_step, b_step, m, k, n;
  };
  // Steps are 0 where an operand is shared by all batches.
  const std::vector<Row> rows = {
      {{17, 33}, {33, 9}, {17, 9}, 1, 0, 0, 17, 33, 9},
      {{64, 70}, {70, 65}, {64, 65}, 1, 0, 0, 64, 70, 65},
      {{4, 6, 8}, {4, 8, 3}, {4, 6, 3}, 4, 48, 24, 6, 8, 3},
      {{1, 6, 8}, {4, 8, 3}, {4, 6, 3}, 4, 0, 24, 6, 8, 3},
      {{4, 6, 8}, {8, 3}, {4, 6, 3}, 4, 48, 0, 6, 8, 3},
      {{6, 8}, {4, 8, 3}, {4, 6, 3}, 4, 0, 24, 6, 8, 3},
      {{8}, {8, 3}, {3}, 1, 0, 0, 1, 8, 3},
      {{6, 8}, {8}, {6}, 1, 0, 0, 6, 8, 1},
      {{8}, {8}, {}, 1, 0, 0, 1, 8, 1},
      {{2, 3, 6, 8}, {2, 3, 8, 5}, {2, 3, 6, 5}, 6, 48, 40, 6, 8, 5},
      {{2, 3, 6, 8}, {8, 5}, {2, 3, 6, 5}, 6, 48, 0, 6, 8, 5},
  };
  Generator gen(11);
  for (const auto& r : rows) {
    CAPTURE(shape_str(r.a));
    CAPTURE(shape_str(r.b));
    auto a = randn<T>(r.a, gen);
    auto b = randn<T>(r.b, gen);
    auto c = matmul(a, b);
    REQUIRE(c.shape() == r.out);
    const auto want =
        naive_matmul(a.data_ptr(), b.data_ptr(), r.batch, r.a_step, r.b_step, r.m, r.k, r.n);
    REQUIRE(c.numel() == want.size());
    const double tol = std::is_same_v<T, float> ? 1e-4 : 1e-12;
    for (std::size_t i = 0; i < want.size(); ++i) {
      CHECK(std::abs(double(c.data_ptr()[i]) - double(want[i])) <=
            tol * (1 + std::abs(double(want[i]))));
    }
  }
}

}  // namespace

TEST_CASE("linalg: gradients match finite differences (double)") {
  check_gradients(linalg_cases());
}

TEST_CASE("linalg: second derivatives match finite differences (double)") {
  check_second_gradients(linalg_cases());
}

TEST_CASE("linalg: float agrees with double") {
  check_float_matches_double(linalg_cases());
}

TEST_CASE("linalg: every declared op has a row") {
  check_every_op_has_a_row("ops/linalg.hpp", linalg_cases());
}

TEST_CASE("linalg: matmul values match a naive triple loop (float and double)") {
  check_matmul_against_naive<float>();
  check_matmul_against_naive<double>();
}

TEST_CASE("linalg: matmul small values by hand") {
  auto a = from_vector<double>({1, 2, 3, 4, 5, 6}, {2, 3});
  auto b = from_vector<double>({7, 8, 9, 10, 11, 12}, {3, 2});
  CHECK(matmul(a, b).data() == xt::xarray<double>({{58, 64}, {139, 154}}));
  auto v = from_vector<double>({1, 0, -1}, {3});
  CHECK(matmul(a, v).data() == xt::xarray<double>({-2, -2}));
  CHECK(matmul(v, v).shape() == Shape{});
  CHECK(matmul(v, v).item() == 2.0);
}

TEST_CASE("linalg: broadcast batch gradient is the sum over the batch") {
  // B shared by 3 batches: dB = sum_i A_i^T . 1; with A_i all ones [2,2]: every entry is 3*2.
  auto a = ones<double>({3, 2, 2}, true);
  auto b = from_vector<double>({1, 2, 3, 4}, {1, 2, 2}, true);
  matmul(a, b).backward(ones<double>({3, 2, 2}));
  CHECK(b.grad().data() == xt::xarray<double>({{{6, 6}, {6, 6}}}));
  // dA_i = 1 . B^T: row sums of B, [3, 7] in every row of every batch.
  CHECK(a.grad().data() ==
        xt::xarray<double>({{{3, 7}, {3, 7}}, {{3, 7}, {3, 7}}, {{3, 7}, {3, 7}}}));
}

/// The matrix at batch position `at` of a tensor [..., R, C], as [R, C].
TensorD matrix_at(const TensorD& t, const std::vector<long>& at) {
  TensorD x = t;
  for (std::size_t d = 0; d < at.size(); ++d) {
    x = slice(x, static_cast<int>(d), at[d], at[d] + 1);
  }
  const Shape& s = t.shape();
  return reshape(x, {s[s.size() - 2], s[s.size() - 1]});
}

TEST_CASE("linalg: N-D matmul broadcasts batch axes and matches per-matrix products") {
  // [2,1,M,K] x [3,K,N] -> [2,3,M,N]: result (i,j) is A[i,0] . B[j].
  Generator gen(5);
  auto a = randn<double>({2, 1, 3, 4}, gen, 0.0, 1.0, true);
  auto b = randn<double>({3, 4, 5}, gen, 0.0, 1.0, true);
  auto c = matmul(a, b);
  REQUIRE(c.shape() == Shape{2, 3, 3, 5});
  for (long i = 0; i < 2; ++i) {
    for (long j = 0; j < 3; ++j) {
      const auto want = matmul(matrix_at(a, {i, 0}), matrix_at(b, {j}));
      CHECK(xt::allclose(matrix_at(c, {i, j}).data(), want.data(), 1e-14, 1e-14));
    }
  }
  // The gradient of a broadcast operand is summed over the axes it was broadcast along:
  // dB[j] = sum_i A[i,0]^T . G[i,j]; with G = 1 that is (sum_i A[i,0])^T . 1.
  c.backward(ones<double>({2, 3, 3, 5}));
  const auto a_sum = add(matrix_at(a, {0, 0}), matrix_at(a, {1, 0}));
  const auto want_db = matmul(transpose(a_sum, 0, 1), ones<double>({3, 5}));
  for (long j = 0; j < 3; ++j) {
    CHECK(xt::allclose(matrix_at(b.grad(), {j}).data(), want_db.data(), 1e-13, 1e-13));
  }
  // dA[i,0] = sum_j 1 . B[j]^T
  const auto b_sum = add(add(matrix_at(b, {0}), matrix_at(b, {1})), matrix_at(b, {2}));
  const auto want_da = matmul(ones<double>({3, 5}), transpose(b_sum, 0, 1));
  REQUIRE(a.grad().shape() == Shape{2, 1, 3, 4});
  for (long i = 0; i < 2; ++i) {
    CHECK(xt::allclose(matrix_at(a.grad(), {i, 0}).data(), want_da.data(), 1e-13, 1e-13));
  }
  // 1-D operands: the promoted axis is dropped again.
  CHECK(matmul(ones<double>({4}), ones<double>({2, 3, 4, 5})).shape() == Shape{2, 3, 5});
  CHECK(matmul(ones<double>({2, 3, 5, 4}), ones<double>({4})).data() ==
        xt::xarray<double>(xt::ones<double>({2, 3, 5}) * 4.0));
  // A batch axis of extent 0 gives an empty result and zero gradients.
  auto e = ones<double>({0, 2, 3, 4}, true);
  auto f = ones<double>({2, 4, 5}, true);
  auto ef = matmul(e, f);
  CHECK(ef.shape() == Shape{0, 2, 3, 5});
  ef.backward(zeros<double>({0, 2, 3, 5}));
  CHECK(f.grad().data() == xt::zeros<double>({2, 4, 5}));
}

TEST_CASE("linalg: linear matches x . W^T + b by hand") {
  auto x = from_vector<double>({1, 2, 3, 4, 5, 6}, {2, 3}, true);
  auto w = from_vector<double>({1, 0, -1, 2, 1, 0}, {2, 3}, true);
  auto b = from_vector<double>({10, 20}, {2}, true);
  auto y = linear(x, w, b);
  CHECK(y.data() == xt::xarray<double>({{8, 24}, {8, 33}}));
  y.backward(from_vector<double>({1, 2, 3, 4}, {2, 2}));
  // db = column sums of g; dW = g^T . x; dx = g . W
  CHECK(b.grad().data() == xt::xarray<double>({4, 6}));
  CHECK(w.grad().data() == xt::xarray<double>({{13, 17, 21}, {18, 24, 30}}));
  CHECK(x.grad().data() == xt::xarray<double>({{5, 2, -1}, {11, 4, -3}}));
  CHECK(linear(x, w, TensorD()).data() == xt::xarray<double>({{-2, 4}, {-2, 13}}));
}

TEST_CASE("linalg: empty dimensions give empty or zero results and gradients") {
  // [0,3] x [3,4] -> [0,4]; [3,0] x [0,4] -> zeros [3,4] (an empty sum).
  auto a = zeros<double>({0, 3}, true);
  auto b = ones<double>({3, 4}, true);
  auto c = matmul(a, b);
  CHECK(c.shape() == Shape{0, 4});
  c.backward(zeros<double>({0, 4}));
  CHECK(b.grad().data() == xt::zeros<double>({3, 4}));

  auto p = ones<double>({3, 0}, true);
  auto q = ones<double>({0, 4}, true);
  auto r = matmul(p, q);
  CHECK(r.data() == xt::zeros<double>({3, 4}));
  r.backward(ones<double>({3, 4}));
  CHECK(p.grad().shape() == Shape{3, 0});
  CHECK(q.grad().shape() == Shape{0, 4});

  auto batch0 = matmul(ones<double>({0, 2, 3}, true), ones<double>({3, 2}, true));
  CHECK(batch0.shape() == Shape{0, 2, 2});

  auto x = ones<float>({0, 3}, true);
  auto w = ones<float>({2, 3}, true);
  auto bias = ones<float>({2}, true);
  auto y = linear(x, w, bias);
  CHECK(y.shape() == Shape{0, 2});
  y.backward(zeros<float>({0, 2}));
  CHECK(w.grad().data() == xt::zeros<float>({2, 3}));
  CHECK(bias.grad().data() == xt::zeros<float>({2}));
  // No input features: y is the bias in every row.
  CHECK(linear(ones<float>({2, 0}), ones<float>({3, 0}), full<float>({3}, 0.5f)).data() ==
        xt::xarray<float>({{0.5f, 0.5f, 0.5f}, {0.5f, 0.5f, 0.5f}}));
}

TEST_CASE("linalg: bad inputs give ShapeError naming the op and both shapes") {
  struct Row {
    const char* what;
    std::function<void()> call;
    const char* must_contain;
  };
  const auto z = [](Shape s) { return zeros<double>(s); };
  const std::vector<Row> rows = {
      {"matmul inner",
       [&] {
         matmul(z({3, 4}), z({5, 6}));
       },
       "matmul: [3,4] x [5,6]: inner dimensions 4 and 5 differ"},
      {"matmul 1-D inner", [&] { matmul(z({3}), z({4})); },
       "matmul: [3] x [4]: inner dimensions 3 and 4 differ"},
      {"matmul 2-D x 1-D inner",
       [&] {
         matmul(z({3, 4}), z({5}));
       },
       "matmul: [3,4] x [5]: inner dimensions 4 and 5 differ"},
      {"matmul batch",
       [&] {
         matmul(z({2, 3, 4}), z({3, 4, 5}));
       },
       "matmul: [2,3,4] x [3,4,5]: batch dimensions [2] and [3] cannot be broadcast together"},
      {"matmul 4-D batch",
       [&] {
         matmul(z({2, 3, 1, 4}), z({4, 1, 4, 2}));
       },
       "matmul: [2,3,1,4] x [4,1,4,2]: batch dimensions [2,3] and [4,1] cannot be broadcast"},
      {"matmul 4-D inner",
       [&] {
         matmul(z({2, 3, 1, 4}), z({5, 2}));
       },
       "matmul: [2,3,1,4] x [5,2]: inner dimensions 4 and 5 differ"},
      {"matmul rank 0", [&] { matmul(z({}), z({3})); },
       "matmul: [] x [3]: operands must have rank"},
      {"linear in_features",
       [&] {
         linear(z({4, 3}), z({5, 6}), z({5}));
       },
       "linear: input [4,3], weight [5,6]: input has 3 features, weight expects 6"},
      {"linear weight rank",
       [&] {
         linear(z({4, 3}), z({3}), TensorD());
       },
       "linear: input [4,3], weight [3]: weight must be 2-D"},
      {"linear bias",
       [&] {
         linear(z({4, 3}), z({5, 3}), z({4}));
       },
       "linear: weight [5,3], bias [4]: bias must be [5]"},
      {"linear bias rank",
       [&] {
         linear(z({4, 3}), z({5, 3}), z({1, 5}));
       },
       "linear: weight [5,3], bias [1,5]: bias must be [5]"},
      {"linear input rank 0",
       [&] {
         linear(z({}), z({5, 3}), TensorD());
       },
       "linear: input [], weight [5,3]: input must have rank 1, 2 or 3"},
      {"linear input rank 4",
       [&] {
         linear(z({1, 2, 4, 3}), z({5, 3}), TensorD());
       },
       "linear: input [1,2,4,3], weight [5,3]: input must have rank 1, 2 or 3"},
  };
  for (const auto& r : rows) {
    CAPTURE(r.what);
    try {
      r.call();
      FAIL("no exception");
    } catch (const ShapeError& e) {
      CHECK_MESSAGE(std::string(e.what()).find(r.must_contain) != std::string::npos, e.what());
    }
  }
  CHECK_THROWS_AS(matmul(TensorD(), z({3})), ValueError);
  CHECK_THROWS_AS(linear(TensorD(), z({3, 3}), TensorD()), ValueError);
}

}  // namespace axon::test
