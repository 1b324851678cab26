// SPDX-License-Identifier: MIT
#pragma once

#include <cstddef>
#include <string>
#include <vector>

/// A reader for numeric CSV files with one header row.
namespace axon::datasets {

/// The most columns read_csv accepts in a header (bounds the memory of the names).
inline constexpr std::size_t kMaxCsvColumns = 1'000'000;

/// A numeric table: column names from the header and the values, row-major.
struct CsvTable {
  std::vector<std::string> columns;  ///< column names from the header row
  std::vector<double> values;        ///< rows x columns.size()
  std::size_t rows = 0;              ///< number of data rows

  /// Number of columns.
  std::size_t cols() const { return columns.size(); }
  /// The value at row `r`, column `c` (unchecked).
  double at(std::size_t r, std::size_t c) const { return values[r * cols() + c]; }
  /// Position of the column named `name`, or cols() when there is none.
  std::size_t find(const std::string& name) const;
  /// A copy of column `c`; IndexError when out of range.
  std::vector<double> column(std::size_t c) const;
};

/// Features and target taken from a table.
struct CsvXY {
  std::vector<std::string> feature_names;  ///< names of the feature columns, in order
  std::string target_name;                 ///< name of the target column
  std::vector<double> features;            ///< rows x feature_names.size()
  std::vector<double> target;              ///< rows
  std::size_t rows = 0;                    ///< number of samples

  /// Number of feature columns.
  std::size_t num_features() const { return feature_names.size(); }
};

/// Reads a CSV file: a header row (names may be quoted, "" escapes a quote), then rows of
/// numbers separated by commas. Accepts a UTF-8 byte-order mark, CRLF or LF line ends, spaces
/// around cells and blank lines. IOError naming the file, and the line and column where it
/// applies: an empty file, a header without data rows, a row with more or fewer cells than the
/// header, a cell that is not a finite number (nan, inf and values too large for a double are
/// rejected; a value too small, such as 1e-400, reads as 0 or a subnormal), an unterminated
/// quote, a duplicate column name, more than kMaxCsvColumns columns, anything but a regular
/// file (a directory, a FIFO, a device: the open never blocks), or memory that cannot be
/// allocated. A cell quoted in a message shows at most its first 40 characters. Memory: the
/// file's size plus 8 bytes per value.
CsvTable read_csv(const std::string& path);

/// Splits `table` (read from `path`) into the features and the target column `target`.
/// IOError naming the file when the column does not exist.
CsvXY split_target(const CsvTable& table, std::size_t target, const std::string& path);

/// read_csv, with the target column chosen by name; IOError listing the columns when missing.
CsvXY read_csv_xy(const std::string& path, const std::string& target_column);
/// read_csv, with the target column chosen by position (0-based).
CsvXY read_csv_xy(const std::string& path, std::size_t target_index);

}  // namespace axon::datasets
