// SPDX-License-Identifier: MIT
#pragma once

#include <cstddef>
#include <mutex>
#include <string>
#include <vector>

#include "axon/tune/trial.hpp"

namespace axon::tune {

/// A record as one line of JSON (no newline): {"trial":3,"rung":0,"epochs":5,"status":"ok",
/// "score":0.87,"values":{"lr":0.01,"optimizer":"adam"},"curve":[...],"message":"",
/// "seconds":1.2}. Reals are written so that they read back to the same bits; a NaN score is null.
std::string to_json_line(const TrialRecord& record);
/// Parses a line written by to_json_line. IOError naming `where` ("file:line") and the reason for
/// anything else: not JSON, a missing or mistyped field.
TrialRecord parse_json_line(const std::string& line, const std::string& where);

/// The search's JSON-lines journal. The first line names the search (strategy, seed, space); each
/// further line is one finished or failed trial, appended, flushed and fsync'd before append()
/// returns. Opening an existing journal reads its records; a last line without its newline (the
/// process died while writing it) is cut off and its trial runs again; any other bad line is an
/// IOError naming the file and the line. A journal written by a different search is a ValueError.
/// An empty path keeps the records in memory only.
class Journal {
 public:
  /// Opens (or creates) the journal at `path` for the search described by `search`; see the class
  /// description for the errors.
  Journal(std::string path, const std::string& search);
  /// Closes the file.
  ~Journal();
  Journal(const Journal&) = delete;
  Journal& operator=(const Journal&) = delete;

  /// The records read when the journal was opened, in file order.
  const std::vector<TrialRecord>& records() const { return records_; }
  /// Bytes of a torn last line that opening removed (0 normally).
  std::size_t dropped_bytes() const { return dropped_bytes_; }
  /// Appends one record durably; safe to call from several threads.
  void append(const TrialRecord& record);

  /// The journal's file ("" when in memory only).
  const std::string& path() const { return path_; }

 private:
  void write_line(const std::string& line);

  std::string path_;
  int fd_ = -1;
  std::mutex mutex_;
  std::vector<TrialRecord> records_;
  std::size_t dropped_bytes_ = 0;
};

}  // namespace axon::tune
