// SPDX-License-Identifier: MIT
// Tests nn/attention.cpp and nn/transformer.cpp (positional encodings: test_positional.cpp):
// PyTorch's parameter names and initialisation, PyTorch golden values
// (tests/nn/golden_transformer.hpp: outputs and every gradient to 1e-10, the weights loaded by
// their state-dict names), masks, shapes and errors, dropout in training mode, and gradient checks
// in double.
#include <doctest/doctest.h>

#include <cmath>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include <xtensor/xview.hpp>

#include "axon/autograd/autograd.hpp"
#include "axon/nn/attention.hpp"
#include "axon/nn/flatten.hpp"
#include "axon/nn/gradcheck.hpp"
#include "axon/nn/init.hpp"
#include "axon/nn/linear.hpp"
#include "axon/nn/losses.hpp"
#include "axon/nn/positional.hpp"
#include "axon/nn/sequential.hpp"
#include "axon/nn/transformer.hpp"
#include "axon/optim/adam.hpp"
#include "axon/train/parallel.hpp"
#include "tests/nn/golden_transformer.hpp"
#include "tests/train/sharding_helpers.hpp"

namespace axon::test {

using namespace axon::autograd;
using golden_transformer::NamedParam;
using nn::MaskKind;
using nn::MhaArgs;
using nn::MultiheadAttentionOptions;
using nn::TransformerEncoderLayerOptions;

namespace {

constexpr double kTol = 1e-10;

template <std::size_t N>
TensorD golden(const double (&values)[N], const Shape& shape, bool requires_grad = false) {
  REQUIRE(shape_numel(shape) == N);
  return from_vector<double>(std::vector<double>(values, values + N), shape, requires_grad);
}

/// Largest |got - want| / (1 + |want|): the error relative to the value's size, absolute near 0.
double max_rel_diff(const TensorD& got, const double* want, std::size_t n) {
  REQUIRE(got.numel() == n);
  double worst = 0;
  for (std::size_t i = 0; i < n; ++i) {
    worst = std::max(worst, std::abs(got.data_ptr()[i] - want[i]) / (1 + std::abs(want[i])));
  }
  return worst;
}

template <std::size_t N>
double max_rel_diff(const TensorD& got, const double (&want)[N]) {
  return max_rel_diff(got, want, N);
}

/// Loads PyTorch's parameters by their state-dict names (strict: every name must match).
template <std::size_t P>
void load(nn::ModuleD& module, const NamedParam (&params)[P]) {
  nn::StateDict<double> state;
  for (const auto& p : params) {
    const TensorD& slot = module.parameter(p.name);
    REQUIRE(slot.numel() == p.size);
    state.emplace_back(
        p.name, from_vector<double>(std::vector<double>(p.value, p.value + p.size), slot.shape()));
  }
  REQUIRE(module.named_parameters().size() == P);
  module.load_state_dict(state);
}

/// Every parameter's gradient against PyTorch's.
template <std::size_t P>
void check_grads(nn::ModuleD& module, const NamedParam (&params)[P]) {
  for (const auto& p : params) {
    CHECK_MESSAGE(max_rel_diff(module.parameter(p.name).grad(), p.grad, p.size) < kTol, p.name);
  }
}

std::vector<std::string> names(const nn::StateDict<float>& dict) {
  std::vector<std::string> out;
  for (const auto& [name, t] : dict) out.push_back(name);
  return out;
}

}  // namespace

TEST_CASE("nn: MultiheadAttention parameter names, shapes and init as PyTorch") {
  Generator gen(1);
  nn::MultiheadAttention mha(MultiheadAttentionOptions(8, 2), gen);
  CHECK(names(mha.state_dict()) == std::vector<std::string>{"in_proj_weight", "in_proj_bias",
                                                            "out_proj.weight", "out_proj.bias"});
  CHECK(mha.in_proj_weight().shape() == Shape{24, 8});
  CHECK(mha.in_proj_bias().data() == xt::zeros<float>({24}));
  CHECK(mha.out_proj().bias().data() == xt::zeros<float>({8}));
  // xavier_uniform on [3E, E]: bound sqrt(6 / (E + 3E)); the draws fill most of the range.
  const float bound = std::sqrt(6.0f / 32.0f);
  CHECK(xt::amax(xt::abs(mha.in_proj_weight().data()))() <= bound);
  CHECK(xt::amax(xt::abs(mha.in_proj_weight().data()))() > 0.9f * bound);
  CHECK(mha.repr().find("MultiheadAttention(  # 288 parameters\n  embed_dim=8, num_heads=2") == 0);
  CHECK(mha.repr().find("(out_proj): Linear(in_features=8, out_features=8") != std::string::npos);

  // make_module (what Sequential::add builds children with) spells the options' arguments out.
  CHECK(nn::make_module<nn::MultiheadAttention>(8, 2, gen)->options().num_heads() == 2);

  nn::MultiheadAttention plain(MultiheadAttentionOptions(8, 4).bias(false), gen);
  CHECK(names(plain.state_dict()) == std::vector<std::string>{"in_proj_weight", "out_proj.weight"});
  CHECK_THROWS_AS(nn::MultiheadAttention(MultiheadAttentionOptions(8, 3), gen), ValueError);
  CHECK_THROWS_AS(nn::MultiheadAttention(MultiheadAttentionOptions(8, 0), gen), ValueError);
  CHECK_THROWS_AS(nn::MultiheadAttention(MultiheadAttentionOptions(8, 2).dropout(1.0), gen),
                  ValueError);
}

TEST_CASE("nn: MultiheadAttention matches PyTorch, cross-attention without masks") {
  namespace g = golden_transformer;
  Generator gen(0);
  nn::MultiheadAttentionD mha(MultiheadAttentionOptions(8, 2), gen);
  load(mha, g::mha_plain_params);
  const TensorD q = golden(g::mha_plain_query, {4, 3, 8}, true);
  const TensorD k = golden(g::mha_plain_key, {5, 3, 8}, true);
  const TensorD v = golden(g::mha_plain_value, {5, 3, 8}, true);
  const auto out = mha.forward(q, k, v);
  CHECK(out.output.shape() == Shape{4, 3, 8});
  CHECK(out.weights.shape() == Shape{3, 4, 5});
  CHECK(max_rel_diff(out.output, g::mha_plain_y) < kTol);
  CHECK(max_rel_diff(out.weights, g::mha_plain_weights) < kTol);
  add(sum(mul(out.output, golden(g::mha_plain_r, {4, 3, 8}))),
      sum(mul(out.weights, golden(g::mha_plain_rw, {3, 4, 5}))))
      .backward();
  CHECK(max_rel_diff(q.grad(), g::mha_plain_grad_query) < kTol);
  CHECK(max_rel_diff(k.grad(), g::mha_plain_grad_key) < kTol);
  CHECK(max_rel_diff(v.grad(), g::mha_plain_grad_value) < kTol);
  check_grads(mha, g::mha_plain_params);
}

TEST_CASE("nn: MultiheadAttention matches PyTorch, batch_first with boolean masks") {
  namespace g = golden_transformer;
  Generator gen(0);
  nn::MultiheadAttentionD mha(MultiheadAttentionOptions(8, 2).batch_first(true), gen);
  load(mha, g::mha_masks_params);
  const TensorD q = golden(g::mha_masks_query, {3, 4, 8}, true);
  const TensorD k = golden(g::mha_masks_key, {3, 5, 8}, true);
  const TensorD v = golden(g::mha_masks_value, {3, 5, 8}, true);
  MhaArgs<double> args;
  args.key_padding_mask = golden(g::mha_masks_key_padding_mask, {3, 5});
  args.attn_mask = golden(g::mha_masks_attn_mask, {4, 5});
  args.average_attn_weights = false;
  const auto out = mha.forward(q, k, v, args);
  CHECK(out.weights.shape() == Shape{3, 2, 4, 5});
  CHECK(max_rel_diff(out.output, g::mha_masks_y) < kTol);
  CHECK(max_rel_diff(out.weights, g::mha_masks_weights) < kTol);
  add(sum(mul(out.output, golden(g::mha_masks_r, {3, 4, 8}))),
      sum(mul(out.weights, golden(g::mha_masks_rw, {3, 2, 4, 5}))))
      .backward();
  CHECK(max_rel_diff(q.grad(), g::mha_masks_grad_query) < kTol);
  CHECK(max_rel_diff(k.grad(), g::mha_masks_grad_key) < kTol);
  CHECK(max_rel_diff(v.grad(), g::mha_masks_grad_value) < kTol);
  check_grads(mha, g::mha_masks_params);
}

TEST_CASE("nn: MultiheadAttention matches PyTorch, self-attention with an additive mask") {
  namespace g = golden_transformer;
  Generator gen(0);
  nn::MultiheadAttentionD mha(MultiheadAttentionOptions(6, 3), gen);
  load(mha, g::mha_float_params);
  const TensorD x = golden(g::mha_float_query, {5, 2, 6}, true);
  MhaArgs<double> args;
  args.key_padding_mask = golden(g::mha_float_key_padding_mask, {2, 5});
  args.attn_mask = golden(g::mha_float_attn_mask, {6, 5, 5});
  args.attn_mask_kind = MaskKind::additive;
  args.need_weights = false;
  const auto out = mha.forward(x, x, x, args);
  CHECK_FALSE(out.weights.defined());
  CHECK(max_rel_diff(out.output, g::mha_float_y) < kTol);
  sum(mul(out.output, golden(g::mha_float_r, {5, 2, 6}))).backward();
  CHECK(max_rel_diff(x.grad(), g::mha_float_grad_query) < kTol);
  check_grads(mha, g::mha_float_params);
}

TEST_CASE("nn: MultiheadAttention masks, causal, unbatched input and the one-tensor forward") {
  Generator gen(3);
  nn::MultiheadAttentionD mha(MultiheadAttentionOptions(6, 2).batch_first(true), gen);
  const TensorD x = randn<double>({2, 4, 6}, gen);

  // is_causal is the boolean mask "key j > query i".
  xt::xarray<double> upper = xt::zeros<double>({4, 4});
  for (std::size_t i = 0; i < 4; ++i) {
    for (std::size_t j = i + 1; j < 4; ++j) upper(i, j) = 1;
  }
  MhaArgs<double> causal;
  causal.is_causal = true;
  MhaArgs<double> boolean;
  boolean.attn_mask = TensorD(upper);
  const auto a = mha.forward(x, x, x, causal);
  const auto b = mha.forward(x, x, x, boolean);
  CHECK(xt::allclose(a.output.data(), b.output.data(), 0.0, 1e-14));
  CHECK(a.weights.data()(0, 0, 1) == 0.0);  // query 0 sees key 0 only
  CHECK(a.weights.data()(0, 0, 0) == doctest::Approx(1.0));

  // An additive mask of 0 / -inf is the same as the boolean one.
  MhaArgs<double> additive;
  xt::xarray<double> minus_inf = upper;
  for (auto& e : minus_inf) e = e != 0 ? -INFINITY : 0.0;
  additive.attn_mask = TensorD(minus_inf);
  additive.attn_mask_kind = MaskKind::additive;
  CHECK(xt::allclose(mha.forward(x, x, x, additive).output.data(), b.output.data(), 0.0, 1e-14));

  // A query whose keys are all blocked gets zero weights (PyTorch gives NaN), finite output.
  MhaArgs<double> all;
  all.key_padding_mask = TensorD(xt::xarray<double>{{1, 1, 1, 1}, {0, 0, 0, 0}});
  const auto blocked = mha.forward(x, x, x, all);
  CHECK(xt::all(xt::equal(xt::view(blocked.weights.data(), 0), 0.0)));
  CHECK(xt::all(xt::isfinite(blocked.output.data())));

  // forward(x) is self-attention without masks. It runs the fused attention op (no weights
  // asked for), forward(x, x, x) the recorded composite that returns the weights: the two agree
  // to rounding.
  CHECK(xt::allclose(mha.forward(x).data(), mha.forward(x, x, x).output.data(), 1e-12, 1e-14));

  // Unbatched [L, E] is a batch of one.
  const TensorD one = slice(x, 0, 0, 1);
  const auto u = mha.forward(squeeze(one, {0}), squeeze(one, {0}), squeeze(one, {0}));
  CHECK(u.output.shape() == Shape{4, 6});
  CHECK(u.weights.shape() == Shape{4, 4});
  CHECK(xt::allclose(u.output.data(), xt::view(mha.forward(one).data(), 0), 0.0, 1e-14));
}

TEST_CASE("nn: MultiheadAttention shape errors name the module and the shapes") {
  Generator gen(0);
  nn::MultiheadAttention mha(MultiheadAttentionOptions(8, 2), gen);
  const Tensor x = zeros<float>({4, 3, 8});
  const auto message = [&](const Tensor& q, const Tensor& k, const MhaArgs<float>& args = {}) {
    try {
      mha.forward(q, k, k, args);
    } catch (const ShapeError& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  const std::string wrong_width = message(zeros<float>({4, 3, 6}), x);
  CHECK(wrong_width.find("MultiheadAttention(embed_dim=8") != std::string::npos);
  CHECK(wrong_width.find("query [4,3,6]") != std::string::npos);
  CHECK(message(zeros<float>({3, 8}), x).find("rank") != std::string::npos);
  CHECK(message(x, zeros<float>({5, 2, 8})).find("batch size") != std::string::npos);
  MhaArgs<float> pad;
  pad.key_padding_mask = zeros<float>({3, 5});
  CHECK(message(x, x, pad).find("key_padding_mask [3,5] must be [3,4]") != std::string::npos);
  MhaArgs<float> attn;
  attn.attn_mask = zeros<float>({4, 5});
  CHECK(message(x, x, attn).find("attn_mask [4,5] must be [4,4] or [6,4,4]") != std::string::npos);
  CHECK_THROWS_AS(mha.forward(zeros<float>({4, 8, 3})), ShapeError);
  CHECK(message(zeros<float>({0, 3, 8}), x).find("empty") != std::string::npos);
}

TEST_CASE("nn: MultiheadAttention dropout acts in training mode only") {
  Generator gen(5);
  nn::MultiheadAttention mha(MultiheadAttentionOptions(8, 2).dropout(0.5), gen);
  const Tensor x = randn<float>({6, 2, 8}, gen);
  MhaArgs<float> per_head;
  per_head.average_attn_weights = false;
  const auto train = mha.forward(x, x, x, per_head);
  // Dropped weights are 0, the kept ones scaled by 2: rows no longer sum to 1.
  const auto& w = train.weights.data();
  CHECK(xt::sum(xt::equal(w, 0.0f))() > 0);
  CHECK_FALSE(xt::allclose(xt::sum(w, {3}), xt::ones<float>({2, 2, 6})));
  mha.eval();
  const auto eval = mha.forward(x, x, x, per_head);
  CHECK(xt::allclose(xt::sum(eval.weights.data(), {3}), xt::ones<float>({2, 2, 6})));
  CHECK(xt::allclose(mha.forward(x).data(), mha.forward(x).data(), 0.0f, 0.0f));
}

TEST_CASE("nn: gradcheck of a tiny MultiheadAttention with masks") {
  Generator gen(7);
  nn::MultiheadAttentionD mha(MultiheadAttentionOptions(4, 2), gen);
  nn::init::uniform_(mha.parameter("in_proj_bias"), gen, -0.5, 0.5);
  nn::init::uniform_(mha.parameter("out_proj.bias"), gen, -0.5, 0.5);
  MhaArgs<double> args;
  args.key_padding_mask = TensorD(xt::xarray<double>{{0, 0, 1}, {0, 1, 0}});
  args.attn_mask = TensorD(xt::xarray<double>{{0, 0.5, -1}, {0.3, 0, 0}});
  args.attn_mask_kind = MaskKind::additive;
  const auto forward = [&](nn::ModuleD& m, const std::vector<TensorD>& in) {
    const auto out = static_cast<nn::MultiheadAttentionD&>(m).forward(in[0], in[1], in[2], args);
    return concat({reshape(out.output, {-1}), reshape(out.weights, {-1})});
  };
  const std::vector<TensorD> inputs{randn<double>({2, 2, 4}, gen, 0.0, 1.0, true),
                                    randn<double>({3, 2, 4}, gen, 0.0, 1.0, true),
                                    randn<double>({3, 2, 4}, gen, 0.0, 1.0, true)};
  const auto r = nn::gradcheck_module(mha, forward, inputs);
  CHECK_MESSAGE(r.ok, r.message);
  CHECK(r.comparisons > 0);

  // Second derivatives with respect to the inputs (the parameters held constant).
  const auto f = [&](const std::vector<TensorD>& in) {
    return mha.forward(in[0], in[1], in[2], args).output;
  };
  const auto rr = gradgradcheck(f, inputs);
  CHECK_MESSAGE(rr.ok, rr.message);
}

TEST_CASE("nn: TransformerEncoderLayer and TransformerEncoder state-dict names as PyTorch") {
  Generator gen(0);
  nn::TransformerEncoderLayer layer(TransformerEncoderLayerOptions(8, 2).dim_feedforward(16), gen);
  CHECK(names(layer.state_dict()) ==
        std::vector<std::string>{"self_attn.in_proj_weight", "self_attn.in_proj_bias",
                                 "self_attn.out_proj.weight", "self_attn.out_proj.bias",
                                 "linear1.weight", "linear1.bias", "linear2.weight", "linear2.bias",
                                 "norm1.weight", "norm1.bias", "norm2.weight", "norm2.bias"});
  std::vector<std::string> children;
  for (const auto& [name, child] : layer.named_children()) children.push_back(name);
  CHECK(children == std::vector<std::string>{"self_attn", "linear1", "dropout", "linear2", "norm1",
                                             "norm2", "dropout1", "dropout2"});
  CHECK(layer.options().dropout() == 0.1);
  CHECK(TransformerEncoderLayerOptions(8, 2).dim_feedforward() == 2048);

  nn::TransformerEncoder encoder(
      nn::TransformerEncoderOptions(TransformerEncoderLayerOptions(8, 2).dim_feedforward(16), 2)
          .norm(true),
      gen);
  const auto all = names(encoder.state_dict());
  CHECK(all.size() == 2 * 12 + 2);
  CHECK(all.front() == "layers.0.self_attn.in_proj_weight");
  CHECK(all[12] == "layers.1.self_attn.in_proj_weight");
  CHECK(all.back() == "norm.bias");
  // Layers are drawn on their own, not copies of one another.
  CHECK_FALSE(xt::allclose(encoder.layer(0).self_attn().in_proj_weight().data(),
                           encoder.layer(1).self_attn().in_proj_weight().data()));
  CHECK_THROWS_AS(encoder.layer(2), IndexError);
  try {
    encoder.forward(zeros<float>({4, 2, 6}));
    FAIL("no error");
  } catch (const ShapeError& e) {
    CHECK(std::string(e.what()).find("TransformerEncoderLayer(d_model=8") != std::string::npos);
    CHECK(std::string(e.what()).find("input [4,2,6]") != std::string::npos);
  }
  CHECK_THROWS_AS(nn::TransformerEncoderLayer(TransformerEncoderLayerOptions(8, 3), gen),
                  ValueError);
}

namespace {

/// One golden TransformerEncoderLayer (or encoder) case: load, forward, backward, compare.
template <class M, std::size_t NX, std::size_t NY, std::size_t NG, std::size_t P>
void check_encoder_case(M& module, const double (&x_values)[NX], const Shape& shape,
                        const TensorD& src_mask, const TensorD& key_padding_mask,
                        const double (&r)[NY], const double (&y_want)[NY],
                        const double (&grad_x)[NG], const NamedParam (&params)[P]) {
  load(module, params);
  const TensorD x = golden(x_values, shape, true);
  const TensorD y = module.forward(x, src_mask, key_padding_mask);
  CHECK(y.shape() == shape);
  CHECK(max_rel_diff(y, y_want) < kTol);
  sum(mul(y, golden(r, shape))).backward();
  CHECK(max_rel_diff(x.grad(), grad_x) < kTol);
  check_grads(module, params);
}

TransformerEncoderLayerOptions layer_options(std::size_t d, std::size_t h, std::size_t ff) {
  return TransformerEncoderLayerOptions(d, h).dim_feedforward(ff).dropout(0.0);
}

}  // namespace

TEST_CASE("nn: TransformerEncoderLayer matches PyTorch (post/pre-norm, relu/gelu, masks)") {
  namespace g = golden_transformer;
  Generator gen(0);
  SUBCASE("post-norm, relu, key padding mask") {
    nn::TransformerEncoderLayerD layer(layer_options(8, 2, 16), gen);
    check_encoder_case(layer, g::enc_post_relu_x, {5, 3, 8}, TensorD(),
                       golden(g::enc_post_relu_key_padding_mask, {3, 5}), g::enc_post_relu_r,
                       g::enc_post_relu_y, g::enc_post_relu_grad_x, g::enc_post_relu_params);
  }
  SUBCASE("pre-norm, gelu, batch_first, src_mask") {
    nn::TransformerEncoderLayerD layer(layer_options(8, 4, 12)
                                           .activation(nn::TransformerActivation::gelu)
                                           .batch_first(true)
                                           .norm_first(true),
                                       gen);
    check_encoder_case(layer, g::enc_pre_gelu_x, {2, 4, 8},
                       golden(g::enc_pre_gelu_src_mask, {4, 4}), TensorD(), g::enc_pre_gelu_r,
                       g::enc_pre_gelu_y, g::enc_pre_gelu_grad_x, g::enc_pre_gelu_params);
  }
  SUBCASE("post-norm, gelu, both masks") {
    nn::TransformerEncoderLayerD layer(
        layer_options(6, 2, 10).activation(nn::TransformerActivation::gelu), gen);
    check_encoder_case(layer, g::enc_post_gelu_x, {4, 2, 6},
                       golden(g::enc_post_gelu_src_mask, {4, 4}),
                       golden(g::enc_post_gelu_key_padding_mask, {2, 4}), g::enc_post_gelu_r,
                       g::enc_post_gelu_y, g::enc_post_gelu_grad_x, g::enc_post_gelu_params);
  }
  SUBCASE("pre-norm, relu, batch_first, no mask") {
    nn::TransformerEncoderLayerD layer(layer_options(6, 3, 10).batch_first(true).norm_first(true),
                                       gen);
    check_encoder_case(layer, g::enc_pre_relu_x, {2, 3, 6}, TensorD(), TensorD(), g::enc_pre_relu_r,
                       g::enc_pre_relu_y, g::enc_pre_relu_grad_x, g::enc_pre_relu_params);
  }
  SUBCASE("a 2-layer pre-norm encoder with a final norm") {
    nn::TransformerEncoderD encoder(
        nn::TransformerEncoderOptions(layer_options(8, 2, 16).batch_first(true).norm_first(true), 2)
            .norm(true),
        gen);
    check_encoder_case(encoder, g::enc_stack_x, {2, 4, 8}, TensorD(),
                       golden(g::enc_stack_key_padding_mask, {2, 4}), g::enc_stack_r,
                       g::enc_stack_y, g::enc_stack_grad_x, g::enc_stack_params);
  }
}

TEST_CASE("nn: TransformerEncoderLayer gradcheck, dropout in training, Sequential") {
  Generator gen(11);
  nn::TransformerEncoderLayerD layer(
      layer_options(4, 2, 6).activation(nn::TransformerActivation::gelu).norm_first(true), gen);
  const auto forward = [](nn::ModuleD& m, const std::vector<TensorD>& in) {
    nn::EncoderMasks<double> masks;
    masks.is_causal = true;
    return static_cast<nn::TransformerEncoderLayerD&>(m).forward(in[0], masks);
  };
  const auto r =
      nn::gradcheck_module(layer, forward, {randn<double>({3, 2, 4}, gen, 0.0, 1.0, true)});
  CHECK_MESSAGE(r.ok, r.message);
  // Second derivatives through the whole layer (attention, LayerNorm, GELU), input only.
  const auto rr = gradgradcheck([&](const std::vector<TensorD>& in) { return forward(layer, in); },
                                {randn<double>({3, 2, 4}, gen, 0.0, 1.0, true)});
  CHECK_MESSAGE(rr.ok, rr.message);

  // With dropout, training differs from evaluation, which is deterministic.
  nn::TransformerEncoderLayer drop(TransformerEncoderLayerOptions(8, 2).dim_feedforward(16), gen);
  const Tensor x = randn<float>({5, 2, 8}, gen);
  const Tensor train = drop(x);
  drop.eval();
  const Tensor eval = drop(x);
  CHECK_FALSE(xt::allclose(train.data(), eval.data()));
  CHECK(xt::allclose(eval.data(), drop(x).data(), 0.0f, 0.0f));

  // One-in-one-out layers compose in Sequential: positions, encoder, head.
  nn::Sequential net;
  net.push_back(std::make_shared<nn::SinusoidalPositionalEncoding>(8, 16));
  net.push_back(std::make_shared<nn::TransformerEncoderLayer>(
      TransformerEncoderLayerOptions(8, 2).dim_feedforward(16), gen));
  net.push_back(std::make_shared<nn::Linear>(nn::LinearOptions(8, 3), gen));
  CHECK(net(x).shape() == Shape{5, 2, 3});
}

namespace {

/// 6 sharded Adam steps (batches of 32 in shards of 8) of positions -> a TransformerEncoder with
/// dropout (in the layers and on the attention weights) -> a linear classifier; the parameters.
std::vector<float> train_transformer(std::size_t threads) {
  train::set_num_threads(threads);
  Generator gen(23);
  nn::Sequential model;
  model.push_back(std::make_shared<nn::LearnedPositionalEncoding>(
      nn::PositionalEncodingOptions(8, 6).batch_first(true), gen));
  model.push_back(std::make_shared<nn::TransformerEncoder>(
      nn::TransformerEncoderOptions(
          TransformerEncoderLayerOptions(8, 2).dim_feedforward(12).dropout(0.2).batch_first(true),
          2),
      gen));
  model.push_back(std::make_shared<nn::Flatten>());
  model.push_back(std::make_shared<nn::Linear>(nn::LinearOptions(6 * 8, 3), gen));
  optim::Adam adam(model.parameters(), optim::AdamOptions(1e-2));
  train::ShardedStep sharded(8, 1);
  const auto loss = [](const Tensor& out, const datasets::Batch& b) {
    return nn::cross_entropy(out, b.labels);
  };
  for (std::size_t step = 0; step < 6; ++step) {
    datasets::Batch batch = random_batch(32, 6 * 8, 3, 100 + step);
    batch.inputs = reshape(batch.inputs, {32, 6, 8});
    adam.zero_grad();
    sharded.run(model, loss, batch);
    adam.step();
  }
  std::vector<float> out;
  for (const auto& p : model.parameters()) {
    out.insert(out.end(), p.data_ptr(), p.data_ptr() + p.numel());
  }
  return out;
}

}  // namespace

TEST_CASE("nn: sharded Transformer training with dropout is bitwise identical at 1, 2, 4 threads") {
  const std::vector<float> one = train_transformer(1);
  const std::vector<float> two = train_transformer(2);
  const std::vector<float> four = in_arena(4, [] { return train_transformer(4); });
  train::set_num_threads(0);
  REQUIRE(one.size() == two.size());
  REQUIRE(one.size() == four.size());
  CHECK(std::memcmp(one.data(), two.data(), one.size() * sizeof(float)) == 0);
  CHECK(std::memcmp(one.data(), four.data(), one.size() * sizeof(float)) == 0);
}

}  // namespace axon::test
