// SPDX-License-Identifier: MIT
#include "train/parallel.hpp"

#include <cblas.h>

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

#include "autograd/blas_check.hpp"
#include "autograd/error.hpp"
#include "autograd/parallel_for.hpp"
#include "autograd/shape.hpp"
#include "autograd/shard.hpp"

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
  check_rows(batch.targets, "targets");
  if (!batch.labels.empty() && batch.labels.size() != n) {
    throw ShapeError("slice_batch: " + std::to_string(batch.labels.size()) +
                     " labels for a batch of " + std::to_string(n) + " samples");
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

template <class T>
BasicShardedStep<T>::BasicShardedStep(std::size_t shard_size, std::uint64_t seed)
    : shard_size_(shard_size), root_(seed) {
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
  using TensorT = autograd::BasicTensor<T>;
  const std::size_t n = batch.size();
  if (n == 0) throw ValueError("ShardedStep::run: empty batch");
  if (!batch.inputs.defined() || batch.inputs.dim() == 0 || batch.inputs.shape()[0] != n) {
    throw ShapeError("ShardedStep::run: batch inputs do not have one row per sample");
  }
  // A tail of a single sample joins the previous shard: one-sample shards would make layers
  // with batch statistics (BatchNorm) fail, and the layout still depends only on n.
  std::size_t shards = (n + shard_size_ - 1) / shard_size_;
  if (shards > 1 && n % shard_size_ == 1) --shards;
  while (tapes_.size() < shards) tapes_.push_back(std::make_unique<autograd::Tape>());
  sinks_.resize(std::max(sinks_.size(), shards));

  BasicStepResult<T> result;
  result.outputs.resize(shards);
  result.shards.resize(shards);
  std::vector<double> losses(shards, 0.0);
  const std::uint64_t step = step_++;

  auto run_shard = [&](std::size_t s) {
    const std::size_t begin = s * shard_size_;
    const std::size_t end = s + 1 == shards ? n : begin + shard_size_;
    result.shards[s] = slice_batch(batch, begin, end);
    autograd::Generator gen = root_.fork((step << 20) ^ s);
    autograd::GeneratorScope gen_scope(gen);
    const autograd::ShardInfo info{s, shards};
    autograd::ShardScope shard_scope(info);
    autograd::LeafGradients<T>& sink = sinks_[s];
    sink.clear();
    autograd::GradSinkScope<T> sink_scope(sink);
    autograd::TapeScope tape_scope(*tapes_[s]);
    TensorT x;
    if constexpr (std::is_same_v<T, float>) {
      x = result.shards[s].inputs;
    } else {
      x = result.shards[s].inputs.template to<T>();
    }
    TensorT out = model.forward(x);
    TensorT l = loss(out, result.shards[s]);
    losses[s] = static_cast<double>(l.item());
    if (l.requires_grad()) l.backward();
    result.outputs[s] = out;
  };

  if (shards == 1 || num_threads() == 1) {
    for (std::size_t s = 0; s < shards; ++s) run_shard(s);
  } else {
    tbb::parallel_for(
        tbb::blocked_range<std::size_t>(0, shards, 1),
        [&](const tbb::blocked_range<std::size_t>& r) {
          for (std::size_t s = r.begin(); s != r.end(); ++s) run_shard(s);
        },
        tbb::simple_partitioner());
  }

  // Weighted mean loss, summed in shard order.
  for (std::size_t s = 0; s < shards; ++s) {
    result.loss +=
        losses[s] * static_cast<double>(result.shards[s].size()) / static_cast<double>(n);
  }

  // Reduce each parameter's shard gradients: scale by the shard's share, then a fixed pairwise
  // tree over shard indices (0+1, 2+3, ..., then (0+1)+(2+3), ...), independent of threads. The
  // tree is planned once per parameter; the work is cut into (parameter, chunk of elements)
  // pieces so a large weight matrix spreads over every thread. Each element goes through the
  // same operations in the same order whatever the chunking, so the bits do not change.
  // Each part's scaling is folded into the first add it takes part in (d = wd d + ws o, with
  // weight 1 once a part is scaled; multiplying by 1 is exact), so the bits are those of
  // "scale every part, then add" while the memory is read once per add.
  struct Add {
    xt::xarray<T>* dst;
    const xt::xarray<T>* src;
    T dst_weight, src_weight;
  };
  struct Plan {
    autograd::TensorImpl<T>* impl = nullptr;
    std::vector<Add> adds;  // in tree order
    xt::xarray<T>* root = nullptr;
    T root_weight = T(1);  // applied when the root took part in no add (a single part)
    // train_step only: the parameter's earlier gradient the sum is added to (nullptr when the
    // sum becomes the gradient), and the optimizer's update of the parameter (nullptr: none).
    xt::xarray<T>* add_into = nullptr;
    const optim::RangeUpdate* update = nullptr;
  };
  std::vector<Plan> plans;
  for (auto& param : model.parameters()) {
    Plan plan;
    plan.impl = &param.impl();
    std::vector<xt::xarray<T>*> parts(shards, nullptr);
    std::vector<T> pending(shards, T(1));  // the weight part s still has to be multiplied by
    bool any = false;
    for (std::size_t s = 0; s < shards; ++s) {
      parts[s] = sinks_[s].find(plan.impl);
      if (parts[s]) {
        any = true;
        pending[s] =
            static_cast<T>(static_cast<double>(result.shards[s].size()) / static_cast<double>(n));
      }
    }
    if (!any) continue;
    std::vector<std::size_t> owner(shards);  // which shard's weight parts[s] carries
    for (std::size_t s = 0; s < shards; ++s) owner[s] = s;
    for (std::size_t stride = 1; stride < shards; stride *= 2) {
      for (std::size_t s = 0; s + stride < shards; s += 2 * stride) {
        if (!parts[s + stride]) continue;
        if (!parts[s]) {
          parts[s] = parts[s + stride];
          owner[s] = owner[s + stride];
          continue;
        }
        plan.adds.push_back(
            {parts[s], parts[s + stride], pending[owner[s]], pending[owner[s + stride]]});
        pending[owner[s]] = T(1);
        pending[owner[s + stride]] = T(1);
      }
    }
    plan.root = parts[0];
    plan.root_weight = pending[owner[0]];
    plans.push_back(std::move(plan));
  }

  // The roots have their parameters' shapes (backward checked each shard's gradient before it
  // reached the sink); a gradient already in a parameter may not, if it was assigned by hand.
  // Checked before anything is added, so that an error changes no parameter.
  for (const Plan& plan : plans) {
    autograd::check_grad_shape(*plan.impl,
                               optimizer ? "ShardedStep::train_step" : "ShardedStep::run");
  }

  std::vector<std::size_t> sizes;
  sizes.reserve(plans.size());
  for (const Plan& plan : plans) sizes.push_back(plan.root->size());
  // One piece: the tree's adds, the lone part's scaling, the add into an earlier gradient, then
  // the optimizer's update of the same elements while they are in cache.
  auto reduce_piece = [&plans](std::size_t item, std::size_t begin, std::size_t end) {
    const Plan& plan = plans[item];
    for (const Add& add : plan.adds) {
      T* __restrict d = add.dst->data();
      const T* __restrict o = add.src->data();
      const T wd = add.dst_weight, ws = add.src_weight;
      for (std::size_t i = begin; i < end; ++i) d[i] = wd * d[i] + ws * o[i];
    }
    if (plan.root_weight != T(1)) {
      T* __restrict d = plan.root->data();
      const T w = plan.root_weight;
      for (std::size_t i = begin; i < end; ++i) d[i] *= w;
    }
    if (plan.add_into) {
      T* __restrict d = plan.add_into->data();
      const T* __restrict o = plan.root->data();
      for (std::size_t i = begin; i < end; ++i) d[i] += o[i];
    }
    if (plan.update) (*plan.update)(begin, end);
  };

  // train_step: the sums go into the parameters' gradients before they are computed (the root
  // buffer becomes the gradient, or is added to an earlier one piece by piece, as
  // accumulate_grad would), so that the optimizer's update of each piece can run as soon as the
  // piece is reduced, while it is still in cache.
  std::vector<optim::ParamUpdate<T>> updates;
  std::vector<bool> update_used;
  if (optimizer) {
    for (Plan& plan : plans) {
      autograd::TensorImpl<T>& impl = *plan.impl;
      if (impl.has_grad) {
        plan.add_into = &impl.grad;
        continue;
      }
      xt::xarray<T>* old_root = plan.root;
      impl.grad = std::move(*old_root);
      impl.has_grad = true;
      for (Add& add : plan.adds) {
        if (add.dst == old_root) add.dst = &impl.grad;
        if (add.src == old_root) add.src = &impl.grad;
      }
      plan.root = &impl.grad;
    }
    try {
      updates = optimizer->prepare_step();
    } catch (...) {
      // The optimizer changed nothing (it checks before it prepares); finish the reduction so
      // that the gradients are run()'s, as after `run(...); optimizer.step();` threw.
      autograd::parallel_chunks_of(sizes, autograd::elementwise_grain(), reduce_piece);
      for (std::size_t s = 0; s < shards; ++s) sinks_[s].clear();
      throw;
    }
    update_used.assign(updates.size(), false);
    for (Plan& plan : plans) {
      for (std::size_t u = 0; u < updates.size(); ++u) {
        if (updates[u].param == plan.impl) {
          plan.update = &updates[u].update;
          update_used[u] = true;
          break;
        }
      }
    }
  }

  autograd::parallel_chunks_of(sizes, autograd::elementwise_grain(), reduce_piece);

  if (optimizer) {
    // Parameters the optimizer updates whose gradient came from elsewhere (none of the shards).
    std::vector<std::size_t> rest_sizes;
    std::vector<const optim::RangeUpdate*> rest;
    for (std::size_t u = 0; u < updates.size(); ++u) {
      if (update_used[u]) continue;
      rest_sizes.push_back(updates[u].param->value.size());
      rest.push_back(&updates[u].update);
    }
    autograd::parallel_chunks_of(rest_sizes, autograd::elementwise_grain(),
                                 [&rest](std::size_t item, std::size_t begin, std::size_t end) {
                                   (*rest[item])(begin, end);
                                 });
  } else {
    for (const Plan& plan : plans) autograd::accumulate_grad(*plan.impl, std::move(*plan.root));
  }
  for (std::size_t s = 0; s < shards; ++s) sinks_[s].clear();
  return result;
}

template class BasicShardedStep<float>;
template class BasicShardedStep<double>;

}  // namespace axon::train
