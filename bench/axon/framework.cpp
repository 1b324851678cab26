// SPDX-License-Identifier: MIT
// The axon side of the harness: its name and how --threads limits its parallelism.
#include <cblas.h>

#include <cstdio>
#include <memory>

#include <tbb/global_control.h>

#include "../harness.hpp"
#include "world.hpp"

namespace bench {

const char* framework_name() {
  return "axon";
}

bool set_threads(const Options& opt) {
  if (opt.blas_pool) return false;  // a libtorch setting: axon runs one BLAS thread per shard
  // Under mpirun rank 0 prints the JSON lines; the others join the job silently.
  if (axon_side::world() && axon_side::world()->rank() != 0 &&
      !std::freopen("/dev/null", "w", stdout)) {
    return false;
  }
  // TBB runs the batch shards and the parallel kernels; OpenBLAS runs the GEMMs.
  static std::unique_ptr<tbb::global_control> limit;
  limit = std::make_unique<tbb::global_control>(tbb::global_control::max_allowed_parallelism,
                                                static_cast<std::size_t>(opt.threads));
  openblas_set_num_threads(opt.threads);
  return true;
}

}  // namespace bench
