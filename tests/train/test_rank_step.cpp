// SPDX-License-Identifier: MIT
// The distributed step (train/rank_step.cpp) without MPI: N "ranks" are N threads of this process
// sharing a train::Communicator built on std::barrier, each with its own model. Runs in every
// build; tests/distributed/ runs the same step over real MPI processes.
#include <doctest/doctest.h>

#include <barrier>
#include <cstring>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "axon/autograd/error.hpp"
#include "axon/nn/activation.hpp"
#include "axon/nn/dropout.hpp"
#include "axon/nn/linear.hpp"
#include "axon/nn/sequential.hpp"
#include "axon/optim/adam.hpp"
#include "axon/train/fit.hpp"
#include "axon/train/rank_step.hpp"

namespace axon::test {

namespace {

/// `size` ranks that are threads of this process.
class ThreadWorld : public train::Communicator {
 public:
  struct Shared {
    explicit Shared(std::size_t n) : sync(static_cast<std::ptrdiff_t>(n)), slots(n) {}
    std::barrier<> sync;
    std::vector<std::vector<std::byte>> slots;
  };
  ThreadWorld(Shared& shared, std::size_t rank) : shared_(shared), rank_(rank) {}
  std::size_t rank() const override { return rank_; }
  std::size_t size() const override { return shared_.slots.size(); }
  void barrier() const override { shared_.sync.arrive_and_wait(); }
  void allgather(const std::vector<std::byte>& bytes, std::vector<std::byte>& out,
                 std::vector<std::size_t>& offsets) const override {
    shared_.slots[rank_] = bytes;
    shared_.sync.arrive_and_wait();
    out.clear();
    offsets.assign(1, 0);
    for (const auto& slot : shared_.slots) {
      out.insert(out.end(), slot.begin(), slot.end());
      offsets.push_back(out.size());
    }
    shared_.sync.arrive_and_wait();
  }
  void broadcast(void* data, std::size_t bytes, std::size_t root) const override {
    if (rank_ == root) {
      const auto* p = static_cast<const std::byte*>(data);
      shared_.slots[root].assign(p, p + bytes);
    }
    shared_.sync.arrive_and_wait();
    if (rank_ != root) std::memcpy(data, shared_.slots[root].data(), bytes);
    shared_.sync.arrive_and_wait();
  }
  [[noreturn]] void abort(const std::string& message, int) const override {
    throw std::runtime_error("abort: " + message);
  }

 private:
  Shared& shared_;
  std::size_t rank_;
};

/// A small MLP with Dropout (its draws must follow the shard, not the rank), initialised from
/// `seed`.
std::shared_ptr<nn::Sequential> make_model(std::uint64_t seed) {
  autograd::Generator gen(seed);
  auto m = std::make_shared<nn::Sequential>();
  m->add<nn::Linear>(nn::LinearOptions(6, 5), gen);
  m->add<nn::ReLU>();
  m->add<nn::Dropout>(0.3);
  m->add<nn::Linear>(nn::LinearOptions(5, 3), gen);
  return m;
}

datasets::Batch make_batch(std::size_t step, std::size_t rows) {
  autograd::Generator gen(100 + step);
  xt::xarray<float> x = xt::xarray<float>::from_shape({rows, 6});
  for (auto& v : x) v = static_cast<float>(gen.next_u64() >> 40) / static_cast<float>(1 << 23) - 1;
  datasets::Batch batch;
  batch.inputs = autograd::Tensor(std::move(x));
  for (std::size_t r = 0; r < rows; ++r) batch.labels.push_back(gen.next_u64() % 3);
  return batch;
}

/// What a run leaves: every parameter's bytes and every step's loss and outputs.
std::string train_steps(std::size_t rank, const train::Communicator* world) {
  auto model = make_model(rank == 0 ? 5 : 50 + rank);  // only the broadcast makes them agree
  if (world) train::broadcast_model(*model, *world);
  optim::Adam adam(model->parameters(), optim::AdamOptions(1e-2));
  train::ShardedStep step(3, /*seed=*/9, world);
  std::string out;
  for (std::size_t s = 0; s < 4; ++s) {
    adam.zero_grad();
    const auto r = step.train_step(*model, train::cross_entropy_loss(), make_batch(s, 23), adam);
    out.append(reinterpret_cast<const char*>(&r.loss), sizeof r.loss);
    for (const auto& o : r.outputs) {
      out.append(reinterpret_cast<const char*>(o.data_ptr()), sizeof(float) * o.numel());
    }
  }
  for (const auto& p : model->parameters()) {
    out.append(reinterpret_cast<const char*>(p.data_ptr()), sizeof(float) * p.numel());
  }
  return out;
}

}  // namespace

TEST_CASE("rank_run: contiguous runs covering the shards in order, as split_leaves") {
  CHECK(train::rank_run(8, 3, 0) == train::LeafRange{0, 3});
  CHECK(train::rank_run(8, 3, 1) == train::LeafRange{3, 6});
  CHECK(train::rank_run(8, 3, 2) == train::LeafRange{6, 8});
  CHECK(train::rank_run(2, 4, 3) == train::LeafRange{2, 2});  // more ranks than shards: idle
  CHECK_THROWS_AS(train::rank_run(8, 3, 3), IndexError);
}

TEST_CASE(
    "distributed step over 1 to 9 thread ranks: the losses, outputs and parameters of one "
    "process") {
  const std::string expected = train_steps(0, nullptr);
  // 23 samples in shards of 3: 8 shards (the last of 2), so 9 ranks leave one idle.
  for (std::size_t ranks = 1; ranks <= 9; ++ranks) {
    CAPTURE(ranks);
    ThreadWorld::Shared shared(ranks);
    std::vector<std::string> results(ranks);
    std::vector<std::thread> threads;
    for (std::size_t r = 0; r < ranks; ++r) {
      threads.emplace_back([&, r] {
        ThreadWorld world(shared, r);
        results[r] = train_steps(r, &world);
      });
    }
    for (auto& t : threads) t.join();
    for (std::size_t r = 0; r < ranks; ++r) CHECK(results[r] == expected);
  }
}

TEST_CASE("check_same_setup names the first field the ranks disagree on") {
  ThreadWorld::Shared shared(2);
  std::vector<std::string> errors(2);
  std::vector<std::thread> threads;
  for (std::size_t r = 0; r < 2; ++r) {
    threads.emplace_back([&, r] {
      ThreadWorld world(shared, r);
      auto model = make_model(1);
      auto fields = train::setup_fingerprint(*model, /*seed=*/0, 16, r == 0 ? 128 : 64);
      try {
        train::check_same_setup(world, fields, "fit");
      } catch (const ValueError& e) {
        errors[r] = e.what();
      }
    });
  }
  for (auto& t : threads) t.join();
  for (const auto& e : errors) {
    CHECK(e == "fit: the ranks disagree on the batch size: rank 1 has 64, rank 0 has 128");
  }
}

}  // namespace axon::test
