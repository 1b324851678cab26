// SPDX-License-Identifier: MIT
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>

#include "axon/nn/module.hpp"
#include "axon/optim/optimizer.hpp"
#include "axon/train/fit.hpp"
#include "axon/train/history.hpp"
#include "axon/train/parallel.hpp"

/// fit()'s training checkpoints (docs/CHECKPOINTS.md): what is saved after an epoch, and how a
/// run resumes from it with the bits of an uninterrupted one.
namespace axon::train {

/// Where a fit() run stands: the first epoch still to train, the optimizer steps taken and the
/// history so far.
struct FitProgress {
  std::size_t next_epoch = 1;     ///< counts from 1
  std::uint64_t global_step = 0;  ///< optimizer steps taken
  History history;                ///< the logs of the epochs done
};

/// Saves and restores everything a fit() run needs to continue exactly: the model, the optimizer
/// state, the schedulers given to FitOptions::scheduler, the ShardedStep's step counter, the
/// modules' own random streams (nn::Module::own_generator, saved as "dropout.<module name>") and
/// the history (as JSON in the checkpoint's extra.history).
class FitCheckpoints {
 public:
  /// Uses options.resume_path_, checkpoint_path_, checkpoint_every_ and schedulers_.
  FitCheckpoints(nn::Module& model, optim::Optimizer& optimizer, const FitOptions& options);

  /// A fresh start when options name no resume path; else restores the model, the optimizer,
  /// the schedulers, the generators and `sharded`'s step counter from the checkpoint and returns
  /// its progress. Everything is checked before anything changes: ValueError when the schedulers
  /// or the modules with generators do not match the saved ones, IOError for a bad file.
  FitProgress resume(ShardedStep& sharded);

  /// Writes a checkpoint after `epoch` when options ask for one (every checkpoint_every_ epochs,
  /// and after the `last` epoch); in distributed training rank 0 only.
  void after_epoch(std::size_t epoch, bool last, const FitProgress& progress,
                   const ShardedStep& sharded);

 private:
  nn::Module& model_;
  optim::Optimizer& optimizer_;
  const FitOptions& options_;
  std::map<std::string, autograd::Generator*> generators_;  // by saved name
};

/// The history as JSON text: {"loss": ["0.69", ...], ...} in first-use order, each value as text
/// that reads back exactly (NaN included).
std::string history_to_json(const History& history);
/// Reads history_to_json's text back; IOError naming `path` when it is not valid.
History history_from_json(const std::string& text, const std::string& path);

}  // namespace axon::train
