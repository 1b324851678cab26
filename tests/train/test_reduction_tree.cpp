// SPDX-License-Identifier: MIT
// Tests train/reduction_tree.cpp: the order of the fixed pairwise tree, its aligned subtrees, and
// that a tree split at aligned points and finished from the partial sums gives the whole tree's
// bits (what a step split over several processes relies on).
#include <doctest/doctest.h>

#include <cstring>
#include <optional>
#include <vector>

#include "axon/autograd/error.hpp"
#include "axon/autograd/random.hpp"
#include "axon/train/reduction_tree.hpp"

namespace axon::test {

using train::LeafRange;

namespace {

using Plan = train::ReductionPlan<float>;

/// `n` leaves of `size` random values each; leaf s is missing when bit s of `missing` is set.
struct Leaves {
  std::vector<std::optional<float>> weights;
  std::vector<std::vector<float>> data;
};

Leaves random_leaves(std::size_t n, std::size_t size, std::uint64_t missing, std::uint64_t seed) {
  autograd::Generator gen(seed);
  Leaves l;
  for (std::size_t s = 0; s < n; ++s) {
    std::vector<float> v(size);
    for (auto& x : v) x = static_cast<float>(gen.uniform() * 2.0 - 1.0) * 1e3f;
    l.data.push_back(std::move(v));
    // Unequal shares that do not sum exactly in float (1/3, 1/7, ...).
    if (!((missing >> s) & 1))
      l.weights.push_back(1.0f / static_cast<float>(3 + s % 5));
    else
      l.weights.push_back(std::nullopt);
  }
  return l;
}

std::vector<float*> pointers(std::vector<std::vector<float>>& data) {
  std::vector<float*> out;
  for (auto& v : data) out.push_back(v.data());
  return out;
}

/// The whole tree's sum (empty when no leaf is present).
std::vector<float> whole_sum(Leaves l) {
  const Plan plan = train::plan_reduction(l.weights);
  if (plan.root == Plan::kNone) return {};
  auto buffers = pointers(l.data);
  train::reduce_range(plan, buffers.data(), 0, l.data[0].size(), true);
  return l.data[plan.root];
}

/// The sum with the leaves split into `parts` runs: each run's aligned subtrees are reduced on
/// their own (as a process would reduce its shards), their roots copied out with their pending
/// weights (as an exchange would), and the tree finished over those roots alone.
std::vector<float> split_sum(Leaves l, std::size_t parts) {
  const std::size_t n = l.weights.size(), size = l.data[0].size();
  auto buffers = pointers(l.data);
  std::vector<std::optional<float>> roots(n);
  std::vector<std::vector<float>> received(n, std::vector<float>(size));
  for (const LeafRange run : train::split_leaves(n, parts)) {
    for (const LeafRange sub : train::subtrees(run, n)) {
      const Plan plan = train::plan_reduction(l.weights, sub);
      // Half the elements, then the other half: any cut gives the same bits.
      train::reduce_range(plan, buffers.data(), 0, size / 2, false);
      train::reduce_range(plan, buffers.data(), size / 2, size, false);
      if (plan.root == Plan::kNone) continue;
      roots[sub.begin] = plan.root_weight;
      received[sub.begin] = l.data[plan.root];
    }
  }
  const Plan finish = train::plan_reduction(roots);
  if (finish.root == Plan::kNone) return {};
  auto finish_buffers = pointers(received);
  train::reduce_range(finish, finish_buffers.data(), 0, size, true);
  return received[finish.root];
}

bool same_bits(const std::vector<float>& a, const std::vector<float>& b) {
  return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0;
}

}  // namespace

TEST_CASE("reduction tree: adds pairs of neighbours, then pairs of pairs, in index order") {
  const std::vector<std::optional<double>> five{0.5, 0.25, 0.125, 0.0625, 0.0625};
  const auto plan = train::plan_reduction(five);
  REQUIRE(plan.adds.size() == 4);
  // (0+1), (2+3), then (01)+(23), then (0123)+4; each leaf's weight in its first add only.
  CHECK(plan.adds[0].dst == 0);
  CHECK(plan.adds[0].src == 1);
  CHECK(plan.adds[0].dst_weight == 0.5);
  CHECK(plan.adds[0].src_weight == 0.25);
  CHECK(plan.adds[1].dst == 2);
  CHECK(plan.adds[1].src == 3);
  CHECK(plan.adds[2].dst == 0);
  CHECK(plan.adds[2].src == 2);
  CHECK(plan.adds[2].dst_weight == 1.0);
  CHECK(plan.adds[2].src_weight == 1.0);
  CHECK(plan.adds[3].dst == 0);
  CHECK(plan.adds[3].src == 4);
  CHECK(plan.adds[3].src_weight == 0.0625);
  CHECK(plan.root == 0);
  CHECK(plan.root_weight == 1.0);

  // A missing leaf is skipped; the sum of its sibling moves up unchanged.
  const std::vector<std::optional<double>> holes{std::nullopt, 0.5, std::nullopt, 0.5};
  const auto h = train::plan_reduction(holes);
  REQUIRE(h.adds.size() == 1);
  CHECK(h.adds[0].dst == 1);
  CHECK(h.adds[0].src == 3);
  CHECK(h.root == 1);

  // One leaf: no add, and its weight still to apply.
  const auto one = train::plan_reduction(std::vector<std::optional<double>>{std::nullopt, 0.25});
  CHECK(one.adds.empty());
  CHECK(one.root == 1);
  CHECK(one.root_weight == 0.25);
  CHECK(train::plan_reduction(std::vector<std::optional<double>>(3)).root ==
        train::ReductionPlan<double>::kNone);
}

TEST_CASE("reduction tree: aligned subtrees and the runs they cover") {
  CHECK(train::is_subtree({0, 4}, 8));
  CHECK(train::is_subtree({4, 8}, 8));
  CHECK(train::is_subtree({4, 6}, 6));  // the block [4, 8) cut at n
  CHECK(train::is_subtree({0, 5}, 5));
  CHECK_FALSE(train::is_subtree({2, 5}, 5));  // 2 and 3 pair first, 4 joins at the top
  CHECK_FALSE(train::is_subtree({1, 3}, 4));
  CHECK_FALSE(train::is_subtree({0, 3}, 4));
  CHECK_FALSE(train::is_subtree({0, 5}, 4));
  CHECK(train::subtrees({0, 8}, 8) == std::vector<LeafRange>{{0, 8}});
  CHECK(train::subtrees({1, 7}, 8) == std::vector<LeafRange>{{1, 2}, {2, 4}, {4, 6}, {6, 7}});
  CHECK(train::subtrees({2, 5}, 5) == std::vector<LeafRange>{{2, 4}, {4, 5}});
  CHECK(train::subtrees({3, 3}, 5).empty());
  CHECK(train::split_leaves(7, 3) == std::vector<LeafRange>{{0, 3}, {3, 5}, {5, 7}});
  CHECK(train::split_leaves(2, 4) == std::vector<LeafRange>{{0, 1}, {1, 2}, {2, 2}, {2, 2}});
  CHECK_THROWS_WITH_AS(train::subtrees({2, 6}, 5),
                       "subtrees: run [2, 6) is not within a tree of 5 leaves", ValueError);
  CHECK_THROWS_AS(train::split_leaves(4, 0), ValueError);
  CHECK_THROWS_WITH_AS(
      train::plan_reduction(std::vector<std::optional<float>>(5, 1.0f), LeafRange{2, 5}),
      "plan_reduction: leaves [2, 5) are not an aligned subtree of a tree of 5 leaves", ValueError);
}

TEST_CASE("reduction tree: split at aligned points, the partial sums finish with the same bits") {
  for (std::size_t n = 1; n <= 17; ++n) {
    for (std::uint64_t missing : {std::uint64_t{0}, std::uint64_t{0b1010010}, std::uint64_t{1}}) {
      if (n == 1 && missing == 1) continue;
      const Leaves leaves = random_leaves(n, 37, missing, 100 + n);
      const std::vector<float> whole = whole_sum(leaves);
      REQUIRE(!whole.empty());
      for (std::size_t parts = 1; parts <= n + 1; ++parts) {
        CAPTURE(n);
        CAPTURE(missing);
        CAPTURE(parts);
        CHECK(same_bits(split_sum(leaves, parts), whole));
      }
    }
  }
}

TEST_CASE("reduction tree: the bits are those of scaling every leaf, then adding pairwise") {
  // Reference written out by hand for 3 leaves: ((w0 l0 + w1 l1) + w2 l2).
  const Leaves leaves = random_leaves(3, 11, 0, 7);
  const std::vector<float> got = whole_sum(leaves);
  for (std::size_t i = 0; i < 11; ++i) {
    const float a = *leaves.weights[0] * leaves.data[0][i];
    const float b = *leaves.weights[1] * leaves.data[1][i];
    const float c = *leaves.weights[2] * leaves.data[2][i];
    const float expected = (a + b) + c;
    CHECK(std::memcmp(&got[i], &expected, sizeof(float)) == 0);
  }
}

}  // namespace axon::test
