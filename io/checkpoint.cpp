// SPDX-License-Identifier: MIT
#include "axon/io/checkpoint.hpp"

#include <charconv>
#include <vector>

#include "axon/autograd/error.hpp"
#include "axon/io/serialize.hpp"

namespace axon::io {

namespace {

constexpr const char* kKind = "axon.checkpoint";
constexpr const char* kVersion = "axon.version";

bool starts_with(const std::string& s, const std::string& prefix) {
  return s.compare(0, prefix.size(), prefix) == 0;
}

std::string format_state(const autograd::Generator::State& s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (i) out += ',';
    out += std::to_string(s[i]);
  }
  return out;
}

autograd::Generator::State parse_state(const std::string& text, const std::string& what) {
  autograd::Generator::State s{};
  std::size_t begin = 0;
  for (std::size_t i = 0; i < s.size(); ++i) {
    const std::size_t comma = text.find(',', begin);
    const bool last = i + 1 == s.size();
    if (last != (comma == std::string::npos)) {
      throw IOError(what + ": expected four comma-separated integers, got \"" + text.substr(0, 64) +
                    "\"");
    }
    s[i] = parse_u64(text.substr(begin, last ? std::string::npos : comma - begin), what);
    begin = comma + 1;
  }
  return s;
}

}  // namespace

void check_resume_epoch(const TrainingState& state, std::uint64_t epochs, const std::string& path) {
  if (state.epoch > epochs) {
    throw ValueError(path + ": epoch " + std::to_string(state.epoch) +
                     " in the checkpoint is past the run's " + std::to_string(epochs) +
                     " epochs: nothing would be trained");
  }
}

std::string format_double(double value) {
  char buf[64];
  const auto result = std::to_chars(buf, buf + sizeof(buf), value);
  return std::string(buf, result.ptr);
}

double parse_double(const std::string& text, const std::string& what) {
  double value = 0;
  const char* end = text.data() + text.size();
  const auto result = std::from_chars(text.data(), end, value);
  if (text.empty() || result.ec != std::errc() || result.ptr != end) {
    throw IOError(what + ": \"" + text.substr(0, 64) + "\" is not a number");
  }
  return value;
}

std::uint64_t parse_u64(const std::string& text, const std::string& what) {
  std::uint64_t value = 0;
  const char* end = text.data() + text.size();
  const auto result = std::from_chars(text.data(), end, value);
  if (text.empty() || result.ec != std::errc() || result.ptr != end) {
    throw IOError(what + ": \"" + text.substr(0, 64) + "\" is not an unsigned 64-bit integer");
  }
  return value;
}

template <class T>
void save_training_checkpoint(const std::string& path, const nn::BasicModule<T>& model,
                              const optim::BasicOptimizer<T>& optimizer,
                              const TrainingState& state) {
  Metadata meta;
  meta[kKind] = "training";
  meta[kVersion] = "1";
  meta["epoch"] = std::to_string(state.epoch);
  meta["step"] = std::to_string(state.step);
  meta["shard_steps"] = std::to_string(state.shard_steps);
  meta["optimizer"] = optimizer.name();
  const optim::StateDict<T> dict = optimizer.state_dict();
  for (const auto& [key, value] : dict.scalars) meta["optimizer." + key] = format_double(value);
  for (const auto& [name, s] : state.generators) {
    if (name.empty()) throw ValueError("save_training_checkpoint: a generator has no name");
    meta["generator." + name] = format_state(s);
  }
  for (const auto& [name, values] : state.schedulers) {
    if (name.empty() || name.find('.') != std::string::npos) {
      throw ValueError("save_training_checkpoint: scheduler name '" + name +
                       "' must be non-empty and without '.'");
    }
    for (const auto& [key, value] : values) {
      meta["scheduler." + name + "." + key] = format_double(value);
    }
  }
  for (const auto& [key, value] : state.extra) meta["extra." + key] = value;

  std::vector<TensorRef> refs = tensor_refs(model, "model.");
  for (const auto& [key, array] : dict.arrays) {
    refs.push_back({"optimizer." + key, dtype_of<T>(),
                    std::vector<std::size_t>(array.shape().begin(), array.shape().end()),
                    array.data()});
  }
  write_safetensors(path, refs, meta);
}

