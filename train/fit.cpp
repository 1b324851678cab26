// SPDX-License-Identifier: MIT
#include "train/fit.hpp"

#include <algorithm>
#include <cstring>
#include <iostream>
#include <numeric>

#include <nlohmann/json.hpp>

#include "autograd/error.hpp"
#include "autograd/shape.hpp"
#include "io/checkpoint.hpp"
#include "nn/dropout.hpp"
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

/// The Dropout layers of a model that draw from their own generators, by generator name
/// ("dropout.<dotted module name>").
std::map<std::string, nn::Dropout*> dropout_layers(nn::Module& model) {
  std::map<std::string, nn::Dropout*> out;
  for (const auto& [name, module] : model.named_modules()) {
    if (auto* d = dynamic_cast<nn::Dropout*>(module)) out["dropout." + name] = d;
  }
  return out;
}

/// The history as JSON text: {"loss": ["0.69", ...], ...} in first-use order, each value as
/// text that reads back exactly (NaN included).
std::string history_to_json(const History& history) {
  nlohmann::ordered_json j = nlohmann::ordered_json::object();
  for (const auto& name : history.names()) {
    auto& series = j[name] = nlohmann::ordered_json::array();
    for (double v : history[name]) series.push_back(io::format_double(v));
  }
  return j.dump();
}

History history_from_json(const std::string& text, const std::string& path) {
  History history;
  try {
    const auto j = nlohmann::ordered_json::parse(text);
    for (const auto& [name, series] : j.items()) {
      for (const auto& v : series) {
        history.append(name, io::parse_double(v.get<std::string>(), path + ": history"));
      }
    }
  } catch (const nlohmann::json::exception& e) {
    throw IOError(path + ": the saved history is not valid: " + e.what());
  }
  return history;
}

/// Whether two state dicts have the same keys.
bool same_keys(const std::map<std::string, double>& a, const std::map<std::string, double>& b) {
  if (a.size() != b.size()) return false;
  for (auto ia = a.begin(), ib = b.begin(); ia != a.end(); ++ia, ++ib) {
    if (ia->first != ib->first) return false;
  }
  return true;
}

