// SPDX-License-Identifier: MIT
// The physical limit for the dense workloads: OpenBLAS's sgemm rate on this machine, for a large
// square product and for the GEMM shapes of one `mlp` training step (64-row shards: forward,
// input gradient and weight gradient of each layer). Usage: sgemm_peak [threads] (default 1).
// Prints one JSON line per shape with GFLOP/s (best of several repetitions).
#include <cblas.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <vector>

namespace {

struct Shape {
  const char* name;
  int m, n, k;
  bool trans_a, trans_b;
};

double best_gflops(const Shape& s) {
  std::vector<float> a(static_cast<std::size_t>(s.m) * s.k, 0.5f);
  std::vector<float> b(static_cast<std::size_t>(s.k) * s.n, 0.25f);
  std::vector<float> c(static_cast<std::size_t>(s.m) * s.n, 0.0f);
  const double flops = 2.0 * s.m * s.n * s.k;
  const int reps = std::max(3, static_cast<int>(2e9 / flops));
  double best = 0;
  for (int round = 0; round < 5; ++round) {
    const auto start = std::chrono::steady_clock::now();
    for (int r = 0; r < reps; ++r) {
      cblas_sgemm(CblasRowMajor, s.trans_a ? CblasTrans : CblasNoTrans,
                  s.trans_b ? CblasTrans : CblasNoTrans, s.m, s.n, s.k, 1.0f, a.data(),
                  s.trans_a ? s.m : s.k, b.data(), s.trans_b ? s.k : s.n, 0.0f, c.data(), s.n);
    }
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    best = std::max(best, flops * reps / seconds / 1e9);
  }
  return best;
}

}  // namespace

int main(int argc, char** argv) {
  const int threads = argc > 1 ? std::max(1, std::atoi(argv[1])) : 1;
  openblas_set_num_threads(threads);
  const Shape shapes[] = {
      {"square_1024", 1024, 1024, 1024, false, false},
      {"mlp_batch128_fc1_forward", 128, 128, 784, false, true},
      {"mlp_shard64_fc1_forward", 64, 128, 784, false, true},
      {"mlp_shard64_fc1_weight_grad", 128, 784, 64, true, false},
      {"mlp_shard64_fc2_forward", 64, 64, 128, false, true},
  };
  for (const Shape& s : shapes) {
    std::printf("{\"shape\":\"%s\",\"m\":%d,\"n\":%d,\"k\":%d,\"threads\":%d,\"gflops\":%.1f}\n",
                s.name, s.m, s.n, s.k, threads, best_gflops(s));
  }
  return 0;
}
