// SPDX-License-Identifier: MIT
// The distributed step (train/rank_step.cpp) without MPI: N "ranks" are N threads of this process
// sharing a train::Communicator built on std::barrier, each with its own model. Runs in every
// build; tests/distributed/ runs the same step over real MPI processes.
#include <doctest/doctest.h>

#include <algorithm>
#include <barrier>
#include <cstring>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>
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

/// Runs `fn(rank, world)` for every rank of a world of `ranks` threads, each on its own thread,
/// and returns what each returned, in rank order.
template <class F>
auto on_thread_ranks(std::size_t ranks, const F& fn) {
  using Result = decltype(fn(std::size_t{0}, std::declval<const train::Communicator&>()));
  ThreadWorld::Shared shared(ranks);
  std::vector<Result> results(ranks);
  std::vector<std::thread> threads;
  for (std::size_t r = 0; r < ranks; ++r) {
    threads.emplace_back([&, r] {
      ThreadWorld world(shared, r);
      results[r] = fn(r, world);
    });
  }
  for (auto& t : threads) t.join();
  return results;
}

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

/// What a run leaves: every parameter's bytes and every step's loss and outputs. With `local`,
/// each rank is handed only the rows it trains (train::rank_rows), as a loader with select_rows
/// would load them.
std::string train_steps(std::size_t rank, const train::Communicator* world, bool local = false) {
  auto model = make_model(rank == 0 ? 5 : 50 + rank);  // only the broadcast makes them agree
  if (world) train::broadcast_model(*model, *world);
  optim::Adam adam(model->parameters(), optim::AdamOptions(1e-2));
  train::ShardedStep step(3, /*seed=*/9, world);
  std::string out;
  for (std::size_t s = 0; s < 4; ++s) {
    adam.zero_grad();
    datasets::Batch batch = make_batch(s, 23);
    if (local && world) {
      const datasets::RowRange rows = train::rank_rows(23, 3, world->size(), rank);
      batch = train::slice_batch(batch, rows.begin, rows.end);
      batch.global_size = 23;
      batch.row_offset = rows.begin;
    }
    const auto r = step.train_step(*model, train::cross_entropy_loss(), batch, adam);
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

/// What fit over `world` (nullptr: one process) leaves: the history as CSV and the parameters'
/// bytes. `seen` and `val_seen` get the samples this rank's training and validation loaders read
/// (through a transform), `restored` whether fit gave the training loader back as it came.
struct FitRun {
  std::string result;
  std::vector<std::size_t> seen, val_seen;
  bool restored = false;
};

FitRun fit_run(std::size_t rank, const train::Communicator* world) {
  autograd::Generator gen(7);
  std::vector<float> x(50 * 6);
  for (auto& v : x) v = static_cast<float>(gen.next_u64() >> 40) / static_cast<float>(1 << 23) - 1;
  std::vector<std::size_t> labels(50);
  for (auto& l : labels) l = gen.next_u64() % 3;
  const datasets::Dataset data = datasets::Dataset::classification(x, {6}, labels, 3);
  std::vector<std::size_t> train_rows(40), val_rows(10);
  for (std::size_t i = 0; i < 50; ++i) (i < 40 ? train_rows[i] : val_rows[i - 40]) = i;
  FitRun run;
  // Batches of 16, 16 and 8 in shards of 3; 3 ranks leave a rank idle in the last batch.
  datasets::DataLoader train(data.subset(train_rows),
                             datasets::DataLoaderOptions(16).shuffle(true).seed(2));
  train.transform([&run](datasets::Batch& b) {
    run.seen.insert(run.seen.end(), b.indices.begin(), b.indices.end());
  });
  datasets::DataLoader val(data.subset(val_rows), datasets::DataLoaderOptions(4));
  val.transform([&run](datasets::Batch& b) {
    run.val_seen.insert(run.val_seen.end(), b.indices.begin(), b.indices.end());
  });
  auto model = make_model(rank == 0 ? 5 : 60 + rank);  // only the broadcast makes them agree
  optim::Adam adam(model->parameters(), optim::AdamOptions(1e-2));
  auto options =
      train::FitOptions().epochs(2).shard_size(3).seed(4).verbose(0).metrics({"accuracy"});
  if (world) options.distributed(*world);
  const train::History history =
      train::fit(*model, adam, train::cross_entropy_loss(), train, options, &val);
  run.result = history.to_csv();
  for (const auto& p : model->parameters()) {
    run.result.append(reinterpret_cast<const char*>(p.data_ptr()), sizeof(float) * p.numel());
  }
  run.restored = !train.row_selector();
  return run;
}

}  // namespace

TEST_CASE(
    "distributed fit over 2 and 3 thread ranks: each rank reads only the samples it trains and "
    "evaluates, and the history and parameters are one process's") {
  const FitRun one = fit_run(0, nullptr);
  REQUIRE(one.seen.size() == 80);  // 40 samples, 2 epochs
  REQUIRE(one.val_seen.size() == 20);
  for (std::size_t ranks : {2, 3}) {
    CAPTURE(ranks);
    const std::vector<FitRun> runs = on_thread_ranks(
        ranks, [](std::size_t r, const train::Communicator& world) { return fit_run(r, &world); });
    std::vector<std::size_t> seen, val_seen;
    for (std::size_t r = 0; r < ranks; ++r) {
      CHECK(runs[r].result == one.result);
      CHECK(runs[r].restored);
      CHECK(runs[r].seen.size() < one.seen.size());
      seen.insert(seen.end(), runs[r].seen.begin(), runs[r].seen.end());
      val_seen.insert(val_seen.end(), runs[r].val_seen.begin(), runs[r].val_seen.end());
    }
    // Together the ranks read every sample exactly as often as one process: none twice.
    auto sorted = [](std::vector<std::size_t> v) {
      std::sort(v.begin(), v.end());
      return v;
    };
    CHECK(sorted(seen) == sorted(one.seen));
    CHECK(sorted(val_seen) == sorted(one.val_seen));
  }
}

TEST_CASE("rank_run: contiguous runs covering the shards in order, as split_leaves") {
  CHECK(train::rank_run(8, 3, 0) == train::LeafRange{0, 3});
  CHECK(train::rank_run(8, 3, 1) == train::LeafRange{3, 6});
  CHECK(train::rank_run(8, 3, 2) == train::LeafRange{6, 8});
  CHECK(train::rank_run(2, 4, 3) == train::LeafRange{2, 2});  // more ranks than shards: idle
  CHECK_THROWS_AS(train::rank_run(8, 3, 3), IndexError);
}

TEST_CASE("rank_rows: the rows of each rank's run of shards; none for an idle rank") {
  // 23 samples in shards of 3: 8 shards, the last [21, 23).
  CHECK(train::rank_rows(23, 3, 3, 0) == datasets::RowRange{0, 9});
  CHECK(train::rank_rows(23, 3, 3, 1) == datasets::RowRange{9, 18});
  CHECK(train::rank_rows(23, 3, 3, 2) == datasets::RowRange{18, 23});
  CHECK(train::rank_rows(23, 3, 1, 0) == datasets::RowRange{0, 23});
  CHECK(train::rank_rows(4, 3, 2, 1) == datasets::RowRange{4, 4});  // one shard of 4: idle
  CHECK_THROWS_AS(train::rank_rows(23, 3, 3, 3), IndexError);
  ThreadWorld::Shared shared(2);
  ThreadWorld world(shared, 1);
  CHECK(train::rank_rows(64, world)(128) == datasets::RowRange{64, 128});
  CHECK_THROWS_AS(train::rank_rows(0, world), ValueError);
}

TEST_CASE(
    "distributed step over 1 to 9 thread ranks, given whole batches or only their own rows: the "
    "losses, outputs and parameters of one process") {
  const std::string expected = train_steps(0, nullptr);
  // 23 samples in shards of 3: 8 shards (the last of 2), so 9 ranks leave one idle.
  for (const bool local : {false, true}) {
    for (std::size_t ranks = 1; ranks <= 9; ++ranks) {
      CAPTURE(local);
      CAPTURE(ranks);
      const std::vector<std::string> results =
          on_thread_ranks(ranks, [local](std::size_t r, const train::Communicator& world) {
            return train_steps(r, &world, local);
          });
      for (std::size_t r = 0; r < ranks; ++r) CHECK(results[r] == expected);
    }
  }
}

TEST_CASE("distributed step: a rank handed rows other than its own is refused, naming the fix") {
  const auto errors = on_thread_ranks(2, [](std::size_t r, const train::Communicator& world) {
    auto model = make_model(5);
    optim::Adam adam(model->parameters(), optim::AdamOptions(1e-2));
    train::ShardedStep step(3, 9, &world);
    // Rows selected for shards of 5, not the step's 3: rank 0 gets [0, 15), rank 1 [15, 23).
    const datasets::RowRange rows = train::rank_rows(23, 5, 2, r);
    datasets::Batch batch = train::slice_batch(make_batch(0, 23), rows.begin, rows.end);
    batch.global_size = 23;
    batch.row_offset = rows.begin;
    try {
      step.train_step(*model, train::cross_entropy_loss(), batch, adam);
    } catch (const std::runtime_error& e) {  // ThreadWorld's abort
      return std::string(e.what());
    }
    return std::string();
  });
  CHECK(errors[0] ==
        "abort: ShardedStep::train_step: this rank's batch holds rows [0, 15) of a batch of 23, "
        "but it trains rows [0, 12) (select the loader's rows with train::rank_rows(shard_size, "
        "world), with the step's shard size)");
  CHECK(errors[1].find("holds rows [15, 23) of a batch of 23, but it trains rows [12, 23)") !=
        std::string::npos);
}

TEST_CASE("a rank's part of a batch without a world of several ranks is refused, naming the rows") {
  auto model = make_model(5);
  optim::Adam adam(model->parameters(), optim::AdamOptions(1e-2));
  datasets::Batch part = train::slice_batch(make_batch(0, 23), 9, 18);
  part.global_size = 23;
  part.row_offset = 9;
  train::ShardedStep step(3, 9);
  CHECK_THROWS_WITH_AS(step.train_step(*model, train::cross_entropy_loss(), part, adam),
                       "ShardedStep::run: the batch holds rows [9, 18) of a batch of 23 "
                       "(DataLoader::select_rows); a step without a world of several ranks needs "
                       "whole batches",
                       ValueError);
  // run_shards on shards outside the rows the batch holds.
  train::ShardBuffers<float> buffers;
  const auto shards = train::shard_ranges(23, 3);
  CHECK_THROWS_WITH_AS(
      train::run_shards(*model, train::cross_entropy_loss(), part, shards, train::LeafRange{0, 3},
                        autograd::Generator(9), 0, buffers),
      "run_shards: shards [0, 3) are rows [0, 9), but the batch holds rows [9, 18)", IndexError);
}

TEST_CASE("check_same_setup names the first field the ranks disagree on") {
  const auto errors = on_thread_ranks(2, [](std::size_t r, const train::Communicator& world) {
    auto model = make_model(1);
    auto fields = train::setup_fingerprint(*model, /*seed=*/0, 16, r == 0 ? 128 : 64);
    try {
      train::check_same_setup(world, fields, "fit");
    } catch (const ValueError& e) {
      return std::string(e.what());
    }
    return std::string();
  });
  for (const auto& e : errors) {
    CHECK(e == "fit: the ranks disagree on the batch size: rank 1 has 64, rank 0 has 128");
  }
}

}  // namespace axon::test
