// SPDX-License-Identifier: MIT
#pragma once

#include <cstddef>
#include <limits>
#include <optional>
#include <vector>

/// The fixed pairwise reduction tree over shard indices (docs/ARCHITECTURE.md, "The reduction
/// tree").
///
/// A batch-parallel step sums one gradient buffer per shard. Floating-point addition is not
/// associative, so the order of the sum is fixed by the shard indices alone: leaves 0+1, 2+3, ...,
/// then (0+1)+(2+3), ..., a level at a time, whatever the thread count. Each leaf carries a weight
/// (its shard's share of the batch); a leaf's weight is folded into the first add it takes part in
/// (`d = wd * d + ws * s`, and weight 1 once applied: multiplying by 1 is exact), so the result has
/// the bits of "scale every leaf, then add" while each buffer is read once per add.
///
/// The tree splits at aligned points: the leaves [a * 2^k, (a + 1) * 2^k) (cut at n) form a
/// subtree whose root the whole tree uses as it is. A run of leaves is reduced by planning each of
/// its aligned subtrees (subtrees()) on its own; placing every subtree's root at its first leaf
/// position with its pending weight and planning the whole tree over those roots finishes the sum
/// with the bits of the whole tree. This is how several processes share one tree: each reduces its
/// contiguous run of shards, the partial sums are exchanged, and every process finishes the same
/// tree.
namespace axon::train {

/// A leaf position of the tree ([begin, end) of the leaves 0..n-1).
struct LeafRange {
  std::size_t begin = 0;  ///< first leaf
  std::size_t end = 0;    ///< one past the last leaf
  /// Equal when both bounds are.
  bool operator==(const LeafRange&) const = default;
};

/// The adds that reduce the leaves of one subtree, in tree order. Leaves are named by position;
/// the caller keeps one buffer per position (the same length for every present leaf).
template <class T>
struct ReductionPlan {
  /// Means "no leaf": the subtree has no present leaf.
  static constexpr std::size_t kNone = std::numeric_limits<std::size_t>::max();
  /// buffer[dst] = dst_weight * buffer[dst] + src_weight * buffer[src], elementwise.
  struct Add {
    ///@{
    /// Buffer indices: `dst` is updated in place from `src`.
    std::size_t dst, src;
    ///@}
    ///@{
    /// Weights of the two terms.
    T dst_weight, src_weight;
    ///@}
  };
  std::vector<Add> adds;     ///< in tree order
  std::size_t root = kNone;  ///< the position whose buffer holds the sum after the adds
  /// The weight the root buffer still has to be multiplied by (not 1 only when the subtree has a
  /// single present leaf). Carried, not applied, when the subtree is part of a larger tree.
  T root_weight = T(1);
};

/// Plans the subtree over leaves [range.begin, range.end) of the tree over leaves.size() leaves.
/// `leaves[s]` is leaf s's weight, or nullopt when leaf s has no buffer (a shard that did not
/// reach a parameter), which the tree skips. ValueError unless `range` is an aligned subtree
/// (is_subtree).
template <class T>
ReductionPlan<T> plan_reduction(const std::vector<std::optional<T>>& leaves, LeafRange range);

/// The whole tree over leaves.size() leaves.
template <class T>
ReductionPlan<T> plan_reduction(const std::vector<std::optional<T>>& leaves) {
  return plan_reduction(leaves, LeafRange{0, leaves.size()});
}

/// Whether [range.begin, range.end) is a subtree of the tree over n leaves: for some k, begin is
/// a multiple of 2^k and the range is [begin, min(begin + 2^k, n)).
bool is_subtree(LeafRange range, std::size_t n);

/// The aligned subtrees that cover the run [run.begin, run.end) of a tree over n leaves, largest
/// first from the left. ValueError when the run is not within [0, n).
std::vector<LeafRange> subtrees(LeafRange run, std::size_t n);

/// Cuts n leaves into `parts` contiguous runs of n / parts leaves (the first n % parts runs get
/// one more), in order; empty runs when parts > n. ValueError when parts is 0.
std::vector<LeafRange> split_leaves(std::size_t n, std::size_t parts);

/// Runs the plan's adds on elements [begin, end) of the buffers (`buffers[s]` is leaf s's data;
/// only those the plan names are read). When `apply_root_weight`, the root is then multiplied by
/// root_weight as well (the last step of a whole tree; a subtree whose root joins a larger tree
/// leaves it). Elementwise: cutting [0, size) into any ranges gives the same bits.
template <class T>
void reduce_range(const ReductionPlan<T>& plan, T* const* buffers, std::size_t begin,
                  std::size_t end, bool apply_root_weight);

}  // namespace axon::train
