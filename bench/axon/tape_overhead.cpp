// SPDX-License-Identifier: MIT
// tape_overhead: the engine's fixed cost per recorded op. A shape-[1] chain of 10,000 steps of
// y = y * 1.0001 + 0.0001 from a leaf x, forward and backward: 20,000 ops whose arithmetic is
// negligible, so the time is bookkeeping (allocations, the tape, the closures).
#include "axon/autograd/autograd.hpp"

#include "../harness.hpp"
#include "../tape_overhead.hpp"

namespace bench {
namespace {

namespace ag = axon::autograd;

/// One forward + backward of the chain; returns x's gradient so nothing is optimised away.
float chain_once() {
  auto x = ag::full<float>({1}, 1.0f, true);
  auto y = x;
  for (int i = 0; i < tape_overhead::kSteps; ++i) y = y * 1.0001f + 0.0001f;
  y.backward();
  return x.grad_data()[0];
}

Result run(const Options& opt) {
  volatile float sink = 0.0f;
  const auto times = repeat(tape_overhead::kWarmup, opt.reps ? opt.reps : tape_overhead::kReps,
                            [&] { sink = chain_once(); });
  return tape_overhead::result(times);
}

const Registration reg("tape_overhead", run);

}  // namespace
}  // namespace bench