template <class T>
TrainingState load_training_checkpoint(const std::string& path, nn::BasicModule<T>& model,
                                       optim::BasicOptimizer<T>& optimizer,
                                       const std::function<void(const TrainingState&)>& check) {
  const auto get_from = [&](const Metadata& meta, const char* key) -> const std::string& {
    const auto it = meta.find(key);
    if (it == meta.end()) {
      throw IOError(path + ": not a training checkpoint: no \"" + key + "\" in __metadata__");
    }
    return it->second;
  };
  // The kind of file and the model's names and shapes are checked on the header, before the data
  // is read.
  const SafetensorsFile file = SafetensorsFile::read(path, [&](const Header& header) {
    const std::string& kind = get_from(header.metadata, kKind);
    if (kind != "training") {
      throw IOError(path + ": not a training checkpoint: " + kKind + " is \"" + kind + "\"");
    }
    const std::string& version = get_from(header.metadata, kVersion);
    if (version != "1") {
      throw IOError(path + ": unsupported training checkpoint version \"" + version + "\"");
    }
    detail::plan_load(model, header.tensors, path, /*strict=*/true, "model.", nullptr);
  });
  const Metadata& meta = file.metadata();
  const auto get = [&](const char* key) -> const std::string& { return get_from(meta, key); };
  TrainingState state;
  state.epoch = parse_u64(get("epoch"), path + ": epoch");
  state.step = parse_u64(get("step"), path + ": step");
  state.shard_steps = parse_u64(get("shard_steps"), path + ": shard_steps");
  if (get("optimizer") != optimizer.name()) {
    throw ValueError(path + ": the checkpoint holds the state of a " + get("optimizer") +
                     " optimizer, not of " + optimizer.name());
  }

  optim::StateDict<T> dict;
  for (const auto& [key, value] : meta) {
    const std::string what = path + ": __metadata__ \"" + key + "\"";
    if (key == kKind || key == kVersion || key == "epoch" || key == "step" ||
        key == "shard_steps" || key == "optimizer") {
      continue;
    }
    if (starts_with(key, "optimizer.")) {
      dict.scalars[key.substr(10)] = parse_double(value, what);
    } else if (starts_with(key, "generator.") && key.size() > 10) {
      state.generators[key.substr(10)] = parse_state(value, what);
    } else if (starts_with(key, "scheduler.")) {
      const std::size_t dot = key.find('.', 10);
      if (dot == std::string::npos || dot == 10 || dot + 1 == key.size()) {
        throw IOError(what + ": expected scheduler.<name>.<key>");
      }
      state.schedulers[key.substr(10, dot - 10)][key.substr(dot + 1)] = parse_double(value, what);
    } else if (starts_with(key, "extra.")) {
      state.extra[key.substr(6)] = value;
    } else {
      throw IOError(what + " is not part of a training checkpoint");
    }
  }
  for (const TensorInfo& t : file.tensors()) {
    if (starts_with(t.name, "optimizer.")) {
      dict.arrays[t.name.substr(10)] = file.array<T>(t);
    } else if (!starts_with(t.name, "model.")) {
      throw IOError(path + ": tensor '" + t.name + "' is not part of a training checkpoint");
    }
  }
  // Check the model, then restore the optimizer (which checks its state before changing
  // anything), then copy the model's tensors, which cannot fail any more.
  const auto plan =
      detail::plan_load(model, file.tensors(), path, /*strict=*/true, "model.", &file);
  if (check) check(state);
  optimizer.load_state_dict(dict);
  detail::commit_load(plan, file);
  return state;
}

#define AXON_IO_INSTANTIATE(T)                                                                   \
  template void save_training_checkpoint(const std::string&, const nn::BasicModule<T>&,          \
                                         const optim::BasicOptimizer<T>&, const TrainingState&); \
  template TrainingState load_training_checkpoint(                                               \
      const std::string&, nn::BasicModule<T>&, optim::BasicOptimizer<T>&,                        \
      const std::function<void(const TrainingState&)>&);
AXON_IO_INSTANTIATE(float)
AXON_IO_INSTANTIATE(double)
#undef AXON_IO_INSTANTIATE

}  // namespace axon::io
