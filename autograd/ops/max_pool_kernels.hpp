// SPDX-License-Identifier: MIT
#pragma once

#include <cstddef>
#include <cstdint>
#include <type_traits>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

/// The max-pooling kernels behind autograd/ops/pooling.cpp's max_pool: the rule that picks the
/// maximum (first maximum wins, a NaN wins once) and the branch-free 2x2, stride-2 fast path.
/// Only pooling.cpp includes this header.
namespace axon::autograd::pooling_kernels {

/// Whether `v` replaces `best` as the running maximum: strictly greater keeps the first maximum;
/// a NaN wins once (the first NaN). Written without branches so that loops vectorise.
template <class T>
inline bool takes_over(T v, T best) {
  return (v > best) | ((v != v) & (best == best));
}

/// `yes` when `cond`, else `no`, without a branch.
inline std::uint32_t select(bool cond, std::uint32_t yes, std::uint32_t no) {
  const std::uint32_t mask = 0u - static_cast<std::uint32_t>(cond);
  return (yes & mask) | (no & ~mask);
}

#if defined(__SSE2__)
/// The float 2x2 fast path, four outputs at a time (SSE2, the x86-64 baseline): the same
/// selections as the scalar loop below, as compare masks. Returns the outputs done; sets `nan`
/// when a window held a NaN.
inline std::size_t max_pool_2x2_sse(const float* top, const float* bottom, std::size_t ow,
                                    std::uint32_t base, std::uint32_t width, float* y,
                                    std::uint32_t* at, int& nan) {
  const auto pick = [](__m128 cond, __m128 yes, __m128 no) {
    return _mm_or_ps(_mm_and_ps(cond, yes), _mm_andnot_ps(cond, no));
  };
  const auto pick_i = [](__m128 cond, __m128i yes, __m128i no) {
    const __m128i m = _mm_castps_si128(cond);
    return _mm_or_si128(_mm_and_si128(m, yes), _mm_andnot_si128(m, no));
  };
  const __m128i w0 = _mm_set1_epi32(0), w1 = _mm_set1_epi32(1);
  const __m128i ww = _mm_set1_epi32(static_cast<int>(width));
  const __m128i ww1 = _mm_set1_epi32(static_cast<int>(width + 1));
  const __m128i steps = _mm_set_epi32(6, 4, 2, 0);
  __m128 unordered = _mm_setzero_ps();
  std::size_t c = 0;
  for (; c + 4 <= ow; c += 4) {
    const __m128 t0 = _mm_loadu_ps(top + 2 * c), t1 = _mm_loadu_ps(top + 2 * c + 4);
    const __m128 b0 = _mm_loadu_ps(bottom + 2 * c), b1 = _mm_loadu_ps(bottom + 2 * c + 4);
    const __m128 a = _mm_shuffle_ps(t0, t1, _MM_SHUFFLE(2, 0, 2, 0));  // even columns
    const __m128 b = _mm_shuffle_ps(t0, t1, _MM_SHUFFLE(3, 1, 3, 1));  // odd columns
    const __m128 cc = _mm_shuffle_ps(b0, b1, _MM_SHUFFLE(2, 0, 2, 0));
    const __m128 d = _mm_shuffle_ps(b0, b1, _MM_SHUFFLE(3, 1, 3, 1));
    const __m128 upper = pick(_mm_cmpgt_ps(b, a), b, a);
    const __m128 lower = pick(_mm_cmpgt_ps(d, cc), d, cc);
    const __m128 best = pick(_mm_cmpgt_ps(lower, upper), lower, upper);
    _mm_storeu_ps(y + c, best);
    unordered = _mm_or_ps(unordered, _mm_or_ps(_mm_cmpunord_ps(a, b), _mm_cmpunord_ps(cc, d)));
    if (at) {
      __m128i off = ww1;
      off = pick_i(_mm_cmpeq_ps(cc, best), ww, off);
      off = pick_i(_mm_cmpeq_ps(b, best), w1, off);
      off = pick_i(_mm_cmpeq_ps(a, best), w0, off);
      const __m128i left = _mm_add_epi32(_mm_set1_epi32(static_cast<int>(base + 2 * c)), steps);
      _mm_storeu_si128(reinterpret_cast<__m128i*>(at + c), _mm_add_epi32(left, off));
    }
  }
  nan |= _mm_movemask_ps(unordered);
  return c;
}
#endif

/// The fast path: 2x2 windows with stride 2 and no padding, read two input rows at a time.
/// `at` (the arg-max offsets) is null when nothing is recorded. The loop has no data-dependent
/// branches (ReLU outputs are full of ties at 0, which made a compare-and-branch loop mispredict
/// constantly): the maximum of the four values a b / c d, then the first of them equal to it. A
/// row holding a NaN is redone with the general rule (the first NaN wins).
template <class T>
void max_pool_2x2(const T* plane, std::size_t w, std::size_t oh, std::size_t ow, T* y,
                  std::uint32_t* at) {
  for (std::size_t r = 0; r < oh; ++r) {
    const T* top = plane + 2 * r * w;
    const T* bottom = top + w;
    T* yr = y + r * ow;
    const auto base = static_cast<std::uint32_t>(2 * r * w);
    const auto width = static_cast<std::uint32_t>(w);
    std::uint32_t* ar = at ? at + r * ow : nullptr;
    int nan = 0;
    std::size_t c = 0;
#if defined(__SSE2__)
    if constexpr (std::is_same_v<T, float>) {
      c = max_pool_2x2_sse(top, bottom, ow, base, width, yr, ar, nan);
    }
#endif
    for (; c < ow; ++c) {
      const T a = top[2 * c], b = top[2 * c + 1], cc = bottom[2 * c], d = bottom[2 * c + 1];
      const T upper = b > a ? b : a, lower = d > cc ? d : cc;
      const T best = lower > upper ? lower : upper;
      yr[c] = best;
      nan |= (a != a) | (b != b) | (cc != cc) | (d != d);
      if (ar) {
        // The first of a, b, c, d equal to the maximum, by masks (a ternary here compiles to a
        // branch on the comparison).
        std::uint32_t off = width + 1;
        off = select(cc == best, width, off);
        off = select(b == best, 1, off);
        off = select(a == best, 0, off);
        ar[c] = base + static_cast<std::uint32_t>(2 * c) + off;
      }
    }
    if (!nan) continue;
    for (std::size_t c = 0; c < ow; ++c) {
      const auto left = base + static_cast<std::uint32_t>(2 * c);
      T best = plane[left];
      std::uint32_t idx = left;
      for (const std::uint32_t k : {left + 1, left + width, left + width + 1}) {
        if (takes_over(plane[k], best)) best = plane[k], idx = k;
      }
      yr[c] = best;
      if (ar) ar[c] = idx;
    }
  }
}

}  // namespace axon::autograd::pooling_kernels
