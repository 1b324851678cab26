// SPDX-License-Identifier: MIT
#include "axon/train/progress.hpp"

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <ostream>

namespace axon::train {

bool stdout_is_terminal() {
  return ::isatty(STDOUT_FILENO) == 1;
}

std::string format_value(double v) {
  char buf[32];
  if (v != 0 && (std::abs(v) >= 1e5 || std::abs(v) < 1e-3)) {
    std::snprintf(buf, sizeof buf, "%.3e", v);
  } else {
    std::snprintf(buf, sizeof buf, "%.4f", v);
  }
  return buf;
}

namespace {

std::string format_seconds(double s) {
  char buf[32];
  if (s < 60) {
    std::snprintf(buf, sizeof buf, "%.1fs", s);
  } else {
    std::snprintf(buf, sizeof buf, "%dm%02ds", static_cast<int>(s) / 60, static_cast<int>(s) % 60);
  }
  return buf;
}

std::string join(const Values& values) {
  std::string s;
  for (const auto& [name, v] : values) s += "  " + name + " " + format_value(v);
  return s;
}

}  // namespace

ProgressBar::ProgressBar(std::ostream& out, bool interactive, std::size_t epoch, std::size_t epochs,
                         std::size_t total_samples, double min_interval_seconds)
    : out_(out),
      interactive_(interactive),
      epoch_(epoch),
      epochs_(epochs),
      total_(total_samples),
      min_interval_(min_interval_seconds),
      start_(std::chrono::steady_clock::now()) {}

double ProgressBar::elapsed() const {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
}

std::string ProgressBar::counters(std::size_t done) const {
  const double t = elapsed();
  const double rate = t > 0 ? static_cast<double>(done) / t : 0.0;
  char buf[96];
  std::snprintf(buf, sizeof buf, "%zu/%zu  %.0f samples/s", done, total_, rate);
  return buf;
}

void ProgressBar::update(std::size_t samples_done, const Values& values) {
  if (!interactive_) return;
  const double t = elapsed();
  if (t - last_draw_ < min_interval_ && samples_done < total_) return;
  last_draw_ = t;
  constexpr std::size_t kWidth = 24;
  const double frac =
      total_ ? std::min(1.0, static_cast<double>(samples_done) / static_cast<double>(total_)) : 1;
  const auto filled = static_cast<std::size_t>(frac * kWidth);
  std::string bar(filled, '=');
  if (filled < kWidth) bar += '>' + std::string(kWidth - filled - 1, ' ');
  const double rate = t > 0 ? static_cast<double>(samples_done) / t : 0.0;
  const double eta =
      rate > 0 ? static_cast<double>(total_ - std::min(total_, samples_done)) / rate : 0;
  std::string line = "Epoch " + std::to_string(epoch_) + "/" + std::to_string(epochs_) + " [" +
                     bar + "] " + counters(samples_done) + "  ETA " + format_seconds(eta) +
                     join(values);
  const std::size_t width = line.size();
  if (width < last_width_) line += std::string(last_width_ - width, ' ');  // erase leftovers
  last_width_ = width;
  out_ << '\r' << line << std::flush;
}

void ProgressBar::finish(const Values& values, const Values& extra) {
  std::string line = "Epoch " + std::to_string(epoch_) + "/" + std::to_string(epochs_) + "  " +
                     counters(total_) + "  " + format_seconds(elapsed()) + join(values) +
                     join(extra);
  if (interactive_) {
    if (line.size() < last_width_) line += std::string(last_width_ - line.size(), ' ');
    out_ << '\r';
  }
  out_ << line << '\n' << std::flush;
}

}  // namespace axon::train
