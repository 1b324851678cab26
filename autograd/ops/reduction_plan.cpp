// SPDX-License-Identifier: MIT
#include "axon/autograd/ops/reduction_plan.hpp"

#include "axon/autograd/error.hpp"

namespace axon::autograd::reduction_plan {

namespace {

/// Offsets of every index combination of the axes where `select[d] == want`, in row-major order.
std::vector<std::size_t> offsets(const Shape& shape, const std::vector<bool>& select, bool want) {
  const Shape strides = contiguous_strides(shape);
  std::vector<std::size_t> out{0};
  for (std::size_t d = 0; d < shape.size(); ++d) {
    if (select[d] != want) continue;
    std::vector<std::size_t> next;
    next.reserve(out.size() * shape[d]);
    for (std::size_t o : out) {
      for (std::size_t k = 0; k < shape[d]; ++k) next.push_back(o + k * strides[d]);
    }
    out.swap(next);
  }
  return out;
}

}  // namespace

std::string context(const char* op, const Shape& shape, const std::vector<int>& axes) {
  return std::string(op) + ": input shape " + shape_str(shape) + ", axes " +
         (axes.empty() ? std::string("all") : list_str(axes)) + ": ";
}

Reduction plan(const char* op, const Shape& shape, const std::vector<int>& axes, bool keepdims) {
  std::vector<std::size_t> normalized;
  try {
    normalized = normalize_axes(axes, shape.size(), op);
  } catch (const ValueError& e) {
    throw ValueError(std::string(e.what()) + " (input shape " + shape_str(shape) + ", axes " +
                     list_str(axes) + ")");
  }
  const std::size_t rank = shape.size();
  std::vector<bool> reduced(rank, false);
  for (std::size_t a : normalized) reduced[a] = true;

  Reduction p;
  for (std::size_t d = 0; d < rank; ++d) {
    p.keep_shape.push_back(reduced[d] ? 1 : shape[d]);
    if (!reduced[d]) {
      p.out_shape.push_back(shape[d]);
    } else if (keepdims) {
      p.out_shape.push_back(1);
    }
  }
  // Adjacent when the axes of extent != 1 read kept*, reduced*, kept*.
  int phase = 0;
  for (std::size_t d = 0; d < rank && p.direct; ++d) {
    if (shape[d] == 1) continue;
    if (reduced[d]) {
      p.direct = phase < 2;
      phase = 1;
    } else if (phase == 1) {
      phase = 2;
    }
  }
  if (p.direct) {
    bool after = false;  // past the first reduced axis of extent != 1
    for (std::size_t d = 0; d < rank; ++d) {
      if (reduced[d]) {
        p.reduced *= shape[d];
        after = after || shape[d] != 1;
      } else {
        (after ? p.inner : p.outer) *= shape[d];
      }
    }
  } else {
    p.base = offsets(shape, reduced, false);
    p.step = offsets(shape, reduced, true);
    p.outer = p.base.size();
    p.reduced = p.step.size();
  }
  return p;
}

void require_elements(const char* op, const Reduction& p, const Shape& shape,
                      const std::vector<int>& axes) {
  if (p.reduced == 0) {
    throw ValueError(context(op, shape, axes) +
                     "cannot reduce zero elements (the operation has no identity)");
  }
}

}  // namespace axon::autograd::reduction_plan
