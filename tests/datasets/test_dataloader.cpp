// SPDX-License-Identifier: MIT
// Tests datasets/dataloader.cpp: batch counts, seeded per-epoch shuffles, coverage, conversion.
#include <doctest/doctest.h>

#include <algorithm>
#include <cstring>
#include <limits>
#include <numeric>
#include <vector>

#include "axon/autograd/error.hpp"
#include "axon/datasets/dataloader.hpp"
#include "axon/datasets/transforms.hpp"

namespace axon::test {

using datasets::Batch;
using datasets::DataLoader;
using datasets::DataLoaderOptions;
using datasets::Dataset;

namespace {

/// n samples of 2 floats (i, -i), label i % 3.
Dataset counting(std::size_t n) {
  std::vector<float> x;
  std::vector<std::size_t> labels;
  for (std::size_t i = 0; i < n; ++i) {
    x.push_back(static_cast<float>(i));
    x.push_back(-static_cast<float>(i));
    labels.push_back(i % 3);
  }
  return Dataset::classification(x, {2}, labels, 3);
}

/// The sample indices of one epoch, in visiting order.
template <class Range>
std::vector<std::size_t> visit(Range&& range) {
  std::vector<std::size_t> seen;
  for (Batch& b : range) seen.insert(seen.end(), b.indices.begin(), b.indices.end());
  return seen;
}

}  // namespace

TEST_CASE("datasets/dataloader: batch counts with and without drop_last") {
  DataLoader keep(counting(10), 3);
  CHECK(keep.num_batches() == 4);
  std::vector<std::size_t> sizes;
  for (Batch& b : keep) sizes.push_back(b.size());
  CHECK(sizes == std::vector<std::size_t>{3, 3, 3, 1});

  DataLoader drop(counting(10), DataLoaderOptions(3).drop_last(true));
  CHECK(drop.num_batches() == 3);
  CHECK(visit(drop).size() == 9);

  CHECK(DataLoader(counting(9), 3).num_batches() == 3);
  CHECK(DataLoader(counting(2), DataLoaderOptions(3).drop_last(true)).num_batches() == 0);
  CHECK(visit(DataLoader(counting(2), DataLoaderOptions(3).drop_last(true))).empty());
  CHECK_THROWS_AS(DataLoader(counting(2), 0), ValueError);
}

TEST_CASE("datasets/dataloader: a batch size near SIZE_MAX gives one batch of everything") {
  // (n + b - 1) / b wrapped around to 0 batches: an epoch that silently trained on nothing.
  const std::size_t huge = std::numeric_limits<std::size_t>::max();
  for (const std::size_t b : {huge, huge - 1, huge / 2 + 1, std::size_t{10}, std::size_t{11}}) {
    CAPTURE(b);
    DataLoader loader(counting(10), b);
    CHECK(loader.num_batches() == 1);
    CHECK(visit(loader) == std::vector<std::size_t>{0, 1, 2, 3, 4, 5, 6, 7, 8, 9});
    CHECK(DataLoader(counting(10), DataLoaderOptions(b).drop_last(true)).num_batches() ==
          (b == 10 ? 1 : 0));
  }
  CHECK(DataLoader(counting(0), huge).num_batches() == 0);
}

TEST_CASE("datasets/dataloader: batches hold the samples' features and labels") {
  DataLoader loader(counting(5), 2);
  auto it = loader.epoch(0).begin();
  Batch& first = *it;
  CHECK(first.inputs.shape() == datasets::Shape{2, 2});
  CHECK(first.inputs.data_ptr()[2] == 1.0f);
  CHECK(first.inputs.data_ptr()[3] == -1.0f);
  CHECK(first.labels == std::vector<std::size_t>{0, 1});
  ++it;
  ++it;
  CHECK(it->labels == std::vector<std::size_t>{1});
  CHECK(it->inputs.shape() == datasets::Shape{1, 2});
}

TEST_CASE("datasets/dataloader: seeded shuffles are reproducible, differ per epoch, cover all") {
  const std::size_t n = 103;
  DataLoader a(counting(n), DataLoaderOptions(10).shuffle(true).seed(7));
  DataLoader b(counting(n), DataLoaderOptions(10).shuffle(true).seed(7));
  DataLoader c(counting(n), DataLoaderOptions(10).shuffle(true).seed(8));
  std::vector<std::size_t> identity(n);
  std::iota(identity.begin(), identity.end(), std::size_t{0});

  const auto a0 = visit(a), a1 = visit(a);  // range-for runs epochs 0, then 1
  CHECK(a.next_epoch() == 2);
  CHECK(a0 == visit(b.epoch(0)));
  CHECK(a1 == visit(b.epoch(1)));
  CHECK(a0 != a1);
  CHECK(a0 != visit(c.epoch(0)));
  CHECK(a0 != identity);
  for (const auto& order : {a0, a1}) {
    auto sorted = order;
    std::sort(sorted.begin(), sorted.end());
    CHECK(sorted == identity);  // every sample exactly once per epoch
  }
  b.set_next_epoch(1);
  CHECK(visit(b) == a1);  // resuming at epoch 1 replays it
  CHECK(visit(DataLoader(counting(n), 10)) == identity);

  // Labels travel with their samples.
  for (Batch& batch : a.epoch(3)) {
    for (std::size_t k = 0; k < batch.size(); ++k) {
      CHECK(batch.labels[k] == batch.indices[k] % 3);
      CHECK(batch.inputs.data_ptr()[2 * k] == static_cast<float>(batch.indices[k]));
    }
  }
}

TEST_CASE("datasets/dataloader: uint8 samples become float in [0,1] per batch") {
  const std::vector<std::uint8_t> pixels = {0, 255, 51, 102, 204, 1};
  DataLoader loader(Dataset::classification(pixels, {3}, {0, 1}, 2), 2);
  loader.transform(datasets::scale_to_unit());
  for (Batch& batch : loader) {
    const float* x = batch.inputs.data_ptr();
    CHECK(x[0] == 0.0f);
    CHECK(x[1] == 1.0f);
    CHECK(x[2] == doctest::Approx(0.2));
    CHECK(x[5] == doctest::Approx(1.0 / 255));
  }
  // The data set itself stays uint8.
  CHECK(loader.dataset().is_uint8());
}

TEST_CASE("datasets/dataloader: a first scale transform is fused into conversion, same bits") {
  // Every uint8 value, and floats that are not exactly representable after scaling.
  std::vector<std::uint8_t> bytes(256 * 3);
  for (std::size_t i = 0; i < bytes.size(); ++i) bytes[i] = static_cast<std::uint8_t>(i * 7);
  std::vector<float> floats(bytes.size());
  for (std::size_t i = 0; i < floats.size(); ++i) floats[i] = 0.1f * static_cast<float>(i) - 3.3f;
  std::vector<std::size_t> labels(256, 0);

  for (const Dataset& data : {Dataset::classification(bytes, {3}, labels, 1),
                              Dataset::classification(floats, {3}, labels, 1)}) {
    CAPTURE(data.is_uint8());
    const datasets::BatchTransform fused = datasets::scale_to_unit();
    REQUIRE(fused.target<datasets::ScaleInputs>() != nullptr);
    // A wrapper the loader cannot recognise: the unfused path, gather then a second pass.
    const datasets::BatchTransform unfused = [fused](Batch& b) { fused(b); };
    DataLoader a(data, DataLoaderOptions(100).shuffle(true).seed(4));
    DataLoader b(data, DataLoaderOptions(100).shuffle(true).seed(4));
    a.transform(fused).transform(datasets::scale(3.0f));
    b.transform(unfused).transform(datasets::scale(3.0f));
    auto ia = a.begin();
    auto ib = b.begin();
    for (; ia != a.end() && ib != b.end(); ++ia, ++ib) {
      const Batch& x = *ia;
      const Batch& y = *ib;
      REQUIRE(x.inputs.numel() == y.inputs.numel());
      CHECK(std::memcmp(x.inputs.data_ptr(), y.inputs.data_ptr(),
                        x.inputs.numel() * sizeof(float)) == 0);
    }
    CHECK((ia == a.end() && ib == b.end()));
  }
}

TEST_CASE("datasets/dataloader: select_rows loads only the selected rows of each batch") {
  // 10 samples in batches of 4: 4, 4, 2. The selector takes rows [1, 3) of the full batches and
  // row [1, 2) of the last.
  DataLoader loader(counting(10), DataLoaderOptions(4).shuffle(true).seed(3));
  std::vector<std::size_t> transformed;  // the samples the transforms saw
  loader.transform(
      [&](Batch& b) { transformed.insert(transformed.end(), b.indices.begin(), b.indices.end()); });
  const std::vector<std::size_t> order = loader.order(0);
  loader.select_rows([](std::size_t n) {
    return n == 4 ? datasets::RowRange{1, 3} : datasets::RowRange{1, 2};
  });
  std::vector<Batch> batches;
  for (Batch& b : loader.epoch(0)) batches.push_back(b);
  REQUIRE(batches.size() == 3);
  const std::vector<std::vector<std::size_t>> expected = {
      {order[1], order[2]}, {order[5], order[6]}, {order[9]}};
  std::vector<std::size_t> all;
  for (std::size_t b = 0; b < 3; ++b) {
    CAPTURE(b);
    CHECK(batches[b].indices == expected[b]);
    CHECK(batches[b].global_size == (b < 2 ? 4u : 2u));
    CHECK(batches[b].whole_size() == (b < 2 ? 4u : 2u));
    CHECK(batches[b].row_offset == 1);
    REQUIRE(batches[b].inputs.shape()[0] == expected[b].size());
    for (std::size_t r = 0; r < expected[b].size(); ++r) {
      CHECK(batches[b].inputs.data()(r, 0) == static_cast<float>(expected[b][r]));
      CHECK(batches[b].labels[r] == expected[b][r] % 3);
    }
    all.insert(all.end(), expected[b].begin(), expected[b].end());
  }
  CHECK(transformed == all);  // no other sample was read

  // A selection of the whole batch is a whole batch; an empty selector loads whole batches again.
  loader.select_rows([](std::size_t n) { return datasets::RowRange{0, n}; });
  CHECK(loader.make_batch(order, 0).global_size == 0);
  loader.select_rows({});
  const Batch whole = loader.make_batch(order, 1);
  CHECK(whole.size() == 4);
  CHECK(whole.global_size == 0);
  CHECK(whole.row_offset == 0);
}

TEST_CASE("datasets/dataloader: make_batch of a row range; empty ranges and bad ones") {
  DataLoader loader(counting(10), DataLoaderOptions(4));
  const std::vector<std::size_t> order = loader.order(0);
  CHECK(loader.batch_span(order, 2) == datasets::RowRange{8, 10});
  const Batch rows = loader.make_batch(order, 1, {2, 4});
  CHECK(rows.indices == std::vector<std::size_t>{6, 7});
  CHECK(rows.global_size == 4);
  CHECK(rows.row_offset == 2);
  // An idle rank's rows: none.
  const Batch none = loader.make_batch(order, 2, {2, 2});
  CHECK(none.size() == 0);
  CHECK(none.whole_size() == 2);
  CHECK_THROWS_WITH_AS(loader.make_batch(order, 2, {1, 3}),
                       "DataLoader::make_batch: rows [1, 3) of batch 2, which has 2 samples",
                       IndexError);
  CHECK_THROWS_AS(loader.make_batch(order, 1, {3, 2}), IndexError);
  CHECK_THROWS_AS(loader.batch_span(order, 3), IndexError);
}

}  // namespace axon::test
