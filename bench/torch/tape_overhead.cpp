// SPDX-License-Identifier: MIT
// tape_overhead in libtorch: the same shape-[1] chain as bench/axon/tape_overhead.cpp, recorded by
// torch's autograd and run backward, on one intra-op thread.
#include <torch/torch.h>

#include "../harness.hpp"
#include "../tape_overhead.hpp"

namespace bench {
namespace {

float chain_once() {
  auto x = torch::ones({1}, torch::TensorOptions().dtype(torch::kFloat32).requires_grad(true));
  auto y = x;
  for (int i = 0; i < tape_overhead::kSteps; ++i) y = y * 1.0001 + 0.0001;
  y.backward();
  return x.grad().item<float>();
}

Result run(const Options& opt) {
  torch::set_num_threads(1);  // a scalar chain has nothing to parallelise
  volatile float sink = 0.0f;
  const auto times = repeat(tape_overhead::kWarmup, opt.reps ? opt.reps : tape_overhead::kReps,
                            [&] { sink = chain_once(); });
  torch::set_num_threads(opt.threads);
  return tape_overhead::result(times);
}

const Registration reg("tape_overhead", run);

}  // namespace
}  // namespace bench
