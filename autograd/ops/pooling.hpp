// SPDX-License-Identifier: MIT
#pragma once

#include <optional>

#include "axon/autograd/ops/window.hpp"
#include "axon/autograd/tensor.hpp"

/// Pooling over the trailing spatial axes of [N, C, L] (1-D) or [N, C, H, W] (2-D) inputs, with
/// PyTorch's semantics (ceil_mode off). Along an axis of length L with kernel k, stride s
/// (default: k) and padding p, the output has floor((L + 2p - k) / s) + 1 positions; PyTorch's
/// rule that p be at most k/2 holds, so every window covers at least one input element. Each
/// (sample, channel) plane is independent; planes run in parallel (oneTBB, isolated, fixed
/// chunks) when there are enough of them.
///
/// Errors, thrown at forward time and naming the op and the shape: ShapeError for a wrong rank or
/// a window larger than the padded input (or an empty input for the adaptive and global pools);
/// ValueError for a kernel, stride or output size below 1, a negative padding, or a padding above
/// half the kernel.
namespace axon::autograd {

/// Maximum over each window; padding never wins (it acts as -inf). The first maximum in
/// row-major window order is the one picked (the first NaN, if any), and its position is stored:
/// the gradient goes to it alone.  dx = g scattered to the arg-max positions
template <class T>
BasicTensor<T> max_pool1d(const BasicTensor<T>& x, long kernel,
                          std::optional<long> stride = std::nullopt, long padding = 0);
/// The 2-D max pool (kernel, stride and padding per axis (height, width)); as max_pool1d.
template <class T>
BasicTensor<T> max_pool2d(const BasicTensor<T>& x, Size2 kernel,
                          std::optional<Size2> stride = std::nullopt, Size2 padding = 0);

/// Mean over each window. With count_include_pad (PyTorch's default) the divisor is the whole
/// window, padding zeros included; without, only the input elements it covers.
/// dx = g / divisor spread over each window
template <class T>
BasicTensor<T> avg_pool1d(const BasicTensor<T>& x, long kernel,
                          std::optional<long> stride = std::nullopt, long padding = 0,
                          bool count_include_pad = true);
/// The 2-D average pool; as avg_pool1d.
template <class T>
BasicTensor<T> avg_pool2d(const BasicTensor<T>& x, Size2 kernel,
                          std::optional<Size2> stride = std::nullopt, Size2 padding = 0,
                          bool count_include_pad = true);

/// Mean over `output_size` bins that cover the axis: bin i spans
/// [floor(i L / out), ceil((i + 1) L / out)) (bins may overlap when L is not a multiple of out).
/// dx = g / bin size spread over each bin
template <class T>
BasicTensor<T> adaptive_avg_pool1d(const BasicTensor<T>& x, long output_size);
/// The 2-D adaptive average pool: output [N, C, output_size.h, output_size.w].
template <class T>
BasicTensor<T> adaptive_avg_pool2d(const BasicTensor<T>& x, Size2 output_size);

/// Mean over H and W: [N, C, H, W] -> [N, C].  dx = g / (H W) at every position
template <class T>
BasicTensor<T> global_avg_pool2d(const BasicTensor<T>& x);

}  // namespace axon::autograd
