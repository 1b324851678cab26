// SPDX-License-Identifier: MIT
#include "axon/nn/gradcheck.hpp"

#include <string>
#include <utility>

namespace axon::nn {

namespace {

using autograd::TensorD;

/// Restores the module's parameter handles when the check ends (or throws).
class RebindGuard {
 public:
  explicit RebindGuard(std::vector<TensorD*> slots) : slots_(std::move(slots)) {
    for (auto* s : slots_) saved_.push_back(*s);
  }
  ~RebindGuard() {
    for (std::size_t k = 0; k < slots_.size(); ++k) *slots_[k] = saved_[k];
  }
  RebindGuard(const RebindGuard&) = delete;
  RebindGuard& operator=(const RebindGuard&) = delete;

 private:
  std::vector<TensorD*> slots_;
  std::vector<TensorD> saved_;
};

}  // namespace

autograd::GradcheckResult gradcheck_module(ModuleD& module, const TensorD& input,
                                           const autograd::GradcheckOptions& options) {
  return gradcheck_module(
      module, [](ModuleD& m, const std::vector<TensorD>& xs) { return m.forward(xs[0]); }, {input},
      options);
}

autograd::GradcheckResult gradcheck_module(ModuleD& module, const ModuleForward& forward,
                                           const std::vector<TensorD>& inputs,
                                           const autograd::GradcheckOptions& options) {
  // The function under test takes [inputs..., parameters...].
  const auto named = module.named_parameters();
  std::vector<TensorD*> slots;
  std::vector<TensorD> all = inputs;
  for (const auto& [name, tensor] : named) {
    slots.push_back(&module.parameter(name));
    all.push_back(tensor);
  }
  RebindGuard guard(slots);
  const std::size_t n_in = inputs.size();
  auto f = [&](const std::vector<TensorD>& xs) {
    for (std::size_t k = 0; k < slots.size(); ++k) *slots[k] = xs[n_in + k];
    return forward(module, std::vector<TensorD>(xs.begin(), xs.begin() + n_in));
  };
  autograd::GradcheckResult result = autograd::gradcheck(f, all, options);

  // "gradcheck: input 3 element ..." -> "gradcheck: parameter 'fc.bias' element ...".
  const std::string prefix = "gradcheck: input ";
  if (!result.ok && result.message.rfind(prefix, 0) == 0) {
    std::size_t end = prefix.size();
    while (end < result.message.size() && std::isdigit(result.message[end])) ++end;
    const std::size_t k = std::stoul(result.message.substr(prefix.size(), end - prefix.size()));
    if (k >= n_in) {
      result.message =
          "gradcheck: parameter '" + named[k - n_in].first + "'" + result.message.substr(end);
    }
  }
  return result;
}

}  // namespace axon::nn
