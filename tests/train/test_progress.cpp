// SPDX-License-Identifier: MIT
// Tests train/progress.cpp and train/history.cpp: what a person sees and the files written.
#include <doctest/doctest.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "axon/autograd/error.hpp"
#include "axon/train/history.hpp"
#include "axon/train/progress.hpp"

namespace axon::test {

using namespace axon::train;

TEST_CASE("progress: terminal mode redraws a bar with counters, rate, ETA and values") {
  std::ostringstream out;
  ProgressBar bar(out, /*interactive=*/true, 2, 10, 1000, /*min_interval_seconds=*/0);
  bar.update(250, {{"loss", 0.5}, {"accuracy", 0.75}});
  const std::string s = out.str();
  CHECK(s.front() == '\r');
  CHECK(s.find("Epoch 2/10") != std::string::npos);
  CHECK(s.find("250/1000") != std::string::npos);
  CHECK(s.find("samples/s") != std::string::npos);
  CHECK(s.find("ETA") != std::string::npos);
  CHECK(s.find("loss 0.5000") != std::string::npos);
  CHECK(s.find("accuracy 0.7500") != std::string::npos);
  CHECK(s.find('\n') == std::string::npos);  // still on one line
  bar.finish({{"loss", 0.25}}, {{"val_loss", 0.3}});
  CHECK(out.str().back() == '\n');
  CHECK(out.str().find("val_loss 0.3000") != std::string::npos);
}

TEST_CASE("progress: plain mode prints exactly one line per epoch") {
  std::ostringstream out;
  ProgressBar bar(out, /*interactive=*/false, 1, 3, 100, 0);
  bar.update(50, {{"loss", 1.0}});
  CHECK(out.str().empty());
  bar.finish({{"loss", 0.9}});
  const std::string s = out.str();
  CHECK(std::count(s.begin(), s.end(), '\n') == 1);
  CHECK(s.find('\r') == std::string::npos);
  CHECK(s.find("Epoch 1/3  100/100") != std::string::npos);
  CHECK(s.find("loss 0.9000") != std::string::npos);
}

TEST_CASE("history: series, CSV and SVG") {
  History h;
  h.append("loss", 1.0);
  h.append("accuracy", 0.5);
  h.append("loss", 0.5);
  h.append("accuracy", 0.75);
  CHECK(h.epochs() == 2);
  CHECK(h.names() == std::vector<std::string>{"loss", "accuracy"});
  CHECK(h["loss"] == std::vector<double>{1.0, 0.5});
  CHECK_THROWS_AS(h["val_loss"], ValueError);
  CHECK(h.to_csv() == "epoch,loss,accuracy\n1,1,0.5\n2,0.5,0.75\n");
  const std::string svg = h.to_svg("demo");
  CHECK(svg.rfind("<svg", 0) == 0);
  CHECK(svg.find("<polyline") != std::string::npos);
  CHECK(svg.find(">loss<") != std::string::npos);
  CHECK(svg.find(">accuracy<") != std::string::npos);
  CHECK(svg.find("</svg>") != std::string::npos);

  const auto dir = std::filesystem::temp_directory_path();
  const auto csv = (dir / "axon_history_test.csv").string();
  h.write_csv(csv);
  std::ifstream in(csv);
  std::stringstream text;
  text << in.rdbuf();
  CHECK(text.str() == h.to_csv());
  std::remove(csv.c_str());
  CHECK_THROWS_AS(h.write_csv("/nonexistent-dir/x.csv"), IOError);
}

}  // namespace axon::test
