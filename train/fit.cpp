// SPDX-License-Identifier: MIT
#include "axon/train/fit.hpp"

#include <algorithm>
#include <cstring>
#include <iostream>
#include <numeric>

#include "axon/autograd/error.hpp"
#include "axon/autograd/shape.hpp"
#include "axon/nn/losses.hpp"
#include "axon/train/fit_checkpoint.hpp"
#include "axon/train/message.hpp"
#include "axon/train/metrics.hpp"
#include "axon/train/progress.hpp"
#include "axon/train/rank_step.hpp"

namespace axon::train {

namespace {

/// The streaming metrics named in `names`, for a data set with `classes` classes.
std::vector<std::unique_ptr<Metric>> make_metrics(const std::vector<std::string>& names,
                                                  std::size_t classes) {
  std::vector<std::unique_ptr<Metric>> out;
  for (const auto& n : names) out.push_back(make_metric(n, classes));
  return out;
}

void update_metrics(std::vector<std::unique_ptr<Metric>>& metrics, const Tensor& output,
                    const datasets::Batch& batch) {
  if (metrics.empty()) return;
  const BatchResult r{output, batch.labels.empty() ? nullptr : &batch.labels,
                      batch.targets.defined() ? &batch.targets : nullptr};
  for (auto& m : metrics) m->update(r);
}

std::size_t samples_per_epoch(const datasets::DataLoader& loader) {
  const std::size_t n = loader.dataset().size();
  if (!loader.options().drop_last()) return n;
  return loader.num_batches() * loader.options().batch_size();
}

/// Restores a module's train/eval mode when it goes out of scope.
class ModeGuard {
 public:
  explicit ModeGuard(nn::Module& m) : module_(m), training_(m.is_training()) {}
  ~ModeGuard() { module_.train(training_); }
  ModeGuard(const ModeGuard&) = delete;
  ModeGuard& operator=(const ModeGuard&) = delete;

