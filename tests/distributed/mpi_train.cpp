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
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

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

}  // namespace

int main(int argc, char** argv) try {
  distributed::World world;
  const Options o = parse(argc, argv);
  train::set_num_threads(o.threads);
  std::string out;
  for (const char* name : {"mlp", "cnn"}) {
    if (o.model == "both" || o.model == name) train_model(name, o, world, out);
  }
  if (world.rank() == 0) {
    std::ofstream file(o.out, std::ios::binary | std::ios::trunc);
    file.write(out.data(), static_cast<std::streamsize>(out.size()));
    if (!file) throw IOError("mpi_train: cannot write " + o.out);
  }
  std::printf("rank %zu of %zu: %zu bytes, %.3f s in %llu MPI calls\n", world.rank(),
              world.size(), out.size(), world.mpi_seconds(),
              static_cast<unsigned long long>(world.mpi_calls()));
  return 0;
} catch (const std::exception& e) {
  std::fprintf(stderr, "mpi_train: error: %s\n", e.what());
  return 1;
}
