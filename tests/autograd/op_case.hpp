// SPDX-License-Identifier: MIT
#pragma once

// The op-case tables: one table per op family lists every op with its input shapes and domain.
// One test per family walks its table with gradcheck in double and compares float with double;
// another fails when an op declared in the family's header has no row.

#include <functional>
#include <set>
#include <string>
#include <vector>

#include "axon/autograd/autograd.hpp"

namespace axon::test {

using autograd::Shape;
using autograd::Tensor;
using autograd::TensorD;

/// One row: an op applied to inputs of given shapes drawn uniformly from [low, high).
struct OpCase {
  std::string op;       ///< the op covered (as declared in its header)
  std::string variant;  ///< what this row exercises ("broadcast lhs", "0-d", "used twice")
  std::vector<Shape> shapes;
  std::function<TensorD(const std::vector<TensorD>&)> fd;
  std::function<Tensor(const std::vector<Tensor>&)> ff;
  double low = -2.0;
  double high = 2.0;
  /// Inputs are made well separated (no near-ties) when set: for max/min/maximum/sort-like ops.
  bool distinct = false;

  template <class F>
  OpCase(std::string op_name, std::string variant_name, std::vector<Shape> input_shapes, F f,
         double lo = -2.0, double hi = 2.0)
      : op(std::move(op_name)),
        variant(std::move(variant_name)),
        shapes(std::move(input_shapes)),
        fd(f),
        ff(f),
        low(lo),
        high(hi) {}

  OpCase& with_distinct() {
    distinct = true;
    return *this;
  }
  std::string label() const { return op + " (" + variant + ")"; }
};

/// Seeded double inputs for a row (all require grad).
std::vector<TensorD> make_inputs(const OpCase& c, std::uint64_t seed);

/// Runs gradcheck on every row; reports each failing row with its message.
void check_gradients(const std::vector<OpCase>& table);

/// Runs gradgradcheck on every row whose op is not in `pending` (second derivatives: the op's
/// recorded backward differentiated again, against finite differences of its gradient).
void check_second_gradients(const std::vector<OpCase>& table,
                            const std::set<std::string>& pending = {});

/// Checks float results agree with double results within 2e-3 relative on the same inputs.
void check_float_matches_double(const std::vector<OpCase>& table);

/// Names of the ops declared in a header under autograd/ (e.g. "ops/elementwise.hpp"): every
/// `BasicTensor<T> name(` (or `std::vector<BasicTensor<T>> name(`) at the start of a line.
std::set<std::string> declared_ops(const std::string& header);

/// Fails for each op declared in `header` that has no row in `table` (minus `exempt`).
void check_every_op_has_a_row(const std::string& header, const std::vector<OpCase>& table,
                              const std::set<std::string>& exempt = {});

}  // namespace axon::test
