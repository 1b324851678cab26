// SPDX-License-Identifier: MIT
#include "train/fit.hpp"

#include <cstring>
#include <iostream>
#include <numeric>

#include "autograd/error.hpp"
#include "nn/losses.hpp"
#include "train/metrics.hpp"
#include "train/progress.hpp"

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

}  // namespace

History fit(nn::Module& model, optim::Optimizer& optimizer, const LossFunction& loss,
            datasets::DataLoader& train, const FitOptions& options,
            datasets::DataLoader* validation) {
  if (options.epochs_ == 0) throw ValueError("fit: epochs must be at least 1");
  if (!loss) throw ValueError("fit: no loss function");
  std::ostream& out = options.out_ ? *options.out_ : std::cout;
  const bool interactive = options.out_ == nullptr && stdout_is_terminal();
  History history;
  TrainContext ctx{model, optimizer, history, options.epochs_};
  ShardedStep sharded(options.shard_size_, options.seed_);
  auto metrics = make_metrics(options.metrics_, train.dataset().num_classes());
  const std::size_t total = samples_per_epoch(train);

  for (auto& cb : options.callbacks_) cb->on_train_begin(ctx);
  for (std::size_t epoch = 1; epoch <= options.epochs_; ++epoch) {
    for (auto& cb : options.callbacks_) cb->on_epoch_begin(epoch, ctx);
    model.train();
    for (auto& m : metrics) m->reset();
    ProgressBar bar(out, interactive, epoch, options.epochs_, total);
    double loss_sum = 0;
    std::size_t seen = 0, batch_index = 0;
    for (datasets::Batch& batch : train.epoch(epoch - 1)) {
      optimizer.zero_grad();
      double batch_loss = 0;
      if (options.parallel_) {
        StepResult r = sharded.run(model, loss, batch);
        batch_loss = r.loss;
        for (std::size_t s = 0; s < r.outputs.size(); ++s) {
          update_metrics(metrics, r.outputs[s], r.shards[s]);
        }
      } else {
        Tensor output = model.forward(batch.inputs);
        Tensor l = loss(output, batch);
        batch_loss = l.item();
        l.backward();
        update_metrics(metrics, output, batch);
      }
      optimizer.step();
      loss_sum += batch_loss * static_cast<double>(batch.size());
      seen += batch.size();
      if (options.verbose_ > 0 && interactive) {
        Values running{{"loss", loss_sum / static_cast<double>(seen)}};
        for (auto& m : metrics) running.emplace_back(m->name(), m->value());
        bar.update(seen, running);
      }
      for (auto& cb : options.callbacks_) cb->on_batch_end(batch_index, batch_loss, ctx);
      ++batch_index;
    }
    if (seen == 0) throw ValueError("fit: the training loader produced no batch");

    Values train_values{{"loss", loss_sum / static_cast<double>(seen)}};
    for (auto& m : metrics) train_values.emplace_back(m->name(), m->value());
    Values val_values;
    if (validation) {
      const EpochLogs v = evaluate(model, loss, *validation, options.metrics_, "val_");
      val_values.emplace_back("val_loss", v.at("val_loss"));
      for (auto& m : metrics) val_values.emplace_back("val_" + m->name(), v.at("val_" + m->name()));
    }
    EpochLogs logs;
    for (const auto& [name, value] : train_values) history.append(name, value), logs[name] = value;
    for (const auto& [name, value] : val_values) history.append(name, value), logs[name] = value;
    if (options.verbose_ > 0) bar.finish(train_values, val_values);
    for (auto& cb : options.callbacks_) cb->on_epoch_end(epoch, logs, ctx);
    if (ctx.stop_training) break;
  }
  for (auto& cb : options.callbacks_) cb->on_train_end(ctx);
  return history;
}

History fit(nn::Module& model, optim::Optimizer& optimizer, const LossFunction& loss,
            const datasets::Dataset& data, const FitOptions& options) {
  const double split = options.validation_split_;
  if (!(split >= 0.0 && split < 1.0)) {
    throw ValueError("fit: validation_split must be in [0, 1), got " + std::to_string(split));
  }
  const std::size_t n = data.size();
  const auto n_val = static_cast<std::size_t>(static_cast<double>(n) * split);
  std::vector<std::size_t> train_idx(n - n_val), val_idx(n_val);
  std::iota(train_idx.begin(), train_idx.end(), std::size_t{0});
  std::iota(val_idx.begin(), val_idx.end(), n - n_val);
  auto make_loader = [&](const std::vector<std::size_t>& idx, bool shuffle) {
    datasets::DataLoader loader(data.subset(idx), datasets::DataLoaderOptions(options.batch_size_)
                                                      .shuffle(shuffle)
                                                      .seed(options.seed_));
    for (const auto& t : options.transforms_) loader.transform(t);
    return loader;
  };
  datasets::DataLoader train = make_loader(train_idx, options.shuffle_);
  if (n_val == 0) return fit(model, optimizer, loss, train, options, nullptr);
  datasets::DataLoader val = make_loader(val_idx, false);
  return fit(model, optimizer, loss, train, options, &val);
}

EpochLogs evaluate(nn::Module& model, const LossFunction& loss, datasets::DataLoader& data,
                   const std::vector<std::string>& metric_names, const std::string& prefix) {
  ModeGuard mode(model);
  model.eval();
  autograd::NoGradGuard no_grad;
  auto metrics = make_metrics(metric_names, data.dataset().num_classes());
  double loss_sum = 0;
  std::size_t seen = 0;
  for (datasets::Batch& batch : data.epoch(0)) {
    Tensor output = model.forward(batch.inputs);
    if (loss) loss_sum += static_cast<double>(loss(output, batch).item()) * batch.size();
    seen += batch.size();
    update_metrics(metrics, output, batch);
  }
  EpochLogs logs;
  if (loss) logs[prefix + "loss"] = seen ? loss_sum / static_cast<double>(seen) : 0.0;
  for (auto& m : metrics) logs[prefix + m->name()] = m->value();
  return logs;
}

Tensor predict(nn::Module& model, datasets::DataLoader& data) {
  ModeGuard mode(model);
  model.eval();
  autograd::NoGradGuard no_grad;
  std::vector<Tensor> outputs;
  std::size_t rows = 0;
  for (datasets::Batch& batch : data.epoch(0)) {
    outputs.push_back(model.forward(batch.inputs));
    rows += outputs.back().shape()[0];
  }
  if (outputs.empty()) throw ValueError("predict: the loader produced no batch");
  autograd::Shape shape = outputs[0].shape();
  shape[0] = rows;
  xt::xarray<float> all = xt::xarray<float>::from_shape(shape);
  float* dst = all.data();
  for (const auto& o : outputs) {
    std::memcpy(dst, o.data_ptr(), sizeof(float) * o.numel());
    dst += o.numel();
  }
  return Tensor(std::move(all));
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
