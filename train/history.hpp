// SPDX-License-Identifier: MIT
#pragma once

#include <cstddef>
#include <map>
#include <string>
#include <vector>

/// The per-epoch record returned by fit(): one series per quantity ("loss", "accuracy",
/// "val_loss", ...), written as CSV or as an SVG learning-curve plot a browser opens.
namespace axon::train {

class History {
 public:
  /// Appends `value` to the series `name` (created on first use, in first-use order).
  void append(const std::string& name, double value);
  /// The series `name`; ValueError when absent.
  const std::vector<double>& operator[](const std::string& name) const;
  bool contains(const std::string& name) const { return series_.count(name) > 0; }
  /// Series names in first-use order.
  const std::vector<std::string>& names() const { return order_; }
  /// Number of epochs recorded (the length of the longest series).
  std::size_t epochs() const;

  /// CSV: header `epoch,<names...>`, one row per epoch (empty cell where a series is shorter).
  /// IOError naming the file when it cannot be written.
  void write_csv(const std::string& path) const;
  /// The CSV text itself.
  std::string to_csv() const;
  /// SVG learning curves: losses in the left panel, other metrics in the right, one polyline per
  /// series with a legend. IOError naming the file when it cannot be written.
  void write_svg(const std::string& path, const std::string& title = "learning curves") const;
  /// The SVG text itself.
  std::string to_svg(const std::string& title = "learning curves") const;

 private:
  std::map<std::string, std::vector<double>> series_;
  std::vector<std::string> order_;
};

}  // namespace axon::train
