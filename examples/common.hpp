// SPDX-License-Identifier: MIT
#pragma once

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cmath>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "axon/autograd/error.hpp"
#include "axon/io/checkpoint.hpp"
#include "axon/io/safetensors.hpp"
#include "axon/io/serialize.hpp"
#include "axon/train/fit.hpp"
#include "axon/train/parallel.hpp"

/// What every example shares: the standard flags (docs/ARCHITECTURE.md, "Interfaces the project
/// keeps stable"), the one-line JSON result and a stopwatch.
namespace axon::examples {

/// The standard flags; an example lists those that apply to it and rejects the others.
enum Flag : unsigned {
  kEpochs = 1u << 0,     ///< --epochs N (>= 1)
  kBatchSize = 1u << 1,  ///< --batch-size B (>= 1)
  kThreads =
      1u << 2,  ///< --threads T (0: $AXON_NUM_THREADS, else every core; at most train::kMaxThreads)
  kSeed = 1u << 3,        ///< --seed S
  kData = 1u << 4,        ///< --data DIR
  kSave = 1u << 5,        ///< --save PATH (the trained parameters, as safetensors)
  kCheckpoint = 1u << 6,  ///< --checkpoint PATH (a training checkpoint, io/checkpoint.hpp)
  kResume = 1u << 7,      ///< --resume PATH (continue from such a checkpoint)
  kAllFlags = (1u << 8) - 1,
};

/// A flag one example adds to the standard ones, `--name VALUE` or `--name=VALUE`: a path (into
/// `text`, which must not be empty) or an integer >= 0 (into `number`). Set exactly one of them.
struct ExtraFlag {
  std::string name;  ///< with its dashes: "--text"
  std::string help;  ///< the usage line's text after the name: "PATH  the text to learn"
  std::string* text = nullptr;
  std::size_t* number = nullptr;
};

/// The flags' values; an example sets its defaults before parsing.
struct Args {
  std::size_t epochs = 1;
  std::size_t batch_size = 32;
  std::size_t threads = 0;  ///< 0: every core, or $AXON_NUM_THREADS when set
  std::uint64_t seed = 0;
  std::string data;
  std::string save;                ///< empty: nothing is saved
  std::string checkpoint;          ///< empty: no training checkpoint is written
  std::string resume;              ///< empty: training starts fresh
  std::size_t resumed_epochs = 0;  ///< epochs the --resume checkpoint had done (parse_args)
};

/// A bad command line: an unknown flag, a flag the example does not take, a missing or bad value.
class UsageError : public ValueError {
 public:
  using ValueError::ValueError;
};

namespace detail {

inline std::uint64_t parse_number(std::string_view flag, std::string_view text, std::uint64_t min,
                                  std::uint64_t max = ~std::uint64_t{0}) {
  std::uint64_t value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || error != std::errc() || end != text.data() + text.size() || value < min ||
      value > max) {
    const std::string range = max == ~std::uint64_t{0}
                                  ? ">= " + std::to_string(min)
                                  : "in " + std::to_string(min) + ".." + std::to_string(max);
    throw UsageError(std::string(flag) + " expects an integer " + range + ", got '" +
                     std::string(text) + "'");
  }
  return value;
}

inline std::string usage(std::string_view program, const Args& d, unsigned flags,
                         const std::vector<ExtraFlag>& extra = {}) {
  std::string text = "usage: " + std::string(program);
  auto line = [&](Flag f, const char* name, const std::string& help) {
    if (flags & f) text += std::string("\n  ") + name + help;
  };
  line(kEpochs, "--epochs N      ",
       "passes over the training data (default " + std::to_string(d.epochs) + ")");
  line(kBatchSize, "--batch-size B  ",
       "samples per batch (default " + std::to_string(d.batch_size) + ")");
  line(kThreads, "--threads T     ",
       "training threads, 0 for $AXON_NUM_THREADS or else every core, at most " +
           std::to_string(train::kMaxThreads) + " (default 0)");
  line(kSeed, "--seed S        ",
       "seed of the initialisation and shuffles (default " + std::to_string(d.seed) + ")");
  line(kData, "--data DIR      ", "data directory (default " + d.data + ")");
  line(kSave, "--save PATH     ", "write the trained parameters to PATH");
  line(kCheckpoint, "--checkpoint P  ",
       "write a training checkpoint to P (model, optimizer, epoch, random streams)");
  line(kResume, "--resume P      ",
       "continue from the training checkpoint P up to --epochs (same result as one run)");
  for (const ExtraFlag& f : extra) text += "\n  " + f.name + " " + f.help;
  return text + "\n  --help          this message";
}

}  // namespace detail

