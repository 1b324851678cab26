// SPDX-License-Identifier: MIT
#include "axon/train/reduction_tree.hpp"

#include <algorithm>
#include <string>

#include "axon/autograd/error.hpp"

namespace axon::train {

namespace {

std::string range_str(LeafRange r) {
  return "[" + std::to_string(r.begin) + ", " + std::to_string(r.end) + ")";
}

/// The smallest power of two >= m (m >= 1).
std::size_t ceil_pow2(std::size_t m) {
  std::size_t p = 1;
  while (p < m) p *= 2;
  return p;
}

}  // namespace

bool is_subtree(LeafRange range, std::size_t n) {
  if (range.begin > range.end || range.end > n) return false;
  if (range.begin == range.end) return true;  // nothing to reduce
  const std::size_t width = ceil_pow2(range.end - range.begin);
  return range.begin % width == 0 && (range.end - range.begin == width || range.end == n);
}

std::vector<LeafRange> subtrees(LeafRange run, std::size_t n) {
  if (run.begin > run.end || run.end > n) {
    throw ValueError("subtrees: run " + range_str(run) + " is not within a tree of " +
                     std::to_string(n) + " leaves");
  }
  std::vector<LeafRange> out;
  for (std::size_t begin = run.begin; begin < run.end;) {
    // The widest aligned block at `begin` that stays inside the run (a block cut at n counts as
    // its leaves up to n).
    std::size_t width = 1;
    while (begin % (2 * width) == 0 && begin + width < n &&
           std::min(begin + 2 * width, n) <= run.end) {
      width *= 2;
    }
    const std::size_t end = std::min(begin + width, n);
    out.push_back({begin, end});
    begin = end;
  }
  return out;
}

std::vector<LeafRange> split_leaves(std::size_t n, std::size_t parts) {
  if (parts == 0) throw ValueError("split_leaves: " + std::to_string(n) + " leaves into 0 parts");
  std::vector<LeafRange> out;
  std::size_t begin = 0;
  for (std::size_t p = 0; p < parts; ++p) {
    const std::size_t size = n / parts + (p < n % parts ? 1 : 0);
    out.push_back({begin, begin + size});
    begin += size;
  }
  return out;
}

template <class T>
ReductionPlan<T> plan_reduction(const std::vector<std::optional<T>>& leaves, LeafRange range) {
  if (!is_subtree(range, leaves.size())) {
    throw ValueError("plan_reduction: leaves " + range_str(range) +
                     " are not an aligned subtree of a tree of " + std::to_string(leaves.size()) +
                     " leaves");
  }
  constexpr std::size_t kNone = ReductionPlan<T>::kNone;
  const std::size_t base = range.begin, m = range.end - range.begin;
  // at[s]: the position whose buffer holds the partial sum that tree slot base + s carries
  // (kNone: none yet); pending[p]: the weight buffer p still has to be multiplied by.
  std::vector<std::size_t> at(m, kNone);
  std::vector<T> pending(m, T(1));
  for (std::size_t s = 0; s < m; ++s) {
    if (leaves[base + s]) {
      at[s] = base + s;
      pending[s] = *leaves[base + s];
    }
  }
  ReductionPlan<T> plan;
  for (std::size_t stride = 1; stride < m; stride *= 2) {
    for (std::size_t s = 0; s + stride < m; s += 2 * stride) {
      const std::size_t right = at[s + stride];
      if (right == kNone) continue;
      if (at[s] == kNone) {  // nothing on the left yet: the right sum moves up unchanged
        at[s] = right;
        continue;
      }
      plan.adds.push_back({at[s], right, pending[at[s] - base], pending[right - base]});
      pending[at[s] - base] = T(1);
      pending[right - base] = T(1);
    }
  }
  if (m > 0 && at[0] != kNone) {
    plan.root = at[0];
    plan.root_weight = pending[at[0] - base];
  }
  return plan;
}

template <class T>
void reduce_range(const ReductionPlan<T>& plan, T* const* buffers, std::size_t begin,
                  std::size_t end, bool apply_root_weight) {
  for (const auto& add : plan.adds) {
    T* __restrict d = buffers[add.dst];
    const T* __restrict o = buffers[add.src];
    const T wd = add.dst_weight, ws = add.src_weight;
    for (std::size_t i = begin; i < end; ++i) d[i] = wd * d[i] + ws * o[i];
  }
  if (apply_root_weight && plan.root != ReductionPlan<T>::kNone && plan.root_weight != T(1)) {
    T* __restrict d = buffers[plan.root];
    const T w = plan.root_weight;
    for (std::size_t i = begin; i < end; ++i) d[i] *= w;
  }
}

template ReductionPlan<float> plan_reduction(const std::vector<std::optional<float>>&, LeafRange);
template ReductionPlan<double> plan_reduction(const std::vector<std::optional<double>>&, LeafRange);
template void reduce_range(const ReductionPlan<float>&, float* const*, std::size_t, std::size_t,
                           bool);
template void reduce_range(const ReductionPlan<double>&, double* const*, std::size_t, std::size_t,
                           bool);

}  // namespace axon::train
