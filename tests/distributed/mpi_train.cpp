// SPDX-License-Identifier: MIT
// The program tests/distributed/test_distributed.cpp runs under mpirun: trains the flagship MLP
// (784-64-64-10) and the example CNN for a number of steps on synthetic 28x28 images with the
// distributed step, then rank 0 writes every parameter's bytes and every step's loss to --out, so
// that runs with other ranks and threads can be compared byte for byte.
//
//   mpi_train --out PATH [--steps 20] [--threads T] [--batch 100] [--shard 16] [--model mlp|cnn]
//
// Each rank initialises its model from seed + rank, so only the broadcast from rank 0 makes them
// agree. Without mpirun it is a world of one: the single-process reference.
//
// With --fit 1 it trains the MLP with train::fit instead (1200 synthetic samples, 300 for
// validation, accuracy) and writes the parameters and the history: --epochs N, --checkpoint PATH,
// --resume PATH, --seed S (--seed-plus-rank 1: each rank adds its rank, which fit must refuse),
// --fail-rank R --fail-batch K (rank R throws after its K-th batch), --slow-ms M (each batch
// sleeps M ms, for a test to kill a rank mid-epoch) and --pid-dir DIR (each rank writes its pid
// to DIR/<rank>.pid).
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <fstream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <unistd.h>

#include "axon/datasets/dataloader.hpp"
#include "axon/distributed/world.hpp"
#include "axon/nn/activation.hpp"
#include "axon/nn/conv.hpp"
#include "axon/nn/flatten.hpp"
#include "axon/nn/linear.hpp"
#include "axon/nn/pooling.hpp"
#include "axon/nn/sequential.hpp"
#include "axon/nn/unflatten.hpp"
#include "axon/optim/adam.hpp"
#include "axon/train/fit.hpp"
#include "axon/train/rank_step.hpp"

using namespace axon;

namespace {

struct Options {
  std::string out, model = "both";
  std::size_t steps = 20, threads = 1, batch = 100, shard = 16;
  bool fit = false, seed_plus_rank = false;
  std::size_t epochs = 2, seed = 0, slow_ms = 0;
  long fail_rank = -1, fail_batch = 0;
  std::string checkpoint, resume, pid_dir;
};

Options parse(int argc, char** argv) {
  Options o;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i], value = argv[i + 1];
    if (flag == "--out") {
      o.out = value;
    } else if (flag == "--model") {
      o.model = value;
    } else if (flag == "--steps") {
      o.steps = std::stoul(value);
    } else if (flag == "--threads") {
      o.threads = std::stoul(value);
    } else if (flag == "--batch") {
      o.batch = std::stoul(value);
    } else if (flag == "--shard") {
      o.shard = std::stoul(value);
    } else if (flag == "--fit") {
      o.fit = value == "1";
    } else if (flag == "--epochs") {
      o.epochs = std::stoul(value);
    } else if (flag == "--seed") {
      o.seed = std::stoul(value);
    } else if (flag == "--seed-plus-rank") {
      o.seed_plus_rank = value == "1";
    } else if (flag == "--slow-ms") {
      o.slow_ms = std::stoul(value);
    } else if (flag == "--fail-rank") {
      o.fail_rank = std::stol(value);
    } else if (flag == "--fail-batch") {
      o.fail_batch = std::stol(value);
    } else if (flag == "--checkpoint") {
      o.checkpoint = value;
    } else if (flag == "--resume") {
      o.resume = value;
    } else if (flag == "--pid-dir") {
      o.pid_dir = value;
    } else {
      throw ValueError("mpi_train: unknown flag " + flag);
    }
  }
  if (o.out.empty()) throw ValueError("mpi_train: --out PATH is required");
  return o;
}

/// Batch `step`: `rows` synthetic 28x28 images in [0, 1) and labels in 0..9, the same on every
/// rank (a function of the step only).
datasets::Batch synthetic_batch(std::size_t step, std::size_t rows) {
  autograd::Generator gen(1000 + step);
  xt::xarray<float> x = xt::xarray<float>::from_shape({rows, 28, 28});
  for (auto& v : x) v = static_cast<float>(gen.next_u64() >> 40) / static_cast<float>(1 << 24);
  datasets::Batch batch;
  batch.inputs = autograd::Tensor(std::move(x));
  for (std::size_t r = 0; r < rows; ++r) batch.labels.push_back(gen.next_u64() % 10);
  return batch;
}

std::shared_ptr<nn::Sequential> make_model(const std::string& name, std::uint64_t seed) {
  autograd::Generator gen(seed);
  auto m = std::make_shared<nn::Sequential>();
  if (name == "mlp") {
    m->add<nn::Flatten>();
    m->add<nn::Linear>(nn::LinearOptions(784, 64), gen);
    m->add<nn::ReLU>();
    m->add<nn::Linear>(nn::LinearOptions(64, 64), gen);
    m->add<nn::ReLU>();
    m->add<nn::Linear>(nn::LinearOptions(64, 10), gen);
    return m;
  }
  m->add<nn::Unflatten>(1, std::vector<long>{1, 28});  // [B,28,28] -> [B,1,28,28]
  m->add<nn::Conv2d>(nn::Conv2dOptions(1, 8, 3).padding(1), gen);
  m->add<nn::ReLU>();
  m->add<nn::MaxPool2d>(nn::Pool2dOptions(2));
  m->add<nn::Conv2d>(nn::Conv2dOptions(8, 16, 3).padding(1), gen);
  m->add<nn::ReLU>();
  m->add<nn::MaxPool2d>(nn::Pool2dOptions(2));
  m->add<nn::Flatten>();
  m->add<nn::Linear>(nn::LinearOptions(784, 10), gen);
  return m;
}

