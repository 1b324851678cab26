// SPDX-License-Identifier: MIT
#pragma once

#include <chrono>
#include <cstddef>
#include <iosfwd>
#include <string>
#include <utility>
#include <vector>

/// Per-epoch progress output. On a terminal: a bar redrawn in place (samples done, samples/s,
/// ETA, running loss and metrics). Otherwise (a log file, CI): one plain line per epoch.
namespace axon::train {

/// Named values shown after the counters ("loss", "accuracy", ...), in order.
using Values = std::vector<std::pair<std::string, double>>;

/// Whether standard output is a terminal.
bool stdout_is_terminal();

/// The progress display of one epoch: update() after each batch, finish() at the end.
class ProgressBar {
 public:
  /// `interactive`: redraw a bar in place with a carriage return (a terminal); otherwise print only
  /// finish()'s line. `min_interval_seconds` limits redraws (0 redraws on every update).
  ProgressBar(std::ostream& out, bool interactive, std::size_t epoch, std::size_t epochs,
              std::size_t total_samples, double min_interval_seconds = 0.1);

  /// Reports progress within the epoch.
  void update(std::size_t samples_done, const Values& values);
  /// Ends the epoch's output with one complete line (both modes); `extra` (e.g. validation
  /// metrics) is appended.
  void finish(const Values& values, const Values& extra = {});

  /// Seconds since construction.
  double elapsed() const;

 private:
  std::string counters(std::size_t done) const;

  std::ostream& out_;
  bool interactive_;
  std::size_t epoch_, epochs_, total_;
  double min_interval_;
  std::chrono::steady_clock::time_point start_;
  double last_draw_ = -1e9;
  std::size_t last_width_ = 0;
};

/// "0.4123" style formatting shared by the progress output and the history.
std::string format_value(double v);

}  // namespace axon::train
