// SPDX-License-Identifier: MIT
#pragma once

#include <cstddef>
#include <functional>
#include <limits>
#include <map>
#include <string>

#include "axon/nn/module.hpp"
#include "axon/optim/lr_scheduler.hpp"
#include "axon/optim/optimizer.hpp"
#include "axon/optim/reduce_lr_on_plateau.hpp"
#include "axon/train/history.hpp"

/// Callbacks hook into fit(): early stopping, learning-rate scheduling, checkpoints, or anything
/// a user writes by deriving from Callback.
namespace axon::train {

/// The values of one epoch: "loss", metrics, and "val_loss", "val_<metric>" with validation data.
using EpochLogs = std::map<std::string, double>;

/// What a callback can see and change during fit().
struct TrainContext {
  nn::Module& model;
  optim::Optimizer& optimizer;
  History& history;
  std::size_t epochs;          ///< planned number of epochs
  bool stop_training = false;  ///< set by a callback to end fit() after this epoch
};

class Callback {
 public:
  virtual ~Callback() = default;
  virtual void on_train_begin(TrainContext&) {}
  /// `epoch` counts from 1.
  virtual void on_epoch_begin(std::size_t /*epoch*/, TrainContext&) {}
  virtual void on_batch_end(std::size_t /*batch*/, double /*loss*/, TrainContext&) {}
  virtual void on_epoch_end(std::size_t /*epoch*/, const EpochLogs&, TrainContext&) {}
  virtual void on_train_end(TrainContext&) {}
};

/// Stops training when `monitor` has not improved by more than `min_delta` for `patience`
/// epochs. Mode "min" (losses, errors) or "max" (accuracies); "auto" picks "max" for names
/// containing "acc", "f1", "precision", "recall" or "r2". With `restore_best_weights`, the best
/// epoch's weights are put back when training ends, whether it stopped early or ran all its
/// epochs (Keras restores them only when it stops early; a run that ends on a worse epoch would
/// then keep the worse weights).
class EarlyStopping : public Callback {
 public:
  explicit EarlyStopping(std::string monitor = "val_loss", std::size_t patience = 3,
                         double min_delta = 0.0, std::string mode = "auto",
                         bool restore_best_weights = false);
  void on_train_begin(TrainContext&) override;
  void on_epoch_end(std::size_t epoch, const EpochLogs& logs, TrainContext& ctx) override;
  void on_train_end(TrainContext& ctx) override;
  /// The epoch (from 1) training stopped at, 0 if it ran to the end.
  std::size_t stopped_epoch() const { return stopped_epoch_; }
  double best() const { return best_; }

 private:
  std::string monitor_;
  std::size_t patience_;
  double min_delta_;
  bool maximize_;
  bool restore_;
  double best_ = 0;
  std::size_t wait_ = 0, stopped_epoch_ = 0;
  nn::StateDict<float> best_weights_;
};

/// Stops training with a NumericalError naming the epoch and the step when a batch's loss is NaN
/// or infinite (Keras' TerminateOnNaN, which stops quietly; here the error says where). fit()
/// installs one ahead of the user's callbacks unless `FitOptions().terminate_on_nan(false)`.
/// Only the loss is checked: a model whose loss is finite but whose outputs hold NaN scores
/// scores no accuracy for them (train/metrics.hpp).
class TerminateOnNaN : public Callback {
 public:
  void on_train_begin(TrainContext&) override { epoch_ = 0; }
  void on_epoch_begin(std::size_t epoch, TrainContext&) override { epoch_ = epoch; }
  void on_batch_end(std::size_t batch, double loss, TrainContext& ctx) override;

 private:
  std::size_t epoch_ = 0;
};

/// Steps a learning-rate scheduler at the end of every epoch.
class LRSchedulerCallback : public Callback {
 public:
  explicit LRSchedulerCallback(optim::LRScheduler& scheduler) : scheduler_(scheduler) {}
  void on_epoch_end(std::size_t, const EpochLogs&, TrainContext&) override { scheduler_.step(); }

 private:
  optim::LRScheduler& scheduler_;
};

/// Steps ReduceLROnPlateau with the monitored value at the end of every epoch.
class ReduceLROnPlateauCallback : public Callback {
 public:
  ReduceLROnPlateauCallback(optim::ReduceLROnPlateau& scheduler, std::string monitor = "val_loss")
      : scheduler_(scheduler), monitor_(std::move(monitor)) {}
  void on_epoch_end(std::size_t epoch, const EpochLogs& logs, TrainContext& ctx) override;

 private:
  optim::ReduceLROnPlateau& scheduler_;
  std::string monitor_;
};

/// Calls `save(epoch, ctx)` every `every_epochs` epochs and after the last one: the hook where a
/// checkpoint is written.
class CheckpointCallback : public Callback {
 public:
  using SaveFunction = std::function<void(std::size_t epoch, TrainContext&)>;
  CheckpointCallback(std::size_t every_epochs, SaveFunction save);
  void on_epoch_end(std::size_t epoch, const EpochLogs& logs, TrainContext& ctx) override;

 private:
  std::size_t every_;
  SaveFunction save_;
};

/// Calls a function at the end of each epoch (quick custom hooks without a class).
class LambdaCallback : public Callback {
 public:
  using EpochFunction = std::function<void(std::size_t, const EpochLogs&, TrainContext&)>;
  explicit LambdaCallback(EpochFunction on_epoch_end) : fn_(std::move(on_epoch_end)) {}
  void on_epoch_end(std::size_t epoch, const EpochLogs& logs, TrainContext& ctx) override {
    fn_(epoch, logs, ctx);
  }

 private:
  EpochFunction fn_;
};

}  // namespace axon::train
