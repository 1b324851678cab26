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
///
/// The activations (autograd/ops/activations.cpp) use the branch-free element functions below
/// (exp_nonpositive, sigmoid_parts, tanh_approx, normal_parts, select) in loops the compiler
/// vectorises: in float they are polynomial and within 4 ulp of the exact values (tested against
/// libm in long double, tests/autograd/test_activations.cpp); in double they call libm.
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

/// c ? a : b by bit masks. GCC (with its default -ftrapping-math) keeps a conditional
/// expression whose arms compute anything as a branch, which stops a loop from vectorising below
/// AVX-512; this form is straight-line code, and gives the same bits.
inline float select(bool c, float a, float b) {
  const std::uint32_t m = 0u - static_cast<std::uint32_t>(c);
  return std::bit_cast<float>((std::bit_cast<std::uint32_t>(a) & m) |
                              (std::bit_cast<std::uint32_t>(b) & ~m));
}
inline double select(bool c, double a, double b) {
  const std::uint64_t m = 0u - static_cast<std::uint64_t>(c);
  return std::bit_cast<double>((std::bit_cast<std::uint64_t>(a) & m) |
                               (std::bit_cast<std::uint64_t>(b) & ~m));
}

/// e^(hi + lo) in float for hi + lo <= 0, branch-free so that loops of it vectorise: hi is
/// clamped to [-104, 0] and split as n ln2 + r, `lo` (a small part of the exponent known beyond
/// float precision, see gelu_erf) is added to r, e^r is Cephes' degree-6 polynomial and 2^n is
/// applied in two halves so results down to the denormals are right. Exactly 0 below -104 (the
/// true value is under half the smallest denormal). Relative error about 2e-7 for normal results.
inline float exp_nonpositive(float hi, float lo = 0.0f) {
  const float x = select(hi < -104.0f, -104.0f, select(hi > 0.0f, 0.0f, hi));
  const float n = (x * 1.44269504088896341f + 12582912.0f) - 12582912.0f;
  const float r = ((x - n * 0.693359375f) - n * -2.12194440e-4f) + lo;
  float p = 1.9875691500e-4f;
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  p = p * r * r + r + 1.0f;
  const std::int32_t ni = static_cast<std::int32_t>(n);  // in [-150, 0]
  const std::int32_t n1 = ni / 2, n2 = ni - n1;          // each in [-75, 0]: normal powers of 2
  const float e =
      p * std::bit_cast<float>((n1 + 127) << 23) * std::bit_cast<float>((n2 + 127) << 23);
  return select(hi < -104.0f, 0.0f, e);
}

/// sigmoid(x) from e = e^-|x| and r = 1 / (1 + e): s = r for x >= 0, e r below, and
/// s (1 - s) = e r^2 without cancellation. In float e comes from exp_nonpositive (a few ulp from
/// the exact value; exactly 0 and 1 far out), in double from std::exp.
template <class T>
struct SigmoidParts {
  T e, r;
  /// sigmoid(x) for the x these parts were made from.
  T value(T x) const { return select(x >= T(0), r, e * r); }
  /// sigmoid(x) (1 - sigmoid(x)).
  T slope() const { return e * r * r; }
};
inline SigmoidParts<float> sigmoid_parts(float x) {
  const float e = exp_nonpositive(-std::abs(x));
  return {e, 1.0f / (1.0f + e)};
}
inline SigmoidParts<double> sigmoid_parts(double x) {
  const double e = std::exp(-std::abs(x));
  return {e, 1.0 / (1.0 + e)};
}

/// tanh(x) in float, branch-free: for |x| < 0.625 the odd polynomial of Cephes' tanhf, above it
/// (1 - e) / (1 + e) with e = e^(-2|x|) (no cancellation there: e < 0.29). Within a few ulp of
/// std::tanh; exactly +-1 far out.
inline float tanh_approx(float x) {
  const float a = std::abs(x);
  const float z = a * a;
  float p = -5.70498872745e-3f;
  p = p * z + 2.06390887954e-2f;
  p = p * z - 5.37397155531e-2f;
  p = p * z + 1.33314422036e-1f;
  p = p * z - 3.33332819422e-1f;
  const float small = p * z * a + a;
  const float e = exp_nonpositive(-2.0f * a);
  const float large = (1.0f - e) / (1.0f + e);
  const float t = select(a < 0.625f, small, large);
  return select(x < 0.0f, -t, t);
}

