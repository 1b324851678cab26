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
  nn::Module& model;            ///< the model being trained
  optim::Optimizer& optimizer;  ///< its optimizer (e.g. to read or change learning rates)
  History& history;             ///< the per-epoch logs so far
  std::size_t epochs;           ///< planned number of epochs
  bool stop_training = false;   ///< set by a callback to end fit() after this epoch
};

/// Base of fit()'s callbacks: override the hooks you need; each does nothing by default. Hooks run
/// in the order the callbacks were given.
class Callback {
 public:
  /// Destroys the callback.
  virtual ~Callback() = default;
  /// Before the first epoch.
  virtual void on_train_begin(TrainContext&) {}
  /// `epoch` counts from 1.
  virtual void on_epoch_begin(std::size_t /*epoch*/, TrainContext&) {}
  /// After each training batch, with its index in the epoch (from 0) and its loss.
  virtual void on_batch_end(std::size_t /*batch*/, double /*loss*/, TrainContext&) {}
  /// After each epoch (from 1) with its logs ("val_" values too when there is validation data).
  virtual void on_epoch_end(std::size_t /*epoch*/, const EpochLogs&, TrainContext&) {}
  /// After the last epoch, or after a callback stopped training.
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
  /// Watches `monitor` ("val_loss", "val_acc", ...) with `mode` "auto", "min" or "max"; ValueError
  /// for another mode.
  explicit EarlyStopping(std::string monitor = "val_loss", std::size_t patience = 3,
                         double min_delta = 0.0, std::string mode = "auto",
                         bool restore_best_weights = false);
  /// Resets the wait count and the best value.
  void on_train_begin(TrainContext&) override;
  /// Compares logs[monitor] with the best so far; sets ctx.stop_training after `patience` epochs
  /// without improvement. ValueError when the logs lack `monitor`.
  void on_epoch_end(std::size_t epoch, const EpochLogs& logs, TrainContext& ctx) override;
  /// Restores the best epoch's weights when restore_best_weights is set.
  void on_train_end(TrainContext& ctx) override;
  /// The epoch (from 1) training stopped at, 0 if it ran to the end.
  std::size_t stopped_epoch() const { return stopped_epoch_; }
  /// The best monitored value seen.
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
  /// Starts counting epochs from 0.
  void on_train_begin(TrainContext&) override { epoch_ = 0; }
  /// Remembers the epoch, for the error message.
  void on_epoch_begin(std::size_t epoch, TrainContext&) override { epoch_ = epoch; }
  /// NumericalError naming the epoch and batch when `loss` is NaN or infinite.
  void on_batch_end(std::size_t batch, double loss, TrainContext& ctx) override;

 private:
  std::size_t epoch_ = 0;
};

/// Steps a learning-rate scheduler at the end of every epoch.
class LRSchedulerCallback : public Callback {
 public:
  /// Steps `scheduler`, which must outlive training.
  explicit LRSchedulerCallback(optim::LRScheduler& scheduler) : scheduler_(scheduler) {}
  /// Calls scheduler.step().
  void on_epoch_end(std::size_t, const EpochLogs&, TrainContext&) override { scheduler_.step(); }

 private:
  optim::LRScheduler& scheduler_;
};

/// Steps ReduceLROnPlateau with the monitored value at the end of every epoch.
class ReduceLROnPlateauCallback : public Callback {
 public:
  /// Steps `scheduler` (which must outlive training) with logs[monitor].
  ReduceLROnPlateauCallback(optim::ReduceLROnPlateau& scheduler, std::string monitor = "val_loss")
      : scheduler_(scheduler), monitor_(std::move(monitor)) {}
  /// Calls scheduler.step(logs[monitor]); ValueError when the logs lack `monitor`.
  void on_epoch_end(std::size_t epoch, const EpochLogs& logs, TrainContext& ctx) override;

 private:
  optim::ReduceLROnPlateau& scheduler_;
  std::string monitor_;
};

/// Calls `save(epoch, ctx)` every `every_epochs` epochs and after the last one: the hook where a
/// checkpoint is written.
class CheckpointCallback : public Callback {
 public:
  /// save(epoch, ctx): writes the checkpoint of epoch `epoch` (from 1).
  using SaveFunction = std::function<void(std::size_t epoch, TrainContext&)>;
  /// Saves every `every_epochs` epochs; ValueError when it is 0 or `save` is empty.
  CheckpointCallback(std::size_t every_epochs, SaveFunction save);
  /// Calls save(epoch, ctx) when `epoch` is a multiple of every_epochs, the last one, or the
  /// one training stops at.
  void on_epoch_end(std::size_t epoch, const EpochLogs& logs, TrainContext& ctx) override;

 private:
  std::size_t every_;
  SaveFunction save_;
};

/// Calls a function at the end of each epoch (quick custom hooks without a class).
class LambdaCallback : public Callback {
 public:
  /// fn(epoch, logs, ctx), called after each epoch.
  using EpochFunction = std::function<void(std::size_t, const EpochLogs&, TrainContext&)>;
  /// Calls `on_epoch_end` after each epoch.
  explicit LambdaCallback(EpochFunction on_epoch_end) : fn_(std::move(on_epoch_end)) {}
  /// Calls the function.
  void on_epoch_end(std::size_t epoch, const EpochLogs& logs, TrainContext& ctx) override {
    fn_(epoch, logs, ctx);
  }

 private:
  EpochFunction fn_;
};

}  // namespace axon::train
