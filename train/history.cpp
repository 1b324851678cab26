// SPDX-License-Identifier: MIT
#include "axon/train/history.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "axon/autograd/error.hpp"
#include "axon/io/checkpoint.hpp"

namespace axon::train {

void History::append(const std::string& name, double value) {
  auto [it, inserted] = series_.try_emplace(name);
  if (inserted) order_.push_back(name);
  it->second.push_back(value);
}

const std::vector<double>& History::operator[](const std::string& name) const {
  auto it = series_.find(name);
  if (it == series_.end()) throw ValueError("History: no series named '" + name + "'");
  return it->second;
}

std::size_t History::epochs() const {
  std::size_t n = 0;
  for (const auto& [name, s] : series_) n = std::max(n, s.size());
  return n;
}

namespace {

/// nlohmann's SAX events for history_from_series_json: accepts exactly an object of arrays of
/// strings and appends each parsed value to its series as it arrives (no JSON tree is built).
class SeriesReader {
 public:
  using json = nlohmann::json;
  SeriesReader(History& history, const std::string& what) : history_(history), what_(what) {}

  bool start_object(std::size_t) {
    if (depth_ != 0) unexpected("an object");
    depth_ = 1;
    return true;
  }
  bool key(json::string_t& name) {
    name_ = std::move(name);
    index_ = 0;
    return true;
  }
  bool start_array(std::size_t) {
    if (depth_ != 1) unexpected("an array");
    depth_ = 2;
    return true;
  }
  bool string(json::string_t& text) {
    if (depth_ != 2) unexpected("a string");
    double value = 0;
    const char* end = text.data() + text.size();
    const auto [ptr, error] = std::from_chars(text.data(), end, value);
    // io::parse_double's rules; it builds the message (naming the value) only on failure.
    if (text.empty() || error != std::errc() || ptr != end) value = io::parse_double(text, where());
    history_.append(name_, value);
    ++index_;
    return true;
  }
  bool end_array() {
    depth_ = 1;  // an empty series adds nothing (a History has none)
    return true;
  }
  bool end_object() {
    depth_ = 0;
    return true;
  }
  bool null() { return unexpected("null"); }
  bool boolean(bool) { return unexpected("a boolean"); }
  bool number_integer(json::number_integer_t) { return unexpected("a bare number"); }
  bool number_unsigned(json::number_unsigned_t) { return unexpected("a bare number"); }
  bool number_float(json::number_float_t, const json::string_t&) {
    return unexpected("a bare number");
  }
  bool binary(json::binary_t&) { return unexpected("binary data"); }
  bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception& e) {
    throw IOError(what_ + ": not valid JSON: " + e.what());
  }

 private:
  std::string where() const {
    return what_ + " \"" + name_.substr(0, 40) + "\" value " + std::to_string(index_);
  }
  [[noreturn]] bool unexpected(const char* found) const {
    const std::string at = depth_ == 2 ? where() : what_;
    throw IOError(at + ": expected an object of arrays of numbers written as strings, found " +
                  found);
  }

  History& history_;
  const std::string& what_;
  std::string name_;
  std::size_t index_ = 0;
  int depth_ = 0;  // 0 outside, 1 in the object, 2 in a series
};

}  // namespace

History history_from_series_json(const std::string& text, const std::string& what) {
  History history;
  SeriesReader reader(history, what);
  nlohmann::json::sax_parse(text, &reader);
  return history;
}

std::string History::to_csv() const {
  std::ostringstream os;
  os << "epoch";
  for (const auto& name : order_) os << ',' << name;
  os << '\n';
  os.precision(10);
  for (std::size_t e = 0; e < epochs(); ++e) {
    os << e + 1;
    for (const auto& name : order_) {
      os << ',';
      const auto& s = series_.at(name);
      if (e < s.size()) os << s[e];
    }
    os << '\n';
  }
  return os.str();
}

