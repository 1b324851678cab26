// SPDX-License-Identifier: MIT
#include "axon/distributed/world.hpp"

// The C API only: OpenMPI's and MPICH's deprecated C++ bindings do not compile warning-free.
#define OMPI_SKIP_MPICXX 1
#define MPICH_SKIP_MPICXX 1
#include <mpi.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <climits>
#include <cstdio>
#include <cstdlib>

#include "axon/autograd/error.hpp"

namespace axon::distributed {

namespace {

std::atomic<bool> world_exists{false};

/// Adds the time of one collective to a World's counters.
class Timed {
 public:
  Timed(double& seconds, std::uint64_t& calls) : seconds_(seconds) { ++calls; }
  ~Timed() {
    seconds_ += std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  }
  Timed(const Timed&) = delete;
  Timed& operator=(const Timed&) = delete;

 private:
  double& seconds_;
  std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
};

}  // namespace

bool World::launched() {
  // OpenMPI's mpirun, PMIx launchers (OpenMPI 4/5, Slurm) and MPICH's Hydra set these.
  for (const char* name : {"OMPI_COMM_WORLD_SIZE", "PMIX_RANK", "PMI_SIZE", "PMI_RANK"}) {
    if (std::getenv(name)) return true;
  }
  return false;
}

World::World() {
  if (world_exists.exchange(true)) {
    throw ValueError("distributed::World: a World already exists in this process");
  }
  if (!launched()) return;  // a world of one: MPI is never touched
  int initialized = 0;
  MPI_Initialized(&initialized);
  if (!initialized) {
    int provided = 0;
    MPI_Init_thread(nullptr, nullptr, MPI_THREAD_FUNNELED, &provided);
    initialized_here_ = true;
  }
  active_ = true;
  int rank = 0, size = 1;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  rank_ = static_cast<std::size_t>(rank);
  size_ = static_cast<std::size_t>(size);
}

World::~World() {
  if (initialized_here_) {
    int finalized = 0;
    MPI_Finalized(&finalized);
    if (!finalized) MPI_Finalize();
  }
  world_exists = false;
}

void World::barrier() const {
  if (!active_) return;
  Timed t(mpi_seconds_, mpi_calls_);
  MPI_Barrier(MPI_COMM_WORLD);
}

namespace {

/// Every rank's message length, from one MPI_Allgather of `mine`: as MPI_Allgatherv's counts and
/// displacements, and as offsets[0..size]. ValueError when the lengths exceed an int.
void exchange_lengths(std::size_t mine, std::size_t size, std::vector<int>& counts,
                      std::vector<int>& displs, std::vector<std::size_t>& offsets) {
  if (mine > static_cast<std::size_t>(INT_MAX)) {
    throw ValueError("distributed::World::allgather: " + std::to_string(mine) + " bytes, at most " +
                     std::to_string(INT_MAX) + " per rank");
  }
  const int length = static_cast<int>(mine);
  counts.assign(size, 0);
  displs.assign(size, 0);
  MPI_Allgather(&length, 1, MPI_INT, counts.data(), 1, MPI_INT, MPI_COMM_WORLD);
  for (std::size_t r = 0; r < size; ++r) {
    offsets[r + 1] = offsets[r] + static_cast<std::size_t>(counts[r]);
  }
  if (offsets[size] > static_cast<std::size_t>(INT_MAX)) {
    throw ValueError("distributed::World::allgather: " + std::to_string(offsets[size]) +
                     " bytes in all, at most " + std::to_string(INT_MAX));
  }
  for (std::size_t r = 0; r < size; ++r) displs[r] = static_cast<int>(offsets[r]);
}

}  // namespace

void World::allgather(const std::vector<std::byte>& bytes, std::vector<std::byte>& out,
                      std::vector<std::size_t>& offsets) const {
  offsets.assign(size_ + 1, 0);
  if (!active_) {
    out = bytes;
    offsets[1] = bytes.size();
    return;
  }
  Timed t(mpi_seconds_, mpi_calls_);
  std::vector<int> counts, displs;
  exchange_lengths(bytes.size(), size_, counts, displs, offsets);
  out.resize(offsets[size_]);
  MPI_Allgatherv(bytes.data(), counts[rank_], MPI_BYTE, out.data(), counts.data(), displs.data(),
                 MPI_BYTE, MPI_COMM_WORLD);
}

void World::allgather_filled(std::size_t bytes, const std::function<void(std::byte*)>& fill,
                             std::vector<std::byte>& out, std::vector<std::size_t>& offsets,
                             std::vector<std::byte>& /*scratch*/) const {
  offsets.assign(size_ + 1, 0);
  if (!active_) {
    out.resize(bytes);
    fill(out.data());
    offsets[1] = bytes;
    return;
  }
  std::vector<int> counts, displs;
  {
    Timed t(mpi_seconds_, mpi_calls_);
    exchange_lengths(bytes, size_, counts, displs, offsets);
  }
  out.resize(offsets[size_]);
  fill(out.data() + offsets[rank_]);
  Timed t(mpi_seconds_, mpi_calls_);
  MPI_Allgatherv(MPI_IN_PLACE, 0, MPI_DATATYPE_NULL, out.data(), counts.data(), displs.data(),
                 MPI_BYTE, MPI_COMM_WORLD);
}

void World::broadcast(void* data, std::size_t bytes, std::size_t root) const {
  if (root >= size_) {
    throw IndexError("distributed::World::broadcast: root " + std::to_string(root) + " of " +
                     std::to_string(size_) + " ranks");
  }
  if (!active_) return;
  Timed t(mpi_seconds_, mpi_calls_);
  constexpr std::size_t kPiece = std::size_t{1} << 30;
  auto* p = static_cast<char*>(data);
  for (std::size_t at = 0; at < bytes; at += kPiece) {
    const auto n = static_cast<int>(std::min(kPiece, bytes - at));
    MPI_Bcast(p + at, n, MPI_BYTE, static_cast<int>(root), MPI_COMM_WORLD);
  }
}

void World::abort(const std::string& message, int code) const {
  std::fprintf(stderr, "axon: rank %zu of %zu: %s\n", rank_, size_, message.c_str());
  std::fflush(stderr);
  std::fflush(stdout);
  if (active_) MPI_Abort(MPI_COMM_WORLD, code);
  std::exit(code);
}

}  // namespace axon::distributed
