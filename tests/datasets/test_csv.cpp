// SPDX-License-Identifier: MIT
// Tests datasets/csv.cpp: the header, line ends, BOM, and errors naming file, line and column.
#include <doctest/doctest.h>

#include <string>

#include "axon/autograd/error.hpp"
#include "axon/datasets/csv.hpp"
#include "tests/datasets/files.hpp"

namespace axon::test {

namespace {

std::string csv_error(const std::string& path, const std::string& text) {
  write_file(path, text);
  try {
    datasets::read_csv_xy(path, "y");
  } catch (const IOError& e) {
    return e.what();
  }
  FAIL("expected IOError");
  return {};
}

}  // namespace

TEST_CASE("datasets/csv: header, numbers, target by name and by index") {
  TempDir dir;
  const std::string path = dir.file("a.csv");
  write_file(path,
             "\"x 1\", \"say \"\"hi\"\", then\",y\n"
             "1,2.5,-3\n"
             "\n"
             "  4 , +5e-1 , 6.25 \n");
  const auto table = datasets::read_csv(path);
  REQUIRE(table.cols() == 3);
  CHECK(table.columns[0] == "x 1");
  CHECK(table.columns[1] == "say \"hi\", then");
  CHECK(table.rows == 2);
  CHECK(table.at(1, 1) == 0.5);
  CHECK(table.column(2) == std::vector<double>{-3, 6.25});
  CHECK(table.find("nope") == 3);
  CHECK_THROWS_AS(table.column(3), IndexError);

  const auto xy = datasets::read_csv_xy(path, "y");
  CHECK(xy.target_name == "y");
  CHECK(xy.num_features() == 2);
  CHECK(xy.features == std::vector<double>{1, 2.5, 4, 0.5});
  CHECK(xy.target == std::vector<double>{-3, 6.25});
  const auto by_index = datasets::read_csv_xy(path, std::size_t{0});
  CHECK(by_index.target_name == "x 1");
  CHECK(by_index.features == std::vector<double>{2.5, -3, 0.5, 6.25});
  CHECK_THROWS_AS(datasets::read_csv_xy(path, std::size_t{3}), IOError);
}

TEST_CASE("datasets/csv: CRLF line ends and a UTF-8 byte-order mark") {
  TempDir dir;
  const std::string path = dir.file("crlf.csv");
  write_file(path,
             "\xEF\xBB\xBF"
             "a,y\r\n1,2\r\n3,4\r\n");
  const auto xy = datasets::read_csv_xy(path, "y");
  CHECK(xy.feature_names == std::vector<std::string>{"a"});
  CHECK(xy.features == std::vector<double>{1, 3});
  CHECK(xy.target == std::vector<double>{2, 4});
  write_file(path, "a,y\r\n1,2");  // no line end after the last row
  CHECK(datasets::read_csv(path).rows == 1);
}

TEST_CASE("datasets/csv: malformed files name the file, the line and the column") {
  TempDir dir;
  const std::string path = dir.file("bad.csv");
  SUBCASE("ragged row") {
    const std::string msg = csv_error(path, "a,b,y\n1,2,3\n4,5\n");
    CHECK(msg.find(path + ":3:") != std::string::npos);
    CHECK(msg.find("2 cells, expected 3") != std::string::npos);
  }
  SUBCASE("non-numeric cell") {
    const std::string msg = csv_error(path, "a,b,y\r\n1,2,3\r\n4,abc,6\r\n");
    CHECK(msg.find(path + ":3:") != std::string::npos);
    CHECK(msg.find("column 2 ('b')") != std::string::npos);
    CHECK(msg.find("'abc'") != std::string::npos);
  }
  SUBCASE("empty cell") {
    CHECK(csv_error(path, "a,y\n1,\n").find("column 2 ('y')") != std::string::npos);
  }
  SUBCASE("empty file") {
    const std::string msg = csv_error(path, "");
    CHECK(msg.find(path) != std::string::npos);
    CHECK(msg.find("empty file") != std::string::npos);
    CHECK(csv_error(path, "\xEF\xBB\xBF\r\n").find("empty file") != std::string::npos);
  }
  SUBCASE("missing target column") {
    const std::string msg = csv_error(path, "a,b\n1,2\n");
    CHECK(msg.find(path) != std::string::npos);
    CHECK(msg.find("no target column 'y'") != std::string::npos);
    CHECK(msg.find("'a', 'b'") != std::string::npos);
  }
  SUBCASE("unterminated quote and duplicate names") {
    CHECK(csv_error(path, "\"a,y\n1,2\n").find(":1: column 1: unterminated") != std::string::npos);
    CHECK(csv_error(path, "a,y,a\n1,2,3\n").find("duplicate column name 'a'") != std::string::npos);
  }
  SUBCASE("missing file") {
    const std::string missing = dir.file("missing.csv");
    CHECK_THROWS_WITH_AS(datasets::read_csv(missing), doctest::Contains(missing.c_str()), IOError);
  }
}

TEST_CASE("datasets/csv: NaN, infinities, a doubled sign, no data rows and a directory fail") {
  TempDir dir;
  const std::string path = dir.file("bad.csv");
  SUBCASE("NaN and infinite cells are not numbers to learn from") {
    for (const char* cell : {"nan", "NaN", "-nan", "inf", "-inf", "+Infinity", "1e999"}) {
      CAPTURE(cell);
      const std::string msg = csv_error(path, std::string("a,y\n1,2\n3,") + cell + "\n");
      CHECK(msg.find(path + ":3:") != std::string::npos);
      CHECK(msg.find("column 2 ('y')") != std::string::npos);
      CHECK(msg.find(std::string("'") + cell + "'") != std::string::npos);
    }
  }
  SUBCASE("a sign after a plus sign") {
    const std::string msg = csv_error(path, "a,y\n1,+-2\n");
    CHECK(msg.find(path + ":2:") != std::string::npos);
    CHECK(msg.find("'+-2'") != std::string::npos);
    CHECK(csv_error(path, "a,y\n1,++2\n").find("'++2'") != std::string::npos);
  }
  SUBCASE("a header and no data rows") {
    const std::string msg = csv_error(path, "a,y\n\n");
    CHECK(msg.find(path) != std::string::npos);
    CHECK(msg.find("no data rows") != std::string::npos);
  }
  SUBCASE("a directory") {
    CHECK_THROWS_WITH_AS(datasets::read_csv(dir.path().string()),
                         doctest::Contains(dir.path().string().c_str()), IOError);
  }
}

}  // namespace axon::test
