// SPDX-License-Identifier: MIT
#include "axon/optim/optimizer.hpp"

#include <cctype>
#include <cmath>
#include <sstream>

#include "axon/autograd/parallel_for.hpp"
#include "axon/autograd/tape.hpp"

namespace axon::optim::detail {

void check_option(bool ok, const char* optimizer, const char* option, double value,
                  const char* expected) {
  if (ok) return;
  std::ostringstream message;
  message << optimizer << ": invalid " << option << " " << value << " (expected " << expected
          << ")";
  throw ValueError(message.str());
}

std::int64_t checked_count(double value, std::int64_t min, const std::string& what) {
  if (!(value >= static_cast<double>(min) && value <= 0x1p53 && value == std::floor(value))) {
    std::ostringstream message;
    message << what << " must be a whole number >= " << min << ", got " << value;
    throw ValueError(message.str());
  }
  return static_cast<std::int64_t>(value);
}

namespace {
// Parses the decimal number at key[pos...] up to the next '.'; advances pos past the '.'.
bool parse_index(const std::string& key, std::size_t& pos, std::size_t& index) {
  const std::size_t start = pos;
  index = 0;
  while (pos < key.size() && std::isdigit(static_cast<unsigned char>(key[pos]))) {
    index = index * 10 + static_cast<std::size_t>(key[pos] - '0');
    ++pos;
  }
  if (pos == start || pos - start > 12 || pos >= key.size() || key[pos] != '.') return false;
  ++pos;
  return true;
}
}  // namespace

bool parse_state_key(const std::string& key, std::size_t& index, std::string& field) {
  const std::string prefix = "state.";
  if (key.rfind(prefix, 0) != 0) return false;
  std::size_t pos = prefix.size();
  if (!parse_index(key, pos, index) || pos >= key.size()) return false;
  field = key.substr(pos);
  return true;
}

bool parse_group_key(const std::string& key, std::size_t& group, std::string& field) {
  const std::string prefix = "param_groups.";
  if (key.rfind(prefix, 0) != 0) return false;
  std::size_t pos = prefix.size();
  if (!parse_index(key, pos, group) || pos >= key.size()) return false;
  field = key.substr(pos);
  return true;
}

}  // namespace axon::optim::detail

namespace axon::optim {

double OptimizerBase::initial_lr(std::size_t group) {
  const double current = lr(group);  // range check
  return initial_lrs_.emplace(group, current).first->second;
}

template <class T>
void BasicOptimizer<T>::step() {
  autograd::NoGradGuard no_grad;
  const std::vector<ParamUpdate<T>> updates = prepare_step();
  std::vector<std::size_t> sizes;
  sizes.reserve(updates.size());
  for (const auto& u : updates) sizes.push_back(u.param->value.size());
  autograd::parallel_chunks_of(sizes, autograd::elementwise_grain(),
                               [&updates](std::size_t item, std::size_t begin, std::size_t end) {
                                 updates[item].update(begin, end);
                               });
}

template class BasicOptimizer<float>;
template class BasicOptimizer<double>;

}  // namespace axon::optim
