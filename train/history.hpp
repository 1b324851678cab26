// SPDX-License-Identifier: MIT
#pragma once

#include <cstddef>
#include <map>
#include <string>
#include <vector>

/// The per-epoch record returned by fit(): one series per quantity ("loss", "accuracy",
/// "val_loss", ...), written as CSV or as an SVG learning-curve plot a browser opens.
namespace axon::train {

/// One series of per-epoch values per name, in epoch order.
class History {
 public:
  /// Appends `value` to the series `name` (created on first use, in first-use order).
  void append(const std::string& name, double value);
  /// The series `name`; ValueError when absent.
  const std::vector<double>& operator[](const std::string& name) const;
  /// Whether a series `name` exists.
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

/// Reads the series of a JSON object `{"loss":["0.5","0.25"],"accuracy":["0.8","0.9"]}` (each
/// value a number written as a string, as fit's training checkpoints hold them) into a History,
/// in the object's order. The text is streamed through a SAX parser straight into the series, so
/// memory is about 8 bytes per value, not a JSON tree (about 100 bytes per value: an 84 MB
/// history took 1.3 GB). IOError "<what>: ..." naming the position when the text is not such an
/// object or a value is not a number.
History history_from_series_json(const std::string& text, const std::string& what);

/// Axis ticks at round values ("nice numbers", Heckbert, Graphics Gems 1990): steps of 1, 2 or 5
/// times a power of ten, the first tick at or below `lo` and the last at or above `hi`, at most
/// about `max_ticks` of them. nice_ticks(0.5681, 0.6534) is {0.56, 0.58, 0.60, 0.62, 0.64,
/// 0.66}. lo == hi gives ticks around the value; ValueError when lo > hi, either is not finite, or
/// max_ticks < 2.
std::vector<double> nice_ticks(double lo, double hi, int max_ticks = 5);

/// A tick value printed with as many decimals as `step` needs (0.6 with step 0.02 is "0.60").
std::string tick_label(double value, double step);

}  // namespace axon::train
