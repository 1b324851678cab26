// SPDX-License-Identifier: MIT
#include "axon/autograd/tape.hpp"

#include <algorithm>
#include <atomic>
#include <mutex>
#include <sstream>
#include <vector>

namespace axon::autograd {

namespace detail {
std::atomic<bool> anomaly_flag{false};
}  // namespace detail

namespace {

std::atomic<std::uint64_t> next_tape_id{1};

thread_local Tape* scoped_tape = nullptr;
thread_local bool recording = true;
thread_local const char* running_name = "";

constexpr std::size_t kBlockSize = 1 << 16;

// Handle counts of destroyed tapes, for reuse. They are never freed: a tensor may outlive its
// tape and still drop its handle into the count (which then carries another id and ignores it).
// Never destroyed either: a thread's own tape may be destroyed at thread exit after statics.
std::mutex& spare_counts_mutex() {
  static auto* mutex = new std::mutex();
  return *mutex;
}
std::vector<detail::HandleCount*>& spare_counts() {
  static auto* spare = new std::vector<detail::HandleCount*>();
  return *spare;
}

detail::HandleCount* take_count() {
  {
    std::lock_guard<std::mutex> lock(spare_counts_mutex());
    auto& spare = spare_counts();
    if (!spare.empty()) {
      detail::HandleCount* c = spare.back();
      spare.pop_back();
      return c;
    }
  }
  return new detail::HandleCount();
}

}  // namespace

Tape::Tape() : id_(next_tape_id.fetch_add(1)), count_(take_count()) {
  count_->word.store(detail::HandleCount::tag(id_), std::memory_order_release);
}

Tape::~Tape() {
  release();  // leaves the count on a fresh id that no tensor carries
  std::lock_guard<std::mutex> lock(spare_counts_mutex());
  spare_counts().push_back(count_);
}

void* Tape::allocate(std::size_t size, std::size_t align) {
  for (;;) {
    if (block_ < blocks_.size()) {
      Block& b = blocks_[block_];
      const auto base = reinterpret_cast<std::uintptr_t>(b.data.get());
      std::size_t start = (base + offset_ + align - 1) / align * align - base;
      if (start + size <= b.size) {
        offset_ = start + size;
        return b.data.get() + start;
      }
      ++block_;
      offset_ = 0;
      continue;
    }
    const std::size_t bytes = std::max(kBlockSize, size + align);
    blocks_.push_back(Block{std::make_unique_for_overwrite<std::byte[]>(bytes), bytes});
  }
}

void Tape::run_backward(std::size_t last) {
  run_backward(last, 0);
}

void Tape::run_backward(std::size_t last, std::size_t stop) {
  try {
    for (std::size_t i = last + 1; i-- > stop;) {
      running_name = nodes_[i]->name();
      nodes_[i]->backward();
    }
  } catch (...) {
    running_name = "";
    release();
    throw;
  }
  running_name = "";
}

void Tape::run_recorded(std::size_t last, std::size_t stop, GradPass& pass) {
  const char* outer = running_name;  // a recorded backward may run a nested pass
  try {
    // nodes_ grows while the pass records; index it afresh every step.
    for (std::size_t i = last + 1; i-- > stop;) {
      running_name = nodes_[i]->name();
      nodes_[i]->backward_recorded(pass);
    }
  } catch (...) {
    running_name = "";
    release();
    throw;
  }
  running_name = outer;
}

void Tape::drop_grads(std::size_t last) {
  for (std::size_t i = last + 1; i-- > 0;) nodes_[i]->drop_grad();
}

void Tape::release() {
  for (std::size_t i = nodes_.size(); i-- > 0;) nodes_[i]->~Node();
  nodes_.clear();
  // Keep the first block for the next step; free the rest so one huge graph does not pin memory.
  if (blocks_.size() > 1) blocks_.resize(1);
  block_ = 0;
  offset_ = 0;
  bad_forward_op_ = nullptr;
  id_ = next_tape_id.fetch_add(1);
  // Handles to the released tensors carry the old id from now on and leave the count alone.
  count_->word.store(detail::HandleCount::tag(id_), std::memory_order_release);
}

void Tape::note_nonfinite_forward(const char* op, std::size_t node, std::size_t element,
                                  double value) {
  if (bad_forward_op_) return;
  bad_forward_op_ = op;
  bad_forward_node_ = node;
  bad_forward_element_ = element;
  bad_forward_value_ = value;
}

std::string Tape::first_nonfinite_forward() const {
  if (!bad_forward_op_) return "";
  std::ostringstream os;
  os << "'" << bad_forward_op_ << "' (node " << bad_forward_node_ << ") produced "
     << bad_forward_value_ << " at element " << bad_forward_element_;
  return os.str();
}

Tape& current_tape() {
  if (scoped_tape) return *scoped_tape;
  thread_local Tape own;
  return own;
}

TapeScope::TapeScope(Tape& tape) : previous_(scoped_tape) {
  scoped_tape = &tape;
}
TapeScope::~TapeScope() {
  scoped_tape = previous_;
}

bool grad_enabled() {
  return recording;
}

NoGradGuard::NoGradGuard() : previous_(recording) {
  recording = false;
}
NoGradGuard::~NoGradGuard() {
  recording = previous_;
}

EnableGradGuard::EnableGradGuard() : previous_(recording) {
  recording = true;
}
EnableGradGuard::~EnableGradGuard() {
  recording = previous_;
}

void set_anomaly_enabled(bool enabled) {
  detail::anomaly_flag.store(enabled);
}

AnomalyGuard::AnomalyGuard() : previous_(anomaly_enabled()) {
  set_anomaly_enabled(true);
}
AnomalyGuard::~AnomalyGuard() {
  set_anomaly_enabled(previous_);
}

namespace detail {
const char* running_node_name() {
  return running_name;
}
}  // namespace detail

}  // namespace axon::autograd
