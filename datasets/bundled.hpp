// SPDX-License-Identifier: MIT
#pragma once

#include <string>
#include <vector>

#include "axon/datasets/dataset.hpp"

/// The small data sets committed under datasets/data/ (see datasets/data/README.md).
namespace axon::datasets {

/// Where the bundled CSV files are: $AXON_DATA_DIR when set (the runtime override), else the
/// source tree's datasets/data, fixed at build time by the AXON_DATA_DIR macro.
std::string default_data_dir();

/// A bundled table as a Dataset, with its column names.
struct TabularDataset {
  Dataset data;                            ///< the features and targets
  std::vector<std::string> feature_names;  ///< one name per feature column, in column order
  std::string target_name;                 ///< name of the target column
  std::vector<std::string> class_names;    ///< classification only
};

/// Boston house prices: 506 samples, 13 float features, target MEDV (median value, $1000s) as
/// a regression target. Read from `data_dir`/boston.csv; IOError when missing or malformed.
TabularDataset load_boston(const std::string& data_dir = default_data_dir());

/// Fisher's iris: 150 samples, 4 float features, 3 classes (setosa, versicolor, virginica).
/// Read from `data_dir`/iris.csv; IOError when missing or malformed.
TabularDataset load_iris(const std::string& data_dir = default_data_dir());

}  // namespace axon::datasets
