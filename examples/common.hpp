// SPDX-License-Identifier: MIT
#pragma once

#include <CLI/CLI.hpp>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <nlohmann/json.hpp>
#include <numeric>
#include <string>
#include <vector>

#include "axon/autograd/error.hpp"
#include "axon/datasets/dataloader.hpp"
#include "axon/io/checkpoint.hpp"
#include "axon/io/safetensors.hpp"
#include "axon/io/serialize.hpp"
#include "axon/train/fit.hpp"
#include "axon/train/parallel.hpp"
#if AXON_WITH_MPI
#include "axon/distributed/world.hpp"
#endif

/// What every example shares: the standard flags on a CLI11 app (docs/ARCHITECTURE.md,
/// "Interfaces the project keeps stable"), --save/--checkpoint/--resume, a stopwatch and the
/// one-line JSON result. The accuracy an example must reach lives in tests/examples/.
namespace axon::examples {

/// The standard flags; an example adds those that apply to it (CLI11 rejects the others).
enum Flag : unsigned {
  kEpochs = 1u << 0,      ///< --epochs N (>= 1)
  kBatchSize = 1u << 1,   ///< --batch-size B (>= 1)
  kThreads = 1u << 2,     ///< --threads T (0: $AXON_NUM_THREADS, else every core; <= kMaxThreads)
  kSeed = 1u << 3,        ///< --seed S
  kData = 1u << 4,        ///< --data DIR
  kSave = 1u << 5,        ///< --save PATH (the trained parameters, as safetensors)
  kCheckpoint = 1u << 6,  ///< --checkpoint PATH (a training checkpoint, io/checkpoint.hpp)
  kResume = 1u << 7,      ///< --resume PATH (continue from such a checkpoint)
  kAllFlags = (1u << 8) - 1,
};

/// The processes this example runs in: under `mpirun -np N` (a build with MPI) the N ranks of the
/// job, which fit() trains over (docs/DISTRIBUTED.md); else nullptr, one process. Made by parse(),
/// it lives until the program ends.
inline const train::Communicator* world() {
#if AXON_WITH_MPI
  static distributed::World w;
  return &w;
#else
  return nullptr;
#endif
}

/// Whether this process prints and writes files: rank 0, or the only process.
inline bool is_lead() {
  return !world() || world()->rank() == 0;
}

/// The standard flags' values; an example sets its defaults before add_flags.
struct Args {
  std::size_t epochs = 1;
  std::size_t batch_size = 32;
  std::size_t threads = 0;  ///< 0: every core, or $AXON_NUM_THREADS when set
  std::uint64_t seed = 0;
  std::string data;
  std::string save;                ///< empty: nothing is saved
  std::string checkpoint;          ///< empty: no training checkpoint is written
  std::string resume;              ///< empty: training starts fresh
  std::size_t resumed_epochs = 0;  ///< epochs the --resume checkpoint had done (parse)
};

/// A CLI11 check that a flag's value is a decimal integer in [min, max]: "expects an integer >= 1,
/// got '0'". It reads the text itself, because CLI11 2.1 wraps "-2" into an unsigned 2^64 - 2.
inline CLI::Validator integer(std::uint64_t min, std::uint64_t max = ~std::uint64_t{0}) {
  const std::string range = max == ~std::uint64_t{0}
                                ? ">= " + std::to_string(min)
                                : "in " + std::to_string(min) + ".." + std::to_string(max);
  return CLI::Validator(
      [=](std::string& text) -> std::string {
        std::uint64_t value = 0;
        const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
        const bool ok = !text.empty() && error == std::errc() && end == text.data() + text.size() &&
                        value >= min && value <= max;
        return ok ? "" : "expects an integer " + range + ", got '" + text + "'";
      },
      "", "");
}

/// A CLI11 check that a path flag's value is not empty.
inline CLI::Validator non_empty() {
  return CLI::Validator(
      [](std::string& text) { return std::string(text.empty() ? "is empty" : ""); }, "", "");
}

/// Adds `--name TYPE` to `app`: an integer in [min, max] into `value`, its default shown.
template <class Integer>
CLI::Option* add_integer(CLI::App& app, const std::string& name, Integer& value,
                         const std::string& type, const std::string& help, std::uint64_t min = 0,
                         std::uint64_t max = ~std::uint64_t{0}) {
  return app.add_option(name, value, help)
      ->type_name(type)
      ->capture_default_str()
      ->check(integer(min, max));
}

/// Adds `--name TYPE` to `app`: a text that must not be empty (a path) into `value`.
inline CLI::Option* add_text(CLI::App& app, const std::string& name, std::string& value,
                             const std::string& type, const std::string& help) {
  return app.add_option(name, value, help)->type_name(type)->check(non_empty());
}

/// Adds the standard `flags` to `app`, writing into `args` (whose values are shown as defaults).
/// A flag given twice keeps its last value.
inline void add_flags(CLI::App& app, Args& args, unsigned flags) {
  app.option_defaults()->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
  if (flags & kEpochs) add_integer(app, "--epochs", args.epochs, "N", "passes over the data", 1);
  if (flags & kBatchSize) add_integer(app, "--batch-size", args.batch_size, "B", "batch size", 1);
  if (flags & kThreads) {
    add_integer(app, "--threads", args.threads, "T",
                "training threads, 0 for $AXON_NUM_THREADS or else every core, at most " +
                    std::to_string(train::kMaxThreads),
                0, train::kMaxThreads);
  }
  if (flags & kSeed) add_integer(app, "--seed", args.seed, "S", "seed of all random streams");
  if (flags & kData)
    add_text(app, "--data", args.data, "DIR", "data directory")->capture_default_str();
  if (flags & kSave) add_text(app, "--save", args.save, "PATH", "write the parameters to PATH");
  if (flags & kCheckpoint) {
    add_text(app, "--checkpoint", args.checkpoint, "PATH",
             "write a training checkpoint to PATH (model, optimizer, epoch, random streams)");
  }
  if (flags & kResume) {
    add_text(app, "--resume", args.resume, "PATH",
             "continue from the training checkpoint PATH up to --epochs (same result as one run)");
  }
}

/// Parses the command line into `app`'s flags. --help prints the usage and exits 0; a bad command
/// line (an unknown flag, a missing or bad value) prints "<program>: error: <what>" and the usage
/// to stderr and exits 2. Then applies --threads (train::set_num_threads), checks that --save and
/// --checkpoint can be written (now, not after training) and reads the epoch of --resume.
/// Under mpirun, joins the job first; every rank but 0 then prints nothing to stdout.
inline void parse(CLI::App& app, int argc, char** argv, Args& args) {
  if (!is_lead() && !std::freopen("/dev/null", "w", stdout)) {
    std::fprintf(stderr, "%s: cannot silence rank %zu's output\n", app.get_name().c_str(),
                 world()->rank());
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp&) {
    std::printf("%s", app.help().c_str());
    std::exit(0);
  } catch (const CLI::ParseError& e) {
    std::fprintf(stderr, "%s: error: %s\n%s", app.get_name().c_str(), e.what(), app.help().c_str());
    std::exit(2);
  }
  train::set_num_threads(args.threads);
  if (!args.save.empty()) io::check_output_path(args.save, "--save");
  if (!args.checkpoint.empty()) io::check_output_path(args.checkpoint, "--checkpoint");
  // The epochs already done are not trained again, so not timed (samples_per_second).
  if (!args.resume.empty()) {
    const auto metadata = io::SafetensorsFile::read_header(args.resume).metadata;
    const auto epoch = metadata.find("epoch");
    if (epoch != metadata.end()) {
      args.resumed_epochs = io::parse_u64(epoch->second, args.resume + ": epoch");
    }
  }
}

/// The first `n` samples of `data` (a --limit / --train-samples flag); all of them when n is 0 or
/// at least its size.
inline datasets::Dataset first_samples(const datasets::Dataset& data, std::size_t n) {
  if (n == 0 || n >= data.size()) return data;
  std::vector<std::size_t> first(n);
  std::iota(first.begin(), first.end(), std::size_t{0});
  return data.subset(first);
}

/// Fails before training when `loader`, the data an example evaluates on once training is done,
/// gives no batch (an empty test set): ValueError "<what>: no batch to evaluate on (0 samples,
/// batch size 1000)". Found at the evaluation, it would come after the whole run, and before
/// --save.
inline void check_evaluation_data(const datasets::DataLoader& loader, const std::string& what) {
  if (loader.num_batches() > 0) return;
  throw ValueError(what + ": no batch to evaluate on (" + std::to_string(loader.dataset().size()) +
                   " samples, batch size " + std::to_string(loader.options().batch_size()) + ")");
}

/// fit's options with --checkpoint (written after every epoch) and --resume applied, and under
/// mpirun the job's ranks (FitOptions::distributed).
inline train::FitOptions with_checkpoints(const Args& args, train::FitOptions options) {
  if (world()) options.distributed(*world());
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
  if (args.save.empty() || !is_lead()) return;
  io::save(model, args.save);
  std::printf("saved the parameters to %s\n", args.save.c_str());
}

/// Training samples per second over the epochs this run trained: `samples_per_epoch` times the
/// --epochs left after a --resume, over `seconds`. NaN (null in the result) when none was left.
inline double samples_per_second(const Args& args, std::size_t samples_per_epoch, double seconds) {
  const std::size_t trained = args.epochs - std::min(args.resumed_epochs, args.epochs);
  return trained > 0 ? static_cast<double>(samples_per_epoch * trained) / seconds : std::nan("");
}

/// For main's catch: prints the error and returns the exit code 1. Under mpirun with several
/// ranks, ends the whole job instead, naming this rank (the others may be waiting for it).
inline int report_error(const std::exception& e) {
  if (train::is_distributed(world())) world()->abort(std::string("error: ") + e.what(), 1);
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

// ---- The result line --------------------------------------------------------------------------
// The last line an example prints: one flat JSON object that tests/examples/ and scripts read,
// `{"example":"xor","epochs":30000,...}`. Nothing else in an example formats JSON.

/// Prints `{"example": example, fields...}` on one line and flushes. `fields` is a JSON object
/// in the caller's order: `{{"epochs", 10}, {"test_accuracy", 0.8723}}`. Numbers keep six
/// significant digits; NaN and infinities (not JSON) become null.
inline void print_result(const std::string& example, const nlohmann::ordered_json& fields) {
  nlohmann::ordered_json line = {{"example", example}};
  for (auto field = fields.begin(); field != fields.end(); ++field) {
    const nlohmann::ordered_json& value = field.value();
    if (!value.is_number_float()) {
      line[field.key()] = value;
    } else if (!std::isfinite(value.get<double>())) {
      line[field.key()] = nullptr;
    } else {
      char text[32];
      std::snprintf(text, sizeof text, "%.6g", value.get<double>());
      line[field.key()] = std::strtod(text, nullptr);
    }
  }
  std::printf("%s\n", line.dump().c_str());
  std::fflush(stdout);
}
// ---- end of the result line -------------------------------------------------------------------

}  // namespace axon::examples
