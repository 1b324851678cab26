// SPDX-License-Identifier: MIT
#pragma once

#include <string>

/// Sliding-window arguments shared by the convolution (ops/conv.hpp) and pooling
/// (ops/pooling.hpp) ops.
namespace axon::autograd {

/// A per-axis pair (height, width) of a 2-D window argument: kernel size, stride, padding or
/// dilation. One number sets both (`conv2d(x, w, b, 2)` is stride 2 on both axes); `{2, 1}` sets
/// them apart. Signed, so that a negative value reaches the op and is reported as a ValueError
/// instead of wrapping around.
struct Size2 {
  long h = 0;
  long w = 0;
  constexpr Size2(long both) : h(both), w(both) {}  // NOLINT(google-explicit-constructor)
  constexpr Size2(long height, long width) : h(height), w(width) {}
  friend constexpr bool operator==(const Size2&, const Size2&) = default;
  /// "3" when both agree, "(3, 2)" otherwise (for reprs and error messages).
  std::string str() const {
    if (h == w) return std::to_string(h);
    std::string s(1, '(');  // appended piece by piece: GCC 12 warns (-Wrestrict) on "(" + ...
    s.append(std::to_string(h)).append(", ").append(std::to_string(w)).push_back(')');
    return s;
  }
};

}  // namespace axon::autograd
