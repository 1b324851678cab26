// SPDX-License-Identifier: MIT
// Shared by the tune tests: a small space and a synthetic objective whose score is a pure
// function of the trial's values.
#pragma once

#include <cmath>
#include <string>

#include "axon/tune/search.hpp"

namespace axon::test {

/// lr (log), optimizer, momentum only for sgd, units.
inline tune::Space small_space() {
  tune::Space space;
  space.real("lr", 1e-4, 1e-1, true)
      .choice("optimizer", {"sgd", "adam"})
      .real("momentum", 0.0, 0.9)
      .when("optimizer", {"sgd"})
      .integer("units", 4, 64, 4);
  return space;
}

/// A bowl with its minimum at lr = 1e-2, units = 32, momentum 0.5; adam a little better.
inline double synthetic_score(const tune::Trial& trial) {
  const double a = std::log10(trial.real("lr")) + 2.0;
  const double b = (static_cast<double>(trial.integer("units")) - 32.0) / 32.0;
  double score = a * a + b * b + (trial.text("optimizer") == "adam" ? 0.0 : 0.1);
  if (trial.has("momentum"))
    score += (trial.real("momentum") - 0.5) * (trial.real("momentum") - 0.5);
  return score;
}

}  // namespace axon::test