/// Checks that a training checkpoint fits this run's schedulers and Dropout layers (called
/// before the checkpoint changes anything).
void check_resumable(const io::TrainingState& state, const FitOptions& options,
                     const std::map<std::string, nn::Dropout*>& dropouts) {
  const std::string& path = options.resume_path_;
  if (state.schedulers.size() != options.schedulers_.size()) {
    throw ValueError("fit: resume from " + path + ": it holds " +
                     std::to_string(state.schedulers.size()) + " scheduler states but fit has " +
                     std::to_string(options.schedulers_.size()) + " schedulers");
  }
  for (std::size_t i = 0; i < options.schedulers_.size(); ++i) {
    const auto it = state.schedulers.find(std::to_string(i));
    if (it == state.schedulers.end() || !same_keys(it->second, options.schedulers_[i].state())) {
      throw ValueError("fit: resume from " + path + ": scheduler " + std::to_string(i) +
                       " does not match the saved one");
    }
  }
  for (const auto& [name, layer] : dropouts) {
    if (!state.generators.count(name)) {
      throw ValueError("fit: resume from " + path + ": no saved generator for " + name);
    }
  }
  if (state.generators.size() != dropouts.size()) {
    throw ValueError("fit: resume from " + path + ": it holds " +
                     std::to_string(state.generators.size()) + " generators but the model has " +
                     std::to_string(dropouts.size()) + " Dropout layers");
  }
  if (!state.extra.count("history")) {
    throw IOError(path + ": a training checkpoint written by fit holds extra.history");
  }
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

History fit(nn::Module& model, optim::Optimizer& optimizer, const LossFunction& loss,
            datasets::DataLoader& train, const FitOptions& options,
            datasets::DataLoader* validation) {
  if (options.epochs_ == 0) throw ValueError("fit: epochs must be at least 1");
  if (!loss) throw ValueError("fit: no loss function");
  if (validation && validation->num_batches() == 0) {
    throw ValueError("fit: the validation loader produces no batch (" +
                     std::to_string(validation->dataset().size()) + " samples, batch size " +
                     std::to_string(validation->options().batch_size()) + ")");
  }
  std::ostream& out = options.out_ ? *options.out_ : std::cout;
  const bool interactive = options.out_ == nullptr && stdout_is_terminal();
  History history;
  TrainContext ctx{model, optimizer, history, options.epochs_};
  ShardedStep sharded(options.shard_size_, options.seed_);
  auto metrics = make_metrics(options.metrics_, train.dataset().num_classes());
  const std::size_t total = samples_per_epoch(train);
  const auto dropouts = dropout_layers(model);
  std::size_t first_epoch = 1;
  std::uint64_t global_step = 0;

  if (!options.checkpoint_path_.empty()) io::check_output_path(options.checkpoint_path_, "fit");
  if (!options.resume_path_.empty()) {
    const io::TrainingState state = io::load_training_checkpoint(
        options.resume_path_, model, optimizer, [&](const io::TrainingState& s) {
          io::check_resume_epoch(s, options.epochs_, options.resume_path_);
          check_resumable(s, options, dropouts);
        });
    for (std::size_t i = 0; i < options.schedulers_.size(); ++i) {
      options.schedulers_[i].load(state.schedulers.at(std::to_string(i)));
    }
    for (const auto& [name, layer] : dropouts) {
      autograd::Generator gen;
      gen.set_state(state.generators.at(name));
      layer->set_generator(gen);
    }
    sharded.set_steps(state.shard_steps);
    history = history_from_json(state.extra.at("history"), options.resume_path_);
    first_epoch = static_cast<std::size_t>(state.epoch) + 1;
    global_step = state.step;
  }
  const auto save_checkpoint = [&](std::size_t epoch) {
    io::TrainingState state;
    state.epoch = epoch;
    state.step = global_step;
    state.shard_steps = sharded.steps();
    for (const auto& [name, layer] : dropouts) state.generators[name] = layer->generator().state();
    for (std::size_t i = 0; i < options.schedulers_.size(); ++i) {
      state.schedulers[std::to_string(i)] = options.schedulers_[i].state();
    }
    state.extra["history"] = history_to_json(history);
    io::save_training_checkpoint(options.checkpoint_path_, model, optimizer, state);
  };

  for (auto& cb : options.callbacks_) cb->on_train_begin(ctx);
  for (std::size_t epoch = first_epoch; epoch <= options.epochs_; ++epoch) {
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
        StepResult r = sharded.train_step(model, loss, batch, optimizer);
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
        optimizer.step();
      }
      ++global_step;
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
    for (const auto& s : options.schedulers_) s.step(logs);
    const bool last = epoch == options.epochs_ || ctx.stop_training;
    if (!options.checkpoint_path_.empty() && (epoch % options.checkpoint_every_ == 0 || last)) {
      save_checkpoint(epoch);
    }
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
    datasets::DataLoader loader(
        data.subset(idx),
        datasets::DataLoaderOptions(options.batch_size_).shuffle(shuffle).seed(options.seed_));
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
  // No batch (an empty data set, or drop_last with a batch larger than it): there is no loss to
  // report, and a 0 would pass for a perfect one (Keras also refuses to evaluate no data).
  if (seen == 0) throw ValueError("evaluate: the loader produced no batch");
  EpochLogs logs;
  if (loss) logs[prefix + "loss"] = loss_sum / static_cast<double>(seen);
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
    const autograd::Shape& shape = outputs.back().shape();
    const autograd::Shape& first = outputs.front().shape();
    if (shape.empty() ||
        !std::equal(shape.begin() + 1, shape.end(), first.begin() + 1, first.end())) {
      throw ShapeError("predict: cannot stack the model's outputs along axis 0: batch " +
                       std::to_string(outputs.size() - 1) + " gave " + autograd::shape_str(shape) +
                       " after " + autograd::shape_str(first) +
                       " (expected [rows, ...] with the same trailing shape)");
    }
    rows += shape[0];
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
