// SPDX-License-Identifier: MIT
// Tests datasets/idx.cpp: every element type, raw and gzip, and a table of malformed files.
#include <doctest/doctest.h>
#include <sys/resource.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "axon/autograd/error.hpp"
#include "axon/datasets/idx.hpp"
#include "tests/datasets/files.hpp"

namespace axon::test {

using datasets::IdxArray;
using datasets::IdxType;
using datasets::read_idx;

namespace {

/// Runs `fn`, requires an IOError and returns its message.
template <class F>
std::string io_error(F&& fn) {
  try {
    fn();
  } catch (const IOError& e) {
    return e.what();
  } catch (const std::exception& e) {
    FAIL("expected IOError, got another exception: " << e.what());
    return {};
  }
  FAIL("expected IOError, nothing was thrown");
  return {};
}

long peak_rss_kb() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return usage.ru_maxrss;
}

}  // namespace

TEST_CASE("datasets/idx: every element type reads from hand-made big-endian bytes, raw and gz") {
  struct Case {
    IdxType type;
    std::string data;  // big-endian element bytes for shape [2,2]
    std::vector<double> expected;
  };
  const std::vector<Case> cases = {
      {IdxType::U8, std::string("\x00\x01\x80\xFF", 4), {0, 1, 128, 255}},
      {IdxType::I8, std::string("\x00\x01\x80\xFF", 4), {0, 1, -128, -1}},
      {IdxType::I16, std::string("\x01\x02\x80\x00\x7F\xFF\xFF\xFE", 8), {258, -32768, 32767, -2}},
      {IdxType::I32,
       std::string("\x00\x01\x00\x00\xFF\xFF\xFF\xFE\x7F\xFF\xFF\xFF\x80\x00\x00\x00", 16),
       {65536, -2, 2147483647, -2147483648.0}},
      {IdxType::F32,
       std::string("\x3F\xC0\x00\x00\xC0\x20\x00\x00\x00\x00\x00\x00\x3E\x80\x00\x00", 16),
       {1.5, -2.5, 0.0, 0.25}},
      {IdxType::F64,
       std::string("\x3F\xF8\x00\x00\x00\x00\x00\x00\xC0\x00\x00\x00\x00\x00\x00\x00"
                   "\x00\x00\x00\x00\x00\x00\x00\x00\x40\x59\x00\x00\x00\x00\x00\x00",
                   32),
       {1.5, -2.0, 0.0, 100.0}},
  };
  TempDir dir;
  for (const auto& c : cases) {
    for (bool gz : {false, true}) {
      const std::string name =
          std::string(datasets::idx_type_name(c.type)) + (gz ? ".idx.gz" : ".idx");
      CAPTURE(name);
      write_file(dir.file(name), idx_header(static_cast<std::uint8_t>(c.type), {2, 2}) + c.data,
                 gz);
      const IdxArray a = read_idx(dir.file(name));
      CHECK(a.type == c.type);
      CHECK(a.shape == std::vector<std::size_t>{2, 2});
      CHECK(a.size() == 4);
      CHECK(a.as<double>() == c.expected);
    }
  }
}

TEST_CASE("datasets/idx: typed access, write_idx round trip, rank 1 and an empty extent") {
  TempDir dir;
  IdxArray a;
  a.type = IdxType::I16;
  a.shape = {3, 1, 2};
  a.data = std::vector<std::int16_t>{-300, 0, 1, 258, 32767, -32768};
  for (bool gz : {false, true}) {
    const std::string path = dir.file(gz ? "a.gz" : "a.idx");
    datasets::write_idx(path, a, gz);
    IdxArray b = read_idx(path);
    CHECK(b.type == IdxType::I16);
    CHECK(b.shape == a.shape);
    CHECK(b.get<std::int16_t>() == a.get<std::int16_t>());
    CHECK_THROWS_AS(b.get<float>(), ValueError);
    CHECK(b.as<float>()[0] == -300.0f);
    CHECK(b.take<std::int16_t>().size() == 6);
  }
  write_file(dir.file("labels"), idx_header(0x08, {3}) + "\x01\x02\x03");
  CHECK(read_idx(dir.file("labels")).get<std::uint8_t>() == std::vector<std::uint8_t>{1, 2, 3});
  write_file(dir.file("empty"), idx_header(0x08, {0, 28, 28}));
  const IdxArray e = read_idx(dir.file("empty"));
  CHECK(e.shape == std::vector<std::size_t>{0, 28, 28});
  CHECK(e.size() == 0);

  IdxArray bad;
  bad.shape = {2, 2};
  bad.data = std::vector<std::uint8_t>{1, 2, 3};
  CHECK_THROWS_AS(datasets::write_idx(dir.file("bad"), bad), ValueError);
}

