// SPDX-License-Identifier: MIT
#include "axon/autograd/shape.hpp"

#include <algorithm>
#include <cstddef>
#include <limits>

#include "axon/autograd/error.hpp"

namespace axon::autograd {

std::string shape_str(const Shape& shape) {
  return list_str(shape);
}

std::size_t shape_numel(const Shape& shape) {
  std::size_t n = 1;
  for (auto e : shape) n *= e;
  return n;
}

std::size_t checked_numel(const Shape& shape, const char* op) {
  // Elements of the widest scalar (double) must be addressable in bytes. The non-zero extents are
  // checked even when another extent is 0: xtensor's strides multiply them in signed integers, so
  // [0, 2^62, 2^62] overflows there although it holds no element.
  constexpr std::size_t limit =
      static_cast<std::size_t>(std::numeric_limits<std::ptrdiff_t>::max()) / sizeof(double);
  std::size_t n = 1;
  bool empty = false;
  for (auto e : shape) {
    if (e == 0) {
      empty = true;
      continue;
    }
    if (__builtin_mul_overflow(n, e, &n) || n > limit) {
      throw ValueError(std::string(op) + ": shape " + shape_str(shape) +
                       " has too many elements to allocate");
    }
  }
  return empty ? 0 : n;
}

std::size_t normalize_axis(int axis, std::size_t rank, const char* op) {
  const auto r = static_cast<long>(rank);
  long a = axis;
  if (a < -r || a >= r || (r == 0)) {
    throw ValueError(std::string(op) + ": axis " + std::to_string(axis) +
                     " is out of range for a tensor of rank " + std::to_string(rank));
  }
  if (a < 0) a += r;
  return static_cast<std::size_t>(a);
}

std::size_t normalize_axis(int axis, const Shape& shape, const char* op, bool new_axis) {
  const auto n = static_cast<long>(shape.size() + (new_axis ? 1 : 0));
  const long a = axis < 0 ? axis + n : axis;
  if (a < 0 || a >= n) {
    throw ValueError(std::string(op) + ": axis " + std::to_string(axis) +
                     " is out of range for shape " + shape_str(shape) + " (rank " +
                     std::to_string(shape.size()) + ")");
  }
  return static_cast<std::size_t>(a);
}

std::vector<std::size_t> normalize_axes(const std::vector<int>& axes, std::size_t rank,
                                        const char* op) {
  std::vector<std::size_t> out;
  if (axes.empty()) {
    for (std::size_t i = 0; i < rank; ++i) out.push_back(i);
    return out;
  }
  for (int a : axes) out.push_back(normalize_axis(a, rank, op));
  std::sort(out.begin(), out.end());
  if (std::adjacent_find(out.begin(), out.end()) != out.end()) {
    throw ValueError(std::string(op) + ": an axis is repeated in the axis list");
  }
  return out;
}

Shape broadcast_shapes(const Shape& a, const Shape& b, const char* op) {
  const std::size_t rank = std::max(a.size(), b.size());
  Shape out(rank, 1);
  for (std::size_t i = 0; i < rank; ++i) {
    const std::size_t ea = i < rank - a.size() ? 1 : a[i - (rank - a.size())];
    const std::size_t eb = i < rank - b.size() ? 1 : b[i - (rank - b.size())];
    if (ea != eb && ea != 1 && eb != 1) {
      throw ShapeError(std::string(op) + ": shapes " + shape_str(a) + " and " + shape_str(b) +
                       " cannot be broadcast together (axis " + std::to_string(i) + ": " +
                       std::to_string(ea) + " vs " + std::to_string(eb) + ")");
    }
    out[i] = ea == 1 ? eb : ea;
  }
  return out;
}

Shape contiguous_strides(const Shape& shape) {
  Shape strides(shape.size(), 1);
  std::size_t s = 1;
  for (std::size_t i = shape.size(); i-- > 0;) {
    strides[i] = s;
    s *= shape[i];
  }
  return strides;
}

Shape broadcast_strides(const Shape& in, const Shape& out) {
  Shape strides(out.size(), 0);
  const Shape own = contiguous_strides(in);
  const std::size_t lead = out.size() - in.size();
  for (std::size_t i = 0; i < in.size(); ++i) {
    strides[lead + i] = (in[i] == 1 && out[lead + i] != 1) ? 0 : own[i];
  }
  return strides;
}

}  // namespace axon::autograd
