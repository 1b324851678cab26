// SPDX-License-Identifier: MIT
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "axon/train/communicator.hpp"

/// Training across processes and machines over MPI (docs/DISTRIBUTED.md). Built only when Meson
/// finds MPI (-Dmpi=auto|enabled; Debian libopenmpi-dev).
namespace axon::distributed {

/// The processes of an MPI job (MPI_COMM_WORLD), as the train::Communicator that distributed
/// training uses: `FitOptions().distributed(world)`, or `ShardedStep(shard_size, seed, &world)`.
///
/// Construct one at the start of main and keep it until the end: it calls MPI_Init_thread
/// (MPI_THREAD_FUNNELED: only the thread that made the World calls MPI; oneTBB's workers never
/// do) and MPI_Finalize when it goes. A program not started by mpirun (no launcher variables in
/// its environment) is a world of one and never touches MPI, so it behaves exactly as without
/// MPI. Only one World may exist at a time (ValueError).
class World : public train::Communicator {
 public:
  /// Joins the job mpirun started, or makes a world of one.
  World();
  ~World() override;
  World(const World&) = delete;
  World& operator=(const World&) = delete;

  std::size_t rank() const override { return rank_; }  ///< this process, 0 .. size() - 1
  std::size_t size() const override { return size_; }  ///< processes in the job
  /// MPI_Barrier.
  void barrier() const override;
  /// MPI_Allgather of the lengths, then MPI_Allgatherv of the bytes. ValueError when the
  /// messages exceed what MPI counts in an int (2 GiB).
  void allgather(const std::vector<std::byte>& bytes, std::vector<std::byte>& out,
                 std::vector<std::size_t>& offsets) const override;
  using train::Communicator::allgather;
  /// allgather() with this rank's message written straight into `out` and gathered in place
  /// (MPI_IN_PLACE), one copy of it fewer; `scratch` is not used.
  void allgather_filled(std::size_t bytes, const std::function<void(std::byte*)>& fill,
                        std::vector<std::byte>& out, std::vector<std::size_t>& offsets,
                        std::vector<std::byte>& scratch) const override;
  /// MPI_Bcast, in pieces of at most 1 GiB.
  void broadcast(void* data, std::size_t bytes, std::size_t root) const override;
  /// Prints "axon: rank R of N: <message>" to stderr, then MPI_Abort (std::exit in a world of
  /// one).
  [[noreturn]] void abort(const std::string& message, int code) const override;

  /// Whether this process was started by an MPI launcher (mpirun, mpiexec, srun with PMI).
  static bool launched();
  /// Seconds spent inside MPI collectives by this World so far (the benchmark reports it).
  double mpi_seconds() const { return mpi_seconds_; }
  /// Collectives called so far.
  std::uint64_t mpi_calls() const { return mpi_calls_; }

 private:
  std::size_t rank_ = 0;
  std::size_t size_ = 1;
  bool initialized_here_ = false;  // this World called MPI_Init_thread (and will finalize)
  bool active_ = false;            // MPI is in use (a launched job)
  mutable double mpi_seconds_ = 0;
  mutable std::uint64_t mpi_calls_ = 0;
};

}  // namespace axon::distributed
