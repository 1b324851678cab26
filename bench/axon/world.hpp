// SPDX-License-Identifier: MIT
#pragma once

// The ranks the axon benchmarks run over: under `mpirun -np N axon_bench ...` (a build with MPI)
// the job's N processes, each training its share of every batch (docs/DISTRIBUTED.md); else
// nullptr, one process.
#include "axon/train/communicator.hpp"
#if AXON_WITH_MPI
#include "axon/distributed/world.hpp"
#endif

namespace bench::axon_side {

/// The job's ranks, or nullptr without MPI. Made on first use; lives until the program ends.
inline const axon::train::Communicator* world() {
#if AXON_WITH_MPI
  static axon::distributed::World w;
  return &w;
#else
  return nullptr;
#endif
}

/// The number of ranks (1 without MPI).
inline int ranks() {
  return world() ? static_cast<int>(world()->size()) : 1;
}

/// Seconds this process has spent in MPI collectives so far (0 without MPI).
inline double mpi_seconds() {
#if AXON_WITH_MPI
  return static_cast<const axon::distributed::World*>(world())->mpi_seconds();
#else
  return 0;
#endif
}

}  // namespace bench::axon_side
