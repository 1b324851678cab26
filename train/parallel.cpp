// SPDX-License-Identifier: MIT
#include "axon/train/parallel.hpp"

#include <cblas.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <string>
#include <type_traits>

#include <oneapi/tbb/blocked_range.h>
#include <oneapi/tbb/global_control.h>
#include <oneapi/tbb/info.h>
#include <oneapi/tbb/parallel_for.h>
#include <oneapi/tbb/partitioner.h>
#include <oneapi/tbb/task_arena.h>

#include "axon/autograd/blas_check.hpp"
#include "axon/autograd/error.hpp"
#include "axon/autograd/parallel_for.hpp"
#include "axon/autograd/shape.hpp"
#include "axon/train/rank_step.hpp"
#include "axon/train/shard_scopes.hpp"

namespace axon::train {

namespace {

std::mutex threads_mutex;
std::unique_ptr<tbb::global_control> threads_control;
std::size_t threads_in_use = 0;

/// AXON_NUM_THREADS when set (ValueError unless it is an integer in 1..kMaxThreads), else all
/// cores.
std::size_t default_threads() {
  if (const char* env = std::getenv("AXON_NUM_THREADS")) {
    char* end = nullptr;
    errno = 0;
    const long long v = std::strtoll(env, &end, 10);
    if (end == env || *end != '\0' || errno != 0 || v < 1 ||
        static_cast<unsigned long long>(v) > kMaxThreads) {
      throw ValueError("AXON_NUM_THREADS='" + std::string(env) +
                       "': expected an integer from 1 to " + std::to_string(kMaxThreads));
    }
    return static_cast<std::size_t>(v);
  }
  return static_cast<std::size_t>(tbb::info::default_concurrency());
}

}  // namespace

void set_num_threads(std::size_t threads) {
  if (threads > kMaxThreads) {
    throw ValueError("set_num_threads: " + std::to_string(threads) + " threads, at most " +
                     std::to_string(kMaxThreads));
  }
  const std::size_t n = threads == 0 ? default_threads() : threads;
  std::lock_guard<std::mutex> lock(threads_mutex);
  threads_control =
      std::make_unique<tbb::global_control>(tbb::global_control::max_allowed_parallelism, n);
  threads_in_use = n;
  // Shards run in parallel, each calling BLAS: one BLAS thread per shard (property 9).
  openblas_set_num_threads(1);
  autograd::warn_if_slow_blas_kernel();
}

std::size_t num_threads() {
  {
    std::lock_guard<std::mutex> lock(threads_mutex);
    if (threads_in_use) return threads_in_use;
  }
  set_num_threads(0);
  return num_threads();
}

std::size_t workers() {
  const auto arena = static_cast<std::size_t>(tbb::this_task_arena::max_concurrency());
  return std::min(num_threads(), arena);
}

datasets::Batch slice_batch(const datasets::Batch& batch, std::size_t begin, std::size_t end) {
  const std::size_t n = batch.size();
  if (begin > end || end > n) {
    throw IndexError("slice_batch: rows [" + std::to_string(begin) + ", " + std::to_string(end) +
                     ") of a batch of " + std::to_string(n));
  }
  auto check_rows = [n](const Tensor& t, const char* what) {
    if (t.defined() && (t.dim() == 0 || t.shape()[0] != n)) {
      throw ShapeError(std::string("slice_batch: ") + what + " of shape " +
                       autograd::shape_str(t.shape()) + " for a batch of " + std::to_string(n) +
                       " samples (expected one row per sample)");
    }
  };
  check_rows(batch.inputs, "inputs");
  for (const Tensor& extra : batch.extra_inputs) check_rows(extra, "extra inputs");
  check_rows(batch.targets, "targets");
  if (!batch.labels.empty() && batch.labels.size() != n) {
    throw ShapeError("slice_batch: " + std::to_string(batch.labels.size()) +
                     " labels for a batch of " + std::to_string(n) + " samples");
  }
  if (begin == 0 && end == n) {  // all of it: the same tensors, no copy
    datasets::Batch out = batch;
    out.global_size = out.row_offset = 0;
    return out;
  }
  auto rows = [&](const Tensor& t) {
    if (!t.defined()) return Tensor();
    autograd::Shape shape = t.shape();
    const std::size_t row = n ? t.numel() / n : 0;
    shape[0] = end - begin;
    xt::xarray<float> v = xt::xarray<float>::from_shape(shape);
    if (row != 0 && end > begin) {
      std::memcpy(v.data(), t.data_ptr() + begin * row, sizeof(float) * row * (end - begin));
    }
    return Tensor(std::move(v));
  };
  datasets::Batch out;
  out.inputs = rows(batch.inputs);
  out.extra_inputs.reserve(batch.extra_inputs.size());
  for (const Tensor& extra : batch.extra_inputs) out.extra_inputs.push_back(rows(extra));
  out.targets = rows(batch.targets);
  if (!batch.labels.empty()) {
    out.labels.assign(batch.labels.begin() + static_cast<long>(begin),
                      batch.labels.begin() + static_cast<long>(end));
  }
  if (!batch.indices.empty()) {
    out.indices.assign(batch.indices.begin() + static_cast<long>(begin),
                       batch.indices.begin() + static_cast<long>(end));
  }
  return out;
}

std::vector<LeafRange> shard_ranges(std::size_t n, std::size_t shard_size) {
  if (n == 0 || shard_size == 0) {
    throw ValueError("shard_ranges: " + std::to_string(n) + " samples in shards of " +
                     std::to_string(shard_size) + " (both must be at least 1)");
  }
  std::size_t count = (n + shard_size - 1) / shard_size;
  if (count > 1 && n % shard_size == 1) --count;
  std::vector<LeafRange> out(count);
  for (std::size_t s = 0; s < count; ++s) {
    out[s] = {s * shard_size, s + 1 == count ? n : (s + 1) * shard_size};
  }
  return out;
}

template <class T>
void ShardBuffers<T>::reserve(std::size_t shards) {
  while (tapes.size() < shards) tapes.push_back(std::make_unique<autograd::Tape>());
  if (sinks.size() < shards) sinks.resize(shards);
}

template <class T>
void ShardBuffers<T>::clear() {
  for (auto& sink : sinks) sink.clear();
}

template <class T>
BasicStepResult<T> run_shards(nn::BasicModule<T>& model, const BasicLossFunction<T>& loss,
                              const datasets::Batch& batch, const std::vector<LeafRange>& shards,
                              const autograd::Generator& root, std::uint64_t step,
                              ShardBuffers<T>& buffers) {
  return run_shards(model, loss, batch, shards, LeafRange{0, shards.size()}, root, step, buffers);
}

template <class T>
BasicStepResult<T> run_shards(nn::BasicModule<T>& model, const BasicLossFunction<T>& loss,
                              const datasets::Batch& batch, const std::vector<LeafRange>& shards,
                              LeafRange run, const autograd::Generator& root, std::uint64_t step,
                              ShardBuffers<T>& buffers) {
  const std::size_t count = shards.size();
  if (run.begin > run.end || run.end > count) {
    throw IndexError("run_shards: shards [" + std::to_string(run.begin) + ", " +
                     std::to_string(run.end) + ") of " + std::to_string(count));
  }
  // A rank's part of a shared batch holds rows [offset, offset + batch.size()) of it.
  const std::size_t offset = batch.global_size ? batch.row_offset : 0;
  if (run.begin < run.end &&
      (shards[run.begin].begin < offset || shards[run.end - 1].end > offset + batch.size())) {
    throw IndexError("run_shards: shards [" + std::to_string(run.begin) + ", " +
                     std::to_string(run.end) + ") are rows [" +
                     std::to_string(shards[run.begin].begin) + ", " +
                     std::to_string(shards[run.end - 1].end) + "), but the batch holds rows [" +
                     std::to_string(offset) + ", " + std::to_string(offset + batch.size()) + ")");
  }
  buffers.reserve(count);
  BasicStepResult<T> result;
  result.outputs.resize(count);
  result.shards.resize(count);
  result.shard_losses.assign(count, 0.0);
  std::vector<double>& losses = result.shard_losses;

  auto run_shard = [&](std::size_t s) {
    datasets::Batch& rows = result.shards[s];
    rows = slice_batch(batch, shards[s].begin - offset, shards[s].end - offset);
    ShardScopes<T> scopes(*buffers.tapes[s], buffers.sinks[s], root, step, s, count);
    autograd::BasicTensor<T> out, l;
    if (rows.extra_inputs.empty() && !loss.takes_outputs()) {
      autograd::BasicTensor<T> x;
      if constexpr (std::is_same_v<T, float>) {
        x = rows.inputs;
      } else {
        x = rows.inputs.template to<T>();
      }
      out = model(x);
      l = loss(out, rows);
    } else {  // several inputs or a loss of several outputs: the many-tensor forward
      BasicForwardResult<T> r = forward_with_loss(model, loss, rows, "ShardedStep");
      out = r.output();
      l = std::move(r.loss);
    }
    losses[s] = static_cast<double>(l.item());
    if (l.requires_grad()) l.backward();
    result.outputs[s] = out;
  };
  if (run.end - run.begin <= 1 || num_threads() == 1) {
    for (std::size_t s = run.begin; s < run.end; ++s) run_shard(s);
  } else {
    tbb::parallel_for(
        tbb::blocked_range<std::size_t>(run.begin, run.end, 1),
        [&](const tbb::blocked_range<std::size_t>& r) {
          for (std::size_t s = r.begin(); s != r.end(); ++s) run_shard(s);
        },
        tbb::simple_partitioner());
  }

  result.loss = weighted_loss(losses, shards, run);
  return result;
}

double weighted_loss(const std::vector<double>& shard_losses, const std::vector<LeafRange>& shards,
                     LeafRange run) {
  // Weighted mean loss, summed in shard order.
  const auto n = static_cast<double>(shards.empty() ? 0 : shards.back().end);
  double loss = 0;
  for (std::size_t s = run.begin; s < run.end; ++s) {
    loss += shard_losses[s] * static_cast<double>(shards[s].end - shards[s].begin) / n;
  }
  return loss;
}

template <class T>
BasicShardedStep<T>::BasicShardedStep(std::size_t shard_size, std::uint64_t seed,
                                      const Communicator* world)
    : shard_size_(shard_size), root_(seed), world_(world) {
  if (shard_size == 0) throw ValueError("ShardedStep: shard_size must be at least 1");
}

template <class T>
BasicStepResult<T> BasicShardedStep<T>::run(nn::BasicModule<T>& model,
                                            const BasicLossFunction<T>& loss,
                                            const datasets::Batch& batch) {
  return step(model, loss, batch, nullptr);
}

template <class T>
BasicStepResult<T> BasicShardedStep<T>::train_step(nn::BasicModule<T>& model,
                                                   const BasicLossFunction<T>& loss,
                                                   const datasets::Batch& batch,
                                                   optim::BasicOptimizer<T>& optimizer) {
  // Anomaly mode checks each gradient as it lands in a parameter (accumulate_grad), which the
  // fused pass skips: take the two-pass path, whose bits are the same.
  if (autograd::anomaly_enabled()) {
    BasicStepResult<T> result = step(model, loss, batch, nullptr);
    optimizer.step();
    return result;
  }
  return step(model, loss, batch, &optimizer);
}

template <class T>
BasicStepResult<T> BasicShardedStep<T>::step(nn::BasicModule<T>& model,
                                             const BasicLossFunction<T>& loss,
                                             const datasets::Batch& batch,
                                             optim::BasicOptimizer<T>* optimizer) {
  // A rank's part of a shared batch (DataLoader::select_rows) is one of n = global_size samples.
  const std::size_t n = batch.whole_size();
  if (n == 0) throw ValueError("ShardedStep::run: empty batch");
  const bool partial = batch.global_size != 0;
  if (partial && !is_distributed(world_) && (batch.row_offset != 0 || batch.size() != n)) {
    throw ValueError("ShardedStep::run: the batch holds rows [" + std::to_string(batch.row_offset) +
                     ", " + std::to_string(batch.row_offset + batch.size()) + ") of a batch of " +
                     std::to_string(n) +
                     " (DataLoader::select_rows); a step without a world of several ranks needs "
                     "whole batches");
  }
  const bool no_rows = partial && batch.size() == 0;  // a rank with no shard of this batch
  if (!no_rows && (!batch.inputs.defined() || batch.inputs.dim() == 0 ||
                   batch.inputs.shape()[0] != batch.size())) {
    throw ShapeError("ShardedStep::run: batch inputs do not have one row per sample");
  }
  const std::vector<LeafRange> shards = shard_ranges(n, shard_size_);
  // The sinks are cleared on every exit, so a failed step leaves no stale gradient behind.
  struct ClearOnExit {
    ShardBuffers<T>& buffers;
    ~ClearOnExit() { buffers.clear(); }
  } clear_on_exit{buffers_};

  const char* who = optimizer ? "ShardedStep::train_step" : "ShardedStep::run";
  if (is_distributed(world_)) {
    return run_rank_step(model, loss, batch, shards, root_, step_++, buffers_, *world_, optimizer,
                         who);
  }
  BasicStepResult<T> result = run_shards(model, loss, batch, shards, root_, step_++, buffers_);
  auto reductions = plan_parameter_reductions(model, buffers_.sinks, shards, who);
  if (optimizer) {
    reduce_and_update(reductions, *optimizer);
  } else {
    reduce_into_gradients(reductions);
  }
  return result;
}

template struct ShardBuffers<float>;
template struct ShardBuffers<double>;
template BasicStepResult<float> run_shards(nn::BasicModule<float>&, const BasicLossFunction<float>&,
                                           const datasets::Batch&, const std::vector<LeafRange>&,
                                           LeafRange, const autograd::Generator&, std::uint64_t,
                                           ShardBuffers<float>&);
template BasicStepResult<double> run_shards(nn::BasicModule<double>&,
                                            const BasicLossFunction<double>&,
                                            const datasets::Batch&, const std::vector<LeafRange>&,
                                            LeafRange, const autograd::Generator&, std::uint64_t,
                                            ShardBuffers<double>&);
template BasicStepResult<float> run_shards(nn::BasicModule<float>&, const BasicLossFunction<float>&,
                                           const datasets::Batch&, const std::vector<LeafRange>&,
                                           const autograd::Generator&, std::uint64_t,
                                           ShardBuffers<float>&);
template BasicStepResult<double> run_shards(nn::BasicModule<double>&,
                                            const BasicLossFunction<double>&,
                                            const datasets::Batch&, const std::vector<LeafRange>&,
                                            const autograd::Generator&, std::uint64_t,
                                            ShardBuffers<double>&);
template class BasicShardedStep<float>;
template class BasicShardedStep<double>;

}  // namespace axon::train
