// SPDX-License-Identifier: MIT
#pragma once

#include <cstddef>
#include <functional>
#include <string>
#include <vector>

/// The few collectives distributed training needs (docs/DISTRIBUTED.md), as an interface, so that
/// train/ builds and runs without MPI. distributed::World (distributed/world.hpp, built when MPI
/// is found) implements it over MPI; a program given none is a world of one.
namespace axon::train {

/// A group of processes ("ranks") training one model together. Every rank calls the same
/// collectives in the same order with the same arguments (except the data).
class Communicator {
 public:
  virtual ~Communicator() = default;
  /// This process's index, 0 .. size() - 1.
  virtual std::size_t rank() const = 0;
  /// The number of processes.
  virtual std::size_t size() const = 0;
  /// Returns once every rank has called it.
  virtual void barrier() const = 0;
  /// Every rank's `bytes` concatenated in rank order into `out`, rank r's at
  /// [offsets[r], offsets[r + 1]); the lengths may differ by rank. `out` and `offsets` are resized;
  /// reusing them across calls keeps MPI's buffers in place (fresh large buffers made OpenMPI's
  /// shared-memory transport 100x slower here, docs/DISTRIBUTED.md).
  virtual void allgather(const std::vector<std::byte>& bytes, std::vector<std::byte>& out,
                         std::vector<std::size_t>& offsets) const = 0;
  /// allgather() of a message this rank writes in place: `fill(at)` writes this rank's `bytes`
  /// bytes at `at`, which lies in `out` at offsets[rank()] when the implementation can send from
  /// there (MPI_IN_PLACE: no copy of the message into the gather), else in `scratch`. The result
  /// is allgather()'s. The default fills `scratch` and calls allgather().
  virtual void allgather_filled(std::size_t bytes, const std::function<void(std::byte*)>& fill,
                                std::vector<std::byte>& out, std::vector<std::size_t>& offsets,
                                std::vector<std::byte>& scratch) const {
    scratch.resize(bytes);
    fill(scratch.data());
    allgather(scratch, out, offsets);
  }
  /// Every rank's `bytes`, in rank order (out[r] is rank r's): allgather() into fresh vectors, for
  /// small messages.
  std::vector<std::vector<std::byte>> allgather(const std::vector<std::byte>& bytes) const {
    std::vector<std::byte> all;
    std::vector<std::size_t> offsets;
    allgather(bytes, all, offsets);
    std::vector<std::vector<std::byte>> out(size());
    for (std::size_t r = 0; r < out.size(); ++r) {
      out[r].assign(all.begin() + static_cast<long>(offsets[r]),
                    all.begin() + static_cast<long>(offsets[r + 1]));
    }
    return out;
  }
  /// Copies rank `root`'s `bytes` bytes at `data` into `data` on every rank (the same length
  /// everywhere).
  virtual void broadcast(void* data, std::size_t bytes, std::size_t root) const = 0;
  /// Ends every process of the job with exit status `code`, after printing
  /// "axon: rank R of N: <message>" to stderr. Used when one rank fails, so that no other rank is
  /// left waiting in a collective.
  [[noreturn]] virtual void abort(const std::string& message, int code) const = 0;
};

/// Whether `world` is set and has more than one rank.
inline bool is_distributed(const Communicator* world) {
  return world && world->size() > 1;
}

}  // namespace axon::train
