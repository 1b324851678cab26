// SPDX-License-Identifier: MIT
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <new>
#include <utility>
#include <vector>

/// The tape: a linear record of the ops run while recording is on (docs/ARCHITECTURE.md,
/// properties 1-11).
///
/// Each op that produces a tensor requiring a gradient appends one Node holding its backward
/// closure. backward() walks the nodes in reverse creation order in a plain loop (no recursion, no
/// topological sort), then releases them. Nodes live in a bump arena that is reused across steps,
/// so recording an op costs no heap allocation for the node itself.
///
/// Each thread has its own default tape; a TapeScope makes another tape current on this thread
/// (one per shard in batch-parallel training). Recording is thread-local: ops on thread A never
/// land on thread B's tape.
namespace axon::autograd {

/// One recorded op. `backward()` reads its output's gradient and accumulates into its inputs'.
class Node {
 public:
  explicit Node(const char* name) : name_(name) {}
  Node(const Node&) = delete;
  Node& operator=(const Node&) = delete;
  virtual ~Node() = default;
  /// Propagates the output gradient to the inputs (no-op when the output received none).
  virtual void backward() = 0;
  /// The op's name, as used in error messages ("matmul", "log_softmax").
  const char* name() const { return name_; }

 private:
  const char* name_;
};

/// A linear list of nodes in creation order, plus the arena that stores them.
class Tape {
 public:
  Tape();
  ~Tape();
  Tape(const Tape&) = delete;
  Tape& operator=(const Tape&) = delete;

  /// Identifies the current recording; changes whenever the tape is released, so tensors
  /// recorded before a release can be told apart from live ones.
  std::uint64_t id() const { return id_; }
  /// Number of nodes recorded since the last release.
  std::size_t size() const { return nodes_.size(); }

  /// Constructs a node of type N in the arena and appends it.
  template <class N, class... Args>
  N* emplace(Args&&... args) {
    void* p = allocate(sizeof(N), alignof(N));
    N* node = new (p) N(std::forward<Args>(args)...);
    nodes_.push_back(node);
    return node;
  }

  /// Runs nodes [0, last] in reverse order. On an exception the tape is released and the
  /// exception propagates.
  void run_backward(std::size_t last);

  /// Destroys every node (freeing what they captured) and starts a new recording id.
  void release();

 private:
  void* allocate(std::size_t size, std::size_t align);

  struct Block {
    std::unique_ptr<std::byte[]> data;
    std::size_t size;
  };
  std::vector<Node*> nodes_;
  std::vector<Block> blocks_;
  std::size_t block_ = 0;   // block being filled
  std::size_t offset_ = 0;  // bytes used in that block
  std::uint64_t id_;
};

/// The tape ops record on in this thread: the innermost TapeScope's, else the thread's own.
Tape& current_tape();

/// Makes `tape` the current tape of this thread for the scope's lifetime.
class TapeScope {
 public:
  explicit TapeScope(Tape& tape);
  ~TapeScope();
  TapeScope(const TapeScope&) = delete;
  TapeScope& operator=(const TapeScope&) = delete;

 private:
  Tape* previous_;
};

/// Whether ops record on the tape in this thread (true unless a NoGradGuard is alive).
bool grad_enabled();

/// Turns recording off in this thread for the guard's lifetime (optimizer steps, evaluation).
class NoGradGuard {
 public:
  NoGradGuard();
  ~NoGradGuard();
  NoGradGuard(const NoGradGuard&) = delete;
  NoGradGuard& operator=(const NoGradGuard&) = delete;

 private:
  bool previous_;
};

/// Anomaly mode (off by default, process-wide): backward checks every gradient an op produces and
/// throws NumericalError naming the op at the first NaN or Inf.
void set_anomaly_enabled(bool enabled);
/// Whether anomaly mode is on.
bool anomaly_enabled();

/// Turns anomaly mode on for the guard's lifetime.
class AnomalyGuard {
 public:
  AnomalyGuard();
  ~AnomalyGuard();
  AnomalyGuard(const AnomalyGuard&) = delete;
  AnomalyGuard& operator=(const AnomalyGuard&) = delete;

 private:
  bool previous_;
};

namespace detail {
/// Name of the node whose backward is running on this thread (for anomaly messages).
const char* running_node_name();
}  // namespace detail

}  // namespace axon::autograd
