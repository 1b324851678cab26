// SPDX-License-Identifier: MIT
// TransformerEncoderLayer (post-norm and pre-norm residual blocks) and TransformerEncoder.
#include "axon/nn/transformer.hpp"

#include <sstream>

#include "axon/autograd/error.hpp"
#include "axon/autograd/ops/activations.hpp"
#include "axon/autograd/ops/elementwise.hpp"
#include "axon/autograd/shape.hpp"

namespace axon::nn {

template <class T>
BasicTransformerEncoderLayer<T>::BasicTransformerEncoderLayer(
    const TransformerEncoderLayerOptions& options, autograd::Generator& gen)
    : options_(options) {
  const auto& o = options_;
  if (o.dim_feedforward() == 0) {
    throw ValueError("TransformerEncoderLayer(" + extra_repr() + "): dim_feedforward is 0");
  }
  if (!(o.dropout() >= 0.0 && o.dropout() < 1.0)) {
    throw ValueError("TransformerEncoderLayer(" + extra_repr() + "): dropout must be in [0, 1)");
  }
  // Registration order is PyTorch's, so the state dicts list the same names in the same order.
  self_attn_ = this->register_module(
      "self_attn",
      std::make_shared<BasicMultiheadAttention<T>>(MultiheadAttentionOptions(o.d_model(), o.nhead())
                                                       .dropout(o.dropout())
                                                       .batch_first(o.batch_first()),
                                                   gen));
  linear1_ = this->register_module(
      "linear1",
      std::make_shared<BasicLinear<T>>(LinearOptions(o.d_model(), o.dim_feedforward()), gen));
  // Each dropout gets its own stream, so the three masks are not the same pattern.
  const auto drop = [&] {
    return std::make_shared<BasicDropout<T>>(DropoutOptions(o.dropout()).seed(gen.next_u64()));
  };
  dropout_ = this->register_module("dropout", drop());
  linear2_ = this->register_module(
      "linear2",
      std::make_shared<BasicLinear<T>>(LinearOptions(o.dim_feedforward(), o.d_model()), gen));
  const auto norm = [&] {
    return std::make_shared<BasicLayerNorm<T>>(
        LayerNormOptions({o.d_model()}).eps(o.layer_norm_eps()));
  };
  norm1_ = this->register_module("norm1", norm());
  norm2_ = this->register_module("norm2", norm());
  dropout1_ = this->register_module("dropout1", drop());
  dropout2_ = this->register_module("dropout2", drop());
}

template <class T>
auto BasicTransformerEncoderLayer<T>::self_attention_block(const Tensor& x,
                                                           const EncoderMasks<T>& masks) -> Tensor {
  MhaArgs<T> args;
  args.attn_mask = masks.src_mask;
  args.key_padding_mask = masks.src_key_padding_mask;
  args.attn_mask_kind = args.key_padding_mask_kind = masks.kind;
  args.is_causal = masks.is_causal;
  args.need_weights = false;
  return (*dropout1_)(self_attn_->forward(x, x, x, args).output);
}

template <class T>
auto BasicTransformerEncoderLayer<T>::feed_forward_block(const Tensor& x) -> Tensor {
  Tensor h = (*linear1_)(x);
  h = options_.activation() == TransformerActivation::gelu ? autograd::gelu(h) : autograd::relu(h);
  return (*dropout2_)((*linear2_)((*dropout_)(h)));
}

template <class T>
auto BasicTransformerEncoderLayer<T>::forward(const Tensor& src, const EncoderMasks<T>& masks)
    -> Tensor {
  if ((src.dim() != 2 && src.dim() != 3) || src.shape().back() != options_.d_model()) {
    throw ShapeError("TransformerEncoderLayer(" + extra_repr() + "): input " +
                     autograd::shape_str(src.shape()) + " must be [T, N, " +
                     std::to_string(options_.d_model()) + "] ([N, T, " +
                     std::to_string(options_.d_model()) + "] with batch_first) or [T, " +
                     std::to_string(options_.d_model()) + "]");
  }
  Tensor x = src;
  if (options_.norm_first()) {
    x = autograd::add(x, self_attention_block((*norm1_)(x), masks));
    return autograd::add(x, feed_forward_block((*norm2_)(x)));
  }
  x = (*norm1_)(autograd::add(x, self_attention_block(x, masks)));
  return (*norm2_)(autograd::add(x, feed_forward_block(x)));
}

template <class T>
auto BasicTransformerEncoderLayer<T>::forward(const Tensor& src, const Tensor& src_mask,
                                              const Tensor& src_key_padding_mask) -> Tensor {
  EncoderMasks<T> masks;
  masks.src_mask = src_mask;
  masks.src_key_padding_mask = src_key_padding_mask;
  return forward(src, masks);
}

template <class T>
auto BasicTransformerEncoderLayer<T>::forward(const Tensor& src) -> Tensor {
  return forward(src, EncoderMasks<T>{});
}

template <class T>
std::string BasicTransformerEncoderLayer<T>::extra_repr() const {
  std::ostringstream os;
  const auto& o = options_;
  os << "d_model=" << o.d_model() << ", nhead=" << o.nhead()
     << ", dim_feedforward=" << o.dim_feedforward() << ", dropout=" << o.dropout()
     << ", activation=" << (o.activation() == TransformerActivation::gelu ? "gelu" : "relu")
     << ", batch_first=" << (o.batch_first() ? "true" : "false")
     << ", norm_first=" << (o.norm_first() ? "true" : "false");
  return os.str();
}

template <class T>
BasicTransformerEncoder<T>::BasicTransformerEncoder(const TransformerEncoderOptions& options,
                                                    autograd::Generator& gen)
    : options_(options) {
  if (options_.num_layers() == 0) throw ValueError("TransformerEncoder: num_layers is 0");
  auto list = this->register_module("layers", std::make_shared<BasicModuleList<T>>());
  for (std::size_t i = 0; i < options_.num_layers(); ++i) {
    layers_.push_back(
        list->push_back(std::make_shared<BasicTransformerEncoderLayer<T>>(options_.layer(), gen)));
  }
  if (options_.norm()) {
    norm_ = this->register_module(
        "norm",
        std::make_shared<BasicLayerNorm<T>>(
            LayerNormOptions({options_.layer().d_model()}).eps(options_.layer().layer_norm_eps())));
  }
}

template <class T>
auto BasicTransformerEncoder<T>::forward(const Tensor& src, const EncoderMasks<T>& masks)
    -> Tensor {
  Tensor x = src;
  for (const auto& layer : layers_) x = layer->forward(x, masks);
  return norm_ ? (*norm_)(x) : x;
}

template <class T>
auto BasicTransformerEncoder<T>::forward(const Tensor& src, const Tensor& src_mask,
                                         const Tensor& src_key_padding_mask) -> Tensor {
  EncoderMasks<T> masks;
  masks.src_mask = src_mask;
  masks.src_key_padding_mask = src_key_padding_mask;
  return forward(src, masks);
}

template <class T>
auto BasicTransformerEncoder<T>::forward(const Tensor& src) -> Tensor {
  return forward(src, EncoderMasks<T>{});
}

template <class T>
BasicTransformerEncoderLayer<T>& BasicTransformerEncoder<T>::layer(std::size_t i) {
  if (i >= layers_.size()) {
    throw IndexError("TransformerEncoder: layer " + std::to_string(i) + " of " +
                     std::to_string(layers_.size()));
  }
  return *layers_[i];
}

template <class T>
std::string BasicTransformerEncoder<T>::extra_repr() const {
  return "num_layers=" + std::to_string(options_.num_layers()) +
         ", norm=" + (options_.norm() ? "true" : "false");
}

template class BasicTransformerEncoderLayer<float>;
template class BasicTransformerEncoderLayer<double>;
template class BasicTransformerEncoder<float>;
template class BasicTransformerEncoder<double>;

}  // namespace axon::nn
