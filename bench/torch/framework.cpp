// SPDX-License-Identifier: MIT
// The libtorch side of the harness: its name and how --threads limits its parallelism.
//
// torch::set_num_threads sets libtorch's own (intra-op) threads only. Debian's libtorch calls
// OpenBLAS for its matrix products, and OpenBLAS keeps its own pool of one thread per core: at
// torch::set_num_threads(1) the GEMMs still run on every core (on the 2-core development machine
// the `mlp` workload then reports cores_busy 1.99 in its JSON line, against 1.00 capped). So
// --threads T also limits OpenBLAS to T threads, and both frameworks use T cores. --blas-pool
// leaves OpenBLAS as libtorch leaves it, which is what a libtorch user gets by default; it is
// reported as the framework "libtorch_blas_pool".
#include <cblas.h>
#include <torch/torch.h>

#include "../harness.hpp"

namespace bench {

namespace {
bool blas_pool = false;
}  // namespace

const char* framework_name() {
  return blas_pool ? "libtorch_blas_pool" : "libtorch";
}

bool set_threads(const Options& opt) {
  if (opt.shard_size) return false;  // an axon setting: libtorch runs each batch whole
  blas_pool = opt.blas_pool;
  torch::set_num_threads(opt.threads);
  if (!opt.blas_pool) openblas_set_num_threads(opt.threads);
  return true;
}

}  // namespace bench