namespace {

// The round number near x: 1, 2 or 5 (or 10) times a power of ten; `round` picks the nearest,
// otherwise the smallest not below x.
double nice_number(double x, bool round) {
  const double exponent = std::floor(std::log10(x));
  const double fraction = x / std::pow(10.0, exponent);  // in [1, 10)
  double nice;
  if (round) {
    nice = fraction < 1.5 ? 1 : fraction < 3 ? 2 : fraction < 7 ? 5 : 10;
  } else {
    nice = fraction <= 1 ? 1 : fraction <= 2 ? 2 : fraction <= 5 ? 5 : 10;
  }
  return nice * std::pow(10.0, exponent);
}

}  // namespace

std::vector<double> nice_ticks(double lo, double hi, int max_ticks) {
  if (!std::isfinite(lo) || !std::isfinite(hi) || lo > hi || max_ticks < 2) {
    std::ostringstream os;
    os << "nice_ticks: need finite lo <= hi and max_ticks >= 2, got lo " << lo << ", hi " << hi
       << ", max_ticks " << max_ticks;
    throw ValueError(os.str());
  }
  if (hi - lo < 1e-12 * std::max(1.0, std::abs(lo))) {  // one value: a unit-wide axis around it
    const double half = std::abs(lo) > 0 ? 0.1 * std::abs(lo) : 0.5;
    lo -= half;
    hi += half;
  }
  const double range = nice_number(hi - lo, false);
  const double step = nice_number(range / (max_ticks - 1), true);
  const double first = std::floor(lo / step + 1e-9) * step;
  const double last = std::ceil(hi / step - 1e-9) * step;
  std::vector<double> ticks;
  // Each tick as first + k step (not a running sum, which drifts); -0 printed as 0.
  for (long k = 0; first + static_cast<double>(k) * step <= last + 0.5 * step; ++k) {
    const double t = first + static_cast<double>(k) * step;
    ticks.push_back(std::abs(t) < 1e-9 * step ? 0.0 : t);
  }
  return ticks;
}

std::string tick_label(double value, double step) {
  const int decimals = std::max(0, -static_cast<int>(std::floor(std::log10(step) + 1e-9)));
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, value);
  return buf;
}

namespace {

void write_text(const std::string& path, const std::string& text, const char* what) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out) throw IOError(std::string(what) + ": cannot open '" + path + "' for writing");
  out << text;
  out.flush();
  if (!out) throw IOError(std::string(what) + ": failed writing '" + path + "'");
}

std::string xml_escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '&':
        out += "&amp;";
        break;
      case '"':
        out += "&quot;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

const char* kColours[] = {"#1f77b4", "#ff7f0e", "#2ca02c", "#d62728",
                          "#9467bd", "#8c564b", "#e377c2", "#17becf"};