/// Trains `name` for o.steps steps; appends its parameters' bytes and the losses to `out`.
void train_model(const std::string& name, const Options& o, const distributed::World& world,
                 std::string& out) {
  auto model = make_model(name, 7 + world.rank());
  train::broadcast_model(*model, world);
  optim::Adam adam(model->parameters(), optim::AdamOptions(1e-3));
  train::ShardedStep step(o.shard, /*seed=*/3, &world);
  const train::LossFunction loss = train::cross_entropy_loss();
  for (std::size_t s = 0; s < o.steps; ++s) {
    adam.zero_grad();
    const train::StepResult r = step.train_step(*model, loss, synthetic_batch(s, o.batch), adam);
    out.append(reinterpret_cast<const char*>(&r.loss), sizeof r.loss);
  }
  for (const auto& p : model->parameters()) {
    out.append(reinterpret_cast<const char*>(p.data_ptr()), sizeof(float) * p.numel());
  }
}

/// Sleeps after each batch (--slow-ms) and throws on one rank (--fail-rank, --fail-batch).
class Injector : public train::Callback {
 public:
  Injector(const Options& o, std::size_t rank) : o_(o), rank_(rank) {}
  void on_batch_end(std::size_t, double, train::TrainContext&) override {
    ++batches_;
    if (o_.slow_ms) std::this_thread::sleep_for(std::chrono::milliseconds(o_.slow_ms));
    if (o_.fail_rank == static_cast<long>(rank_) && batches_ == o_.fail_batch) {
      throw ValueError("injected failure after batch " + std::to_string(batches_));
    }
  }

 private:
  const Options& o_;
  std::size_t rank_;
  long batches_ = 0;
};

/// `rows` synthetic samples (28x28 in [0, 1), labels 0..9) from `seed`.
datasets::Dataset synthetic_data(std::size_t rows, std::uint64_t seed) {
  autograd::Generator gen(seed);
  std::vector<float> x(rows * 784);
  std::vector<std::size_t> labels(rows);
  for (std::size_t r = 0; r < rows; ++r) {
    labels[r] = gen.next_u64() % 10;
    // A learnable signal: the label's band of rows is brighter.
    for (std::size_t i = 0; i < 784; ++i) {
      const float noise = static_cast<float>(gen.next_u64() >> 40) / static_cast<float>(1 << 24);
      x[r * 784 + i] = (i / 784.0 * 10 >= labels[r] && i / 784.0 * 10 < labels[r] + 1)
                           ? 0.5f + 0.5f * noise
                           : 0.5f * noise;
    }
  }
  return datasets::Dataset::classification(std::move(x), {28, 28}, std::move(labels), 10);
}

/// --fit 1: train::fit over the world; appends the parameters and the history to `out`.
void fit_model(const Options& o, const distributed::World& world, std::string& out) {
  if (!o.pid_dir.empty()) {
    std::ofstream(o.pid_dir + "/" + std::to_string(world.rank()) + ".pid") << getpid() << "\n";
  }
  auto model = make_model("mlp", 7 + world.rank());
  optim::Adam adam(model->parameters(), optim::AdamOptions(1e-3));
  datasets::DataLoader train_loader(
      synthetic_data(1200, 11), datasets::DataLoaderOptions(o.batch).shuffle(true).seed(o.seed));
  datasets::DataLoader val_loader(synthetic_data(300, 12), datasets::DataLoaderOptions(64));
  auto options = train::FitOptions()
                     .epochs(o.epochs)
                     .metrics({"accuracy"})
                     .seed(o.seed + (o.seed_plus_rank ? world.rank() : 0))
                     .shard_size(o.shard)
                     .verbose(0)
                     .callback(std::make_shared<Injector>(o, world.rank()))
                     .distributed(world);
  if (!o.checkpoint.empty()) options.checkpoint(o.checkpoint);
  if (!o.resume.empty()) options.resume(o.resume);
  const train::History history =
      train::fit(*model, adam, train::cross_entropy_loss(), train_loader, options, &val_loader);
  for (const auto& p : model->parameters()) {
    out.append(reinterpret_cast<const char*>(p.data_ptr()), sizeof(float) * p.numel());
  }
  for (const auto& name : history.names()) {
    out += name;
    for (double v : history[name]) out.append(reinterpret_cast<const char*>(&v), sizeof v);
  }
}

}  // namespace

int main(int argc, char** argv) try {
  distributed::World world;
  const Options o = parse(argc, argv);
  train::set_num_threads(o.threads);
  std::string out;
  if (o.fit) {
    fit_model(o, world, out);
  } else {
    for (const char* name : {"mlp", "cnn"}) {
      if (o.model == "both" || o.model == name) train_model(name, o, world, out);
    }
  }
  if (world.rank() == 0) {
    std::ofstream file(o.out, std::ios::binary | std::ios::trunc);
    file.write(out.data(), static_cast<std::streamsize>(out.size()));
    if (!file) throw IOError("mpi_train: cannot write " + o.out);
  }
  std::printf("rank %zu of %zu: %zu bytes, %.3f s in %llu MPI calls\n", world.rank(), world.size(),
              out.size(), world.mpi_seconds(), static_cast<unsigned long long>(world.mpi_calls()));
  return 0;
} catch (const std::exception& e) {
  std::fprintf(stderr, "mpi_train: error: %s\n", e.what());
  return 1;
}
