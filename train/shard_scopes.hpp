// SPDX-License-Identifier: MIT
#pragma once

#include <cstddef>
#include <cstdint>

#include "axon/autograd/grad_sink.hpp"
#include "axon/autograd/random.hpp"
#include "axon/autograd/shard.hpp"
#include "axon/autograd/tape.hpp"

namespace axon::train {

/// Everything thread-local that makes the current thread run one shard of a batch-parallel step
/// (train/parallel.hpp), for the object's lifetime:
/// - its own tape (autograd::TapeScope), so shards on other threads record elsewhere;
/// - its own gradient buffers (autograd::GradSinkScope): backward adds parameter gradients into
///   `sink`, never into the shared parameters;
/// - its own random stream (autograd::GeneratorScope): Dropout draws from a generator forked from
///   `root` by (step, shard index), so the draws do not depend on which thread runs the shard;
/// - its index (autograd::ShardScope): BatchNorm updates its running statistics in shard 0 only.
/// The scopes are destroyed in the reverse of their construction, so the thread's previous state
/// is restored exactly when the object goes.
template <class T>
class ShardScopes {
 public:
  /// Shard `index` of `count` at step `step`; `sink` is cleared first.
  ShardScopes(autograd::Tape& tape, autograd::LeafGradients<T>& sink,
              const autograd::Generator& root, std::uint64_t step, std::size_t index,
              std::size_t count)
      : generator_(root.fork(stream_id(step, index))),
        info_{index, count},
        generator_scope_(generator_),
        shard_scope_(info_),
        sink_scope_((sink.clear(), sink)),
        tape_scope_(tape) {}
  ShardScopes(const ShardScopes&) = delete;
  ShardScopes& operator=(const ShardScopes&) = delete;

  /// The id of shard `index`'s stream at step `step` (Generator::fork's argument).
  static std::uint64_t stream_id(std::uint64_t step, std::size_t index) {
    return (step << 20) ^ index;
  }

 private:
  autograd::Generator generator_;
  autograd::ShardInfo info_;
  autograd::GeneratorScope generator_scope_;
  autograd::ShardScope shard_scope_;
  autograd::GradSinkScope<T> sink_scope_;
  autograd::TapeScope tape_scope_;
};

}  // namespace axon::train
