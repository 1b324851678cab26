// SPDX-License-Identifier: MIT
#pragma once

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstddef>
#include <cstdint>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif
#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#endif

/// Internal: sigmoid and softplus of one value, stable for every finite input (the sigmoid and
/// softplus activations and the logit losses use these), and vectorised sigmoid and tanh over
/// contiguous arrays for the fused recurrent-cell ops (autograd/ops/recurrent.cpp). The array
/// forms in float use a polynomial exp, four lanes at a time with SSE2 and eight with AVX2 when
/// the CPU has it (chosen at run time; the same operations in the same order, so the same bits
/// either way); in double they use libm, with the same steps as sigmoid() below.
namespace axon::autograd::vector_math {

/// 1 / (1 + e^-x) with one exp of a non-positive argument, so it never overflows:
/// e^-|x| / (1 + e^-|x|) is sigmoid(-|x|). Gives exactly 1 and 0 far out in the tails.
template <class T>
T sigmoid(T x) {
  const T e = std::exp(-std::abs(x));
  const T r = T(1) / (T(1) + e);
  return x >= T(0) ? r : e * r;
}

/// log(1 + e^z) as max(z, 0) + log1p(e^-|z|): no overflow or cancellation for any finite z.
template <class T>
T softplus(T z) {
  return (z > T(0) ? z : T(0)) + std::log1p(std::exp(-std::abs(z)));
}

/// e^x for float without libm: x clamped to [-87, 87], split as n ln2 + r with |r| <= ln2/2,
/// e^r by Cephes' degree-6 polynomial, 2^n built in the exponent bits. Relative error about
/// 2e-7. The same steps four lanes at a time with SSE2 below (GCC does not vectorise the clamp).
inline float exp_approx(float x) {
  x = std::min(std::max(x, -87.0f), 87.0f);
  // Round x / ln2 to the nearest integer by adding and subtracting 1.5 * 2^23.
  const float n = (x * 1.44269504088896341f + 12582912.0f) - 12582912.0f;
  const float r = (x - n * 0.693359375f) - n * -2.12194440e-4f;  // ln2 in two parts
  float p = 1.9875691500e-4f;
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  p = p * r * r + r + 1.0f;
  const std::int32_t bits = (static_cast<std::int32_t>(n) + 127) << 23;
  return p * std::bit_cast<float>(bits);
}

#if defined(__SSE2__)
inline __m128 exp_approx(__m128 x) {
  const auto k = [](float v) { return _mm_set1_ps(v); };
  x = _mm_min_ps(_mm_max_ps(x, k(-87.0f)), k(87.0f));
  const __m128 n = _mm_sub_ps(_mm_add_ps(_mm_mul_ps(x, k(1.44269504088896341f)), k(12582912.0f)),
                              k(12582912.0f));
  const __m128 r =
      _mm_sub_ps(_mm_sub_ps(x, _mm_mul_ps(n, k(0.693359375f))), _mm_mul_ps(n, k(-2.12194440e-4f)));
  __m128 p = k(1.9875691500e-4f);
  p = _mm_add_ps(_mm_mul_ps(p, r), k(1.3981999507e-3f));
  p = _mm_add_ps(_mm_mul_ps(p, r), k(8.3334519073e-3f));
  p = _mm_add_ps(_mm_mul_ps(p, r), k(4.1665795894e-2f));
  p = _mm_add_ps(_mm_mul_ps(p, r), k(1.6666665459e-1f));
  p = _mm_add_ps(_mm_mul_ps(p, r), k(5.0000001201e-1f));
  p = _mm_add_ps(_mm_add_ps(_mm_mul_ps(_mm_mul_ps(p, r), r), r), k(1.0f));
  const __m128i bits = _mm_slli_epi32(_mm_add_epi32(_mm_cvttps_epi32(n), _mm_set1_epi32(127)), 23);
  return _mm_mul_ps(p, _mm_castsi128_ps(bits));
}
#endif

#if defined(__x86_64__) && defined(__GNUC__)
#define AXON_RECURRENT_AVX2 1
/// The SSE2 steps eight lanes at a time, in the same order without FMA (so the results are the
/// same bits), for CPUs with AVX2; chosen at run time.
inline __attribute__((target("avx2"))) void scaled_sigmoid_avx2(const float* x, float* y,
                                                                std::size_t n, float s, float a,
                                                                float b) {
  for (std::size_t j = 0; j + 8 <= n; j += 8) {
    __m256 v = _mm256_mul_ps(_mm256_set1_ps(-s), _mm256_loadu_ps(x + j));
    v = _mm256_min_ps(_mm256_max_ps(v, _mm256_set1_ps(-87.0f)), _mm256_set1_ps(87.0f));
    const __m256 m =
        _mm256_sub_ps(_mm256_add_ps(_mm256_mul_ps(v, _mm256_set1_ps(1.44269504088896341f)),
                                    _mm256_set1_ps(12582912.0f)),
                      _mm256_set1_ps(12582912.0f));
    const __m256 r = _mm256_sub_ps(_mm256_sub_ps(v, _mm256_mul_ps(m, _mm256_set1_ps(0.693359375f))),
                                   _mm256_mul_ps(m, _mm256_set1_ps(-2.12194440e-4f)));
    __m256 p = _mm256_set1_ps(1.9875691500e-4f);
    p = _mm256_add_ps(_mm256_mul_ps(p, r), _mm256_set1_ps(1.3981999507e-3f));
    p = _mm256_add_ps(_mm256_mul_ps(p, r), _mm256_set1_ps(8.3334519073e-3f));
    p = _mm256_add_ps(_mm256_mul_ps(p, r), _mm256_set1_ps(4.1665795894e-2f));
    p = _mm256_add_ps(_mm256_mul_ps(p, r), _mm256_set1_ps(1.6666665459e-1f));
    p = _mm256_add_ps(_mm256_mul_ps(p, r), _mm256_set1_ps(5.0000001201e-1f));
    p = _mm256_add_ps(_mm256_add_ps(_mm256_mul_ps(_mm256_mul_ps(p, r), r), r),
                      _mm256_set1_ps(1.0f));
    const __m256i bits =
        _mm256_slli_epi32(_mm256_add_epi32(_mm256_cvttps_epi32(m), _mm256_set1_epi32(127)), 23);
    const __m256 e = _mm256_mul_ps(p, _mm256_castsi256_ps(bits));
    _mm256_storeu_ps(y + j, _mm256_sub_ps(_mm256_div_ps(_mm256_set1_ps(a),
                                                        _mm256_add_ps(_mm256_set1_ps(1.0f), e)),
                                          _mm256_set1_ps(b)));
  }
}

inline bool has_avx2() {
  static const bool yes = __builtin_cpu_supports("avx2");
  return yes;
}
#endif

/// y = a / (1 + e^(-s x)) - b over n elements (x and y may be the same array): sigmoid with
/// (s, a, b) = (1, 1, 0), tanh = 2 sigmoid(2x) - 1 with (2, 2, 1).
inline void scaled_sigmoid_n(const float* x, float* y, std::size_t n, float s, float a, float b) {
  std::size_t j = 0;
#if defined(AXON_RECURRENT_AVX2)
  if (has_avx2()) {
    scaled_sigmoid_avx2(x, y, n, s, a, b);
    j = n - n % 8;
  }
#endif
#if defined(__SSE2__)
  const __m128 vs = _mm_set1_ps(-s), va = _mm_set1_ps(a), vb = _mm_set1_ps(b);
  const __m128 one = _mm_set1_ps(1.0f);
  for (; j + 4 <= n; j += 4) {
    const __m128 e = exp_approx(_mm_mul_ps(vs, _mm_loadu_ps(x + j)));
    _mm_storeu_ps(y + j, _mm_sub_ps(_mm_div_ps(va, _mm_add_ps(one, e)), vb));
  }
#endif
  for (; j < n; ++j) y[j] = a / (1.0f + exp_approx(-s * x[j])) - b;
}

/// y = sigmoid(x) over n elements (x and y may be the same array).
inline void sigmoid_n(const float* x, float* y, std::size_t n) {
  scaled_sigmoid_n(x, y, n, 1.0f, 1.0f, 0.0f);
}
inline void sigmoid_n(const double* x, double* y, std::size_t n) {
  for (std::size_t j = 0; j < n; ++j) y[j] = sigmoid(x[j]);
}
/// y = tanh(x) over n elements; in float as 2 sigmoid(2x) - 1.
inline void tanh_n(const float* x, float* y, std::size_t n) {
  scaled_sigmoid_n(x, y, n, 2.0f, 2.0f, 1.0f);
}
inline void tanh_n(const double* x, double* y, std::size_t n) {
  for (std::size_t j = 0; j < n; ++j) y[j] = std::tanh(x[j]);
}

}  // namespace axon::autograd::vector_math