TEST_CASE("datasets/idx: malformed files raise IOError naming the file") {
  const std::uint32_t big = 0xFFFFFFFFu;
  struct Case {
    const char* name;
    std::string bytes;
    const char* expect;  // a phrase the message must hold
  };
  const std::vector<Case> cases = {
      {"empty file", "", "expected at least 4"},
      {"3 bytes", std::string("\x00\x00\x08", 3), "3 bytes long"},
      {"bad magic", std::string("\x01\x02\x08\x01\x00\x00\x00\x01\x05", 9), "bad magic"},
      {"unknown type code", idx_header(0x07, {1}) + "x", "element type code 0x07"},
      {"rank 0", idx_header(0x08, {}), "rank 0"},
      {"rank 9", idx_header(0x08, {1, 1, 1, 1, 1, 1, 1, 1, 1}) + "x", "rank 9"},
      {"truncated header", idx_header(0x08, {2, 3}).substr(0, 10), "truncated header"},
      {"truncated by one byte", idx_header(0x08, {2, 3}) + "abcde", "truncated"},
      {"truncated i32 data", idx_header(0x0C, {2}) + std::string(7, '\0'), "truncated"},
      {"one extra byte", idx_header(0x08, {2, 3}) + "abcdefg", "trailing"},
      {"overflow", idx_header(0x08, {big, big, big}), "2^64"},
      // A zero extent must not hide the overflow, whichever end it is at.
      {"overflow, zero first", idx_header(0x08, {0, big, big, big}), "2^64"},
      {"overflow, zero last", idx_header(0x08, {big, big, big, 0}), "2^64"},
      {"overflow by element size", idx_header(0x0E, {0x80000000u, 0x80000000u, 4}), "2^64"},
  };
  TempDir dir;
  for (const auto& c : cases) {
    for (bool gz : {false, true}) {
      CAPTURE(c.name);
      CAPTURE(gz);
      const std::string path = dir.file(std::string("bad") + (gz ? ".gz" : ".idx"));
      write_file(path, c.bytes, gz);
      const std::string msg = io_error([&] { read_idx(path); });
      CAPTURE(msg);
      CHECK(msg.find(path) != std::string::npos);
      CHECK(msg.find(c.expect) != std::string::npos);
    }
  }
  const std::string missing = dir.file("missing.idx");
  CHECK(io_error([&] { read_idx(missing); }).find(missing) != std::string::npos);
  // Truncation reports the byte offset where the data ends.
  write_file(dir.file("short"), idx_header(0x08, {2, 3}) + "abcde");
  CHECK(io_error([&] { read_idx(dir.file("short")); }).find("byte offset 17") != std::string::npos);
}

TEST_CASE("datasets/idx: a gzip file cut short or corrupted raises IOError") {
  TempDir dir;
  const std::string path = dir.file("cut.gz");
  std::string body;
  for (int i = 0; i < 6000; ++i) body += static_cast<char>(i * 7 % 251);
  for (std::uintmax_t cut : {4u, 8u, 100u}) {
    CAPTURE(cut);
    write_file(path, idx_header(0x08, {6000}) + body, true);
    std::filesystem::resize_file(path, std::filesystem::file_size(path) - cut);
    const std::string msg = io_error([&] { read_idx(path); });
    CHECK(msg.find(path) != std::string::npos);
    CHECK(msg.find("unexpected end of file") != std::string::npos);
  }
  write_file(path, idx_header(0x08, {6000}) + body, true);
  {
    std::fstream file(path, std::ios::binary | std::ios::in | std::ios::out);
    file.seekp(200);
    file.write("garbagegarbage", 14);
  }
  const std::string msg = io_error([&] { read_idx(path); });
  CHECK(msg.find(path) != std::string::npos);
  CHECK(msg.find("corrupt gzip stream") != std::string::npos);
}

TEST_CASE("datasets/idx: a 4 KB file declaring 4 billion images fails fast with little memory") {
  TempDir dir;
  const std::string header = idx_header(0x08, {4000000000u, 28, 28});
  const std::string bytes = header + std::string(4096 - header.size(), '\0');
  const long rss_before = peak_rss_kb();
  for (bool gz : {false, true}) {
    CAPTURE(gz);
    const std::string path = dir.file(gz ? "huge.gz" : "huge.idx");
    write_file(path, bytes, gz);
    const auto start = std::chrono::steady_clock::now();
    const std::string msg = io_error([&] { read_idx(path); });
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    CAPTURE(msg);
    CHECK(msg.find(path) != std::string::npos);
    CHECK(msg.find("truncated") != std::string::npos);
    CHECK(seconds < 1.0);
  }
  // The declared 3 TB were never allocated: the peak grew by a few MB at most.
  CHECK(peak_rss_kb() - rss_before < 64 * 1024);
}

}  // namespace axon::test
