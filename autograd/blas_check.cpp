// SPDX-License-Identifier: MIT
#include "axon/autograd/blas_check.hpp"

#include <cblas.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <mutex>

namespace axon::autograd {

namespace {

// OpenBLAS's x86-64 kernel families that predate AVX2 (case as openblas_get_corename prints).
constexpr std::array<std::string_view, 16> kPreAvx2Cores = {
    "prescott", "core2",     "penryn",      "dunnington", "nehalem", "atom",
    "katmai",   "banias",    "northwood",   "coppermine", "opteron", "barcelona",
    "bobcat",   "bulldozer", "sandybridge", "unknown"};

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

}  // namespace

std::string blas_kernel_warning(std::string_view core, bool cpu_has_avx2, bool cpu_has_avx512f,
                                bool coretype_set) {
  if (coretype_set || (!cpu_has_avx2 && !cpu_has_avx512f)) return {};
  const std::string name = lower(core);
  bool old = false;
  for (const std::string_view c : kPreAvx2Cores) old = old || name == c;
  if (!old) return {};
  const char* isa = cpu_has_avx512f ? "AVX-512" : "AVX2";
  const char* fix = cpu_has_avx512f ? "SkylakeX" : "Haswell";
  return "axon: OpenBLAS runs its " + std::string(core) + " kernels, but this CPU has " + isa +
         ": matrix products may run several times slower than they could. Set "
         "OPENBLAS_CORETYPE=" +
         fix + " in the environment before starting the program.";
}

std::string blas_kernel_warning() {
#if defined(__x86_64__) && defined(__GNUC__)
  const char* core = openblas_get_corename();
  return blas_kernel_warning(core ? core : "unknown", __builtin_cpu_supports("avx2") != 0,
                             __builtin_cpu_supports("avx512f") != 0,
                             std::getenv("OPENBLAS_CORETYPE") != nullptr);
#else
  return {};
#endif
}

void warn_if_slow_blas_kernel() {
  static std::once_flag once;
  std::call_once(once, [] {
    const std::string warning = blas_kernel_warning();
    if (!warning.empty()) std::fprintf(stderr, "%s\n", warning.c_str());
  });
}

}  // namespace axon::autograd