/// One panel: axes, ticks and a polyline per series, placed at (x0, y0) with size (w, h).
void panel(std::ostringstream& os, const std::map<std::string, std::vector<double>>& series,
           const std::vector<std::string>& names, double x0, double y0, double w, double h,
           const std::string& heading, std::size_t epochs, std::size_t& colour) {
  double lo = INFINITY, hi = -INFINITY;
  for (const auto& n : names) {
    for (double v : series.at(n)) {
      if (std::isfinite(v)) lo = std::min(lo, v), hi = std::max(hi, v);
    }
  }
  if (!std::isfinite(lo)) lo = 0, hi = 1;
  // The axis spans the round ticks around the data (0.55 .. 0.70, not 0.5681 .. 0.6534).
  const std::vector<double> ticks = nice_ticks(lo, hi);
  const double step = ticks[1] - ticks[0];
  lo = ticks.front();
  hi = ticks.back();
  auto px = [&](std::size_t e) {
    return x0 + (epochs > 1 ? w * static_cast<double>(e) / static_cast<double>(epochs - 1) : w / 2);
  };
  auto py = [&](double v) { return y0 + h - h * (v - lo) / (hi - lo); };
  os << "<text x=\"" << x0 + w / 2 << "\" y=\"" << y0 - 12
     << "\" text-anchor=\"middle\" font-size=\"14\">" << xml_escape(heading) << "</text>\n";
  os << "<rect x=\"" << x0 << "\" y=\"" << y0 << "\" width=\"" << w << "\" height=\"" << h
     << "\" fill=\"none\" stroke=\"#444\"/>\n";
  for (double v : ticks) {
    os << "<line x1=\"" << x0 << "\" y1=\"" << py(v) << "\" x2=\"" << x0 + w << "\" y2=\"" << py(v)
       << "\" stroke=\"#ddd\"/>\n";
    os << "<text x=\"" << x0 - 6 << "\" y=\"" << py(v) + 4
       << "\" text-anchor=\"end\" font-size=\"10\">" << tick_label(v, step) << "</text>\n";
  }
  // Epoch ticks: whole epochs at round steps (1, 2, 5, 10, ...).
  if (epochs >= 1) {
    const auto epoch_ticks = nice_ticks(1.0, static_cast<double>(std::max<std::size_t>(epochs, 2)));
    const double epoch_step = std::max(1.0, epoch_ticks[1] - epoch_ticks[0]);
    for (double t = epoch_step > 1 ? epoch_step : 1.0; t <= static_cast<double>(epochs);
         t += epoch_step) {
      const auto e = static_cast<std::size_t>(t);
      os << "<text x=\"" << px(e - 1) << "\" y=\"" << y0 + h + 16
         << "\" text-anchor=\"middle\" font-size=\"10\">" << e << "</text>\n";
    }
  }
  os << "<text x=\"" << x0 + w / 2 << "\" y=\"" << y0 + h + 30
     << "\" text-anchor=\"middle\" font-size=\"11\">epoch</text>\n";
  double legend_y = y0 + 14;
  for (const auto& n : names) {
    const char* c = kColours[colour++ % (sizeof kColours / sizeof *kColours)];
    os << "<polyline fill=\"none\" stroke=\"" << c << "\" stroke-width=\"2\" points=\"";
    const auto& s = series.at(n);
    for (std::size_t e = 0; e < s.size(); ++e) {
      if (std::isfinite(s[e])) os << px(e) << ',' << py(s[e]) << ' ';
    }
    os << "\"/>\n";
    os << "<text x=\"" << x0 + w - 8 << "\" y=\"" << legend_y << "\" text-anchor=\"end\" fill=\""
       << c << "\" font-size=\"11\">" << xml_escape(n) << "</text>\n";
    legend_y += 14;
  }
}

}  // namespace

std::string History::to_svg(const std::string& title) const {
  std::vector<std::string> losses, metrics;
  for (const auto& n : order_) {
    (n.find("loss") != std::string::npos ? losses : metrics).push_back(n);
  }
  const double width = 900, height = 400;
  std::ostringstream os;
  os << "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" << width << "\" height=\"" << height
     << "\" viewBox=\"0 0 " << width << ' ' << height << "\" font-family=\"sans-serif\">\n";
  os << "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n";
  os << "<text x=\"" << width / 2 << "\" y=\"24\" text-anchor=\"middle\" font-size=\"16\">"
     << xml_escape(title) << "</text>\n";
  std::size_t colour = 0;
  const std::size_t e = epochs();
  if (!losses.empty()) panel(os, series_, losses, 70, 70, 340, 270, "loss", e, colour);
  if (!metrics.empty()) panel(os, series_, metrics, 520, 70, 340, 270, "metrics", e, colour);
  os << "</svg>\n";
  return os.str();
}

void History::write_csv(const std::string& path) const {
  write_text(path, to_csv(), "History::write_csv");
}

void History::write_svg(const std::string& path, const std::string& title) const {
  write_text(path, to_svg(title), "History::write_svg");
}

}  // namespace axon::train
