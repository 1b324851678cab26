// SPDX-License-Identifier: MIT
#include "datasets/csv.hpp"

#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>

#include "autograd/error.hpp"

namespace axon::datasets {

namespace {

struct Where {
  const std::string& path;
  std::size_t line;  // 1-based
};

[[noreturn]] void fail(const Where& at, const std::string& what) {
  throw IOError("csv: " + at.path + ":" + std::to_string(at.line) + ": " + what);
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

/// Splits one line into cells; a cell may be quoted ("a, ""b""" is `a, "b"`).
std::vector<std::string> split_cells(std::string_view line, const Where& at) {
  std::vector<std::string> cells;
  std::size_t i = 0;
  while (true) {
    std::string cell;
    while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) ++i;
    if (i < line.size() && line[i] == '"') {
      const std::size_t open = i++;
      bool closed = false;
      while (i < line.size()) {
        if (line[i] == '"') {
          if (i + 1 < line.size() && line[i + 1] == '"') {
            cell += '"';
            i += 2;
            continue;
          }
          closed = true;
          ++i;
          break;
        }
        cell += line[i++];
      }
      if (!closed) {
        fail(at, "column " + std::to_string(cells.size() + 1) +
                     ": unterminated quote opened at character " + std::to_string(open + 1));
      }
      while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) ++i;
      if (i < line.size() && line[i] != ',') {
        fail(at, "column " + std::to_string(cells.size() + 1) +
                     ": unexpected character after a closing quote at character " +
                     std::to_string(i + 1));
      }
    } else {
      const std::size_t start = i;
      while (i < line.size() && line[i] != ',') ++i;
      cell = std::string(trim(line.substr(start, i - start)));
    }
    cells.push_back(std::move(cell));
    if (i >= line.size()) break;
    ++i;  // the comma
  }
  return cells;
}

bool parse_number(std::string_view text, double& out) {
  text = trim(text);
  if (!text.empty() && text.front() == '+') {
    text.remove_prefix(1);
    // from_chars (no '+' of its own) would read the "-2" of "+-2" as a number.
    if (!text.empty() && (text.front() == '+' || text.front() == '-')) return false;
  }
  if (text.empty()) return false;
  // nan and inf parse too, but are not data to learn from (and would poison every statistic).
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc() && end == text.data() + text.size() && std::isfinite(out);
}

}  // namespace

std::size_t CsvTable::find(const std::string& name) const {
  for (std::size_t c = 0; c < columns.size(); ++c) {
    if (columns[c] == name) return c;
  }
  return columns.size();
}

std::vector<double> CsvTable::column(std::size_t c) const {
  if (c >= cols()) {
    throw IndexError("CsvTable::column: column " + std::to_string(c) + " out of range for " +
                     std::to_string(cols()) + " columns");
  }
  std::vector<double> out(rows);
  for (std::size_t r = 0; r < rows; ++r) out[r] = at(r, c);
  return out;
}

CsvTable read_csv(const std::string& path) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) {
    throw IOError("csv: " + path + ": is a directory, not a file");
  }
  std::ifstream file(path, std::ios::binary);
  if (!file) throw IOError("csv: " + path + ": cannot open: " + std::strerror(errno));
  std::string text;
  try {  // libstdc++ reports a failed read(2) by throwing std::ios_base::failure from underflow
    text.assign(std::istreambuf_iterator<char>(file), std::istreambuf_iterator<char>());
  } catch (const std::ios_base::failure& e) {
    throw IOError("csv: " + path + ": read error: " + e.what());
  }
  if (file.bad()) throw IOError("csv: " + path + ": read error");
  std::string_view rest(text);
  if (rest.substr(0, 3) == "\xEF\xBB\xBF") rest.remove_prefix(3);  // UTF-8 byte-order mark

  CsvTable table;
  bool have_header = false;
  std::size_t line_no = 0;
  while (!rest.empty()) {
    const std::size_t nl = rest.find('\n');
    std::string_view line = rest.substr(0, nl);
    rest = nl == std::string_view::npos ? std::string_view() : rest.substr(nl + 1);
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (trim(line).empty()) continue;
    const Where at{path, line_no};
    std::vector<std::string> cells = split_cells(line, at);
    if (!have_header) {
      for (std::size_t c = 0; c < cells.size(); ++c) {
        for (std::size_t prev = 0; prev < c; ++prev) {
          if (cells[prev] == cells[c]) {
            fail(at, "column " + std::to_string(c + 1) + ": duplicate column name '" + cells[c] +
                         "' (also column " + std::to_string(prev + 1) + ")");
          }
        }
      }
      table.columns = std::move(cells);
      have_header = true;
      continue;
    }
    if (cells.size() != table.cols()) {
      fail(at, std::to_string(cells.size()) + " cells, expected " + std::to_string(table.cols()) +
                   " as in the header");
    }
    for (std::size_t c = 0; c < cells.size(); ++c) {
      double value = 0;
      if (!parse_number(cells[c], value)) {
        fail(at, "column " + std::to_string(c + 1) + " ('" + table.columns[c] +
                     "'): cannot read '" + cells[c] + "' as a finite number");
      }
      table.values.push_back(value);
    }
    ++table.rows;
  }
  if (!have_header) throw IOError("csv: " + path + ": empty file, expected a header row");
  if (table.rows == 0) {
    throw IOError("csv: " + path +
                  ": a header row and no data rows, expected at least one row of " +
                  std::to_string(table.cols()) + " numbers");
  }
  return table;
}

CsvXY split_target(const CsvTable& table, std::size_t target, const std::string& path) {
  if (target >= table.cols()) {
    throw IOError("csv: " + path + ": target column " + std::to_string(target) +
                  " (0-based) out of range for " + std::to_string(table.cols()) + " columns");
  }
  CsvXY out;
  out.rows = table.rows;
  out.target_name = table.columns[target];
  for (std::size_t c = 0; c < table.cols(); ++c) {
    if (c != target) out.feature_names.push_back(table.columns[c]);
  }
  out.features.reserve(table.rows * out.feature_names.size());
  out.target.reserve(table.rows);
  for (std::size_t r = 0; r < table.rows; ++r) {
    for (std::size_t c = 0; c < table.cols(); ++c) {
      (c == target ? out.target : out.features).push_back(table.at(r, c));
    }
  }
  return out;
}

CsvXY read_csv_xy(const std::string& path, const std::string& target_column) {
  const CsvTable table = read_csv(path);
  const std::size_t target = table.find(target_column);
  if (target == table.cols()) {
    std::string names;
    for (const auto& name : table.columns) {
      if (!names.empty()) names += ", ";
      names += "'" + name + "'";
    }
    throw IOError("csv: " + path + ": no target column '" + target_column + "' (columns: " + names +
                  ")");
  }
  return split_target(table, target, path);
}

CsvXY read_csv_xy(const std::string& path, std::size_t target_index) {
  return split_target(read_csv(path), target_index, path);
}

}  // namespace axon::datasets
