// SPDX-License-Identifier: MIT
#include "axon/train/fit_checkpoint.hpp"

#include <nlohmann/json.hpp>

#include "axon/autograd/error.hpp"
#include "axon/io/checkpoint.hpp"
#include "axon/io/file_access.hpp"

namespace axon::train {

namespace {

/// Whether two state dicts have the same keys.
bool same_keys(const std::map<std::string, double>& a, const std::map<std::string, double>& b) {
  if (a.size() != b.size()) return false;
  for (auto ia = a.begin(), ib = b.begin(); ia != a.end(); ++ia, ++ib) {
    if (ia->first != ib->first) return false;
  }
  return true;
}

/// Checks that a training checkpoint fits this run's schedulers and generators (called before
/// the checkpoint changes anything).
void check_resumable(const io::TrainingState& state, const FitOptions& options,
                     const std::map<std::string, autograd::Generator*>& generators) {
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
  for (const auto& [name, gen] : generators) {
    if (!state.generators.count(name)) {
      throw ValueError("fit: resume from " + path + ": no saved generator for " + name);
    }
  }
  if (state.generators.size() != generators.size()) {
    throw ValueError("fit: resume from " + path + ": it holds " +
                     std::to_string(state.generators.size()) + " generators but the model has " +
                     std::to_string(generators.size()) + " Dropout layers");
  }
  if (!state.extra.count("history")) {
    throw IOError(path + ": a training checkpoint written by fit holds extra.history");
  }
}

}  // namespace

std::string history_to_json(const History& history) {
  nlohmann::ordered_json j = nlohmann::ordered_json::object();
  for (const auto& name : history.names()) {
    auto& series = j[name] = nlohmann::ordered_json::array();
    for (double v : history[name]) series.push_back(io::format_double(v));
  }
  return j.dump();
}

History history_from_json(const std::string& text, const std::string& path) {
  return history_from_series_json(text, path + ": the saved history");
}

FitCheckpoints::FitCheckpoints(nn::Module& model, optim::Optimizer& optimizer,
                               const FitOptions& options)
    : model_(model), optimizer_(optimizer), options_(options) {
  // The name predates the hook, when only Dropout layers had generators; checkpoints keep it.
  for (const auto& [name, module] : model.named_modules()) {
    if (autograd::Generator* gen = module->own_generator()) generators_["dropout." + name] = gen;
  }
}

FitProgress FitCheckpoints::resume(ShardedStep& sharded) {
  FitProgress progress;
  // Fail before training, not after it: an unwritable checkpoint path loses no trained epoch.
  const bool lead = !options_.world_ || options_.world_->rank() == 0;
  if (lead && !options_.checkpoint_path_.empty()) {
    io::check_output_path(options_.checkpoint_path_, "fit");
  }
  if (options_.resume_path_.empty()) return progress;
  const io::TrainingState state = io::load_training_checkpoint(
      options_.resume_path_, model_, optimizer_, [&](const io::TrainingState& s) {
        io::check_resume_epoch(s, options_.epochs_, options_.resume_path_);
        check_resumable(s, options_, generators_);
      });
  for (std::size_t i = 0; i < options_.schedulers_.size(); ++i) {
    options_.schedulers_[i].load(state.schedulers.at(std::to_string(i)));
  }
  for (const auto& [name, gen] : generators_) gen->set_state(state.generators.at(name));
  sharded.set_steps(state.shard_steps);
  progress.history = history_from_json(state.extra.at("history"), options_.resume_path_);
  progress.next_epoch = static_cast<std::size_t>(state.epoch) + 1;
  progress.global_step = state.step;
  return progress;
}

void FitCheckpoints::after_epoch(std::size_t epoch, bool last, const FitProgress& progress,
                                 const ShardedStep& sharded) {
  if (options_.checkpoint_path_.empty()) return;
  if (epoch % options_.checkpoint_every_ != 0 && !last) return;
  // In distributed training every rank has the same state; rank 0 writes it.
  if (options_.world_ && options_.world_->rank() != 0) return;
  io::TrainingState state;
  state.epoch = epoch;
  state.step = progress.global_step;
  state.shard_steps = sharded.steps();
  for (const auto& [name, gen] : generators_) state.generators[name] = gen->state();
  for (std::size_t i = 0; i < options_.schedulers_.size(); ++i) {
    state.schedulers[std::to_string(i)] = options_.schedulers_[i].state();
  }
  state.extra["history"] = history_to_json(progress.history);
  io::save_training_checkpoint(options_.checkpoint_path_, model_, optimizer_, state);
}

}  // namespace axon::train
