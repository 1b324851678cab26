// SPDX-License-Identifier: MIT
// Tests nn/rnn_cell.cpp and nn/rnn.cpp: PyTorch's parameter names, shapes and init; outputs and
// final states against torch.nn (tests/nn/golden_rnn.hpp); gradcheck in double of every cell and
// layer (input, initial states, every parameter) for one and several steps, stacked,
// bidirectional, batch-first; a gradient through 200 LSTM steps; dropout between layers; typed
// errors.
#include <doctest/doctest.h>

#include <cmath>
#include <functional>
#include <string>
#include <type_traits>

#include <xtensor/xview.hpp>

#include "axon/autograd/autograd.hpp"
#include "axon/nn/gradcheck.hpp"
#include "axon/nn/rnn.hpp"
#include "golden_rnn.hpp"

namespace axon::test {
namespace {

using namespace axon::autograd;
using nn::GRUOptions;
using nn::LSTMOptions;
using nn::RNNOptions;

/// Fills every parameter with the golden script's formula: parameter j, element k:
/// 0.3 sin(1.3 k + 0.7 j + 0.1).
template <class T>
void set_pattern_weights(nn::BasicModule<T>& m) {
  std::size_t j = 0;
  for (auto& [name, p] : m.named_parameters()) {
    T* d = p.mutable_data_ptr();
    for (std::size_t k = 0; k < p.numel(); ++k) d[k] = T(0.3 * std::sin(1.3 * k + 0.7 * j + 0.1));
    ++j;
  }
}

template <class T>
BasicTensor<T> pattern(const Shape& shape, const std::function<double(std::size_t)>& f) {
  BasicTensor<T> t = zeros<T>(shape);
  for (std::size_t k = 0; k < t.numel(); ++k) t.mutable_data_ptr()[k] = T(f(k));
  return t;
}
template <class T>
BasicTensor<T> golden_input(const Shape& s) {
  return pattern<T>(s, [](std::size_t k) { return 0.8 * std::sin(0.9 * k + 0.5); });
}
template <class T>
BasicTensor<T> golden_h0(const Shape& s) {
  return pattern<T>(s, [](std::size_t k) { return 0.5 * std::cos(0.6 * k + 0.2); });
}
template <class T>
BasicTensor<T> golden_c0(const Shape& s) {
  return pattern<T>(s, [](std::size_t k) { return 0.4 * std::sin(0.45 * k + 1.0); });
}

template <class T, std::size_t N>
void check_close(const BasicTensor<T>& got, const double (&want)[N], const char* what) {
  CAPTURE(what);
  REQUIRE(got.numel() == N);
  // At the precision of T: the goldens are float64, so double agrees to rounding (a wrong term
  // of order 1e-6, invisible at 1e-5, fails here); float to its own rounding.
  const double tolerance = std::is_same_v<T, double> ? 1e-12 : 1e-5;
  double worst = 0;
  for (std::size_t k = 0; k < N; ++k) {
    const double error = std::abs(static_cast<double>(got.data_ptr()[k]) - want[k]);
    worst = std::max(worst, error / (1 + std::abs(want[k])));
  }
  CHECK(worst < tolerance);
}

constexpr std::size_t kT = 5, kB = 2, kIn = 3, kH = 4;

/// Loads the golden weights into `layer` by torch's parameter names and shapes (a strict load:
/// any name or shape that differs from torch.nn's throws), filled with the script's formula.
template <class T>
void load_torch_weights(
    nn::BasicModule<T>& layer,
    const std::vector<std::pair<std::string, std::vector<std::size_t>>>& torch_parameters) {
  nn::StateDict<T> state;
  std::size_t j = 0;
  for (const auto& [name, shape] : torch_parameters) {
    state.emplace_back(name, pattern<T>(Shape(shape.begin(), shape.end()), [j](std::size_t k) {
                         return 0.3 * std::sin(1.3 * k + 0.7 * j + 0.1);
                       }));
    ++j;
  }
  layer.load_state_dict(state);
}

/// Runs `layer` with torch's weights on the golden input (with the golden initial states when
/// `with_state`).
template <class T>
nn::RecurrentOutput<T> golden_run(
    nn::BasicRecurrent<T>& layer, bool with_state,
    const std::vector<std::pair<std::string, std::vector<std::size_t>>>& torch_parameters) {
  load_torch_weights(layer, torch_parameters);
  const Shape xs = layer.batch_first() ? Shape{kB, kT, kIn} : Shape{kT, kB, kIn};
  const Shape ss{layer.num_layers() * layer.num_directions(), kB, kH};
  nn::RecurrentState<T> s;
  if (with_state) {
    s.h = golden_h0<T>(ss);
    if (layer.kind() == nn::RecurrentKind::lstm) s.c = golden_c0<T>(ss);
  }
  return layer.forward_with_state(golden_input<T>(xs), s);
}

template <class T>
void check_golden_layers() {
  namespace g = golden_rnn;
  Generator gen(0);  // the weights are replaced by PyTorch's
  {
    nn::BasicLSTM<T> m(LSTMOptions(kIn, kH), gen);
    const auto r = golden_run(m, false, g::lstm_parameters);
    check_close(r.output, g::lstm_output, "lstm output");
    check_close(r.h_n, g::lstm_h_n, "lstm h_n");
    check_close(r.c_n, g::lstm_c_n, "lstm c_n");
  }
  {
    nn::BasicLSTM<T> m(LSTMOptions(kIn, kH).num_layers(2).bidirectional(true).batch_first(true),
                       gen);
    const auto r = golden_run(m, true, g::lstm_2layer_bidirectional_parameters);
    CHECK(r.output.shape() == Shape{kB, kT, 2 * kH});
    check_close(r.output, g::lstm_2layer_bidirectional_output, "lstm 2-layer bi output");
    check_close(r.h_n, g::lstm_2layer_bidirectional_h_n, "lstm 2-layer bi h_n");
    check_close(r.c_n, g::lstm_2layer_bidirectional_c_n, "lstm 2-layer bi c_n");
  }
  {
    nn::BasicGRU<T> m(GRUOptions(kIn, kH), gen);
    const auto r = golden_run(m, true, g::gru_parameters);
    check_close(r.output, g::gru_output, "gru output");
    check_close(r.h_n, g::gru_h_n, "gru h_n");
    CHECK_FALSE(r.c_n.defined());
  }
  {
    nn::BasicGRU<T> m(GRUOptions(kIn, kH).num_layers(2).bidirectional(true), gen);
    const auto r = golden_run(m, false, g::gru_2layer_bidirectional_parameters);
    check_close(r.output, g::gru_2layer_bidirectional_output, "gru 2-layer bi output");
    check_close(r.h_n, g::gru_2layer_bidirectional_h_n, "gru 2-layer bi h_n");
  }
  {
    nn::BasicRNN<T> m(RNNOptions(kIn, kH).num_layers(2).batch_first(true), gen);
    const auto r = golden_run(m, true, g::rnn_tanh_2layer_parameters);
    check_close(r.output, g::rnn_tanh_2layer_output, "rnn tanh output");
    check_close(r.h_n, g::rnn_tanh_2layer_h_n, "rnn tanh h_n");
  }
  {
    nn::BasicRNN<T> m(
        RNNOptions(kIn, kH).nonlinearity(nn::RNNNonlinearity::relu).bidirectional(true).bias(false),
        gen);
    const auto r = golden_run(m, false, g::rnn_relu_bidirectional_nobias_parameters);
    check_close(r.output, g::rnn_relu_bidirectional_nobias_output, "rnn relu output");
    check_close(r.h_n, g::rnn_relu_bidirectional_nobias_h_n, "rnn relu h_n");
  }
}

template <class T>
void check_golden_cells() {
  namespace g = golden_rnn;
  Generator gen(0);  // the weights are replaced by PyTorch's
  const auto x = golden_input<T>({kB, kIn});
  const auto h = golden_h0<T>({kB, kH});
  {
    nn::BasicLSTMCell<T> m(nn::LSTMCellOptions(kIn, kH), gen);
    set_pattern_weights(m);
    const auto s = m.forward_with_state(x, {h, golden_c0<T>({kB, kH})});
    check_close(s.h, g::lstm_cell_h, "lstm cell h");
    check_close(s.c, g::lstm_cell_c, "lstm cell c");
  }
  {
    nn::BasicGRUCell<T> m(nn::GRUCellOptions(kIn, kH), gen);
    set_pattern_weights(m);
    check_close(m.forward_with_state(x, {h, {}}).h, g::gru_cell_h, "gru cell h");
  }
  {
    nn::BasicRNNCell<T> m(nn::RNNCellOptions(kIn, kH), gen);
    set_pattern_weights(m);
    check_close(m.forward_with_state(x, {h, {}}).h, g::rnn_cell_h, "rnn cell h");
  }
}

/// Flattens a layer's output and final states into one tensor for gradcheck.
TensorD joined(const nn::RecurrentOutput<double>& r) {
  std::vector<TensorD> parts{reshape(r.output, {-1}), reshape(r.h_n, {-1})};
  if (r.c_n.defined()) parts.push_back(reshape(r.c_n, {-1}));
  return concat(parts, 0);
}

/// gradcheck of a layer over x (and h0, c0 when given), every parameter included.
void check_layer_gradients(nn::BasicRecurrent<double>& layer, std::size_t steps, bool with_state,
                           std::uint64_t seed) {
  Generator gen(seed);
  const std::size_t batch = 2;
  const Shape xs = layer.batch_first() ? Shape{batch, steps, layer.input_size()}
                                       : Shape{steps, batch, layer.input_size()};
  const Shape ss{layer.num_layers() * layer.num_directions(), batch, layer.hidden_size()};
  std::vector<TensorD> inputs{randn<double>(xs, gen, 0.0, 1.0, true)};
  const bool lstm = layer.kind() == nn::RecurrentKind::lstm;
  if (with_state) {
    inputs.push_back(randn<double>(ss, gen, 0.0, 0.5, true));
    if (lstm) inputs.push_back(randn<double>(ss, gen, 0.0, 0.5, true));
  }
  const auto forward = [&](nn::ModuleD& m, const std::vector<TensorD>& xs_) {
    nn::RecurrentState<double> s;
    if (xs_.size() > 1) s.h = xs_[1];
    if (xs_.size() > 2) s.c = xs_[2];
    return joined(static_cast<nn::BasicRecurrent<double>&>(m).forward_with_state(xs_[0], s));
  };
  const auto r = nn::gradcheck_module(layer, forward, inputs);
  CHECK_MESSAGE(r.ok, layer.repr(), ": ", r.message);
  CHECK(r.comparisons > 0);
}

}  // namespace

TEST_CASE("nn: recurrent parameter names, shapes and init follow PyTorch") {
  Generator gen(0);
  nn::LSTM lstm(LSTMOptions(3, 5).num_layers(2).bidirectional(true), gen);
  const auto named = lstm.named_parameters();
  const std::vector<std::string> names = {
      "weight_ih_l0",         "weight_hh_l0",         "bias_ih_l0",         "bias_hh_l0",
      "weight_ih_l0_reverse", "weight_hh_l0_reverse", "bias_ih_l0_reverse", "bias_hh_l0_reverse",
      "weight_ih_l1",         "weight_hh_l1",         "bias_ih_l1",         "bias_hh_l1",
      "weight_ih_l1_reverse", "weight_hh_l1_reverse", "bias_ih_l1_reverse", "bias_hh_l1_reverse"};
  REQUIRE(named.size() == names.size());
  for (std::size_t k = 0; k < names.size(); ++k) CHECK(named[k].first == names[k]);
  CHECK(lstm.parameter("weight_ih_l0").shape() == Shape{20, 3});
  CHECK(lstm.parameter("weight_hh_l0").shape() == Shape{20, 5});
  CHECK(lstm.parameter("weight_ih_l1_reverse").shape() == Shape{20, 10});
  CHECK(lstm.parameter("bias_hh_l1").shape() == Shape{20});
  CHECK(lstm.repr().find("LSTM(input_size=3, hidden_size=5, num_layers=2") == 0);

  nn::GRU gru(GRUOptions(3, 4).bias(false), gen);
  CHECK(gru.named_parameters().size() == 2);
  CHECK(gru.parameter("weight_ih_l0").shape() == Shape{12, 3});
  nn::RNN rnn(RNNOptions(3, 4), gen);
  CHECK(rnn.parameter("weight_hh_l0").shape() == Shape{4, 4});
  nn::LSTMCell cell(nn::LSTMCellOptions(3, 4), gen);
  CHECK(cell.named_parameters()[0].first == "weight_ih");
  CHECK(cell.parameter("bias_hh").shape() == Shape{16});
  CHECK(cell.name() == "LSTMCell");

  // U(-1/sqrt(H), 1/sqrt(H)) for every parameter, reaching close to the bound.
  nn::LSTMD big(LSTMOptions(16, 64), gen);
  const double bound = 1.0 / 8.0;
  for (const auto& [name, p] : big.named_parameters()) {
    CAPTURE(name);
    double max_abs = 0;
    for (double v : p.data()) max_abs = std::max(max_abs, std::abs(v));
    CHECK(max_abs <= bound);
    CHECK(max_abs > 0.95 * bound);
  }
  // Reproducible from the seed; another seed differs.
  Generator ga(0), gb(0), gc(1);
  nn::LSTM a(LSTMOptions(3, 4), ga), b(LSTMOptions(3, 4), gb), c(LSTMOptions(3, 4), gc);
  CHECK(a.parameter("weight_hh_l0").data() == b.parameter("weight_hh_l0").data());
  CHECK(a.parameter("weight_hh_l0").data() != c.parameter("weight_hh_l0").data());
}

TEST_CASE("nn: recurrent layers match torch.nn (golden values, float and double)") {
  check_golden_layers<double>();
  check_golden_layers<float>();
}

TEST_CASE("nn: recurrent cells match torch.nn (golden values, float and double)") {
  check_golden_cells<double>();
  check_golden_cells<float>();
}

TEST_CASE("nn: recurrent cells gradcheck of input, state and parameters (double)") {
  Generator gen(5);
  const auto x = randn<double>({3, 4}, gen, 0.0, 1.0, true);
  const auto h = randn<double>({3, 5}, gen, 0.0, 0.5, true);
  const auto c = randn<double>({3, 5}, gen, 0.0, 0.5, true);
  const auto step = [](nn::ModuleD& m, const std::vector<TensorD>& xs) {
    auto& cell = static_cast<nn::BasicRecurrentCell<double>&>(m);
    const auto s = cell.forward_with_state(xs[0], {xs[1], xs.size() > 2 ? xs[2] : TensorD()});
    return s.c.defined() ? concat(std::vector<TensorD>{s.h, s.c}, 1) : s.h;
  };
  nn::LSTMCellD lstm(nn::LSTMCellOptions(4, 5), gen);
  nn::GRUCellD gru(nn::GRUCellOptions(4, 5), gen);
  nn::RNNCellD rnn_tanh(nn::RNNCellOptions(4, 5), gen);
  nn::RNNCellD rnn_relu(nn::RNNCellOptions(4, 5).nonlinearity(nn::RNNNonlinearity::relu), gen);
  auto r = nn::gradcheck_module(lstm, step, {x, h, c});
  CHECK_MESSAGE(r.ok, r.message);
  r = nn::gradcheck_module(gru, step, {x, h});
  CHECK_MESSAGE(r.ok, r.message);
  r = nn::gradcheck_module(rnn_tanh, step, {x, h});
  CHECK_MESSAGE(r.ok, r.message);
  r = nn::gradcheck_module(rnn_relu, step, {x, h});
  CHECK_MESSAGE(r.ok, r.message);
  // forward(x) starts from zeros: gradients of input and parameters.
  r = nn::gradcheck_module(lstm, x);
  CHECK_MESSAGE(r.ok, r.message);
}

TEST_CASE("nn: LSTM gradcheck over 1 and 4 steps, stacked, bidirectional, batch-first (double)") {
  Generator gen(11);
  nn::LSTMD one(LSTMOptions(3, 4), gen);
  check_layer_gradients(one, 1, false, 1);
  check_layer_gradients(one, 4, true, 2);
  nn::LSTMD deep(LSTMOptions(3, 3).num_layers(2).bidirectional(true), gen);
  check_layer_gradients(deep, 3, true, 3);
  nn::LSTMD first(LSTMOptions(2, 3).num_layers(2).batch_first(true).bidirectional(true), gen);
  check_layer_gradients(first, 3, false, 4);
  check_layer_gradients(first, 1, true, 5);
}

TEST_CASE("nn: GRU and RNN gradcheck over sequences, stacked, bidirectional (double)") {
  Generator gen(12);
  nn::GRUD gru(GRUOptions(3, 4), gen);
  check_layer_gradients(gru, 1, true, 1);
  check_layer_gradients(gru, 4, false, 2);
  nn::GRUD gru_deep(GRUOptions(2, 3).num_layers(2).bidirectional(true).batch_first(true), gen);
  check_layer_gradients(gru_deep, 3, true, 3);
  nn::RNND rnn(RNNOptions(3, 4).num_layers(2), gen);
  check_layer_gradients(rnn, 4, true, 4);
  nn::RNND relu(RNNOptions(3, 4).nonlinearity(nn::RNNNonlinearity::relu).bidirectional(true), gen);
  check_layer_gradients(relu, 3, false, 5);
  nn::RNND plain(RNNOptions(3, 4).bias(false).batch_first(true), gen);
  check_layer_gradients(plain, 2, true, 6);
  check_layer_gradients(plain, 1, false, 7);
  check_layer_gradients(rnn, 1, true, 8);
}

TEST_CASE("nn: batch_first gives the transposed result of the same layer") {
  Generator init_a(0), init_b(0);  // equal draws: the same weights
  nn::LSTMD seq_first(LSTMOptions(3, 4).num_layers(2).bidirectional(true), init_a);
  nn::LSTMD batch_first(LSTMOptions(3, 4).num_layers(2).bidirectional(true).batch_first(true),
                        init_b);
  Generator gen(9);
  const auto x = randn<double>({5, 2, 3}, gen);
  const auto a = seq_first.forward_with_state(x, {});
  const auto b = batch_first.forward_with_state(transpose(x, 0, 1), {});
  CHECK(xt::allclose(transpose(b.output, 0, 1).data(), a.output.data(), 0, 1e-14));
  CHECK(xt::allclose(b.h_n.data(), a.h_n.data(), 0, 1e-14));
  // The last step of the forward direction's output is its h_n.
  CHECK(xt::allclose(xt::view(a.output.data(), 4, xt::all(), xt::range(0, 4)),
                     xt::view(a.h_n.data(), 2, xt::all(), xt::all()), 0, 1e-14));
}

TEST_CASE("nn: a gradient flows through 200 LSTM steps without overflowing the stack") {
  Generator init(0);
  nn::LSTM lstm(LSTMOptions(2, 8), init);
  // A forget-gate bias of 4 keeps the cell state's memory over the 200 steps.
  auto& b = lstm.parameter("bias_ih_l0");
  for (std::size_t j = 8; j < 16; ++j) b.mutable_data_ptr()[j] = 4.0f;
  Generator gen(1);
  const auto x = randn<float>({200, 3, 2}, gen, 0.0f, 1.0f, true);
  const auto r = lstm.forward_with_state(x, {});
  sum(r.c_n).backward();
  const auto g = x.grad();
  double first = 0;
  for (std::size_t k = 0; k < 6; ++k) {
    CHECK(std::isfinite(g.data_ptr()[k]));
    first += std::abs(g.data_ptr()[k]);
  }
  CHECK(first > 1e-6);
  CHECK(lstm.parameter("weight_hh_l0").grad().data() != xt::zeros<float>({32, 8}));
}

TEST_CASE("nn: a state carried across batches must be detached (GraphError otherwise)") {
  Generator init(0);
  nn::LSTM lstm(LSTMOptions(2, 3), init);
  Generator gen(3);
  const auto x = randn<float>({4, 2, 2}, gen);
  auto r = lstm.forward_with_state(x, {});
  sum(r.output).backward();  // releases the graph r.h_n and r.c_n belong to
  CHECK_THROWS_AS(lstm.forward_with_state(x, {r.h_n, r.c_n}), GraphError);
  // Detached (truncated backpropagation through time), it carries on.
  const auto next = lstm.forward_with_state(x, {r.h_n.detach(), r.c_n.detach()});
  sum(next.output).backward();
  CHECK(lstm.parameter("weight_hh_l0").has_grad());
}

TEST_CASE("nn: dropout between stacked layers acts in training only, from the scoped generator") {
  Generator init_a(0), init_b(0);  // equal draws: the same weights
  nn::LSTM with(LSTMOptions(3, 6).num_layers(2).dropout(0.5), init_a);
  nn::LSTM without(LSTMOptions(3, 6).num_layers(2), init_b);
  Generator gen(2);
  const auto x = randn<float>({4, 2, 3}, gen);
  NoGradGuard no_grad;
  const auto first = with(x), second = with(x);
  CHECK(first.data() != second.data());      // fresh masks per call
  CHECK(first.data() != without(x).data());  // dropout acted
  with.eval();
  CHECK(with(x).data() == without(x).data());  // same weights, no dropout in eval
  with.train();
  // One layer: nothing between layers to drop.
  Generator init_c(1), init_d(1);
  nn::LSTM single(LSTMOptions(3, 6).dropout(0.5), init_c);
  nn::LSTM single_plain(LSTMOptions(3, 6), init_d);
  CHECK(single(x).data() == single_plain(x).data());
  // The scoped generator decides the masks.
  Generator s1(7), s2(7);
  BasicTensor<float> a, b;
  {
    GeneratorScope scope(s1);
    a = with(x);
  }
  {
    GeneratorScope scope(s2);
    b = with(x);
  }
  CHECK(a.data() == b.data());
}

TEST_CASE("nn: recurrent layers and cells give typed errors naming the layer and the shapes") {
  Generator gen(0);
  nn::LSTM lstm(LSTMOptions(3, 4).num_layers(2), gen);
  const auto msg = [](const std::function<void()>& f) {
    try {
      f();
    } catch (const std::exception& e) {
      return std::string(e.what());
    }
    return std::string("no exception");
  };
  CHECK_THROWS_AS(lstm(zeros<float>({5, 3})), ShapeError);
  CHECK(msg([&] { lstm(zeros<float>({5, 3})); }).find("LSTM(input_size=3") == 0);
  CHECK(msg([&] {
          lstm(zeros<float>({5, 2, 7}));
        }).find("input of shape [5,2,7]") != std::string::npos);
  CHECK_THROWS_AS(lstm(zeros<float>({0, 2, 3})), ShapeError);
  const auto x = zeros<float>({5, 2, 3});
  CHECK_THROWS_AS(lstm.forward_with_state(x, {zeros<float>({1, 2, 4}), zeros<float>({2, 2, 4})}),
                  ShapeError);
  CHECK(msg([&] {
          lstm.forward_with_state(x, {zeros<float>({2, 3, 4}), zeros<float>({2, 2, 4})});
        }).find("h0 of shape [2,3,4] must be [2,2,4]") != std::string::npos);
  CHECK_THROWS_AS(lstm.forward_with_state(x, {zeros<float>({2, 2, 4}), {}}), ValueError);
  nn::GRU gru(GRUOptions(3, 4), gen);
  CHECK_THROWS_AS(gru.forward_with_state(x, {zeros<float>({1, 2, 4}), zeros<float>({1, 2, 4})}),
                  ValueError);
  CHECK_THROWS_AS(nn::LSTM(LSTMOptions(3, 4).dropout(1.0), gen), ValueError);
  CHECK_THROWS_AS(nn::GRU(GRUOptions(3, 0), gen), ValueError);
  CHECK_THROWS_AS(nn::RNN(RNNOptions(3, 4).num_layers(0), gen), ValueError);

  nn::LSTMCell cell(nn::LSTMCellOptions(3, 4), gen);
  CHECK_THROWS_AS(cell(zeros<float>({3})), ShapeError);
  CHECK(msg([&] { cell(zeros<float>({2, 5})); }).find("LSTMCell(input_size=3") == 0);
  CHECK_THROWS_AS(cell.forward_with_state(zeros<float>({2, 3}), {zeros<float>({2, 5}), {}}),
                  ShapeError);
  nn::GRUCell gru_cell(nn::GRUCellOptions(3, 4), gen);
  CHECK_THROWS_AS(gru_cell.forward_with_state(zeros<float>({2, 3}), {{}, zeros<float>({2, 4})}),
                  ValueError);
}

TEST_CASE("nn: an empty batch to a recurrent layer or cell is a ShapeError naming the layer") {
  Generator gen(0);
  const auto message = [](const std::function<void()>& f) {
    try {
      f();
    } catch (const ShapeError& e) {
      return std::string(e.what());
    } catch (const std::exception& e) {
      return std::string("another exception: ") + e.what();
    }
    return std::string("no exception");
  };
  nn::LSTM lstm(LSTMOptions(3, 4), gen);
  CHECK(message([&] { lstm(zeros<float>({5, 0, 3})); }).find("LSTM(input_size=3") == 0);
  nn::GRU gru(GRUOptions(3, 4).batch_first(true), gen);
  const std::string gru_msg = message([&] { gru(zeros<float>({0, 5, 3})); });
  CHECK(gru_msg.find("GRU(input_size=3") == 0);
  CHECK(gru_msg.find("[0,5,3]") != std::string::npos);
  nn::RNNCell cell(nn::RNNCellOptions(3, 4), gen);
  CHECK(message([&] { cell(zeros<float>({0, 3})); }).find("RNNCell(input_size=3") == 0);
}

TEST_CASE("nn: an LSTM cell takes both h and c or neither, as the LSTM layer") {
  Generator gen(0);
  // Only one of them would silently start the other from zeros; PyTorch's LSTMCell takes the
  // pair or nothing.
  nn::LSTMCell cell(nn::LSTMCellOptions(3, 4), gen);
  const auto x = zeros<float>({2, 3});
  CHECK_THROWS_AS(cell.forward_with_state(x, {ones<float>({2, 4}), {}}), ValueError);
  CHECK_THROWS_AS(cell.forward_with_state(x, {{}, ones<float>({2, 4})}), ValueError);
  try {
    cell.forward_with_state(x, {ones<float>({2, 4}), {}});
  } catch (const ValueError& e) {
    CHECK(std::string(e.what()).find("LSTMCell(input_size=3") == 0);
  }
  const auto both = cell.forward_with_state(x, {ones<float>({2, 4}), ones<float>({2, 4})});
  CHECK(both.h.shape() == Shape{2, 4});
  CHECK(both.c.shape() == Shape{2, 4});
}

}  // namespace axon::test
