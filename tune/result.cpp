// SPDX-License-Identifier: MIT
// SearchResult: the ranked table and the SVG of a search (tune/search.hpp).
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <map>
#include <sstream>

#include "axon/tune/search.hpp"

namespace axon::tune {

SearchResult::SearchResult(std::vector<TrialRecord> all, Direction direction, std::string model_dir)
    : records_(std::move(all)), direction_(direction), model_dir_(std::move(model_dir)) {
  std::map<std::size_t, const TrialRecord*> last;  // each trial's highest rung
  for (const TrialRecord& r : records_) {
    auto& slot = last[r.id];
    if (!slot || r.rung >= slot->rung) slot = &r;
  }
  for (const auto& [id, r] : last) trials_.push_back(*r);
  trials_ = ranked(std::move(trials_), direction_);
}

const TrialRecord& SearchResult::best() const {
  if (trials_.empty() || !trials_.front().ok()) {
    throw ValueError("tune::SearchResult::best: no trial finished (" +
                     std::to_string(trials_.size()) + " failed)");
  }
  return trials_.front();
}

std::string SearchResult::model_path(std::size_t id) const {
  return trial_model_path(model_dir_, id);
}

std::string SearchResult::table() const {
  std::string text = "rank  trial  rung  epochs         score  values\n";
  char line[96];
  for (std::size_t i = 0; i < trials_.size(); ++i) {
    const TrialRecord& r = trials_[i];
    std::snprintf(line, sizeof line, "%4zu  %5zu  %4zu  %6zu  %12s  ", i + 1, r.id, r.rung,
                  r.epochs, r.ok() ? to_string(r.score).c_str() : "failed");
    text += line;
    std::string values;
    for (const auto& [name, v] : r.values)
      values += (values.empty() ? "" : " ") + name + "=" + to_string(v);
    text += values;
    if (!r.ok()) text += "  (" + r.message + ")";
    text += "\n";
  }
  return text;
}

namespace {

constexpr double kPanelW = 320, kPanelH = 220, kMargin = 45;

/// A scatter panel at (x0, y0): points (x, y) scaled into the panel, axes labelled.
void panel(std::ostringstream& svg, double x0, double y0, const std::string& title,
           const std::vector<std::pair<double, double>>& points, bool log_x,
           const std::vector<std::string>& x_labels) {
  svg << "<g transform=\"translate(" << x0 << "," << y0 << ")\">\n"
      << "<text x=\"" << kPanelW / 2 << "\" y=\"14\" text-anchor=\"middle\" font-size=\"13\">"
      << title << "</text>\n"
      << "<rect x=\"" << kMargin << "\" y=\"20\" width=\"" << kPanelW - kMargin - 10
      << "\" height=\"" << kPanelH - 50 << "\" fill=\"none\" stroke=\"#888\"/>\n";
  if (points.empty()) return void(svg << "</g>\n");
  auto fx = [&](double x) { return log_x ? std::log10(x) : x; };
  double x_lo = fx(points[0].first), x_hi = x_lo, y_lo = points[0].second, y_hi = y_lo;
  for (const auto& [x, y] : points) {
    x_lo = std::min(x_lo, fx(x)), x_hi = std::max(x_hi, fx(x));
    y_lo = std::min(y_lo, y), y_hi = std::max(y_hi, y);
  }
  if (!x_labels.empty()) x_lo = -0.5, x_hi = double(x_labels.size()) - 0.5;
  if (x_hi == x_lo) x_lo -= 0.5, x_hi += 0.5;
  if (y_hi == y_lo) y_lo -= 0.5, y_hi += 0.5;
  const double w = kPanelW - kMargin - 30, h = kPanelH - 70;
  auto px = [&](double x) { return kMargin + 10 + (fx(x) - x_lo) / (x_hi - x_lo) * w; };
  auto py = [&](double y) { return 30 + (1 - (y - y_lo) / (y_hi - y_lo)) * h; };
  for (const auto& [x, y] : points) {
    svg << "<circle cx=\"" << px(x) << "\" cy=\"" << py(y)
        << "\" r=\"3.5\" fill=\"#2a6fb0\" fill-opacity=\"0.75\"/>\n";
  }
  char text[32];
  for (const double y : {y_lo, y_hi}) {
    std::snprintf(text, sizeof text, "%.4g", y);
    svg << "<text x=\"" << kMargin - 3 << "\" y=\"" << py(y) + 4
        << "\" text-anchor=\"end\" font-size=\"10\">" << text << "</text>\n";
  }
  if (!x_labels.empty()) {
    for (std::size_t i = 0; i < x_labels.size(); ++i) {
      svg << "<text x=\"" << px(double(i)) << "\" y=\"" << kPanelH - 16
          << "\" text-anchor=\"middle\" font-size=\"10\">" << x_labels[i] << "</text>\n";
    }
  } else {
    for (const double x : {x_lo, x_hi}) {
      std::snprintf(text, sizeof text, "%.4g", log_x ? std::pow(10.0, x) : x);
      svg << "<text x=\"" << kMargin + 10 + (x - x_lo) / (x_hi - x_lo) * w << "\" y=\""
          << kPanelH - 16 << "\" text-anchor=\"middle\" font-size=\"10\">" << text << "</text>\n";
    }
  }
  svg << "</g>\n";
}

std::string escape(const std::string& s) {
  std::string out;
  for (const char c : s) {
    out += c == '<' ? "&lt;" : c == '>' ? "&gt;" : c == '&' ? "&amp;" : std::string(1, c);
  }
  return out;
}

}  // namespace

void SearchResult::write_svg(const std::string& path, const Space& space) const {
  // Finished trials at their highest rung; panel 0 is score against trial id.
  std::vector<const TrialRecord*> ok;
  for (const TrialRecord& r : trials_) {
    if (r.ok()) ok.push_back(&r);
  }
  const std::size_t panels = 1 + space.params().size(), columns = std::min<std::size_t>(panels, 3);
  const std::size_t rows = (panels + columns - 1) / columns;
  std::ostringstream svg;
  svg << "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" << columns * kPanelW << "\" height=\""
      << rows * kPanelH << "\" font-family=\"sans-serif\">\n"
      << "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n";
  std::vector<std::pair<double, double>> points;
  for (const TrialRecord* r : ok) points.emplace_back(double(r->id), r->score);
  panel(svg, 0, 0, "score against trial", points, false, {});
  for (std::size_t i = 0; i < space.params().size(); ++i) {
    const Param& p = space.params()[i];
    points.clear();
    std::vector<std::string> labels;
    for (const TrialRecord* r : ok) {
      const auto it = r->values.find(p.name);
      if (it == r->values.end()) continue;
      double x = 0;
      if (p.kind == Param::Kind::kChoice) {
        const auto c = std::find(p.choices.begin(), p.choices.end(), it->second);
        x = double(c - p.choices.begin());
      } else {
        x = std::holds_alternative<double>(it->second) ? std::get<double>(it->second)
                                                       : double(std::get<std::int64_t>(it->second));
      }
      points.emplace_back(x, r->score);
    }
    if (p.kind == Param::Kind::kChoice) {
      for (const Value& v : p.choices) labels.push_back(escape(to_string(v)));
    }
    const std::size_t k = i + 1;
    panel(svg, double(k % columns) * kPanelW, double(k / columns) * kPanelH,
          "score against " + escape(p.name), points, p.log, labels);
  }
  svg << "</svg>\n";
  std::ofstream out(path);
  out << svg.str();
  if (!out.flush()) throw IOError("tune::SearchResult::write_svg: cannot write " + path);
}

}  // namespace axon::tune