/// Reads `--flag value` and `--flag=value` pairs into `args` (whose values are the defaults) and
/// the `extra` flags' targets. Throws UsageError naming the flag for anything not in `flags` or
/// `extra`, or a missing or bad value.
inline void parse_flags(int argc, const char* const* argv, Args& args, unsigned flags,
                        const std::vector<ExtraFlag>& extra = {}) {
  for (int i = 1; i < argc; ++i) {
    std::string flag = argv[i], value;
    const bool inline_value = flag.find('=') != std::string::npos;
    if (inline_value) value = flag.substr(flag.find('=') + 1), flag.resize(flag.find('='));
    const ExtraFlag* own = nullptr;
    for (const ExtraFlag& f : extra) {
      if (f.name == flag) own = &f;
    }
    if (own) {
      if (!inline_value) {
        if (i + 1 >= argc) throw UsageError(flag + " needs a value");
        value = argv[++i];
      }
      if (own->number) *own->number = detail::parse_number(flag, value, 0);
      if (own->text) {
        if (value.empty()) throw UsageError(flag + " is empty");
        *own->text = value;
      }
      continue;
    }
    const Flag known = flag == "--epochs"       ? kEpochs
                       : flag == "--batch-size" ? kBatchSize
                       : flag == "--threads"    ? kThreads
                       : flag == "--seed"       ? kSeed
                       : flag == "--data"       ? kData
                       : flag == "--save"       ? kSave
                       : flag == "--checkpoint" ? kCheckpoint
                       : flag == "--resume"     ? kResume
                                                : Flag{};
    if (known == Flag{}) throw UsageError("unknown flag '" + flag + "'");
    if (!(flags & known)) throw UsageError(flag + " does not apply to this example");
    if (!inline_value) {
      if (i + 1 >= argc) throw UsageError(flag + " needs a value");
      value = argv[++i];
    }
    if (known == kEpochs) args.epochs = detail::parse_number(flag, value, 1);
    if (known == kBatchSize) args.batch_size = detail::parse_number(flag, value, 1);
    if (known == kThreads) args.threads = detail::parse_number(flag, value, 0, train::kMaxThreads);
    if (known == kSeed) args.seed = detail::parse_number(flag, value, 0);
    if ((known == kData || known == kSave || known == kCheckpoint || known == kResume) &&
        value.empty()) {
      throw UsageError(flag + " is empty");
    }
    if (known == kData) args.data = value;
    if (known == kSave) args.save = value;
    if (known == kCheckpoint) args.checkpoint = value;
    if (known == kResume) args.resume = value;
  }
}

/// parse_flags for main(): `--help` prints the usage and exits 0; a UsageError prints itself and
/// the usage to stderr and exits 2. Then applies --threads (train::set_num_threads).
inline void parse_args(int argc, char** argv, Args& args, unsigned flags,
                       const std::vector<ExtraFlag>& extra = {}) {
  const std::string_view path = argc > 0 ? argv[0] : "example";
  const std::string_view program = path.substr(path.find_last_of('/') + 1);
  const Args defaults = args;
  for (int i = 1; i < argc; ++i) {
    if (std::string_view(argv[i]) == "--help" || std::string_view(argv[i]) == "-h") {
      std::printf("%s\n", detail::usage(program, defaults, flags, extra).c_str());
      std::exit(0);
    }
  }
  try {
    parse_flags(argc, argv, args, flags, extra);
  } catch (const UsageError& e) {
    std::fprintf(stderr, "%.*s: error: %s\n%s\n", static_cast<int>(program.size()), program.data(),
                 e.what(), detail::usage(program, defaults, flags, extra).c_str());
    std::exit(2);
  }
  train::set_num_threads(args.threads);
  if (!args.save.empty()) io::check_output_path(args.save, "--save");  // now, not after training
  if (!args.checkpoint.empty()) io::check_output_path(args.checkpoint, "--checkpoint");
  // The epochs already done are not trained again, so not timed (finish_classifier).
  if (!args.resume.empty()) {
    const auto metadata = io::SafetensorsFile::read_header(args.resume).metadata;
    const auto epoch = metadata.find("epoch");
    if (epoch != metadata.end()) {
      args.resumed_epochs = io::parse_u64(epoch->second, args.resume + ": epoch");
    }
  }
}

/// fit's options with --checkpoint (written after every epoch) and --resume applied.
inline train::FitOptions with_checkpoints(const Args& args, train::FitOptions options) {
  if (!args.checkpoint.empty()) options.checkpoint(args.checkpoint, 1);
  if (!args.resume.empty()) {
    options.resume(args.resume);
    std::printf("resuming from %s\n", args.resume.c_str());
  }
  return options;
}

/// For examples with a hand-written loop: restores the model and the optimizer from --resume
/// (when given) and returns the number of epochs already done (0 when starting fresh).
template <class T>
std::size_t resume_training(const Args& args, nn::BasicModule<T>& model,
                            optim::BasicOptimizer<T>& optimizer) {
  if (args.resume.empty()) return 0;
  const io::TrainingState state = io::load_training_checkpoint(
      args.resume, model, optimizer,
      [&](const io::TrainingState& s) { io::check_resume_epoch(s, args.epochs, args.resume); });
  std::printf("resumed from %s after epoch %llu\n", args.resume.c_str(),
              static_cast<unsigned long long>(state.epoch));
  return static_cast<std::size_t>(state.epoch);
}