/// The standard normal CDF Phi(x) and the factor e^(-x^2 / 2) of its density, in float,
/// branch-free. -0.6 < x < sqrt 2: Phi = 1/2 + x P(x^2 / 2), P fitted to erf(a) / (2 a) on a in
/// [0, 1] (Chebyshev fit, error 1.2e-9); -sqrt 2 < x <= -0.6: a third fit (below). Beyond: erfc(a)
/// = e^(-a^2) t h(t) with a = |x| / sqrt 2, t = 1 / a, h fitted on t in [0, 1] as a polynomial in w
/// = 2 t - 1 (error 1.9e-8), and Phi = erfc(a) / 2 below 0, 1 - erfc(a) / 2 above, so the lower
/// tail keeps its relative precision (1 + erf(x / sqrt 2) would cancel). e^(-x^2 / 2) takes x^2
/// from an exact split of x into 12 high bits and the rest, so its exponent is not rounded.
template <class T>
struct NormalParts {
  T cdf, gauss;  // Phi(x), e^(-x^2 / 2)
};
inline NormalParts<float> normal_parts(float x) {
  const float hi = std::bit_cast<float>(std::bit_cast<std::uint32_t>(x) & 0xfffff000u);
  const float lo = x - hi;
  const float gauss = exp_nonpositive(-0.5f * (hi * hi), -0.5f * (lo * (x + hi)));
  const float a = std::abs(x);
  // Phi = 1/2 + x P(z): P(z) = erf(sqrt z) / sqrt z / (2 sqrt 2), z = x^2 / 2 in [0, 1]
  const float z = 0.5f * x * x;
  float p = 2.7845423323e-05f;  // the fit divided by 2 sqrt 2
  p = p * z - 2.8343895507e-04f;
  p = p * z + 1.8346194526e-03f;
  p = p * z - 9.4943977081e-03f;
  p = p * z + 3.9893531696e-02f;
  p = p * z - 1.3298071687e-01f;
  p = p * z + 3.9894227996e-01f;
  const float small = 0.5f + x * p;
  // erfc(a) = e^(-a^2) t h(t), t = sqrt 2 / |x|, w = 2 t - 1
  const float t = 1.41421356237309505f / a;
  const float w = 2.0f * t - 1.0f;
  float h = 1.0146982627141163e-4f;
  h = h * w - 1.568350036585717e-4f;
  h = h * w - 1.8643174224700996e-4f;
  h = h * w + 6.3203706310945207e-4f;
  h = h * w - 8.1057232790738678e-4f;
  h = h * w + 5.6039313108521281e-4f;
  h = h * w + 1.3277220863142455e-3f;
  h = h * w - 6.7806902551103434e-3f;
  h = h * w + 1.4870321868117884e-2f;
  h = h * w - 9.1596890759818898e-3f;
  h = h * w - 8.3605504969998817e-2f;
  h = h * w + 5.1079137151232208e-1f;
  // Between -sqrt 2 and -0.6, where 1/2 + x P(z) would lose bits to cancellation:
  // erfc(a) = e^(-a^2) q(a), q fitted on a in [0.4, 1] in w = (a - 0.7) / 0.3 (error 1.7e-9).
  const float v = a * 2.35702260395515842f - 2.33333333333333333f;  // (|x| / sqrt 2 - 0.7) / 0.3
  float m = -1.60161810151781026e-06f;
  m = m * v + 1.24804981183978670e-05f;
  m = m * v - 8.87141081582529207e-05f;
  m = m * v + 6.09915428642875362e-04f;
  m = m * v - 3.88878039916158973e-03f;
  m = m * v + 2.26329474289404496e-02f;
  m = m * v - 1.17623008263850942e-01f;
  m = m * v + 5.25930335822559547e-01f;
  const float half_erfc = 0.5f * (gauss * (t * h));
  const float large = select(x > 0.0f, 1.0f - half_erfc, half_erfc);
  const float middle = 0.5f * (gauss * m);
  const float cdf = select(a >= 1.41421356237309505f, large, select(x <= -0.6f, middle, small));
  return {cdf, gauss};
}
/// The same in double with libm, Phi(x) = erfc(-x / sqrt 2) / 2, the arguments formed in long
/// double: x / sqrt 2 and x^2 rounded to double would cost up to 2 x^2 / 2 ulp of relative error
/// in the tail (hundreds of ulp at x = -12). Double is the gradient-check type; speed is secondary.
inline NormalParts<double> normal_parts(double x) {
  const long double v = x;
  return {static_cast<double>(0.5L * std::erfc(-v * 0.707106781186547524400844362104849L)),
          static_cast<double>(std::exp(-0.5L * v * v))};
}
/// tanh(x) in double: std::tanh.
inline double tanh_approx(double x) {
  return std::tanh(x);
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
