// SPDX-License-Identifier: MIT
#include "axon/tune/journal.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <nlohmann/json.hpp>
#include <sstream>

namespace axon::tune {

using nlohmann::json;

namespace {

json to_json(const Value& v) {
  if (const auto* i = std::get_if<std::int64_t>(&v)) return *i;
  if (const auto* d = std::get_if<double>(&v)) return *d;
  return std::get<std::string>(v);
}

Value from_json(const json& j, const std::string& where) {
  if (j.is_number_integer()) return j.get<std::int64_t>();
  if (j.is_number_float()) return j.get<double>();
  if (j.is_string()) return j.get<std::string>();
  throw IOError(where + ": a value must be a number or a string, got " + j.dump());
}

std::string system_error(const std::string& what, const std::string& path) {
  return "tune journal " + path + ": " + what + ": " + std::strerror(errno);
}

}  // namespace

std::string to_json_line(const TrialRecord& r) {
  json values = json::object();
  for (const auto& [name, v] : r.values) values[name] = to_json(v);
  json j = {{"trial", r.id},
            {"rung", r.rung},
            {"epochs", r.epochs},
            {"status", r.ok() ? "ok" : "failed"},
            {"score", std::isfinite(r.score) ? json(r.score) : json(nullptr)},
            {"values", values},
            {"curve", r.curve},
            {"message", r.message},
            {"seconds", r.seconds}};
  // Invalid UTF-8 in a message (an exception's text) is replaced, never a throw.
  return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

TrialRecord parse_json_line(const std::string& line, const std::string& where) {
  const json j = json::parse(line, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) throw IOError(where + ": not a JSON object: " + line);
  auto field = [&](const char* name) -> const json& {
    const auto it = j.find(name);
    if (it == j.end()) throw IOError(where + ": no \"" + name + "\" field");
    return *it;
  };
  auto count = [&](const char* name) {
    const json& f = field(name);
    if (!f.is_number_unsigned()) throw IOError(where + ": \"" + name + "\" is not a count");
    return f.get<std::size_t>();
  };
  TrialRecord r;
  r.id = count("trial");
  r.rung = count("rung");
  r.epochs = count("epochs");
  const json& status = field("status");
  if (status != "ok" && status != "failed") {
    throw IOError(where + ": \"status\" is " + status.dump() + ", not \"ok\" or \"failed\"");
  }
  r.status = status == "ok" ? TrialRecord::Status::kOk : TrialRecord::Status::kFailed;
  const json& score = field("score");
  if (!score.is_null() && !score.is_number()) throw IOError(where + ": \"score\" is not a number");
  r.score = score.is_null() ? std::numeric_limits<double>::quiet_NaN() : score.get<double>();
  if (r.ok() && !std::isfinite(r.score)) throw IOError(where + ": a finished trial has no score");
  const json& values = field("values");
  if (!values.is_object()) throw IOError(where + ": \"values\" is not an object");
  for (const auto& [name, v] : values.items()) r.values[name] = from_json(v, where);
  const json& curve = field("curve");
  if (!curve.is_array()) throw IOError(where + ": \"curve\" is not an array");
  for (const json& c : curve) {
    if (!c.is_number()) throw IOError(where + ": \"curve\" holds a non-number");
    r.curve.push_back(c.get<double>());
  }
  const json& message = field("message");
  if (!message.is_string()) throw IOError(where + ": \"message\" is not a string");
  r.message = message.get<std::string>();
  if (const auto it = j.find("seconds"); it != j.end() && it->is_number()) {
    r.seconds = it->get<double>();
  }
  return r;
}

Journal::Journal(std::string path, const std::string& search) : path_(std::move(path)) {
  const std::string header =
      json({{"search", search}}).dump(-1, ' ', false, json::error_handler_t::replace);
  if (path_.empty()) return;
  std::string text;
  {
    std::ifstream in(path_, std::ios::binary);
    if (in) text.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  // A last line without its newline was torn by a crash mid-write: cut it off.
  const std::size_t keep = text.empty() ? 0 : text.find_last_of('\n') + 1;  // npos + 1 == 0
  dropped_bytes_ = text.size() - keep;
  text.resize(keep);
  fd_ = ::open(path_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd_ < 0) throw IOError(system_error("cannot open for appending", path_));
  if (dropped_bytes_ && ::ftruncate(fd_, static_cast<off_t>(keep)) != 0) {
    throw IOError(system_error("cannot cut off the torn last line", path_));
  }
  if (text.empty()) {
    write_line(header);
    // The new file's directory entry is made durable too (a power cut, not only a kill).
    const std::filesystem::path parent = std::filesystem::path(path_).parent_path();
    const int dir = ::open(parent.empty() ? "." : parent.c_str(), O_RDONLY | O_DIRECTORY);
    if (dir >= 0) ::fsync(dir), ::close(dir);
    return;
  }
  std::istringstream lines(text);
  std::string line;
  std::getline(lines, line);
  if (line != header) {
    throw ValueError("tune journal " + path_ +
                     " was written by another search: its first line is " + line +
                     ", this search's is " + header);
  }
  for (std::size_t number = 2; std::getline(lines, line); ++number) {
    records_.push_back(
        parse_json_line(line, "tune journal " + path_ + ":" + std::to_string(number)));
  }
}

Journal::~Journal() {
  if (fd_ >= 0) ::close(fd_);
}

void Journal::append(const TrialRecord& record) {
  const std::string line = to_json_line(record);
  std::lock_guard<std::mutex> lock(mutex_);
  records_.push_back(record);
  if (fd_ >= 0) write_line(line);
}

void Journal::write_line(const std::string& line) {
  // One write() of the whole line with O_APPEND, then fsync: after a crash the file ends with
  // whole lines, possibly followed by one torn line that the next open cuts off.
  const std::string data = line + "\n";
  std::size_t done = 0;
  while (done < data.size()) {
    const ssize_t n = ::write(fd_, data.data() + done, data.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw IOError(system_error("write failed", path_));
    done += static_cast<std::size_t>(n);
  }
  if (::fsync(fd_) != 0) throw IOError(system_error("fsync failed", path_));
}

}  // namespace axon::tune
