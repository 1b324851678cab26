// SPDX-License-Identifier: MIT
// MultiheadAttention: shape checks naming the module, the projections through the row blocks of
// in_proj_weight, the head split, one attention() call on [N*H, L, E/H] tensors, and the masks
// folded into one additive constant.
#include "axon/nn/attention.hpp"

#include <cmath>
#include <limits>
#include <sstream>
#include <vector>

#include "axon/autograd/error.hpp"
#include "axon/autograd/ops/attention.hpp"
#include "axon/autograd/ops/elementwise.hpp"
#include "axon/autograd/ops/linalg.hpp"
#include "axon/autograd/ops/reductions.hpp"
#include "axon/autograd/ops/shape.hpp"
#include "axon/autograd/ops/softmax.hpp"
#include "axon/nn/init.hpp"

namespace axon::nn {

namespace {

using autograd::shape_str;

/// Scaled dot-product attention on [B, L, D] queries, [B, S, D] keys and [B, S, Dv] values:
/// softmax(q k^T / sqrt(D) + mask + causal) v -> [B, L, Dv]. Without a mask and weights (the
/// fused op) the batch may be several leading axes ([N, H, L, D]), and the result keeps them.
/// `mask` is additive, [B or 1, L, S], or undefined; `causal` blocks keys j > i; in training
/// (`dropout` > 0) the weights are dropped with probability `dropout` and the survivors scaled by 1
/// / (1 - dropout), masks drawn from `gen`. When `weights` is given it receives the (dropped-out)
/// weights [B, L, S].
///
/// Built from recorded ops (matmul, transpose, softmax, add, mul), so its backward and
/// double-backward are theirs; this one function is the place a fused attention op replaces.
template <class T>
BasicTensor<T> attention(const BasicTensor<T>& q, const BasicTensor<T>& k, const BasicTensor<T>& v,
                         const BasicTensor<T>& mask, bool causal, double dropout,
                         autograd::Generator& gen, BasicTensor<T>* weights) {
  using Tensor = BasicTensor<T>;
  if (!weights && !mask.defined()) {
    // The fused op: one forward, and a backward that keeps only the attention weights. With a
    // mask the recorded ops below run instead: a query whose keys are all blocked gets zero
    // weights there, where the fused op refuses such a row.
    return autograd::scaled_dot_product_attention(
        q, k, v,
        autograd::AttentionOptions<T>().is_causal(causal).dropout_p(dropout).generator(&gen));
  }
  // need_weights or a mask: the same map from recorded ops (P can be returned).
  const std::size_t L = q.shape()[1], S = k.shape()[1];
  // q is scaled before the product, as PyTorch does (the same rounding as its reference path).
  const T scale = T(1) / std::sqrt(static_cast<T>(q.shape()[2]));
  Tensor scores = autograd::matmul(autograd::mul(q, scale), autograd::transpose(k, 1, 2));
  if (mask.defined()) scores = autograd::add(scores, mask);
  if (causal) {
    xt::xarray<T> block = xt::zeros<T>({std::size_t{1}, L, S});
    for (std::size_t i = 0; i < L; ++i) {
      for (std::size_t j = i + 1; j < S; ++j) block(0, i, j) = -std::numeric_limits<T>::infinity();
    }
    scores = autograd::add(scores, Tensor(std::move(block)));
  }
  Tensor p = autograd::softmax(scores, -1);
  if (dropout > 0.0) {
    const T keep_scale = static_cast<T>(1.0 / (1.0 - dropout));
    xt::xarray<T> keep = xt::xarray<T>::from_shape(p.shape());
    for (auto& m : keep) m = gen.uniform() < dropout ? T(0) : keep_scale;
    p = autograd::mul(p, Tensor(std::move(keep)));
  }
  if (weights) *weights = p;
  return autograd::matmul(p, v);
}

}  // namespace

template <class T>
BasicMultiheadAttention<T>::BasicMultiheadAttention(const MultiheadAttentionOptions& options,
                                                    autograd::Generator& gen)
    : options_(options) {
  const std::size_t E = options_.embed_dim(), H = options_.num_heads();
  if (E == 0 || H == 0 || E % H != 0) {
    throw ValueError(where() + ": num_heads must be at least 1 and divide embed_dim");
  }
  if (!(options_.dropout() >= 0.0 && options_.dropout() < 1.0)) {
    throw ValueError(where() + ": dropout must be in [0, 1)");
  }
  in_proj_weight_ = &this->register_parameter("in_proj_weight", autograd::zeros<T>({3 * E, E}));
  if (options_.bias()) {
    in_proj_bias_ = &this->register_parameter("in_proj_bias", autograd::zeros<T>({3 * E}));
  }
  out_proj_ = this->register_module(
      "out_proj", std::make_shared<BasicLinear<T>>(LinearOptions(E, E).bias(options_.bias()), gen));
  reset_parameters(gen);
}

template <class T>
void BasicMultiheadAttention<T>::reset_parameters(autograd::Generator& gen) {
  init::xavier_uniform_(*in_proj_weight_, gen);
  if (in_proj_bias_) init::zeros_(*in_proj_bias_);
  if (options_.bias()) init::zeros_(out_proj_->bias());
}

template <class T>
auto BasicMultiheadAttention<T>::forward(const Tensor& x) -> Tensor {
  Args args;
  args.need_weights = false;
  return forward(x, x, x, args).output;
}

template <class T>
auto BasicMultiheadAttention<T>::forward(const typename BasicModule<T>::Tensors& inputs) ->
    typename BasicModule<T>::Tensors {
  const std::size_t n = inputs.size();
  if (n != 1 && (n < 3 || n > 5)) {
    throw ValueError(where() + ": takes {x} or {query, key, value[, key_padding_mask[, " +
                     "attn_mask]]}, given " + std::to_string(n) + " tensors");
  }
  Args args;
  if (n >= 4) args.key_padding_mask = inputs[3];
  if (n == 5) args.attn_mask = inputs[4];
  const Tensor& q = inputs[0];
  Output out = n == 1 ? forward(q, q, q, args) : forward(q, inputs[1], inputs[2], args);
  return {std::move(out.output), std::move(out.weights)};
}

template <class T>
auto BasicMultiheadAttention<T>::forward(const Tensor& query, const Tensor& key,
                                         const Tensor& value, const Args& args) -> Output {
  const std::size_t E = options_.embed_dim(), H = options_.num_heads(), D = E / H;
  const bool bf = options_.batch_first();
  const auto fail = [&](const std::string& what) {
    throw ShapeError(where() + ": " + what + " (query " + shape_str(query.shape()) + ", key " +
                     shape_str(key.shape()) + ", value " + shape_str(value.shape()) + ")");
  };
  const std::size_t rank = query.dim();
  if (rank != 2 && rank != 3) fail("query must be 3-D ([L, N, E] or [N, L, E]) or 2-D [L, E]");
  if (key.dim() != rank || value.dim() != rank) fail("key and value must have query's rank");
  if (query.shape()[rank - 1] != E || key.shape()[rank - 1] != E || value.shape()[rank - 1] != E) {
    fail("the last extent of query, key and value must be embed_dim " + std::to_string(E));
  }
  if (key.shape() != value.shape()) fail("key and value must have the same shape");
  // Unbatched input is a batch of one on the batch axis.
  const bool unbatched = rank == 2;
  const int batch_axis = bf ? 0 : 1;
  const auto batched = [&](const Tensor& t) {
    return unbatched ? autograd::unsqueeze(t, batch_axis) : t;
  };
  const Tensor q_in = batched(query), k_in = batched(key), v_in = batched(value);
  const std::size_t N = q_in.shape()[batch_axis], L = q_in.shape()[bf ? 1 : 0];
  const std::size_t S = k_in.shape()[bf ? 1 : 0];
  if (k_in.shape()[batch_axis] != N) fail("query and key must have the same batch size");
  if (N == 0 || L == 0 || S == 0) fail("empty batch or sequence");

  // The three projections through the row blocks of in_proj_weight (slices of the parameter,
  // so a PyTorch state dict's stacked weight is used as it is).
  const auto w = autograd::split(*in_proj_weight_, {E, E, E}, 0);
  std::vector<Tensor> b(3);
  if (in_proj_bias_) b = autograd::split(*in_proj_bias_, {E, E, E}, 0);
  // [L, N, E] -> [L, N, H, D] -> [N, H, L, D]; [N, L, E] -> [N, L, H, D] -> [N, H, L, D]. The
  // fused attention takes the 4-D heads as they are (shape ops copy, so each reshape avoided is
  // a copy saved forward and backward); the recorded path below wants [N*H, L, D].
  const auto heads = [&](const Tensor& x, std::size_t len) {
    if (!bf) return autograd::permute(autograd::reshape(x, {len, N, H, D}), {1, 2, 0, 3});
    return autograd::permute(autograd::reshape(x, {N, len, H, D}), {0, 2, 1, 3});
  };
  Tensor q = heads(autograd::linear(q_in, w[0], b[0]), L);
  Tensor k = heads(autograd::linear(k_in, w[1], b[1]), S);
  Tensor v = heads(autograd::linear(v_in, w[2], b[2]), S);

  // One additive mask [N*H or 1, L, S]: boolean entries block (-inf), additive ones add.
  const Tensor& kpm = args.key_padding_mask;
  const Tensor& am = args.attn_mask;
  if (kpm.defined()) {
    const autograd::Shape want = unbatched ? autograd::Shape{S} : autograd::Shape{N, S};
    if (kpm.shape() != want) {
      fail("key_padding_mask " + shape_str(kpm.shape()) + " must be " + shape_str(want));
    }
  }
  if (am.defined() && am.shape() != autograd::Shape{L, S} &&
      am.shape() != autograd::Shape{N * H, L, S}) {
    fail("attn_mask " + shape_str(am.shape()) + " must be " + shape_str({L, S}) + " or " +
         shape_str({N * H, L, S}));
  }
  Tensor mask;
  if (kpm.defined() || am.defined()) {
    const std::size_t rows = kpm.defined() || (am.defined() && am.dim() == 3) ? N * H : 1;
    xt::xarray<T> m = xt::zeros<T>({rows, L, S});
    const auto read = [](T value, MaskKind kind) {
      if (kind == MaskKind::additive) return value;
      return value != T(0) ? -std::numeric_limits<T>::infinity() : T(0);
    };
    for (std::size_t r = 0; r < rows; ++r) {
      for (std::size_t i = 0; i < L; ++i) {
        for (std::size_t j = 0; j < S; ++j) {
          T value = 0;
          if (am.defined()) {
            const std::size_t at = (am.dim() == 3 ? r * L * S : 0) + i * S + j;
            value += read(am.data_ptr()[at], args.attn_mask_kind);
          }
          if (kpm.defined())
            value += read(kpm.data_ptr()[(r / H) * S + j], args.key_padding_mask_kind);
          m(r, i, j) = value;
        }
      }
    }
    mask = Tensor(std::move(m));
  }

  const double p = this->is_training() ? options_.dropout() : 0.0;
  autograd::Generator* scoped = autograd::scoped_generator();
  Tensor weights;
  if (args.need_weights || mask.defined()) {
    q = autograd::reshape(q, {N * H, L, D});
    k = autograd::reshape(k, {N * H, S, D});
    v = autograd::reshape(v, {N * H, S, D});
  }
  Tensor out = attention(q, k, v, mask, args.is_causal, p, scoped ? *scoped : gen_,
                         args.need_weights ? &weights : nullptr);
  if (out.dim() == 3) out = autograd::reshape(out, {N, H, L, D});
  // [N, H, L, D] -> [L, N, H, D] -> [L, N, E]; or -> [N, L, H, D] -> [N, L, E]
  if (!bf) {
    out = autograd::reshape(autograd::permute(out, {2, 0, 1, 3}), {L, N, E});
  } else {
    out = autograd::reshape(autograd::permute(out, {0, 2, 1, 3}), {N, L, E});
  }
  out = (*out_proj_)(out);
  if (unbatched) out = autograd::squeeze(out, {batch_axis});

  Output result{out, Tensor()};
  if (args.need_weights) {
    weights = autograd::reshape(weights, {N, H, L, S});
    if (args.average_attn_weights) weights = autograd::mean(weights, {1});
    if (unbatched) weights = autograd::squeeze(weights, {0});
    result.weights = weights;
  }
  return result;
}

template <class T>
std::string BasicMultiheadAttention<T>::extra_repr() const {
  std::ostringstream os;
  os << "embed_dim=" << options_.embed_dim() << ", num_heads=" << options_.num_heads()
     << ", dropout=" << options_.dropout() << ", bias=" << (options_.bias() ? "true" : "false")
     << ", batch_first=" << (options_.batch_first() ? "true" : "false");
  return os.str();
}

template class BasicMultiheadAttention<float>;
template class BasicMultiheadAttention<double>;

}  // namespace axon::nn
