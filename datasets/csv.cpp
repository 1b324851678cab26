// SPDX-License-Identifier: MIT
#include "axon/datasets/csv.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <new>

#include "axon/autograd/error.hpp"
#include "axon/io/file_access.hpp"

namespace axon::datasets {

namespace {

/// Cells quoted in messages show at most this many characters (a 20 MB cell is not printed).
constexpr std::size_t kQuotedChars = 40;

struct Where {
  const std::string& path;
  std::size_t line;  // 1-based
};

[[noreturn]] void fail(const Where& at, const std::string& what) {
  throw IOError("csv: " + at.path + ":" + std::to_string(at.line) + ": " + what);
}

/// `text` for a message: the whole of it when short, else its start and its length.
std::string shown(std::string_view text) {
  if (text.size() <= kQuotedChars) return std::string(text);
  return std::string(text.substr(0, kQuotedChars)) + "... (" + std::to_string(text.size()) +
         " characters)";
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

/// One cell of a line, read in place: `text` is the cell (trimmed, or the inside of its quotes
/// with "" escapes still doubled), `quoted` whether it was quoted.
struct Cell {
  std::string_view text;
  bool quoted = false;
};

/// Reads the cell starting at line[i] (the cell is number `column`, 1-based) and moves i past it
/// and its comma; `last` says whether the line ended there. IOError for a malformed quote.
Cell next_cell(std::string_view line, std::size_t& i, bool& last, std::size_t column,
               const Where& at) {
  Cell cell;
  while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) ++i;
  if (i < line.size() && line[i] == '"') {
    const std::size_t open = i++;
    bool closed = false;
    const std::size_t begin = i;
    while (i < line.size()) {
      if (line[i] == '"') {
        if (i + 1 < line.size() && line[i + 1] == '"') {
          i += 2;
          continue;
        }
        closed = true;
        break;
      }
      ++i;
    }
    if (!closed) {
      fail(at, "column " + std::to_string(column) + ": unterminated quote opened at character " +
                   std::to_string(open + 1));
    }
    cell = {line.substr(begin, i - begin), true};
    ++i;  // the closing quote
    while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) ++i;
    if (i < line.size() && line[i] != ',') {
      fail(at, "column " + std::to_string(column) +
                   ": unexpected character after a closing quote at character " +
                   std::to_string(i + 1));
    }
  } else {
    const std::size_t start = i;
    while (i < line.size() && line[i] != ',') ++i;
    cell = {trim(line.substr(start, i - start)), false};
  }
  last = i >= line.size();
  if (!last) ++i;  // the comma
  return cell;
}

/// A cell's value as a string: quotes removed, "" turned into ".
std::string unquote(const Cell& cell) {
  if (!cell.quoted) return std::string(cell.text);
  std::string out;
  out.reserve(cell.text.size());
  for (std::size_t i = 0; i < cell.text.size(); ++i) {
    out += cell.text[i];
    if (cell.text[i] == '"') ++i;  // the second quote of an escaped pair
  }
  return out;
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
  if (end != text.data() + text.size()) return false;
  if (ec == std::errc::result_out_of_range) {
    // Out of range is either an overflow (1e999: not finite, refused) or an underflow (1e-400:
    // a valid number that rounds to zero or a subnormal). strtod tells them apart; the syntax
    // was checked by from_chars.
    out = std::strtod(std::string(text).c_str(), nullptr);
    return std::isfinite(out);
  }
  return ec == std::errc() && std::isfinite(out);
}

/// The header's names; IOError for a duplicate (found by sorting, O(n log n), not by comparing
/// every pair) or more than kMaxCsvColumns columns.
std::vector<std::string> read_header(std::string_view line, const Where& at) {
  std::vector<std::string> names;
  std::size_t i = 0;
  for (bool last = false; !last;) {
    if (names.size() == kMaxCsvColumns) {
      fail(at, "more than " + std::to_string(kMaxCsvColumns) + " columns in the header");
    }
    names.push_back(unquote(next_cell(line, i, last, names.size() + 1, at)));
  }
  std::vector<std::size_t> order(names.size());
  for (std::size_t c = 0; c < order.size(); ++c) order[c] = c;
  std::stable_sort(order.begin(), order.end(),
                   [&](std::size_t a, std::size_t b) { return names[a] < names[b]; });
  for (std::size_t k = 1; k < order.size(); ++k) {
    if (names[order[k]] == names[order[k - 1]]) {
      const std::size_t first = order[k - 1], again = order[k];
      fail(at, "column " + std::to_string(again + 1) + ": duplicate column name '" +
                   shown(names[again]) + "' (also column " + std::to_string(first + 1) + ")");
    }
  }
  return names;
}

/// Appends one data row's values to the table. Cells are read in place (no string per cell), and
/// cells past the header's count are only counted, so memory stays at 8 bytes per value.
void read_row(std::string_view line, const Where& at, CsvTable& table) {
  const std::size_t cols = table.cols();
  std::size_t count = 0, i = 0;
  for (bool last = false; !last;) {
    const Cell cell = next_cell(line, i, last, count + 1, at);
    if (count < cols) {
      double value = 0;
      if (!parse_number(cell.quoted ? std::string_view(unquote(cell)) : cell.text, value)) {
        fail(at, "column " + std::to_string(count + 1) + " ('" + shown(table.columns[count]) +
                     "'): cannot read '" + shown(cell.text) + "' as a finite number");
      }
      table.values.push_back(value);
    }
    ++count;
  }
  if (count != cols) {
    fail(at,
         std::to_string(count) + " cells, expected " + std::to_string(cols) + " as in the header");
  }
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
  // A regular file only (a FIFO would block, /dev/zero would never end); memory: the file's
  // bytes, then 8 bytes per value.
  const std::string text = io::InputFile(path, "csv: ").read_all();
  std::string_view rest(text);
  if (rest.substr(0, 3) == "\xEF\xBB\xBF") rest.remove_prefix(3);  // UTF-8 byte-order mark

  CsvTable table;
  bool have_header = false;
  std::size_t line_no = 0;
  try {
    while (!rest.empty()) {
      const std::size_t nl = rest.find('\n');
      std::string_view line = rest.substr(0, nl);
      rest = nl == std::string_view::npos ? std::string_view() : rest.substr(nl + 1);
      ++line_no;
      if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
      if (trim(line).empty()) continue;
      const Where at{path, line_no};
      if (!have_header) {
        table.columns = read_header(line, at);
        have_header = true;
        // At most one row per remaining line, and each row takes at least 2 * cols - 1 bytes.
        const std::size_t lines =
            static_cast<std::size_t>(std::count(rest.begin(), rest.end(), '\n') + 1);
        const std::size_t fit = rest.size() / (2 * table.cols() - 1) + 1;
        table.values.reserve(std::min(lines, fit) * table.cols());
        continue;
      }
      read_row(line, at, table);
      ++table.rows;
    }
  } catch (const std::bad_alloc&) {
    throw IOError("csv: " + path + ":" + std::to_string(line_no) +
                  ": cannot allocate the memory for the table");
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
