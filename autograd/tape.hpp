// SPDX-License-Identifier: MIT
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <new>
#include <string>
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
/// A recording is released by backward(), by Tape::release(), or automatically once no tensor
/// handle can reach it: every BasicTensor handle to a recorded tensor is counted on its tape
/// (detail::HandleCount), and the next op recorded on a tape whose count fell to 0 releases the
/// abandoned recording first. A loop of forward passes that never calls backward() therefore
/// keeps at most one pass on the tape.
///
/// Each thread has its own default tape; a TapeScope makes another tape current on this thread
/// (one per shard in batch-parallel training). Recording is thread-local: ops on thread A never
/// land on thread B's tape.
namespace axon::autograd {

/// State of one gradient pass that records its own ops (create_graph; autograd/grad.hpp). Nodes
/// read their output's gradient from it and add their inputs' gradients into it, as tensors.
class GradPass {
 public:
  /// A pass over nodes of element size `scalar_size` (sizeof(float) or sizeof(double)).
  explicit GradPass(std::size_t scalar_size) : scalar_size_(scalar_size) {}
  GradPass(const GradPass&) = delete;
  GradPass& operator=(const GradPass&) = delete;
  virtual ~GradPass() = default;
  /// sizeof the element type whose gradients this pass carries.
  std::size_t scalar_size() const { return scalar_size_; }

 private:
  std::size_t scalar_size_;
};

/// One recorded op. `backward()` reads its output's gradient and accumulates into its inputs'.
class Node {
 public:
  /// A node named `name` (the op, as error messages name it).
  explicit Node(const char* name) : name_(name) {}
  Node(const Node&) = delete;
  Node& operator=(const Node&) = delete;
  virtual ~Node() = default;
  /// Propagates the output gradient to the inputs (no-op when the output received none).
  virtual void backward() = 0;
  /// The same inside a recording pass: the gradients are tensors held by `pass`, and the op's
  /// backward is itself recorded so it can be differentiated again (GraphError for an op without
  /// a recorded backward).
  virtual void backward_recorded(GradPass& pass) = 0;
  /// Drops the gradient its output received without propagating it (a pass that stops early).
  virtual void drop_grad() = 0;
  /// The op's name, as used in error messages ("matmul", "log_softmax").
  const char* name() const { return name_; }

 private:
  const char* name_;
};

namespace detail {
/// The number of live BasicTensor handles to the tensors of one tape's current recording,
/// packed with the low 32 bits of that recording's id: bits 63..32 hold the id, bits 31..0 the
/// count. A handle whose tensor belongs to an older recording sees another id and leaves the
/// count alone, so releasing a recording needs no walk over its surviving tensors. Counts are
/// never freed (a destroyed tape's count is reused by the next tape, under a fresh id), so a
/// tensor that outlives its tape still points at valid memory.
struct HandleCount {
  std::atomic<std::uint64_t> word{0};

  static constexpr std::uint64_t kCountMask = 0xFFFFFFFFull;
  /// The id part of `word` for recording `id`.
  static std::uint64_t tag(std::uint64_t id) { return id << 32; }

  /// One more handle to a tensor of recording `id` (nothing when that recording was released).
  void acquire(std::uint64_t id) {
    const std::uint64_t t = tag(id);
    std::uint64_t w = word.load(std::memory_order_relaxed);
    while ((w & ~kCountMask) == t) {
      if (word.compare_exchange_weak(w, w + 1, std::memory_order_relaxed)) return;
    }
  }
  /// One handle fewer (release order: its uses happen before the tape frees the recording).
  void drop(std::uint64_t id) {
    const std::uint64_t t = tag(id);
    std::uint64_t w = word.load(std::memory_order_relaxed);
    while ((w & ~kCountMask) == t) {
      if (word.compare_exchange_weak(w, w - 1, std::memory_order_release,
                                     std::memory_order_relaxed)) {
        return;
      }
    }
  }
};
}  // namespace detail

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

  /// The handle count of the current recording (ops store it in the tensors they record).
  detail::HandleCount* handle_count() const { return count_; }
  /// Whether the tape holds nodes that no tensor handle can reach any more.
  bool abandoned() const {
    return !nodes_.empty() &&
           (count_->word.load(std::memory_order_acquire) & detail::HandleCount::kCountMask) == 0;
  }
  /// Releases the recording when it is abandoned(); ops call it before recording a node.
  void release_if_abandoned() {
    if (abandoned()) release();
  }

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
  /// Runs nodes [stop, last] in reverse order; on an exception the tape is released.
  void run_backward(std::size_t last, std::size_t stop);
  /// Runs backward_recorded(pass) on nodes [stop, last] in reverse order. Nodes the pass records
  /// are appended after `last` and are not visited. On an exception the tape is released.
  void run_recorded(std::size_t last, std::size_t stop, GradPass& pass);
  /// Calls drop_grad() on nodes [0, last].
  void drop_grads(std::size_t last);

  /// Destroys every node (freeing what they captured) and starts a new recording id.
  void release();

  /// Anomaly mode: notes that the forward of `op` (node `node`) produced `value` at element
  /// `element`; only the first such op of a recording is kept.
  void note_nonfinite_forward(const char* op, std::size_t node, std::size_t element, double value);
  /// Anomaly mode: "'log' (node 3) produced -inf at element 0" for the first op of this
  /// recording whose forward produced a NaN or Inf, or "" when none did.
  std::string first_nonfinite_forward() const;

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
  detail::HandleCount* count_;
  // Anomaly mode: the first op of this recording whose forward value was not finite.
  const char* bad_forward_op_ = nullptr;
  std::size_t bad_forward_node_ = 0;
  std::size_t bad_forward_element_ = 0;
  double bad_forward_value_ = 0;
};

/// The tape ops record on in this thread: the innermost TapeScope's, else the thread's own.
Tape& current_tape();

/// Makes `tape` the current tape of this thread for the scope's lifetime.
class TapeScope {
 public:
  /// Makes `tape` current on this thread; the destructor restores the previous one.
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

/// Turns recording back on in this thread for the guard's lifetime (inside a NoGradGuard), as
/// torch.enable_grad.
class EnableGradGuard {
 public:
  EnableGradGuard();
  ~EnableGradGuard();
  EnableGradGuard(const EnableGradGuard&) = delete;
  EnableGradGuard& operator=(const EnableGradGuard&) = delete;

 private:
  bool previous_;
};

/// Anomaly mode (off by default, process-wide): backward checks every gradient an op produces and
/// throws NumericalError naming the op at the first NaN or Inf; forward checks every recorded op's
/// value and that message also names the first op whose forward produced a NaN or Inf (the
/// origin a user hunting a NaN wants; see Tape::first_nonfinite_forward).
void set_anomaly_enabled(bool enabled);
namespace detail {
/// The anomaly-mode switch (tape.cpp); read through anomaly_enabled().
extern std::atomic<bool> anomaly_flag;
}  // namespace detail
/// Whether anomaly mode is on (inline: every recorded op and every gradient asks).
inline bool anomaly_enabled() {
  return detail::anomaly_flag.load(std::memory_order_relaxed);
}

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
