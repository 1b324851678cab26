// SPDX-License-Identifier: MIT
// Tests autograd/ops/recurrent.cpp: the op-case table (gradcheck in double), float vs double,
// values and gradients against the same cell composed from primitive ops, the error table.
#include <doctest/doctest.h>

#include <functional>
#include <set>
#include <string>
#include <vector>

#include "op_case.hpp"

namespace axon::test {
namespace {

using namespace axon::autograd;

std::vector<OpCase> recurrent_cases() {
  // clang-format off
  return {
    {"sequence_step", "middle step", {{8, 3}}, [](const auto& x) { return sequence_step(x[0], 1, 2); }},
    {"sequence_step", "every step, summed (in-place path)", {{6, 2}}, [](const auto& x) { return sequence_step(x[0], 0, 2) + sequence_step(x[0], 2, 2) * sequence_step(x[0], 1, 2); }},
    {"sequence_step", "sequence also used elsewhere", {{4, 3}}, [](const auto& x) { return sequence_step(x[0] * x[0], 1, 2) + sequence_step(x[0], 0, 2); }},
    {"recurrent_gates", "step 1 of 3", {{6, 8}, {2, 3}, {8, 3}}, [](const auto& x) { return recurrent_gates(x[0], 1, x[1], x[2]); }},
    {"recurrent_gates", "two steps chained (in-place rows)", {{4, 6}, {2, 3}, {6, 3}}, [](const auto& x) { return recurrent_gates(x[0], 1, slice(recurrent_gates(x[0], 0, x[1], x[2]), 1, 0, 3), x[2]); }},
    {"recurrent_gates", "recorded weight shared by three steps (in-place dW)", {{6, 4}, {2, 2}, {4, 2}}, [](const auto& x) { const auto w = x[2] * 1.5; auto h = x[1]; for (std::size_t t = 0; t < 3; ++t) h = slice(recurrent_gates(x[0], t, h, w), 1, 0, 2); return h; }},
    {"lstm_cell_state", "B=3, H=2", {{3, 8}, {3, 2}}, [](const auto& x) { return lstm_cell_state(x[0], x[1]); }, -3.0, 3.0},
    {"lstm_cell_state", "B=1, H=1", {{1, 4}, {1, 1}}, [](const auto& x) { return lstm_cell_state(x[0], x[1]); }},
    {"lstm_cell_state", "recorded gates shared with lstm_cell_output (in-place blocks)", {{2, 8}, {2, 2}}, [](const auto& x) { const auto g = x[0] * 2.0; return lstm_cell_output(g, lstm_cell_state(g, x[1])); }},
    {"lstm_cell_output", "B=3, H=2", {{3, 8}, {3, 2}}, [](const auto& x) { return lstm_cell_output(x[0], x[1]); }, -3.0, 3.0},
    {"lstm_cell_output", "full step, gates used twice", {{2, 12}, {2, 3}}, [](const auto& x) { return lstm_cell_output(x[0], lstm_cell_state(x[0], x[1])); }},
    {"gru_cell", "B=3, H=2", {{3, 6}, {3, 6}, {3, 2}}, [](const auto& x) { return gru_cell(x[0], x[1], x[2]); }, -3.0, 3.0},
    {"gru_cell", "two steps, h used twice", {{2, 9}, {2, 9}, {2, 3}}, [](const auto& x) { return gru_cell(x[0], x[1], gru_cell(x[0], x[1], x[2])); }},
  };
  // clang-format on
}

/// The LSTM and GRU cells composed from primitive ops: the reference for values and gradients.
TensorD block(const TensorD& g, std::size_t k, std::size_t h) {
  return slice(g, 1, static_cast<long>(k * h), static_cast<long>((k + 1) * h));
}

}  // namespace

TEST_CASE("recurrent ops: gradients match finite differences (double)") {
  check_gradients(recurrent_cases());
}

TEST_CASE("recurrent ops: second derivatives match finite differences (double)") {
  check_second_gradients(recurrent_cases());
}

TEST_CASE("recurrent ops: float agrees with double") {
  check_float_matches_double(recurrent_cases());
}

TEST_CASE("recurrent ops: every declared op has a row") {
  check_every_op_has_a_row("ops/recurrent.hpp", recurrent_cases());
}

TEST_CASE("recurrent ops: LSTM step equals its composition from primitive ops, with gradients") {
  Generator gen(3);
  const std::size_t h = 5;
  const TensorD gates_value = randn<double>({4, 4 * h}, gen, 0.0, 2.0);
  const TensorD c_value = randn<double>({4, h}, gen);
  const TensorD seed = randn<double>({4, h}, gen);

  const auto run = [&](bool fused) {
    TensorD gates = gates_value.detach().requires_grad_();
    TensorD c_prev = c_value.detach().requires_grad_();
    TensorD c, out;
    if (fused) {
      c = lstm_cell_state(gates, c_prev);
      out = lstm_cell_output(gates, c);
    } else {
      c = sigmoid(block(gates, 1, h)) * c_prev +
          sigmoid(block(gates, 0, h)) * tanh(block(gates, 2, h));
      out = sigmoid(block(gates, 3, h)) * tanh(c);
    }
    // One scalar from both outputs, so both paths into c_prev and the gates are exercised.
    sum(out * seed + c * c).backward();
    return std::vector<TensorD>{out, c, gates.grad(), c_prev.grad()};
  };
  const auto fused = run(true);
  const auto composed = run(false);
  for (std::size_t k = 0; k < fused.size(); ++k) {
    CAPTURE(k);
    REQUIRE(fused[k].shape() == composed[k].shape());
    CHECK(xt::allclose(fused[k].data(), composed[k].data(), 1e-12, 1e-12));
  }
}

TEST_CASE("recurrent ops: GRU step equals its composition from primitive ops, with gradients") {
  Generator gen(4);
  const std::size_t h = 4;
  const TensorD xg_value = randn<double>({3, 3 * h}, gen, 0.0, 2.0);
  const TensorD hg_value = randn<double>({3, 3 * h}, gen, 0.0, 2.0);
  const TensorD h_value = randn<double>({3, h}, gen);
  const TensorD seed = randn<double>({3, h}, gen);

  const auto run = [&](bool fused) {
    TensorD xg = xg_value.detach().requires_grad_();
    TensorD hg = hg_value.detach().requires_grad_();
    TensorD hp = h_value.detach().requires_grad_();
    TensorD out;
    if (fused) {
      out = gru_cell(xg, hg, hp);
    } else {
      const TensorD r = sigmoid(block(xg, 0, h) + block(hg, 0, h));
      const TensorD z = sigmoid(block(xg, 1, h) + block(hg, 1, h));
      const TensorD n = tanh(block(xg, 2, h) + r * block(hg, 2, h));
      out = (1.0 - z) * n + z * hp;
    }
    sum(out * seed).backward();
    return std::vector<TensorD>{out, xg.grad(), hg.grad(), hp.grad()};
  };
  const auto fused = run(true);
  const auto composed = run(false);
  for (std::size_t k = 0; k < fused.size(); ++k) {
    CAPTURE(k);
    REQUIRE(fused[k].shape() == composed[k].shape());
    CHECK(xt::allclose(fused[k].data(), composed[k].data(), 1e-12, 1e-12));
  }
}

TEST_CASE("recurrent ops: sequence_step equals slice, values and gradients") {
  Generator gen(6);
  const TensorD value = randn<double>({12, 5}, gen);
  const TensorD weights = randn<double>({3, 5}, gen);
  const auto run = [&](bool fused) {
    TensorD seq = value.detach().requires_grad_();
    TensorD y = seq * 2.0;  // a recorded sequence, as the input projection is
    TensorD total = scalar<double>(0);
    for (std::size_t t = 0; t < 4; ++t) {
      const long row = static_cast<long>(t * 3);
      const TensorD step = fused ? sequence_step(y, t, 3) : slice(y, 0, row, row + 3);
      total = total + sum(step * weights * static_cast<double>(t + 1));
    }
    total.backward();
    return seq.grad();
  };
  CHECK(run(true).data() == run(false).data());
  CHECK(sequence_step(value, 2, 3).data() == slice(value, 0, 6, 9).data());
  // recurrent_gates = step rows + h W^T
  const TensorD h = randn<double>({3, 4}, gen), w = randn<double>({5, 4}, gen);
  CHECK(xt::allclose(recurrent_gates(value, 1, h, w).data(),
                     (slice(value, 0, 3, 6) + matmul(h, transpose(w, 0, 1))).data(), 1e-14, 1e-14));
}

TEST_CASE("recurrent ops: float activations stay within 1e-6 of double over a wide range") {
  // Gates from -30 to 30 cover the saturated tails of sigmoid and tanh.
  const std::size_t h = 100;
  std::vector<double> g(4 * h), c(h);
  for (std::size_t k = 0; k < g.size(); ++k) g[k] = -30.0 + 60.0 * double(k) / double(g.size());
  for (std::size_t k = 0; k < h; ++k) c[k] = -3.0 + 6.0 * double(k) / double(h);
  const TensorD gd = from_vector<double>(g, {1, 4 * h}), cd = from_vector<double>(c, {1, h});
  const Tensor gf = gd.to<float>(), cf = cd.to<float>();
  const auto worst = [](const Tensor& a, const TensorD& b) {
    double w = 0;
    for (std::size_t k = 0; k < b.numel(); ++k) {
      w = std::max(w, std::abs(double(a.data_ptr()[k]) - b.data_ptr()[k]));
    }
    return w;
  };
  CHECK(worst(lstm_cell_state(gf, cf), lstm_cell_state(gd, cd)) < 1e-6);
  CHECK(worst(lstm_cell_output(gf, cf), lstm_cell_output(gd, cd)) < 1e-6);
  const TensorD hd = from_vector<double>(c, {1, h});
  const TensorD g3 =
      from_vector<double>(std::vector<double>(g.begin(), g.begin() + 3 * h), {1, 3 * h});
  CHECK(worst(gru_cell(g3.to<float>(), g3.to<float>(), hd.to<float>()), gru_cell(g3, g3, hd)) <
        1e-6);
}

TEST_CASE("recurrent ops: bad shapes give ShapeError naming the op and the shapes") {
  struct Row {
    const char* what;
    std::function<void()> call;
    const char* must_contain;
  };
  const auto z = [](Shape s) { return zeros<double>(s); };
  const std::vector<Row> rows = {
      {"lstm state gates width",
       [&] {
         lstm_cell_state(z({3, 7}), z({3, 2}));
       },
       "lstm_cell_state: gates [3,7] and c_prev [3,2]: expected gates [B,4*H]"},
      {"lstm state batch",
       [&] {
         lstm_cell_state(z({3, 8}), z({2, 2}));
       },
       "lstm_cell_state: gates [3,8] and c_prev [2,2]"},
      {"lstm state rank", [&] { lstm_cell_state(z({8}), z({2})); },
       "lstm_cell_state: gates [8] and c_prev [2]"},
      {"lstm output",
       [&] {
         lstm_cell_output(z({3, 8}), z({3, 3}));
       },
       "lstm_cell_output: gates [3,8] and c [3,3]"},
      {"gru input gates",
       [&] {
         gru_cell(z({3, 5}), z({3, 6}), z({3, 2}));
       },
       "gru_cell: gates [3,5] and h_prev [3,2]: expected gates [B,3*H]"},
      {"gru hidden gates",
       [&] {
         gru_cell(z({3, 6}), z({2, 6}), z({3, 2}));
       },
       "gru_cell: gates [2,6] and h_prev [3,2]"},
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
  CHECK_THROWS_AS(lstm_cell_state(TensorD(), z({3, 2})), ValueError);
  CHECK_THROWS_WITH_AS(sequence_step(z({6, 2}), 3, 2),
                       doctest::Contains("sequence_step: step 3 of a sequence [6,2] with 3 steps"),
                       IndexError);
  CHECK_THROWS_WITH_AS(sequence_step(z({5, 2}), 0, 2),
                       doctest::Contains("sequence_step: sequence [5,2], batch 2"), ShapeError);
  CHECK_THROWS_AS(sequence_step(z({6}), 0, 2), ShapeError);
  CHECK_THROWS_WITH_AS(recurrent_gates(z({6, 8}), 0, z({2, 3}), z({8, 4})),
                       doctest::Contains("recurrent_gates: sequence [6,8], h [2,3], weight [8,4]"),
                       ShapeError);
  CHECK_THROWS_AS(recurrent_gates(z({6, 8}), 3, z({2, 3}), z({8, 3})), IndexError);
}

}  // namespace axon::test