/// For examples with a hand-written loop: writes --checkpoint (when given) after `epochs_done`.
template <class T>
void save_checkpoint(const Args& args, const nn::BasicModule<T>& model,
                     const optim::BasicOptimizer<T>& optimizer, std::size_t epochs_done) {
  if (args.checkpoint.empty()) return;
  io::TrainingState state;
  state.epoch = epochs_done;
  state.step = epochs_done;
  io::save_training_checkpoint(args.checkpoint, model, optimizer, state);
  std::printf("wrote the training checkpoint %s\n", args.checkpoint.c_str());
}

/// Writes the model's parameters to --save (when given) as safetensors, named as in its
/// state_dict(), and says so.
template <class T>
void save_parameters(const Args& args, const nn::BasicModule<T>& model) {
  if (args.save.empty()) return;
  io::save(model, args.save);
  std::printf("saved the parameters to %s\n", args.save.c_str());
}

/// For main's catch: prints the error and returns the exit code 1.
inline int report_error(const std::exception& e) {
  std::fprintf(stderr, "error: %s\n", e.what());
  return 1;
}

/// Seconds since construction.
class Stopwatch {
 public:
  double seconds() const {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  }

 private:
  std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
};

/// One line of flat JSON, the last line an example prints:
/// `JsonLine("xor").add("epochs", 20000).add("solved", true).print();`
class JsonLine {
 public:
  explicit JsonLine(const std::string& example) { add("example", example); }

  JsonLine& add(const std::string& key, const std::string& value) {
    std::string quoted = "\"";
    for (const char c : value) {
      if (c == '"' || c == '\\') quoted += '\\';
      if (static_cast<unsigned char>(c) < 0x20) {
        char hex[8];
        std::snprintf(hex, sizeof hex, "\\u%04x", c);
        quoted += hex;
      } else {
        quoted += c;
      }
    }
    return raw(key, quoted + "\"");
  }
  JsonLine& add(const std::string& key, const char* value) { return add(key, std::string(value)); }
  JsonLine& add(const std::string& key, bool value) { return raw(key, value ? "true" : "false"); }
  template <std::integral I>
  JsonLine& add(const std::string& key, I value) {
    return raw(key, std::to_string(value));
  }
  /// Six significant digits; NaN and infinities (not JSON) become null.
  JsonLine& add(const std::string& key, double value) {
    if (!std::isfinite(value)) return raw(key, "null");
    char text[32];
    std::snprintf(text, sizeof text, "%.6g", value);
    return raw(key, text);
  }

  std::string str() const { return "{" + body_ + "}"; }
  /// Prints the line to stdout and flushes.
  void print() const {
    std::printf("%s\n", str().c_str());
    std::fflush(stdout);
  }

 private:
  JsonLine& raw(const std::string& key, const std::string& json) {
    body_ += (body_.empty() ? "\"" : ",\"") + key + "\":" + json;
    return *this;
  }
  std::string body_;
};

/// The end of a classifier example trained for `seconds` on `samples_trained` samples over all
/// --epochs (of which a --resume skips args.resumed_epochs: samples_per_second counts only the
/// epochs this run trained, null when it trained none): evaluates `model` on `test`
/// (cross-entropy loss and accuracy), prints them with the training speed, writes --save, then
/// prints the JSON line: epochs, the `extra` keys, test_accuracy, test_loss, train_seconds,
/// samples_per_second, threads. Returns the test accuracy.
inline double finish_classifier(
    const std::string& example, const Args& args, nn::Module& model, datasets::DataLoader& test,
    double seconds, std::size_t samples_trained,
    const std::vector<std::pair<std::string, std::size_t>>& extra = {}) {
  const std::size_t skipped = std::min(args.resumed_epochs, args.epochs);
  const double trained = static_cast<double>(samples_trained) *
                         static_cast<double>(args.epochs - skipped) /
                         static_cast<double>(args.epochs);
  const double samples_per_second = trained > 0 ? trained / seconds : std::nan("");
  const auto result = train::evaluate(model, train::cross_entropy_loss(), test, {"accuracy"});
  const double accuracy = result.at("accuracy");
  std::printf("test loss %.4f, test accuracy %.4f; %.1f s, %.0f samples/s with %zu threads\n",
              result.at("loss"), accuracy, seconds, samples_per_second, train::workers());
  save_parameters(args, model);
  JsonLine line(example);
  line.add("epochs", args.epochs);
  for (const auto& [key, value] : extra) line.add(key, value);
  line.add("test_accuracy", accuracy)
      .add("test_loss", result.at("loss"))
      .add("train_seconds", seconds)
      .add("samples_per_second", samples_per_second)
      .add("threads", train::workers())
      .print();
  return accuracy;
}

}  // namespace axon::examples