 private:
  nn::Module& module_;
  bool training_;
};

/// Refuses what fit cannot use: no epochs, no loss, a validation loader with no batch.
void check_fit_arguments(const FitOptions& options, const LossFunction& loss,
                         const datasets::DataLoader* validation) {
  if (options.epochs_ == 0) throw ValueError("fit: epochs must be at least 1");
  if (!loss) throw ValueError("fit: no loss function");
  if (validation && validation->num_batches() == 0) {
    throw ValueError("fit: the validation loader produces no batch (" +
                     std::to_string(validation->dataset().size()) + " samples, batch size " +
                     std::to_string(validation->options().batch_size()) + ")");
  }
}

/// Names the Dataset overload's options that `options` sets ("" when none).
std::string dataset_only_options(const FitOptions& options) {
  std::string names;
  auto add = [&names](bool set, const char* name) {
    if (set) names += (names.empty() ? "" : ", ") + std::string(name);
  };
  add(options.batch_size_.has_value(), "batch_size");
  add(options.shuffle_.has_value(), "shuffle");
  add(options.validation_split_.has_value(), "validation_split");
  add(!options.transforms_.empty(), "transform");
  return names;
}

/// What one epoch of training needs.
struct EpochRun {
  nn::Module& model;
  optim::Optimizer& optimizer;
  const LossFunction& loss;
  const FitOptions& options;
  ShardedStep& sharded;
  std::vector<std::unique_ptr<Metric>>& metrics;
  TrainContext& ctx;
};

/// One optimizer step on `batch`: batch-parallel (ShardedStep::train_step: forward, backward and
/// the update fused into the reduction) or, with parallel(false), on one tape. Feeds the metrics;
/// returns the batch's mean loss.
double train_batch(EpochRun& run, const datasets::Batch& batch) {
  if (run.options.parallel_) {
    const StepResult r = run.sharded.train_step(run.model, run.loss, batch, run.optimizer);
    for (std::size_t s = 0; s < r.outputs.size(); ++s) {
      update_metrics(run.metrics, r.outputs[s], r.shards[s]);
    }
    return r.loss;
  }
  const ForwardResult r = forward_with_loss(run.model, run.loss, batch, "fit");
  r.loss.backward();
  update_metrics(run.metrics, r.output(), batch);
  run.optimizer.step();
  return r.loss.item();
}

/// One pass over `train` in training mode, with the progress bar: the epoch's mean loss and
/// metrics.
Values train_epoch(EpochRun& run, datasets::DataLoader& train, std::size_t epoch,
                   FitProgress& progress, ProgressBar& bar, bool interactive) {
  run.model.train();
  for (auto& m : run.metrics) m->reset();
  double loss_sum = 0;
  std::size_t seen = 0, batch_index = 0;
  for (datasets::Batch& batch : train.epoch(epoch - 1)) {
    run.optimizer.zero_grad();
    const double batch_loss = train_batch(run, batch);
    ++progress.global_step;
    // Distributed, the batch is this rank's rows; the loss and the count are the whole batch's.
    loss_sum += batch_loss * static_cast<double>(batch.whole_size());
    seen += batch.whole_size();
    if (run.options.verbose_ > 0 && interactive) {
      Values running{{"loss", loss_sum / static_cast<double>(seen)}};
      for (auto& m : run.metrics) running.emplace_back(m->name(), m->value());
      bar.update(seen, running);
    }
    for (auto& cb : run.options.callbacks_) cb->on_batch_end(batch_index++, batch_loss, run.ctx);
  }
  if (seen == 0) throw ValueError("fit: the training loader produced no batch");
  Values values{{"loss", loss_sum / static_cast<double>(seen)}};
  for (auto& m : run.metrics) values.emplace_back(m->name(), m->value());
  return values;
}

/// The validation loss and metrics, as "val_loss", "val_<metric>" in the metrics' order.
Values validate(EpochRun& run, datasets::DataLoader& validation) {
  const EpochLogs v =
      evaluate(run.model, run.loss, validation, run.options.metrics_, "val_", run.options.world_);
  Values values{{"val_loss", v.at("val_loss")}};
  for (auto& m : run.metrics) values.emplace_back("val_" + m->name(), v.at("val_" + m->name()));
  return values;
}

}  // namespace

FitOptions& FitOptions::checkpoint(std::string path, std::size_t every_epochs) {
  if (every_epochs == 0) throw ValueError("FitOptions::checkpoint: every_epochs must be >= 1");
  checkpoint_path_ = std::move(path);
  checkpoint_every_ = every_epochs;
  return *this;
}

FitOptions& FitOptions::scheduler(optim::LRScheduler& s) {
  schedulers_.push_back({[&s](const EpochLogs&) { s.step(); }, [&s] { return s.state_dict(); },
                         [&s](const std::map<std::string, double>& d) { s.load_state_dict(d); }});
  return *this;
}

FitOptions& FitOptions::scheduler(optim::ReduceLROnPlateau& s, std::string monitor) {
  schedulers_.push_back({[&s, monitor](const EpochLogs& logs) {
                           const auto it = logs.find(monitor);
                           if (it == logs.end()) {
                             throw ValueError("fit: ReduceLROnPlateau monitors '" + monitor +
                                              "', which this epoch's logs do not have");
                           }
                           s.step(it->second);
                         },
                         [&s] { return s.state_dict(); },
                         [&s](const std::map<std::string, double>& d) { s.load_state_dict(d); }});
  return *this;
}

namespace {

/// Before distributed training: the same setup on every rank (else ValueError naming the field),
/// and rank 0's parameters everywhere.
void join_ranks(nn::Module& model, const FitOptions& options, const datasets::DataLoader& train) {
  const Communicator& world = *options.world_;
  if (!options.parallel_) {
    throw ValueError("fit: distributed training needs the batch-parallel step (parallel(true))");
  }
  std::vector<SetupField> fields =
      setup_fingerprint(model, options.seed_, options.shard_size_, train.options().batch_size());
  fields.push_back({"training samples", std::to_string(train.dataset().size())});
  fields.push_back({"epochs", std::to_string(options.epochs_)});
  fields.push_back({"resume path", options.resume_path_});
  check_same_setup(world, fields, "fit");
  broadcast_model(model, world);
}

History fit_here(nn::Module& model, optim::Optimizer& optimizer, const LossFunction& loss,
                 datasets::DataLoader& train, const FitOptions& user_options,
                 datasets::DataLoader* validation) {
  // The user's options with a TerminateOnNaN ahead of their callbacks (unless turned off).
  FitOptions options = user_options;
  if (options.terminate_on_nan_) {
    options.callbacks_.insert(options.callbacks_.begin(), std::make_shared<TerminateOnNaN>());
  }
  if (const std::string names = dataset_only_options(options); !names.empty()) {
    throw ValueError("fit: " + names +
                     " set, but they apply to fit(model, optimizer, loss, dataset, options) only; "
                     "with a DataLoader, set them on the loader (DataLoaderOptions) and pass a "
                     "validation loader");
  }
  check_fit_arguments(options, loss, validation);
  const Communicator* world = options.world_;
  const bool lead = !world || world->rank() == 0;  // prints and writes checkpoints
  if (is_distributed(world)) join_ranks(model, options, train);
  if (!lead) options.verbose_ = 0;
  std::ostream& out = options.out_ ? *options.out_ : std::cout;
  const bool interactive = lead && options.out_ == nullptr && stdout_is_terminal();
  ShardedStep sharded(options.shard_size_, options.seed_, world);
  FitCheckpoints checkpoints(model, optimizer, options);
  FitProgress progress = checkpoints.resume(sharded);
  TrainContext ctx{model, optimizer, progress.history, options.epochs_};
  auto metrics = make_metrics(options.metrics_, train.dataset().num_classes());
  EpochRun run{model, optimizer, loss, options, sharded, metrics, ctx};
  // Distributed, each rank loads only the rows it trains; the loader is given back as it came.
  struct RestoreRows {
    datasets::DataLoader& loader;
    datasets::RowSelector before;
    ~RestoreRows() { loader.select_rows(std::move(before)); }
  } restore_rows{train, train.row_selector()};
  if (is_distributed(world)) train.select_rows(rank_rows(options.shard_size_, *world));

  for (auto& cb : options.callbacks_) cb->on_train_begin(ctx);
  for (std::size_t epoch = progress.next_epoch; epoch <= options.epochs_; ++epoch) {
    for (auto& cb : options.callbacks_) cb->on_epoch_begin(epoch, ctx);
    ProgressBar bar(out, interactive, epoch, options.epochs_, samples_per_epoch(train));
    const Values train_values = train_epoch(run, train, epoch, progress, bar, interactive);
    const Values val_values = validation ? validate(run, *validation) : Values{};
    EpochLogs logs;
    for (const Values* values : {&train_values, &val_values}) {
      for (const auto& [name, value] : *values) {
        progress.history.append(name, value);
        logs[name] = value;
      }
    }
    if (options.verbose_ > 0) bar.finish(train_values, val_values);
    for (auto& cb : options.callbacks_) cb->on_epoch_end(epoch, logs, ctx);
    for (const auto& s : options.schedulers_) s.step(logs);
    checkpoints.after_epoch(epoch, epoch == options.epochs_ || ctx.stop_training, progress,
                            sharded);
    if (ctx.stop_training) break;
  }
  for (auto& cb : options.callbacks_) cb->on_train_end(ctx);
  return progress.history;
}

}  // namespace

History fit(nn::Module& model, optim::Optimizer& optimizer, const LossFunction& loss,
            datasets::DataLoader& train, const FitOptions& options,
            datasets::DataLoader* validation) {
  if (!is_distributed(options.world_)) {
    return fit_here(model, optimizer, loss, train, options, validation);
  }
  try {
    return fit_here(model, optimizer, loss, train, options, validation);
  } catch (const std::exception& e) {
    // The other ranks may be waiting in a collective for this one: end them all.
    options.world_->abort(e.what(), 1);
    throw;  // not reached
  }
}

History fit(nn::Module& model, optim::Optimizer& optimizer, const LossFunction& loss,
            const datasets::Dataset& data, const FitOptions& options) {
  const double split = options.validation_split_.value_or(0.0);
  if (!(split >= 0.0 && split < 1.0)) {
    throw ValueError("fit: validation_split must be in [0, 1), got " + std::to_string(split));
  }
  const std::size_t n = data.size();
  const auto n_val = static_cast<std::size_t>(static_cast<double>(n) * split);
  std::vector<std::size_t> train_idx(n - n_val), val_idx(n_val);
  std::iota(train_idx.begin(), train_idx.end(), std::size_t{0});
  std::iota(val_idx.begin(), val_idx.end(), n - n_val);
  auto make_loader = [&](const std::vector<std::size_t>& idx, bool shuffle) {
    datasets::DataLoader loader(data.subset(idx),
                                datasets::DataLoaderOptions(options.batch_size_.value_or(32))
                                    .shuffle(shuffle)
                                    .seed(options.seed_));
    for (const auto& t : options.transforms_) loader.transform(t);
    return loader;
  };
  // The loaders carry the Dataset-only options from here on.
  FitOptions loop_options = options;
  loop_options.batch_size_.reset();
  loop_options.shuffle_.reset();
  loop_options.validation_split_.reset();
  loop_options.transforms_.clear();
  datasets::DataLoader train = make_loader(train_idx, options.shuffle_.value_or(true));
  if (n_val == 0) return fit(model, optimizer, loss, train, loop_options, nullptr);
  datasets::DataLoader val = make_loader(val_idx, false);
  return fit(model, optimizer, loss, train, loop_options, &val);
}

EpochLogs evaluate(nn::Module& model, const LossFunction& loss, datasets::DataLoader& data,
                   const std::vector<std::string>& metric_names, const std::string& prefix,
                   const Communicator* world) {
  ModeGuard mode(model);
  model.eval();
  autograd::NoGradGuard no_grad;
  auto metrics = make_metrics(metric_names, data.dataset().num_classes());
  double loss_sum = 0;
  std::size_t seen = 0;
  if (!is_distributed(world)) {
    for (datasets::Batch& batch : data.epoch(0)) {
      const ForwardResult r = forward_with_loss(model, loss, batch, "evaluate");
      if (loss) loss_sum += static_cast<double>(r.loss.item()) * batch.size();
      seen += batch.size();
      update_metrics(metrics, r.output(), batch);
    }
  } else {
    // Rank r loads and runs batches r, r + size, ... only, and sends their losses, outputs and
    // rows (labels, targets); every rank then adds every batch up in order, as one process would.
    const std::size_t ranks = world->size();
    const std::vector<std::size_t> order = data.order(0);
    const std::size_t batches = data.num_batches();
    std::vector<std::byte> mine;
    MessageWriter w(mine);
    for (std::size_t b = world->rank(); b < batches; b += ranks) {
      const datasets::RowRange span = data.batch_span(order, b);
      const datasets::Batch batch = data.make_batch(order, b, {0, span.end - span.begin});
      const ForwardResult r = forward_with_loss(model, loss, batch, "evaluate");
      w.value(loss ? static_cast<double>(r.loss.item()) : 0.0);
      write_tensor(w, r.output());
      write_batch_rows(w, batch);
    }
    const auto messages = world->allgather(mine);
    std::vector<MessageReader> readers;
    for (std::size_t r = 0; r < ranks; ++r) readers.emplace_back(messages[r], r, "evaluate");
    for (std::size_t b = 0; b < batches; ++b) {
      MessageReader& r = readers[b % ranks];
      const double batch_loss = r.value<double>();
      const Tensor output = read_tensor<float>(r);
      const datasets::Batch rows = read_batch_rows(r);
      if (loss) loss_sum += batch_loss * rows.size();
      seen += rows.size();
      update_metrics(metrics, output, rows);
    }
  }
  // No batch (an empty data set, or drop_last with a batch larger than it): there is no loss to
  // report, and a 0 would pass for a perfect one (Keras also refuses to evaluate no data).
  if (seen == 0) throw ValueError("evaluate: the loader produced no batch");
  EpochLogs logs;
  if (loss) logs[prefix + "loss"] = loss_sum / static_cast<double>(seen);
  for (auto& m : metrics) logs[prefix + m->name()] = m->value();
  return logs;
}

std::vector<Tensor> predict_outputs(nn::Module& model, datasets::DataLoader& data) {
  ModeGuard mode(model);
  model.eval();
  autograd::NoGradGuard no_grad;
  std::vector<std::vector<Tensor>> batches;  // batches[b][k]: output k of batch b
  for (datasets::Batch& batch : data.epoch(0)) {
    batches.push_back(forward_with_loss(model, LossFunction(), batch, "predict").outputs);
    if (batches.back().size() != batches.front().size()) {
      throw ValueError("predict: " + model.name() + " returned " +
                       std::to_string(batches.back().size()) + " outputs for batch " +
                       std::to_string(batches.size() - 1) + " after " +
                       std::to_string(batches.front().size()));
    }
  }
  if (batches.empty()) throw ValueError("predict: the loader produced no batch");
  std::vector<Tensor> stacked;
  for (std::size_t k = 0; k < batches.front().size(); ++k) {
    const autograd::Shape& first = batches.front()[k].shape();
    std::size_t rows = 0;
    for (std::size_t b = 0; b < batches.size(); ++b) {
      const autograd::Shape& shape = batches[b][k].shape();
      if (shape.empty() ||
          !std::equal(shape.begin() + 1, shape.end(), first.begin() + 1, first.end())) {
        throw ShapeError("predict: cannot stack the model's output " + std::to_string(k) +
                         " along axis 0: batch " + std::to_string(b) + " gave " +
                         autograd::shape_str(shape) + " after " + autograd::shape_str(first) +
                         " (expected [rows, ...] with the same trailing shape)");
      }
      rows += shape[0];
    }
    autograd::Shape shape = first;
    shape[0] = rows;
    xt::xarray<float> all = xt::xarray<float>::from_shape(shape);
    float* dst = all.data();
    for (const auto& outputs : batches) {
      std::memcpy(dst, outputs[k].data_ptr(), sizeof(float) * outputs[k].numel());
      dst += outputs[k].numel();
    }
    stacked.emplace_back(std::move(all));
  }
  return stacked;
}

Tensor predict(nn::Module& model, datasets::DataLoader& data) {
  std::vector<Tensor> outputs = predict_outputs(model, data);
  if (outputs.size() != 1) {
    throw ValueError("predict: " + model.name() + " returned " + std::to_string(outputs.size()) +
                     " outputs; predict_outputs() stacks each of them");
  }
  return std::move(outputs[0]);
}

LossFunction cross_entropy_loss(double label_smoothing) {
  return [label_smoothing](const Tensor& output, const datasets::Batch& batch) {
    return nn::cross_entropy(output, batch.labels, nn::Reduction::Mean,
                             static_cast<float>(label_smoothing));
  };
}

LossFunction mse_loss() {
  return [](const Tensor& output, const datasets::Batch& batch) {
    if (!batch.targets.defined()) throw ValueError("mse_loss: the batch has no targets");
    return nn::mse_loss(output, batch.targets);
  };
}

}  // namespace axon::train
