// SPDX-License-Identifier: MIT
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <variant>
#include <vector>

/// Hyper-parameter search (docs/TUNE.md): the search space, strategies, the journal that lets a
/// search survive a crash, cross-validation.
namespace axon::tune {

/// One hyper-parameter's value: an integer, a real or a string ("adam", "256-128").
using Value = std::variant<std::int64_t, double, std::string>;
/// A trial's values by parameter name (ordered, so printing and hashing are deterministic).
using Values = std::map<std::string, Value>;

/// The value as text: integers in decimal, reals with 6 significant digits, strings as is.
std::string to_string(const Value& value);

/// One parameter of a Space.
struct Param {
  /// How a parameter's values are drawn: from a list, integers on a lattice, or reals in a range.
  enum class Kind { kChoice, kInteger, kReal };
  std::string name;            ///< the name trials look its value up by
  Kind kind = Kind::kChoice;   ///< which of the fields below apply
  std::vector<Value> choices;  ///< kChoice
  ///@{
  /// Integer range and lattice step (kInteger): low, low + step, ... <= high.
  std::int64_t int_low = 0, int_high = 0, step = 1;
  ///@}
  ///@{
  /// Real range (kReal): [low, high].
  double low = 0, high = 0;
  ///@}
  bool log = false;             ///< drawn uniformly in log space (kInteger, kReal)
  std::size_t grid_points = 3;  ///< kReal in a grid: evenly spaced points, both ends included
  /// Present only when the parameter `parent` takes one of `when_values`.
  std::optional<std::string> parent;
  std::vector<Value> when_values;  ///< the values of `parent` for which this parameter exists
};

/// A search space: parameters in the order they were declared, each possibly conditional on an
/// earlier one.
///
/// ```
/// tune::Space space;
/// space.real("lr", 1e-4, 1e-1, /*log=*/true)
///     .choice("optimizer", {"sgd", "adam"})
///     .real("momentum", 0.0, 0.95).when("optimizer", {"sgd"})
///     .integer("units", 16, 256, /*step=*/16);
/// ```
class Space {
 public:
  /// Any of `values` (integers, reals, strings). ValueError when empty or the name is taken.
  Space& choice(std::string name, std::vector<Value> values);
  /// An integer in [low, high] on the lattice low + k * step; `log` draws it uniformly in log
  /// space (low must then be >= 1). ValueError for low > high, step < 1 or a bad log range.
  Space& integer(std::string name, std::int64_t low, std::int64_t high, std::int64_t step = 1,
                 bool log = false);
  /// A real in [low, high]; `log` draws it uniformly in log space (low > 0). In a grid it takes
  /// `grid_points` evenly spaced values (evenly in log space when `log`).
  Space& real(std::string name, double low, double high, bool log = false,
              std::size_t grid_points = 3);
  /// Makes the parameter declared last exist only when the earlier parameter `parent` takes one
  /// of `values`. ValueError when `parent` is not declared before it.
  Space& when(const std::string& parent, std::vector<Value> values);

  /// Every combination, in a fixed order: the first parameter varies slowest, as nested loops in
  /// declaration order. A conditional parameter only multiplies the combinations where it is
  /// present. ValueError for an empty space.
  std::vector<Values> grid() const;
  /// Trial `index` of a random search seeded with `seed`: a pure function of (seed, index, space).
  /// Each parameter draws from its own stream, so a condition never shifts the others' draws.
  Values sample(std::uint64_t seed, std::uint64_t index) const;
  /// A one-line description of the space (names, kinds, ranges), stored in the journal so that a
  /// journal is only resumed by the search that wrote it.
  std::string describe() const;

  /// The parameters in declaration order.
  const std::vector<Param>& params() const { return params_; }
  /// Whether no parameter was declared.
  bool empty() const { return params_.empty(); }

 private:
  Param& add(std::string name, Param::Kind kind);
  bool active(const Param& p, const Values& values) const;

  std::vector<Param> params_;
};

}  // namespace axon::tune
