// SPDX-License-Identifier: MIT
#pragma once

#include <cstddef>
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
  /// Every rank's `bytes`, in rank order (out[r] is rank r's); the lengths may differ by rank.
  virtual std::vector<std::vector<std::byte>> allgather(
      const std::vector<std::byte>& bytes) const = 0;
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
