// SPDX-License-Identifier: MIT
// Tests datasets/bundled.cpp: the committed Boston and iris CSV files and the data directory.
#include <doctest/doctest.h>

#include <cstdlib>
#include <string>

#include "axon/autograd/error.hpp"
#include "axon/datasets/bundled.hpp"
#include "tests/datasets/files.hpp"

namespace axon::test {

TEST_CASE("datasets/bundled: Boston housing, 506 x 13 features, target MEDV") {
  const auto boston = datasets::load_boston();
  CHECK(boston.data.size() == 506);
  CHECK(boston.data.sample_shape() == datasets::Shape{13});
  CHECK(boston.target_name == "MEDV");
  CHECK(boston.feature_names.front() == "CRIM");
  CHECK(boston.feature_names.back() == "LSTAT");
  CHECK(boston.data.row_float(0)[0] == doctest::Approx(0.00632));
  CHECK(boston.data.row_targets(0)[0] == doctest::Approx(24.0));
  CHECK(boston.data.row_targets(505)[0] == doctest::Approx(11.9));
}

TEST_CASE("datasets/bundled: iris, 150 x 4 features, 50 samples per class") {
  const auto iris = datasets::load_iris(datasets::default_data_dir());
  CHECK(iris.data.size() == 150);
  CHECK(iris.data.num_classes() == 3);
  CHECK(iris.feature_names[0] == "sepal length (cm)");
  CHECK(iris.class_names[2] == "virginica");
  std::size_t per_class[3] = {0, 0, 0};
  for (std::size_t label : iris.data.labels()) ++per_class[label];
  CHECK(per_class[0] == 50);
  CHECK(per_class[1] == 50);
  CHECK(per_class[2] == 50);
  CHECK(iris.data.row_float(0)[0] == doctest::Approx(5.1));
}

TEST_CASE("datasets/bundled: the data directory can be passed or overridden at run time") {
  TempDir dir;
  const std::string built_in = datasets::default_data_dir();
  setenv("AXON_DATA_DIR", dir.path().c_str(), 1);
  CHECK(datasets::default_data_dir() == dir.path().string());
  CHECK_THROWS_WITH_AS(datasets::load_iris(), doctest::Contains(dir.file("iris.csv").c_str()),
                       IOError);
  unsetenv("AXON_DATA_DIR");
  CHECK(datasets::default_data_dir() == built_in);

  write_file(dir.file("iris.csv"), "a,b,c,d,target\n1,2,3,4,0\n");
  CHECK_THROWS_WITH_AS(datasets::load_iris(dir.path().string()), doctest::Contains("150 rows"),
                       IOError);
}

}  // namespace axon::test
