// SPDX-License-Identifier: MIT
#pragma once

#include <utility>

/// AXON_ARG(type, name) declares one option of an options class, in the one style every options
/// class of the library uses (nn/, optim/, datasets/, train/; docs/API_STYLE.md), as PyTorch's
/// TORCH_ARG does:
///
/// ```
/// class LinearOptions {
///  public:
///   LinearOptions(std::size_t in_features, std::size_t out_features)
///       : in_features_(in_features), out_features_(out_features) {}
///   /// Inputs per sample.
///   AXON_ARG(std::size_t, in_features);
///   /// Whether to add a learnt bias.
///   AXON_ARG(bool, bias) = true;
/// };
/// LinearOptions(784, 128).bias(false).bias();  // -> false
/// ```
///
/// It expands to a chained setter `name(value)` returning the options, a getter `name()` and the
/// private field `name_`, whose initialiser (after the macro) is the default. Required options are
/// constructor arguments; checks live in the class's validate() or in the consumer's constructor.
#define AXON_ARG(T, name)                          \
 public:                                           \
  auto name(const T& new_value)->decltype(*this) { \
    this->name##_ = new_value;                     \
    return *this;                                  \
  }                                                \
  auto name(T&& new_value)->decltype(*this) {      \
    this->name##_ = std::move(new_value);          \
    return *this;                                  \
  }                                                \
  const T& name() const noexcept {                 \
    return this->name##_;                          \
  }                                                \
                                                   \
 private:                                          \
  T name##_
