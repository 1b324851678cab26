// SPDX-License-Identifier: MIT
#pragma once

#include <array>
#include <cmath>
#include <cstdint>
#include <string>

#include "axon/autograd/error.hpp"

/// An explicit, seedable random generator. Every random draw in the framework (initialisation,
/// dropout, shuffling) takes a Generator, so a run is reproducible from its seed alone. The
/// algorithms (xoshiro256** seeded through splitmix64, uniform from the top 53/24 bits, normal by
/// Box-Muller) are fixed here rather than left to the standard library, so the streams are the
/// same with every compiler and standard library.
namespace axon::autograd {

/// A seedable xoshiro256** stream: 64-bit integers, bounded integers, uniform and normal draws.
class Generator {
 public:
  /// The full state; save it to resume a run bit for bit.
  using State = std::array<std::uint64_t, 4>;

  /// Seeds the generator; equal seeds give equal streams.
  explicit Generator(std::uint64_t seed = 0) { this->seed(seed); }

  /// Re-seeds in place.
  void seed(std::uint64_t seed) {
    std::uint64_t x = seed;
    for (auto& s : state_) {
      // splitmix64 step.
      x += 0x9E3779B97F4A7C15ull;
      std::uint64_t z = x;
      z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
      z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
      s = z ^ (z >> 31);
    }
  }

  /// Next 64 random bits (xoshiro256**).
  std::uint64_t next_u64() {
    const std::uint64_t result = rotl(state_[1] * 5, 7) * 9;
    const std::uint64_t t = state_[1] << 17;
    state_[2] ^= state_[0];
    state_[3] ^= state_[1];
    state_[1] ^= state_[2];
    state_[0] ^= state_[3];
    state_[2] ^= t;
    state_[3] = rotl(state_[3], 45);
    return result;
  }

  /// Uniform double in [0, 1).
  double uniform() { return static_cast<double>(next_u64() >> 11) * 0x1.0p-53; }

  /// Uniform double in [low, high).
  double uniform(double low, double high) { return low + (high - low) * uniform(); }

  /// Standard normal draw (Box-Muller, one value per pair of uniforms, so the whole state is
  /// the four words of state()).
  double normal() {
    double u1 = uniform();
    while (u1 <= 0.0) u1 = uniform();
    const double u2 = uniform();
    return std::sqrt(-2.0 * std::log(u1)) * std::cos(6.283185307179586476925 * u2);
  }

  /// Normal draw with the given mean and standard deviation.
  double normal(double mean, double stddev) { return mean + stddev * normal(); }

  /// Uniform integer in [0, n) (unbiased, by rejection); ValueError when n is 0 (an empty range).
  std::uint64_t below(std::uint64_t n) {
    if (n == 0) throw ValueError("Generator::below: n is 0; the range [0, n) is empty");
    const std::uint64_t limit = (~std::uint64_t{0}) - (~std::uint64_t{0}) % n;
    std::uint64_t x = next_u64();
    while (x >= limit) x = next_u64();
    return x % n;
  }

  /// The 256-bit state; set_state() of it resumes the stream exactly.
  State state() const { return state_; }
  /// Restores a state returned by state().
  void set_state(const State& s) { state_ = s; }

  /// A generator for sub-stream `index` (e.g. a shard), independent of how streams are scheduled.
  Generator fork(std::uint64_t index) const {
    Generator g(0);
    g.seed(state_[0] ^ (0xD1B54A32D192ED03ull * (index + 1)) ^ state_[3]);
    return g;
  }

 private:
  static std::uint64_t rotl(std::uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

  State state_{};
};

namespace detail {
inline Generator*& scoped_generator_slot() {
  thread_local Generator* slot = nullptr;
  return slot;
}
}  // namespace detail

/// The generator that random layers (Dropout) on this thread must draw from instead of their
/// own, or nullptr. The batch-parallel trainer sets one per shard, derived from the seed, the step
/// and the shard index, so random draws do not depend on how shards are scheduled on threads.
inline Generator* scoped_generator() {
  return detail::scoped_generator_slot();
}

/// Makes `gen` this thread's scoped generator for the scope's lifetime.
class GeneratorScope {
 public:
  /// Installs `gen` for this thread; the destructor restores the previous one.
  explicit GeneratorScope(Generator& gen) : previous_(detail::scoped_generator_slot()) {
    detail::scoped_generator_slot() = &gen;
  }
  ~GeneratorScope() { detail::scoped_generator_slot() = previous_; }
  GeneratorScope(const GeneratorScope&) = delete;
  GeneratorScope& operator=(const GeneratorScope&) = delete;

 private:
  Generator* previous_;
};

}  // namespace axon::autograd
