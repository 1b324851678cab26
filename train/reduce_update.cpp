// SPDX-License-Identifier: MIT
// Parts 2 and 3 of a batch-parallel step (train/parallel.hpp): the fixed reduction tree over the
// shards' gradient buffers, and the update fused into it.
#include <cstring>
#include <optional>

#include "axon/autograd/parallel_for.hpp"
#include "axon/train/parallel.hpp"

namespace axon::train {

namespace {

/// Elements of each reduction (the pieces parallel_chunks_of cuts).
template <class T>
std::vector<std::size_t> sizes_of(const std::vector<ParameterReduction<T>>& reductions) {
  std::vector<std::size_t> sizes;
  sizes.reserve(reductions.size());
  for (const auto& r : reductions) sizes.push_back(r.size);
  return sizes;
}

/// One piece [begin, end) of one parameter: the tree's adds, the lone leaf's weight, the add
/// into an earlier gradient, then the optimizer's update of the same elements while they are in
/// cache. Each element goes through the same operations in the same order however the elements
/// are cut, so the bits do not depend on the thread count.
template <class T>
void reduce_piece(const ParameterReduction<T>& r, std::size_t begin, std::size_t end) {
  if (r.root_source) {
    std::memcpy(r.buffers[r.plan.root] + begin, r.root_source + begin, sizeof(T) * (end - begin));
  }
  reduce_range(r.plan, r.buffers.data(), begin, end, /*apply_root_weight=*/true);
  if (r.add_into) {
    T* __restrict d = r.add_into;
    const T* __restrict o = r.buffers[r.plan.root];
    for (std::size_t i = begin; i < end; ++i) d[i] += o[i];
  }
  if (r.update) (*r.update)(begin, end);
}

template <class T>
void reduce_all(const std::vector<ParameterReduction<T>>& reductions) {
  autograd::parallel_chunks_of(sizes_of(reductions), autograd::elementwise_grain(),
                               [&reductions](std::size_t item, std::size_t begin, std::size_t end) {
                                 reduce_piece(reductions[item], begin, end);
                               });
}

}  // namespace

template <class T>
std::vector<ParameterReduction<T>> plan_parameter_reductions(
    nn::BasicModule<T>& model, std::vector<autograd::LeafGradients<T>>& sinks,
    const std::vector<LeafRange>& shards, const char* who) {
  const std::size_t count = shards.size();
  const auto n = static_cast<double>(shards.empty() ? 0 : shards.back().end);
  std::vector<ParameterReduction<T>> out;
  for (auto& param : model.parameters()) {
    ParameterReduction<T> r;
    r.param = &param.impl();
    r.arrays.assign(count, nullptr);
    r.buffers.assign(count, nullptr);
    std::vector<std::optional<T>> leaves(count);
    bool any = false;
    for (std::size_t s = 0; s < count; ++s) {
      if (xt::xarray<T>* g = sinks[s].find(r.param)) {
        r.arrays[s] = g;
        r.buffers[s] = g->data();
        r.size = g->size();
        // The shard's share of the batch.
        leaves[s] = static_cast<T>(static_cast<double>(shards[s].end - shards[s].begin) / n);
        any = true;
      }
    }
    if (!any) continue;
    r.plan = plan_reduction(leaves);
    out.push_back(std::move(r));
  }
  // The roots have their parameters' shapes (backward checked each shard's gradient before it
  // reached the sink); a gradient already in a parameter may not, if it was assigned by hand.
  // Checked before anything is added, so that an error changes no parameter.
  for (const auto& r : out) autograd::check_grad_shape(*r.param, who);
  return out;
}

template <class T>
void reduce_into_gradients(std::vector<ParameterReduction<T>>& reductions) {
  reduce_all(reductions);
  for (auto& r : reductions) autograd::accumulate_grad(*r.param, std::move(*r.arrays[r.plan.root]));
}

template <class T>
void reduce_and_update(std::vector<ParameterReduction<T>>& reductions,
                       optim::BasicOptimizer<T>& optimizer) {
  // The sums go into the parameters' gradients before they are computed (the root buffer becomes
  // the gradient, or is added to an earlier one piece by piece, as accumulate_grad would), so that
  // the optimizer's update of each piece can run as soon as the piece is reduced.
  for (auto& r : reductions) {
    autograd::TensorImpl<T>& impl = *r.param;
    if (impl.has_grad) {
      r.add_into = impl.grad.data();
      continue;
    }
    impl.grad = std::move(*r.arrays[r.plan.root]);
    impl.has_grad = true;
    r.arrays[r.plan.root] = &impl.grad;
    r.buffers[r.plan.root] = impl.grad.data();
  }
  std::vector<optim::ParamUpdate<T>> updates;
  try {
    updates = optimizer.prepare_step();
  } catch (...) {
    // The optimizer changed nothing (it checks before it prepares); finish the reduction so that
    // the gradients are run()'s, as after `run(...); optimizer.step();` threw.
    reduce_all(reductions);
    throw;
  }
  std::vector<bool> used(updates.size(), false);
  for (auto& r : reductions) {
    for (std::size_t u = 0; u < updates.size(); ++u) {
      if (updates[u].param == r.param) {
        r.update = &updates[u].update;
        used[u] = true;
        break;
      }
    }
  }
  reduce_all(reductions);

  // Parameters the optimizer updates whose gradient came from elsewhere (none of the shards).
  std::vector<std::size_t> rest_sizes;
  std::vector<const optim::RangeUpdate*> rest;
  for (std::size_t u = 0; u < updates.size(); ++u) {
    if (used[u]) continue;
    rest_sizes.push_back(updates[u].param->value.size());
    rest.push_back(&updates[u].update);
  }
  autograd::parallel_chunks_of(
      rest_sizes, autograd::elementwise_grain(),
      [&rest](std::size_t item, std::size_t begin, std::size_t end) { (*rest[item])(begin, end); });
}

#define AXON_INSTANTIATE(T)                                                 \
  template std::vector<ParameterReduction<T>> plan_parameter_reductions(    \
      nn::BasicModule<T>&, std::vector<autograd::LeafGradients<T>>&,        \
      const std::vector<LeafRange>&, const char*);                          \
  template void reduce_into_gradients(std::vector<ParameterReduction<T>>&); \
  template void reduce_and_update(std::vector<ParameterReduction<T>>&, optim::BasicOptimizer<T>&);
AXON_INSTANTIATE(float)
AXON_INSTANTIATE(double)
#undef AXON_INSTANTIATE

}  // namespace axon::train
