// SPDX-License-Identifier: MIT
#pragma once
/// @file
/// Everything a model script needs, in one include: `#include <axon/axon.hpp>`.
///
/// The engine (tensors, the tape, every op, gradcheck), layers and losses, optimizers and
/// schedulers, data sets and loaders, the training loop with its metrics and callbacks,
/// checkpoints, and hyper-parameter search. A file that needs only a part can include that part
/// alone: every folder's headers stand on their own (`<axon/autograd/autograd.hpp>` for the
/// engine, `<axon/nn/linear.hpp>`, `<axon/optim/optim.hpp>`, `<axon/datasets/datasets.hpp>`,
/// ...). Parts save little compile time, since every one includes the engine's tensor and with
/// it xtensor; a precompiled header of this one saves most (docs/FIRST_PROJECT.md, "Compile time").
#include "axon/autograd/autograd.hpp"
#include "axon/datasets/datasets.hpp"
#include "axon/io/atomic_file.hpp"
#include "axon/io/checkpoint.hpp"
#include "axon/io/file_access.hpp"
#include "axon/io/safetensors.hpp"
#include "axon/io/serialize.hpp"
#include "axon/nn/activation.hpp"
#include "axon/nn/attention.hpp"
#include "axon/nn/batchnorm.hpp"
#include "axon/nn/conv.hpp"
#include "axon/nn/dropout.hpp"
#include "axon/nn/embedding.hpp"
#include "axon/nn/ensemble.hpp"
#include "axon/nn/flatten.hpp"
#include "axon/nn/gradcheck.hpp"
#include "axon/nn/init.hpp"
#include "axon/nn/layernorm.hpp"
#include "axon/nn/linear.hpp"
#include "axon/nn/losses.hpp"
#include "axon/nn/module.hpp"
#include "axon/nn/pooling.hpp"
#include "axon/nn/positional.hpp"
#include "axon/nn/regularization.hpp"
#include "axon/nn/rnn.hpp"
#include "axon/nn/rnn_cell.hpp"
#include "axon/nn/sequential.hpp"
#include "axon/nn/transformer.hpp"
#include "axon/nn/unflatten.hpp"
#include "axon/optim/optim.hpp"
#include "axon/train/callbacks.hpp"
#include "axon/train/fit.hpp"
#include "axon/train/fit_checkpoint.hpp"
#include "axon/train/history.hpp"
#include "axon/train/loss_function.hpp"
#include "axon/train/metrics.hpp"
#include "axon/train/parallel.hpp"
#include "axon/train/progress.hpp"
#include "axon/train/reduction_tree.hpp"
#include "axon/train/shard_scopes.hpp"
#include "axon/tune/cross_validate.hpp"
#include "axon/tune/journal.hpp"
#include "axon/tune/search.hpp"
#include "axon/tune/space.hpp"
#include "axon/tune/strategy.hpp"
#include "axon/tune/trial.hpp"
