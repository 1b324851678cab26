// SPDX-License-Identifier: MIT
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>

#include "axon/autograd/random.hpp"
#include "axon/io/file_access.hpp"
#include "axon/io/safetensors.hpp"
#include "axon/nn/module.hpp"
#include "axon/optim/optimizer.hpp"

/// Training checkpoints: everything needed to resume training so that the result is bitwise
/// identical to an uninterrupted run. One safetensors file (docs/CHECKPOINTS.md) holds
///   - tensors "model.<name>" (the state dict) and "optimizer.<key>" (moments, ...);
///   - metadata "axon.checkpoint" = "training", "epoch", "step", "shard_steps",
///     "optimizer" (its name), "optimizer.<key>" (step counts, learning rates),
///     "generator.<name>" (four words of a Generator state), "scheduler.<name>.<key>" and
///     "extra.<key>" (free-form strings).
/// Numbers are stored as decimal text that round-trips exactly.
namespace axon::io {

/// What a training checkpoint holds besides the model and the optimizer.
struct TrainingState {
  std::uint64_t epoch = 0;        ///< epochs completed
  std::uint64_t step = 0;         ///< optimizer steps taken
  std::uint64_t shard_steps = 0;  ///< train::ShardedStep::steps()
  /// Named random streams (e.g. the Dropout layers' own generators).
  std::map<std::string, autograd::Generator::State> generators;
  /// Scheduler states (LRScheduler::state_dict()) by name; names contain no '.'.
  std::map<std::string, std::map<std::string, double>> schedulers;
  /// Anything else, as strings.
  Metadata extra;
};

/// Writes a training checkpoint atomically. ValueError for a scheduler name containing '.' or
/// that is empty; IOError when the file cannot be written.
template <class T>
void save_training_checkpoint(const std::string& path, const nn::BasicModule<T>& model,
                              const optim::BasicOptimizer<T>& optimizer,
                              const TrainingState& state);

/// Restores the model and the optimizer from a training checkpoint and returns the rest (the
/// caller restores its schedulers and generators from it). The model must match exactly
/// (strict). Everything in the file is checked before the model or the optimizer changes:
/// IOError for a malformed file or one that is not a training checkpoint, ShapeError/ValueError
/// when the model or the optimizer does not match; `check`, when given, sees the rest of the
/// state before anything changes and may throw to refuse it. Memory: the file's size plus a copy
/// of the optimizer state (the optimizer's load_state_dict takes arrays).
template <class T>
TrainingState load_training_checkpoint(const std::string& path, nn::BasicModule<T>& model,
                                       optim::BasicOptimizer<T>& optimizer,
                                       const std::function<void(const TrainingState&)>& check = {});

/// Checks a resumed checkpoint's epoch against a run of `epochs` epochs: ValueError naming the
/// file and the field when the checkpoint's epoch is past them (a run that would train nothing,
/// or an epoch of 2^64 - 1 whose successor wraps to 0).
void check_resume_epoch(const TrainingState& state, std::uint64_t epochs, const std::string& path);

/// The shortest decimal text that reads back as exactly `value` ("nan", "inf" included).
std::string format_double(double value);
/// Parses format_double's text; IOError naming `what` when it is not a number.
double parse_double(const std::string& text, const std::string& what);
/// Parses a decimal unsigned 64-bit integer; IOError naming `what` when it is not one.
std::uint64_t parse_u64(const std::string& text, const std::string& what);

}  // namespace axon::io
