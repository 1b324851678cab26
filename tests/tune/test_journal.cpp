// SPDX-License-Identifier: MIT
// Tests tune/journal.cpp: records round-trip to the bit, a torn last line is cut off and its
// trial runs again, a corrupt line is an IOError naming the file and the line.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <limits>
#include <sstream>
#include <string>

#include "axon/tune/journal.hpp"
#include "axon/tune/search.hpp"
#include "tests/datasets/files.hpp"
#include "tests/tune/helpers.hpp"

namespace axon::test {

namespace {

std::string read_text(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

void write_text(const std::string& path, const std::string& text) {
  std::ofstream(path, std::ios::binary | std::ios::trunc) << text;
}

}  // namespace

TEST_CASE("tune: a journal record round-trips every value to the bit") {
  tune::TrialRecord r;
  r.id = 7, r.rung = 2, r.epochs = 9;
  r.values = {
      {"lr", 0.1 + 0.2}, {"units", std::int64_t{-3}}, {"opt", "adam \"quoted\"\n"}, {"one", 1.0}};
  r.score = 1.0 / 3.0;
  r.curve = {0.5, 1e-300, 2.0 / 3.0};
  r.message = "";
  const std::string line = tune::to_json_line(r);
  CHECK(line.find('\n') == std::string::npos);
  const tune::TrialRecord back = tune::parse_json_line(line, "here");
  CHECK(back.id == 7);
  CHECK(back.rung == 2);
  CHECK(back.epochs == 9);
  CHECK(back.values == r.values);  // 1.0 stays a real, -3 an integer
  CHECK(back.score == r.score);
  CHECK(back.curve == r.curve);
  CHECK(back.ok());

  tune::TrialRecord failed = r;
  failed.status = tune::TrialRecord::Status::kFailed;
  failed.score = std::numeric_limits<double>::quiet_NaN();
  failed.message = "bad \xff byte";  // invalid UTF-8 from an exception's text
  const tune::TrialRecord failed_back = tune::parse_json_line(tune::to_json_line(failed), "here");
  CHECK(!failed_back.ok());
  CHECK(std::isnan(failed_back.score));
  CHECK(failed_back.message.rfind("bad ", 0) == 0);
}

TEST_CASE("tune: corrupt journal lines are IOErrors naming the file and the line") {
  const std::string good = tune::to_json_line([] {
    tune::TrialRecord r;
    r.values = {{"x", 1.0}};
    r.score = 1;
    return r;
  }());
  for (const std::string& bad :
       {std::string("{\"trial\":0"), std::string("not json"), std::string("[1,2]"),
        std::string("{\"trial\":-1,\"rung\":0,\"epochs\":0,\"status\":\"ok\",\"score\":1,"
                    "\"values\":{},\"curve\":[],\"message\":\"\"}"),
        std::string("{\"trial\":0,\"rung\":0,\"epochs\":0,\"status\":\"maybe\",\"score\":1,"
                    "\"values\":{},\"curve\":[],\"message\":\"\"}"),
        std::string("{\"trial\":0,\"rung\":0,\"epochs\":0,\"status\":\"ok\",\"score\":null,"
                    "\"values\":{},\"curve\":[],\"message\":\"\"}"),
        std::string("{\"trial\":0,\"rung\":0,\"epochs\":0,\"status\":\"ok\",\"score\":1,"
                    "\"values\":{\"x\":[1]},\"curve\":[],\"message\":\"\"}"),
        std::string("{\"trial\":0,\"rung\":0,\"epochs\":0,\"status\":\"ok\",\"score\":1,"
                    "\"values\":{},\"curve\":[\"a\"],\"message\":\"\"}")}) {
    CAPTURE(bad);
    CHECK_THROWS_WITH_AS(tune::parse_json_line(bad, "j.jsonl:4"), doctest::Contains("j.jsonl:4"),
                         IOError);
  }
  CHECK_NOTHROW(tune::parse_json_line(good, "j.jsonl:2"));
}

TEST_CASE("tune: a torn last line is cut off, a corrupt middle line stops the search") {
  TempDir dir;
  const std::string journal = dir.file("j.jsonl");
  const tune::RandomSearch strategy(small_space(), 6, 1);
  int calls = 0;
  auto objective = [&](const tune::Trial& trial, tune::Reporter&) {
    ++calls;
    return synthetic_score(trial);
  };
  std::ostringstream log;
  const auto options = tune::SearchOptions().journal(journal).out(log);
  const auto reference = tune::search(strategy, objective, options);
  const std::string text = read_text(journal);

  // The process died while writing trial 5's line: half of it, no newline.
  const std::size_t last_start = text.rfind('\n', text.size() - 2) + 1;
  write_text(journal, text.substr(0, last_start + (text.size() - last_start) / 2));
  calls = 0;
  const auto resumed = tune::search(strategy, objective, options);
  CHECK(calls == 1);
  CHECK(resumed.table() == reference.table());
  // The file again holds whole lines only: header + 6 records.
  const std::string healed = read_text(journal);
  CHECK(std::count(healed.begin(), healed.end(), '\n') == 7);
  CHECK(healed.back() == '\n');

  // A complete line that is not a record: an IOError naming file and line, never a crash.
  std::string corrupt = healed;
  const std::size_t third = corrupt.find('\n', corrupt.find('\n', corrupt.find('\n') + 1) + 1);
  corrupt.insert(third, "garbage");  // end of line 3
  write_text(journal, corrupt);
  CHECK_THROWS_WITH_AS(tune::search(strategy, objective, options),
                       doctest::Contains((journal + ":3").c_str()), IOError);
  // Only the torn header of an empty journal: started afresh.
  write_text(journal, healed.substr(0, 10));
  calls = 0;
  CHECK(tune::search(strategy, objective, options).table() == reference.table());
  CHECK(calls == 6);
}

}  // namespace axon::test
