// SPDX-License-Identifier: MIT
// Tests autograd/ops/shape.cpp: the op-case table, float vs double, exact values, the error table.
// (index_select and gather, which ops/shape.hpp brings in from ops/indexing.hpp:
// test_indexing.cpp.)
#include <doctest/doctest.h>

#include <type_traits>
#include <typeinfo>
#include <vector>

#include "op_case.hpp"

namespace axon::test {
namespace {

using namespace axon::autograd;
using Widths = std::vector<std::pair<std::size_t, std::size_t>>;

std::vector<OpCase> shape_cases() {
  // clang-format off
  return {
    {"reshape", "[2,3] -> [3,2]", {{2, 3}}, [](const auto& x) { return reshape(x[0], {3, 2}); }},
    {"reshape", "-1 inferred", {{2, 3, 4}}, [](const auto& x) { return reshape(x[0], {4, -1}); }},
    {"reshape", "0-d to [1]", {Shape{}}, [](const auto& x) { return reshape(x[0], {1}); }},
    {"reshape", "[1,1] to 0-d", {{1, 1}}, [](const auto& x) { return reshape(x[0], {}); }},
    {"view", "-1 in the middle", {{2, 6}}, [](const auto& x) { return view(x[0], {3, -1, 2}); }},
    {"flatten", "all axes", {{2, 3, 4}}, [](const auto& x) { return flatten(x[0]); }},
    {"flatten", "negative axes", {{2, 3, 4, 1}}, [](const auto& x) { return flatten(x[0], -3, -2); }},
    {"flatten", "0-d to [1]", {Shape{}}, [](const auto& x) { return flatten(x[0]); }},
    {"transpose", "2-D", {{3, 5}}, [](const auto& x) { return transpose(x[0], 0, 1); }},
    {"transpose", "3-D negative axis", {{2, 3, 4}}, [](const auto& x) { return transpose(x[0], -1, 0); }},
    {"transpose", "larger than a tile", {{40, 37}}, [](const auto& x) { return transpose(x[0], 1, 0); }},
    {"transpose", "same axis twice", {{2, 3}}, [](const auto& x) { return transpose(x[0], 1, -1); }},
    {"transpose", "transposed input feeding mul", {{3, 4}, {4, 3}}, [](const auto& x) { return mul(transpose(x[0], 0, 1), x[1]); }},
    {"permute", "rotate axes", {{2, 3, 4}}, [](const auto& x) { return permute(x[0], {2, 0, 1}); }},
    {"permute", "negative axes", {{2, 3, 4}}, [](const auto& x) { return permute(x[0], {-1, -3, -2}); }},
    {"permute", "size-1 axes", {{1, 3, 1, 2}}, [](const auto& x) { return permute(x[0], {3, 1, 0, 2}); }},
    {"permute", "permuted input used twice", {{2, 3}}, [](const auto& x) { return add(permute(x[0], {1, 0}), transpose(x[0], 0, 1)); }},
    {"squeeze", "all size-1 axes", {{1, 3, 1}}, [](const auto& x) { return squeeze(x[0]); }},
    {"squeeze", "one axis", {{2, 1, 3}}, [](const auto& x) { return squeeze(x[0], {1}); }},
    {"squeeze", "negative axis", {{2, 3, 1}}, [](const auto& x) { return squeeze(x[0], {-1}); }},
    {"squeeze", "to 0-d", {{1, 1}}, [](const auto& x) { return squeeze(x[0]); }},
    {"unsqueeze", "0-d", {Shape{}}, [](const auto& x) { return unsqueeze(x[0], 0); }},
    {"unsqueeze", "middle", {{2, 3}}, [](const auto& x) { return unsqueeze(x[0], 1); }},
    {"unsqueeze", "negative (last)", {{2, 3}}, [](const auto& x) { return unsqueeze(x[0], -1); }},
    {"broadcast_to", "size-1 and leading axes", {{3, 1}}, [](const auto& x) { return broadcast_to(x[0], Shape{2, 3, 4}); }},
    {"broadcast_to", "0-d", {Shape{}}, [](const auto& x) { return broadcast_to(x[0], Shape{2, 2}); }},
    {"broadcast_to", "row", {{4}}, [](const auto& x) { return broadcast_to(x[0], Shape{3, 4}); }},
    {"broadcast_to", "same shape", {{2, 3}}, [](const auto& x) { return broadcast_to(x[0], Shape{2, 3}); }},
    {"slice", "range", {{3, 5}}, [](const auto& x) { return slice(x[0], 1, 1, 4); }},
    {"slice", "step 2", {{7, 2}}, [](const auto& x) { return slice(x[0], 0, 1, 7, 2); }},
    {"slice", "negative bounds and axis", {{2, 6}}, [](const auto& x) { return slice(x[0], -1, -4, -1); }},
    {"slice", "clamped bounds, step 3", {{2, 8, 2}}, [](const auto& x) { return slice(x[0], 1, -100, 100, 3); }},
    {"concat", "axis 0, unequal extents", {{2, 3}, {4, 3}}, [](const auto& x) { return concat(x, 0); }},
    {"concat", "three inputs, negative axis", {{2, 1}, {2, 3}, {2, 2}}, [](const auto& x) { return concat(x, -1); }},
    {"concat", "value used twice", {{2, 3}}, [](const auto& x) { return concat(std::vector{x[0], x[0]}, 1); }},
    {"concat", "middle axis of 3-D", {{2, 1, 2}, {2, 3, 2}}, [](const auto& x) { return concat(x, 1); }},
    {"stack", "axis 0", {{2, 3}, {2, 3}}, [](const auto& x) { return stack(x, 0); }},
    {"stack", "new last axis", {{2, 3}, {2, 3}, {2, 3}}, [](const auto& x) { return stack(x, -1); }},
    {"stack", "0-d inputs", {Shape{}, Shape{}}, [](const auto& x) { return stack(x); }},
    {"stack", "value used twice, middle axis", {{3, 2}}, [](const auto& x) { return stack(std::vector{x[0], x[0]}, 1); }},
    {"split", "three pieces, middle unused", {{2, 5}}, [](const auto& x) { auto p = split(x[0], {1, 3, 1}, 1); return concat(std::vector{p[2], p[0]}, 1); }},
    {"split", "pieces recombined", {{6, 2}}, [](const auto& x) { auto p = split(x[0], {2, 4}, -2); return mul(p[0], slice(p[1], 0, 0, 2)); }},
    {"split", "size-0 piece", {{3}}, [](const auto& x) { return split(x[0], {0, 3})[1]; }},
    {"pad", "2-D with value", {{2, 3}}, [](const auto& x) { using V = typename std::decay_t<decltype(x[0])>::value_type; return pad(x[0], Widths{{1, 0}, {2, 1}}, V(0.5)); }},
    {"pad", "3-D, one axis unpadded", {{2, 1, 3}}, [](const auto& x) { return pad(x[0], Widths{{0, 0}, {1, 1}, {0, 2}}); }},
    {"pad", "0-d", {Shape{}}, [](const auto& x) { return pad(x[0], Widths{}); }},
  };
  // clang-format on
}

/// Checks that `call` throws exactly `E` with a message containing `text`.
struct ErrorRow {
  std::string what;
  std::function<void()> call;
  const std::type_info& type;
  std::string text;
};

template <class E>
ErrorRow expect(std::string what, std::function<void()> call, std::string text) {
  return {std::move(what), std::move(call), typeid(E), std::move(text)};
}

/// Row-major values 0, 1, 2, ... in `shape` (double).
TensorD iota(const Shape& shape) {
  std::vector<double> v(shape_numel(shape));
  for (std::size_t i = 0; i < v.size(); ++i) v[i] = static_cast<double>(i);
  return from_vector<double>(v, shape, true);
}

}  // namespace

TEST_CASE("shape: reshape takes size()'s type without casts; concat and stack deduce theirs") {
  // reshape took std::vector<long>, so {x.size(0), -1} (std::size_t and int) needed a cast.
  auto x = iota({2, 3, 4});
  CHECK(reshape(x, {x.size(0), -1}).shape() == Shape{2, 12});
  CHECK(view(x, {x.size(2), x.size(1), x.size(0)}).shape() == Shape{4, 3, 2});
  const int rows = 3;
  const long cols = -1;
  CHECK(reshape(x, {rows, cols}).shape() == Shape{3, 8});
  // The older spellings and other containers of integers.
  const std::vector<long> old{6, -1};
  CHECK(reshape(x, old).shape() == Shape{6, 4});
  CHECK(reshape(x, {4, -1}).shape() == Shape{4, 6});
  CHECK(reshape(x, std::vector<std::size_t>{24}).shape() == Shape{24});
  CHECK(reshape(reshape(x, {-1}), x.shape()).data() == x.data());
  CHECK_THROWS_WITH_AS(reshape(x, {~std::size_t{0}}), doctest::Contains("is too large"),
                       ValueError);
  CHECK_THROWS_AS(reshape(x, {x.size(0), 5}), ShapeError);

  auto a = from_vector<double>({1, 2, 3, 4}, {2, 2}, true);
  auto b = from_vector<double>({5, 6}, {2, 1});
  auto c = concat({a, b}, 1);  // BasicTensor<double>, deduced from the braced list
  static_assert(std::is_same_v<decltype(c), BasicTensor<double>>);
  CHECK(c.data() == xt::xarray<double>({{1, 2, 5}, {3, 4, 6}}));
  c.backward(from_vector<double>({1, 2, 3, 4, 5, 6}, {2, 3}));
  CHECK(a.grad().data() == xt::xarray<double>({{1, 2}, {4, 5}}));
  CHECK(concat({a, a}).shape() == Shape{4, 2});
  auto f = from_vector<float>({1, 2}, {2});
  auto st = stack({f, f, f}, 1);
  static_assert(std::is_same_v<decltype(st), BasicTensor<float>>);
  CHECK(st.data() == xt::xarray<float>({{1, 1, 1}, {2, 2, 2}}));
  // The explicit forms still compile and agree.
  CHECK(concat<double>({a, b}, 1).data() == c.data());
  CHECK(stack(std::vector{f, f, f}, 1).data() == st.data());
  CHECK_THROWS_AS(concat<double>({}), ValueError);
}

TEST_CASE("shape: gradients match finite differences (double)") {
  check_gradients(shape_cases());
}

TEST_CASE("shape: second derivatives match finite differences (double)") {
  check_second_gradients(shape_cases());
}

TEST_CASE("shape: float agrees with double") {
  check_float_matches_double(shape_cases());
}

TEST_CASE("shape: every declared op has a row") {
  check_every_op_has_a_row("ops/shape.hpp", shape_cases());
}

TEST_CASE("shape: permute of a 2x3x4 arange") {
  auto x = iota({2, 3, 4});
  auto y = permute(x, {2, 0, 1});
  REQUIRE(y.shape() == Shape{4, 2, 3});
  for (std::size_t k = 0; k < 4; ++k) {
    for (std::size_t i = 0; i < 2; ++i) {
      for (std::size_t j = 0; j < 3; ++j) {
        CHECK(y.data()(k, i, j) == static_cast<double>(i * 12 + j * 4 + k));
      }
    }
  }
  // The gradient goes back through the inverse permutation.
  y.backward(iota({4, 2, 3}));
  for (std::size_t i = 0; i < 2; ++i) {
    for (std::size_t j = 0; j < 3; ++j) {
      for (std::size_t k = 0; k < 4; ++k) {
        CHECK(x.grad().data()(i, j, k) == static_cast<double>(k * 6 + i * 3 + j));
      }
    }
  }
}

TEST_CASE("shape: transpose matches a naive loop (tiled 2-D, batched, odd sizes)") {
  Tape tape;  // the ops below are recorded but never backpropagated
  TapeScope scope(tape);
  for (const Shape& s : {Shape{67, 45}, Shape{1, 9}, Shape{33, 1}, Shape{3, 40, 70}}) {
    CAPTURE(shape_str(s));
    auto x = iota(s);
    const std::size_t r = s.size();
    auto y = transpose(x, -1, -2);
    REQUIRE(y.dim() == r);
    CHECK(y.shape()[r - 1] == s[r - 2]);
    CHECK(y.shape()[r - 2] == s[r - 1]);
    const std::size_t batch = r == 3 ? s[0] : 1, m = s[r - 2], n = s[r - 1];
    bool same = true;
    for (std::size_t b = 0; b < batch; ++b) {
      for (std::size_t i = 0; i < m; ++i) {
        for (std::size_t j = 0; j < n; ++j) {
          same = same && y.data_ptr()[(b * n + j) * m + i] == x.data_ptr()[(b * m + i) * n + j];
        }
      }
    }
    CHECK(same);
    CHECK(transpose(y, -1, -2).data() == x.data());
  }
}

TEST_CASE("shape: slice follows Python's rules") {
  auto x = iota({10});
  CHECK(slice(x, 0, 2, 8, 3).data() == xt::xarray<double>({2, 5}));
  CHECK(slice(x, 0, -3, 100).data() == xt::xarray<double>({7, 8, 9}));
  CHECK(slice(x, 0, -100, 3, 2).data() == xt::xarray<double>({0, 2}));
  CHECK(slice(x, -1, 9, 10, 5).data() == xt::xarray<double>({9}));
  auto empty = slice(x, 0, 5, 2);
  CHECK(empty.shape() == Shape{0});
  CHECK(slice(x, 0, 12, 20).shape() == Shape{0});
  // Backward scatters into the sliced positions, zeros elsewhere.
  auto y = slice(x, 0, 1, 8, 3);  // 1, 4, 7
  y.backward(from_vector<double>({10, 20, 30}, {3}));
  CHECK(x.grad().data() == xt::xarray<double>({0, 10, 0, 0, 20, 0, 0, 30, 0, 0}));
}

TEST_CASE("shape: concat, stack, split and pad values") {
  auto a = from_vector<double>({1, 2, 3, 4}, {2, 2}, true);
  auto b = from_vector<double>({5, 6}, {2, 1});  // no gradient
  auto c = concat(std::vector{a, b}, 1);
  CHECK(c.data() == xt::xarray<double>({{1, 2, 5}, {3, 4, 6}}));
  c.backward(from_vector<double>({1, 2, 3, 4, 5, 6}, {2, 3}));
  CHECK(a.grad().data() == xt::xarray<double>({{1, 2}, {4, 5}}));
  CHECK_FALSE(b.has_grad());

  auto s = stack(std::vector{iota({2}), iota({2})}, 1);
  CHECK(s.data() == xt::xarray<double>({{0, 0}, {1, 1}}));

  auto x = iota({5});
  auto parts = split(x, {2, 0, 3});
  REQUIRE(parts.size() == 3);
  CHECK(parts[0].data() == xt::xarray<double>({0, 1}));
  CHECK(parts[1].shape() == Shape{0});
  CHECK(parts[2].data() == xt::xarray<double>({2, 3, 4}));
  parts[2].backward(from_vector<double>({7, 8, 9}, {3}));  // the other pieces are unused
  CHECK(x.grad().data() == xt::xarray<double>({0, 0, 7, 8, 9}));

  auto p = pad(from_vector<double>({1, 2}, {1, 2}), Widths{{1, 0}, {0, 2}}, 9.0);
  CHECK(p.data() == xt::xarray<double>({{9, 9, 9, 9}, {1, 2, 9, 9}}));
}

TEST_CASE("shape: reshape family, broadcast_to and 0-d tensors") {
  auto x = scalar<double>(3, true);
  CHECK(reshape(x, {1}).shape() == Shape{1});
  CHECK(unsqueeze(x, -1).shape() == Shape{1});
  CHECK(squeeze(ones<double>({1, 1})).shape() == Shape{});
  CHECK(squeeze(ones<double>({2, 1, 3}), {}).shape() == Shape{2, 3});
  CHECK(flatten(ones<double>({2, 3, 4}), 1).shape() == Shape{2, 12});
  CHECK(reshape(ones<double>({0, 3}), {3, -1}).shape() == Shape{3, 0});
  CHECK(view(iota({2, 3}), {-1}).data() == xt::xarray<double>({0, 1, 2, 3, 4, 5}));

  auto r = from_vector<double>({1, 2}, {2, 1}, true);
  auto bc = broadcast_to(r, Shape{2, 2, 3});
  CHECK(bc.data() == xt::xarray<double>({{{1, 1, 1}, {2, 2, 2}}, {{1, 1, 1}, {2, 2, 2}}}));
  bc.backward(ones<double>({2, 2, 3}));
  CHECK(r.grad().data() == from_vector<double>({6, 6}, {2, 1}).data());
}

TEST_CASE("shape: ops record nothing without gradients") {
  Tape tape;
  TapeScope scope(tape);
  auto x = iota({2, 3});
  {
    NoGradGuard guard;
    CHECK(transpose(x, 0, 1).is_leaf());
    CHECK_FALSE(concat(std::vector{x, x}).requires_grad());
    CHECK_FALSE(split(x, {1, 1})[0].requires_grad());
  }
  auto c = zeros<double>({2, 3});
  CHECK_FALSE(stack(std::vector{c, c}).requires_grad());
  CHECK(tape.size() == 0);
  CHECK(stack(std::vector{c, x}).requires_grad());
  CHECK(tape.size() == 1);
}

TEST_CASE("shape: concat and stack reject inputs from a released graph") {
  auto x = iota({2});
  auto y = mul(x, 2.0);
  y.backward(ones<double>({2}));  // releases the tape y was recorded on
  CHECK_THROWS_AS(concat(std::vector{x, y}), GraphError);
  CHECK_THROWS_AS(stack(std::vector{x, y}), GraphError);
}

TEST_CASE("shape: bad inputs give typed errors naming the op and the shapes") {
  auto x = zeros<double>({2, 3});
  auto y = zeros<double>({3, 3});
  auto s = scalar<double>(1);
  // clang-format off
  const std::vector<ErrorRow> rows = {
    expect<ShapeError>("reshape count", [&] { reshape(x, {4, 2}); }, "reshape: cannot reshape [2,3] (6 elements) into [4,2]"),
    expect<ShapeError>("reshape -1 misfit", [&] { reshape(x, {4, -1}); }, "reshape: cannot reshape [2,3] (6 elements) into [4,-1]"),
    expect<ValueError>("reshape two -1", [&] { reshape(x, {-1, -1}); }, "reshape: bad target shape [-1,-1] for [2,3]"),
    expect<ValueError>("reshape negative", [&] { reshape(x, {-2, -3}); }, "reshape: bad target shape [-2,-3] for [2,3]"),
    expect<ShapeError>("view count", [&] { view(x, {5}); }, "view: cannot reshape [2,3] (6 elements) into [5]"),
    expect<ValueError>("flatten axis", [&] { flatten(x, 0, 5); }, "flatten: axis 5 is out of range for shape [2,3]"),
    expect<ValueError>("flatten order", [&] { flatten(x, 1, 0); }, "flatten: start_axis 1 comes after end_axis 0 for shape [2,3]"),
    expect<ValueError>("transpose axis", [&] { transpose(x, 0, 2); }, "transpose: axis 2 is out of range for shape [2,3]"),
    expect<ValueError>("transpose 0-d", [&] { transpose(s, 0, 0); }, "transpose: axis 0 is out of range for shape []"),
    expect<ValueError>("permute repeat", [&] { permute(x, {0, 0}); }, "permute: axes [0,0] are not a permutation of the 2 axes of shape [2,3]"),
    expect<ValueError>("permute length", [&] { permute(x, {0}); }, "permute: axes [0] are not a permutation"),
    expect<ValueError>("permute range", [&] { permute(x, {0, 2}); }, "permute: axes [0,2] are not a permutation"),
    expect<ShapeError>("squeeze non-1", [&] { squeeze(x, {0}); }, "squeeze: axis 0 of shape [2,3] has extent 2, not 1"),
    expect<ValueError>("squeeze axis", [&] { squeeze(x, {-3}); }, "squeeze: axis -3 is out of range for shape [2,3]"),
    expect<ValueError>("squeeze repeat", [&] { squeeze(ones<double>({1, 2}), {0, -2}); }, "squeeze: axis -2 is repeated in [0,-2] for shape [1,2]"),
    expect<ValueError>("unsqueeze high", [&] { unsqueeze(x, 3); }, "unsqueeze: axis 3 is out of range for shape [2,3]"),
    expect<ValueError>("unsqueeze low", [&] { unsqueeze(x, -4); }, "unsqueeze: axis -4 is out of range for shape [2,3]"),
    expect<ShapeError>("broadcast_to extent", [&] { broadcast_to(x, Shape{3, 3}); }, "broadcast_to: cannot broadcast [2,3] to [3,3]"),
    expect<ShapeError>("broadcast_to rank", [&] { broadcast_to(x, Shape{3}); }, "broadcast_to: cannot broadcast [2,3] to [3]"),
    expect<ValueError>("slice step", [&] { slice(x, 1, 0, 2, 0); }, "slice: step must be >= 1, got 0 (shape [2,3], axis 1)"),
    expect<ValueError>("slice axis", [&] { slice(x, 2, 0, 1); }, "slice: axis 2 is out of range for shape [2,3]"),
    expect<ValueError>("concat empty", [&] { concat(std::vector<TensorD>{}); }, "concat: needs at least one tensor"),
    expect<ShapeError>("concat extents", [&] { concat(std::vector{x, y}, 1); }, "concat: shapes [2,3], [3,3] differ off axis 1"),
    expect<ShapeError>("concat ranks", [&] { concat(std::vector{x, zeros<double>({2})}, 0); }, "concat: shapes [2,3], [2] differ off axis 0"),
    expect<ValueError>("concat axis", [&] { concat(std::vector{x, x}, 2); }, "concat: axis 2 is out of range for shape [2,3]"),
    expect<ValueError>("concat 0-d", [&] { concat(std::vector{s, s}); }, "concat: axis 0 is out of range for shape []"),
    expect<ValueError>("stack empty", [&] { stack(std::vector<TensorD>{}); }, "stack: needs at least one tensor"),
    expect<ShapeError>("stack shapes", [&] { stack(std::vector{x, y}); }, "stack: shapes [2,3], [3,3] differ"),
    expect<ValueError>("stack axis", [&] { stack(std::vector{x, x}, 3); }, "stack: axis 3 is out of range for shape [2,3]"),
    expect<ShapeError>("split sizes", [&] { split(x, {1, 1}, 1); }, "split: sizes [1,1] add up to 2 but axis 1 of shape [2,3] has extent 3"),
    expect<ValueError>("split axis", [&] { split(x, {2}, 2); }, "split: axis 2 is out of range for shape [2,3]"),
    expect<ShapeError>("pad pairs", [&] { pad(x, Widths{{1, 1}}); }, "pad: 1 {before, after} pairs given for shape [2,3] of rank 2"),
    // Element counts that wrap around size_t: the result would own too little storage.
    expect<ValueError>("reshape overflow to 0", [&] { reshape(zeros<double>({0}), {1L << 32, 1L << 32}); }, "reshape: shape [4294967296,4294967296] has too many elements to allocate"),
    expect<ValueError>("reshape overflow to 1", [&] { reshape(ones<double>({1}), {(1L << 32) + 1, (1L << 32) - 1, (1L << 32) + 1, (1L << 32) - 1}); }, "reshape: shape [4294967297,4294967295,4294967297,4294967295] has too many elements"),
    expect<ValueError>("view overflow", [&] { view(zeros<double>({0}), {-1, 1L << 32, 1L << 32}); }, "view: shape [4294967296,4294967296] has too many elements"),
    expect<ValueError>("broadcast_to overflow", [&] { broadcast_to(x, Shape{std::size_t(1) << 62, 2, 3}); }, "broadcast_to: shape [4611686018427387904,2,3] has too many elements"),
    expect<ValueError>("pad wraps", [&] { pad(x, Widths{{0, 0}, {std::size_t(-1), std::size_t(-1)}}); }, "pad: widths {18446744073709551615, 18446744073709551615} on axis 1 of shape [2,3] overflow the extent"),
    expect<ValueError>("pad too large", [&] { pad(x, Widths{{std::size_t(1) << 40, 0}, {std::size_t(1) << 40, 0}}); }, "pad: shape [1099511627778,1099511627779] has too many elements"),
  };
  // clang-format on
  for (const auto& r : rows) {
    CAPTURE(r.what);
    try {
      r.call();
      FAIL("no exception");
    } catch (const axon::Error& e) {
      CHECK(typeid(e) == r.type);
      INFO(e.what());
      CHECK(std::string(e.what()).find(r.text) != std::string::npos);
    }
  }
}

}  // namespace axon::test
