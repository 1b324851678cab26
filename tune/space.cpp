// SPDX-License-Identifier: MIT
#include "axon/tune/space.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <functional>

#include "axon/autograd/error.hpp"
#include "axon/autograd/random.hpp"

namespace axon::tune {

std::string to_string(const Value& value) {
  if (const auto* i = std::get_if<std::int64_t>(&value)) return std::to_string(*i);
  if (const auto* s = std::get_if<std::string>(&value)) return *s;
  char text[32];
  std::snprintf(text, sizeof text, "%.6g", std::get<double>(value));
  return text;
}

Param& Space::add(std::string name, Param::Kind kind) {
  if (name.empty()) throw ValueError("tune::Space: a parameter needs a name");
  for (const Param& p : params_) {
    if (p.name == name) throw ValueError("tune::Space: parameter '" + name + "' declared twice");
  }
  Param& p = params_.emplace_back();
  p.name = std::move(name);
  p.kind = kind;
  return p;
}

Space& Space::choice(std::string name, std::vector<Value> values) {
  if (values.empty()) throw ValueError("tune::Space::choice: '" + name + "' has no values");
  add(std::move(name), Param::Kind::kChoice).choices = std::move(values);
  return *this;
}

Space& Space::integer(std::string name, std::int64_t low, std::int64_t high, std::int64_t step,
                      bool log) {
  if (low > high || step < 1 || (log && low < 1)) {
    throw ValueError("tune::Space::integer: '" + name + "' has range [" + std::to_string(low) +
                     ", " + std::to_string(high) + "], step " + std::to_string(step) +
                     (log ? ", log scale (needs low >= 1)" : ""));
  }
  Param& p = add(std::move(name), Param::Kind::kInteger);
  p.int_low = low, p.int_high = high, p.step = step, p.log = log;
  return *this;
}

Space& Space::real(std::string name, double low, double high, bool log, std::size_t grid_points) {
  if (!(low <= high) || !std::isfinite(low) || !std::isfinite(high) || (log && !(low > 0)) ||
      grid_points == 0) {
    throw ValueError("tune::Space::real: '" + name + "' has range [" + std::to_string(low) + ", " +
                     std::to_string(high) + "]" + (log ? ", log scale (needs low > 0)" : "") +
                     ", " + std::to_string(grid_points) + " grid points");
  }
  Param& p = add(std::move(name), Param::Kind::kReal);
  p.low = low, p.high = high, p.log = log, p.grid_points = grid_points;
  return *this;
}

Space& Space::when(const std::string& parent, std::vector<Value> values) {
  if (params_.empty()) throw ValueError("tune::Space::when: no parameter to make conditional");
  const auto found = std::find_if(params_.begin(), params_.end() - 1,
                                  [&](const Param& p) { return p.name == parent; });
  if (found == params_.end() - 1) {
    throw ValueError("tune::Space::when: '" + params_.back().name + "' depends on '" + parent +
                     "', which is not declared before it");
  }
  params_.back().parent = parent;
  params_.back().when_values = std::move(values);
  return *this;
}

bool Space::active(const Param& p, const Values& values) const {
  if (!p.parent) return true;
  const auto it = values.find(*p.parent);
  if (it == values.end()) return false;  // the parent is itself absent
  return std::find(p.when_values.begin(), p.when_values.end(), it->second) != p.when_values.end();
}

namespace {

/// The values a parameter takes in a grid.
std::vector<Value> grid_values(const Param& p) {
  std::vector<Value> out;
  switch (p.kind) {
    case Param::Kind::kChoice:
      return p.choices;
    case Param::Kind::kInteger:
      for (std::int64_t v = p.int_low; v <= p.int_high; v += p.step) out.emplace_back(v);
      return out;
    case Param::Kind::kReal:
      for (std::size_t i = 0; i < p.grid_points; ++i) {
        const double t = p.grid_points == 1 ? 0.0 : double(i) / double(p.grid_points - 1);
        out.emplace_back(p.log
                             ? std::exp(std::log(p.low) + t * (std::log(p.high) - std::log(p.low)))
                             : p.low + t * (p.high - p.low));
      }
      if (p.grid_points > 1) out.back() = p.high;  // exact end point, whatever the rounding
      return out;
  }
  return out;
}

/// One draw of a parameter from its own stream.
Value draw(const Param& p, autograd::Generator& gen) {
  switch (p.kind) {
    case Param::Kind::kChoice:
      return p.choices[gen.below(p.choices.size())];
    case Param::Kind::kInteger: {
      const std::uint64_t count = std::uint64_t(p.int_high - p.int_low) / std::uint64_t(p.step) + 1;
      if (!p.log) return p.int_low + p.step * std::int64_t(gen.below(count));
      // Uniform in log space over [low, high + 1), then snapped down onto the lattice.
      const double x =
          std::exp(gen.uniform(std::log(double(p.int_low)), std::log(double(p.int_high) + 1.0)));
      const auto k = std::min<std::int64_t>(
          std::int64_t((std::floor(x) - double(p.int_low)) / double(p.step)), count - 1);
      return p.int_low + p.step * std::max<std::int64_t>(k, 0);
    }
    case Param::Kind::kReal:
      if (!p.log) return gen.uniform(p.low, p.high);
      return std::exp(gen.uniform(std::log(p.low), std::log(p.high)));
  }
  return Value{};
}

const char* kind_name(Param::Kind kind) {
  return kind == Param::Kind::kChoice ? "choice" : kind == Param::Kind::kInteger ? "int" : "real";
}

}  // namespace

std::vector<Values> Space::grid() const {
  if (params_.empty()) throw ValueError("tune::Space::grid: the space has no parameters");
  std::vector<Values> out;
  Values current;
  // Nested loops in declaration order; an inactive parameter is skipped.
  std::function<void(std::size_t)> expand = [&](std::size_t i) {
    if (i == params_.size()) return out.push_back(current);
    const Param& p = params_[i];
    if (!active(p, current)) return expand(i + 1);
    for (const Value& v : grid_values(p)) {
      current[p.name] = v;
      expand(i + 1);
    }
    current.erase(p.name);
  };
  expand(0);
  return out;
}

Values Space::sample(std::uint64_t seed, std::uint64_t index) const {
  if (params_.empty()) throw ValueError("tune::Space::sample: the space has no parameters");
  const autograd::Generator trial = autograd::Generator(seed).fork(index);
  Values values;
  for (std::size_t i = 0; i < params_.size(); ++i) {
    autograd::Generator gen = trial.fork(i);
    if (active(params_[i], values)) values[params_[i].name] = draw(params_[i], gen);
  }
  return values;
}

std::string Space::describe() const {
  // Appended piece by piece: GCC 12 at -O3 warns (-Wrestrict, a false positive) on chains of
  // "literal" + std::string here.
  std::string text;
  for (const Param& p : params_) {
    if (!text.empty()) text += "; ";
    text += p.name;
    text += ':';
    text += kind_name(p.kind);
    if (p.kind == Param::Kind::kChoice) {
      for (const Value& v : p.choices) text.append(" ").append(to_string(v));
    } else if (p.kind == Param::Kind::kInteger) {
      text.append(" ").append(std::to_string(p.int_low)).append("..");
      text.append(std::to_string(p.int_high)).append("/").append(std::to_string(p.step));
    } else {
      text.append(" ").append(to_string(p.low)).append("..").append(to_string(p.high));
      text.append("/").append(std::to_string(p.grid_points));
    }
    if (p.log) text += " log";
    if (p.parent) {
      text.append(" if ").append(*p.parent).append(" in");
      for (const Value& v : p.when_values) text.append(" ").append(to_string(v));
    }
  }
  return text;
}

}  // namespace axon::tune
