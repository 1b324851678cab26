// SPDX-License-Identifier: MIT
// collectives (MPI builds only; run under mpirun): the time of MPI_Allreduce (float sums, the
// collective data-parallel frameworks use) and of the distributed step's exchange (World::
// allgather: the lengths, then the bytes) for messages of 8 B to 16 MiB per rank, and a least-
// squares fit t = alpha + beta * bytes of each, the cost model of docs/DISTRIBUTED.md.
#define OMPI_SKIP_MPICXX 1
#define MPICH_SKIP_MPICXX 1
#include <mpi.h>

#include <cstddef>
#include <stdexcept>
#include <string>
#include <vector>

#include "../harness.hpp"
#include "world.hpp"

namespace bench {
namespace {

/// The fastest of `reps` calls of `fn`, each started together on every rank (a barrier): on a
/// machine shared with other work the minimum is the figure free of preemption.
template <class F>
double fastest_seconds(int reps, const F& fn) {
  std::vector<double> t;
  for (int i = 0; i < reps; ++i) {
    MPI_Barrier(MPI_COMM_WORLD);
    t.push_back(time_once(fn).wall);
  }
  return minimum(t);
}

/// Least squares of t = alpha + beta * x.
std::pair<double, double> fit_line(const std::vector<double>& x, const std::vector<double>& t) {
  const auto n = static_cast<double>(x.size());
  double sx = 0, st = 0, sxx = 0, sxt = 0;
  for (std::size_t i = 0; i < x.size(); ++i) {
    sx += x[i];
    st += t[i];
    sxx += x[i] * x[i];
    sxt += x[i] * t[i];
  }
  const double beta = (n * sxt - sx * st) / (n * sxx - sx * sx);
  return {(st - beta * sx) / n, beta};
}

Result run(const Options& opt) {
  const axon::train::Communicator* ranks = axon_side::world();
  // Without mpirun the program is a world of one that never starts MPI, and MPI_Allreduce would
  // abort the process: refuse with the command instead.
  if (!ranks || ranks->size() < 2) {
    throw std::runtime_error(
        "needs 2 or more ranks: run it as `mpirun -np 2 axon_bench --workload collectives` "
        "(scripts/bench.sh all leaves it out)");
  }
  const axon::train::Communicator& world = *ranks;
  const int reps = opt.reps ? opt.reps : 30;
  Result r;
  r.threads = 1;
  r.metrics.emplace_back("ranks", static_cast<double>(world.size()));
  std::vector<double> sizes, allreduce, allgather;
  for (std::size_t bytes = 8; bytes <= (std::size_t{16} << 20); bytes *= 8) {
    std::vector<float> data(bytes / sizeof(float), 1.0f);
    const double a = fastest_seconds(reps, [&] {
      MPI_Allreduce(MPI_IN_PLACE, data.data(), static_cast<int>(data.size()), MPI_FLOAT, MPI_SUM,
                    MPI_COMM_WORLD);
    });
    std::vector<std::byte> message(bytes), all;
    std::vector<std::size_t> offsets;
    const double g = fastest_seconds(reps, [&] { world.allgather(message, all, offsets); });
    sizes.push_back(static_cast<double>(bytes));
    allreduce.push_back(a);
    allgather.push_back(g);
    r.metrics.emplace_back("allreduce_us_" + std::to_string(bytes), 1e6 * a);
    r.metrics.emplace_back("allgather_us_" + std::to_string(bytes), 1e6 * g);
  }
  const auto [ra, rb] = fit_line(sizes, allreduce);
  const auto [ga, gb] = fit_line(sizes, allgather);
  r.metrics.emplace_back("allreduce_alpha_us", 1e6 * ra);
  r.metrics.emplace_back("allreduce_beta_ns_per_byte", 1e9 * rb);
  r.metrics.emplace_back("allgather_alpha_us", 1e6 * ga);
  r.metrics.emplace_back("allgather_beta_ns_per_byte", 1e9 * gb);
  return r;
}

const Registration reg("collectives", run);

}  // namespace
}  // namespace bench
