// SPDX-License-Identifier: MIT
#include "axon/train/callbacks.hpp"

#include <cmath>

#include "axon/autograd/error.hpp"

namespace axon::train {

namespace {

bool higher_is_better(const std::string& name) {
  for (const char* key : {"acc", "f1", "precision", "recall", "r2"}) {
    if (name.find(key) != std::string::npos) return true;
  }
  return false;
}

double monitored(const EpochLogs& logs, const std::string& monitor, const char* who) {
  auto it = logs.find(monitor);
  if (it == logs.end()) {
    std::string known;
    for (const auto& [k, v] : logs) known += (known.empty() ? "" : ", ") + k;
    throw ValueError(std::string(who) + ": monitored value '" + monitor +
                     "' is not among this epoch's logs (" + known + ")");
  }
  return it->second;
}

}  // namespace

EarlyStopping::EarlyStopping(std::string monitor, std::size_t patience, double min_delta,
                             std::string mode, bool restore_best_weights)
    : monitor_(std::move(monitor)),
      patience_(patience),
      min_delta_(std::abs(min_delta)),
      restore_(restore_best_weights) {
  if (mode == "auto") {
    maximize_ = higher_is_better(monitor_);
  } else if (mode == "min" || mode == "max") {
    maximize_ = mode == "max";
  } else {
    throw ValueError("EarlyStopping: mode must be auto, min or max, got '" + mode + "'");
  }
}

void EarlyStopping::on_train_begin(TrainContext&) {
  best_ = maximize_ ? -INFINITY : INFINITY;
  wait_ = 0;
  stopped_epoch_ = 0;
  best_weights_.clear();
}

void EarlyStopping::on_epoch_end(std::size_t epoch, const EpochLogs& logs, TrainContext& ctx) {
  const double v = monitored(logs, monitor_, "EarlyStopping");
  const bool improved = maximize_ ? v > best_ + min_delta_ : v < best_ - min_delta_;
  if (improved) {
    best_ = v;
    wait_ = 0;
    if (restore_) {
      best_weights_.clear();
      for (const auto& [name, t] : ctx.model.state_dict())
        best_weights_.emplace_back(name, t.detach());
    }
    return;
  }
  if (++wait_ >= patience_) {
    stopped_epoch_ = epoch;
    ctx.stop_training = true;
  }
}

void EarlyStopping::on_train_end(TrainContext& ctx) {
  if (restore_ && !best_weights_.empty()) ctx.model.load_state_dict(best_weights_);
}

void TerminateOnNaN::on_batch_end(std::size_t batch, double loss, TrainContext& ctx) {
  if (std::isfinite(loss)) return;
  // `batch` counts from 0; the message counts epochs and steps from 1, as the progress output.
  throw NumericalError("fit: the loss is " + std::string(std::isnan(loss) ? "nan" : "infinite") +
                       " at epoch " + std::to_string(epoch_) + " of " + std::to_string(ctx.epochs) +
                       ", step " + std::to_string(batch + 1) +
                       " of the epoch; training stopped (FitOptions().terminate_on_nan(false) "
                       "trains on)");
}

void ReduceLROnPlateauCallback::on_epoch_end(std::size_t, const EpochLogs& logs, TrainContext&) {
  scheduler_.step(monitored(logs, monitor_, "ReduceLROnPlateauCallback"));
}

CheckpointCallback::CheckpointCallback(std::size_t every_epochs, SaveFunction save)
    : every_(every_epochs), save_(std::move(save)) {
  if (every_ == 0) throw ValueError("CheckpointCallback: every_epochs must be at least 1");
  if (!save_) throw ValueError("CheckpointCallback: no save function");
}

void CheckpointCallback::on_epoch_end(std::size_t epoch, const EpochLogs&, TrainContext& ctx) {
  if (epoch % every_ == 0 || epoch == ctx.epochs || ctx.stop_training) save_(epoch, ctx);
}

}  // namespace axon::train
