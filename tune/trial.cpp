// SPDX-License-Identifier: MIT
#include "axon/tune/trial.hpp"

#include <cmath>

#include "axon/io/serialize.hpp"

namespace axon::tune {

namespace {

const Value& find(const Trial& trial, const std::string& name) {
  const auto it = trial.values.find(name);
  if (it == trial.values.end()) {
    throw ValueError("tune::Trial " + std::to_string(trial.id) + ": no parameter '" + name + "'");
  }
  return it->second;
}

[[noreturn]] void wrong_kind(const Trial& trial, const std::string& name, const char* wanted) {
  throw ValueError("tune::Trial " + std::to_string(trial.id) + ": parameter '" + name + "' is " +
                   to_string(find(trial, name)) + ", not " + wanted);
}

std::string number(double v) {
  char text[32];
  std::snprintf(text, sizeof text, "%.6g", v);
  return text;
}

class ReportCallback : public train::Callback {
 public:
  ReportCallback(Reporter& reporter, std::string monitor)
      : reporter_(reporter), monitor_(std::move(monitor)) {}
  void on_epoch_end(std::size_t epoch, const train::EpochLogs& logs,
                    train::TrainContext&) override {
    if (const auto loss = logs.find("loss"); loss != logs.end()) reporter_.check_loss(loss->second);
    if (monitor_.empty()) return;
    const auto it = logs.find(monitor_);
    if (it == logs.end()) {
      throw ValueError("tune::Reporter::callback: the epoch's logs have no '" + monitor_ + "'");
    }
    reporter_.report(epoch, it->second);
  }

 private:
  Reporter& reporter_;
  std::string monitor_;
};

}  // namespace

double Trial::real(const std::string& name) const {
  const Value& v = find(*this, name);
  if (const auto* d = std::get_if<double>(&v)) return *d;
  if (const auto* i = std::get_if<std::int64_t>(&v)) return static_cast<double>(*i);
  wrong_kind(*this, name, "a number");
}

std::int64_t Trial::integer(const std::string& name) const {
  const Value& v = find(*this, name);
  if (const auto* i = std::get_if<std::int64_t>(&v)) return *i;
  wrong_kind(*this, name, "an integer");
}

const std::string& Trial::text(const std::string& name) const {
  const Value& v = find(*this, name);
  if (const auto* s = std::get_if<std::string>(&v)) return *s;
  wrong_kind(*this, name, "a string");
}

void Reporter::report(std::size_t epoch, double score) {
  if (!std::isfinite(score)) {
    throw TrialFailure("score " + number(score) + " after epoch " + std::to_string(epoch));
  }
  curve_.push_back(score);
}

void Reporter::check_loss(double loss) {
  if (!std::isfinite(loss)) throw TrialFailure("loss is " + number(loss));
  if (!have_first_loss_) {
    first_loss_ = loss, have_first_loss_ = true;
    return;
  }
  if (divergence_ > 0 && first_loss_ > 0 && loss > divergence_ * first_loss_) {
    throw TrialFailure("loss diverged: " + number(loss) + " > " + number(divergence_) +
                       " x the first loss " + number(first_loss_));
  }
}

std::shared_ptr<train::Callback> Reporter::callback(std::string monitor) {
  return std::make_shared<ReportCallback>(*this, std::move(monitor));
}

void Reporter::save(const nn::Module& model) const {
  if (!model_path_.empty()) io::save(model, model_path_);
}

}  // namespace axon::tune
