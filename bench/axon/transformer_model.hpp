// SPDX-License-Identifier: MIT
#pragma once

// The axon model of the `transformer` workload (bench/transformer.hpp), in a header of its own
// so tests/nn/test_transformer_threads.cpp trains the same model.
#include <memory>

#include "axon/autograd/ops/reductions.hpp"
#include "axon/nn/embedding.hpp"
#include "axon/nn/linear.hpp"
#include "axon/nn/module.hpp"
#include "axon/nn/positional.hpp"
#include "axon/nn/transformer.hpp"

#include "../transformer.hpp"

namespace bench::axon_side {

namespace nn = axon::nn;
namespace autograd = axon::autograd;
namespace tf = bench::transformer;

/// Tokens [B, T] -> Embedding + sinusoidal positions -> encoder [B, T, E] -> mean over T ->
/// Linear: logits [B, classes].
class TokenClassifier : public nn::Module {
 public:
  explicit TokenClassifier(autograd::Generator& gen)
      : embed_(register_module("embed", std::make_shared<nn::Embedding>(
                                            nn::EmbeddingOptions(tf::kVocab, tf::kModel), gen))),
        pos_(register_module(
            "pos", std::make_shared<nn::SinusoidalPositionalEncoding>(
                       nn::PositionalEncodingOptions(tf::kModel, tf::kSeq).batch_first(true)))),
        encoder_(register_module("encoder",
                                 std::make_shared<nn::TransformerEncoder>(
                                     nn::TransformerEncoderOptions(
                                         nn::TransformerEncoderLayerOptions(tf::kModel, tf::kHeads)
                                             .dim_feedforward(tf::kFeedForward)
                                             .dropout(0.0)
                                             .batch_first(true),
                                         tf::kLayers),
                                     gen))),
        fc_(register_module(
            "fc", std::make_shared<nn::Linear>(nn::LinearOptions(tf::kModel, tf::kClasses), gen))) {
  }

  autograd::Tensor forward(const autograd::Tensor& tokens) override {
    const autograd::Tensor h = encoder_->forward(pos_->forward(embed_->forward(tokens)));
    return fc_->forward(autograd::mean(h, {1}));
  }

 private:
  std::shared_ptr<nn::Embedding> embed_;
  std::shared_ptr<nn::SinusoidalPositionalEncoding> pos_;
  std::shared_ptr<nn::TransformerEncoder> encoder_;
  std::shared_ptr<nn::Linear> fc_;
};

}  // namespace bench::axon_side
