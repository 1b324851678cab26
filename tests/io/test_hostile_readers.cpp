// SPDX-License-Identifier: MIT
// Tests the readers (io/safetensors.cpp, datasets/idx.cpp, csv.cpp, text.cpp) against hostile
// files: one table of cases, each a typed IOError whose message names the file and the problem;
// FIFOs and devices never hang; memory stays bounded under an address-space cap; and a program
// that catches only axon::Error survives every case.
#include <doctest/doctest.h>
#include <fcntl.h>
#include <unistd.h>
#include <zlib.h>

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "axon/autograd/error.hpp"
#include "axon/datasets/csv.hpp"
#include "axon/datasets/idx.hpp"
#include "axon/datasets/text.hpp"
#include "axon/io/safetensors.hpp"
#include "tests/datasets/files.hpp"
#include "tests/io/hostile.hpp"

namespace axon::test {

namespace {

using Reader = std::function<void(const std::string&)>;

const Reader kSafetensors = [](const std::string& p) { io::SafetensorsFile::read(p); };
const Reader kCsv = [](const std::string& p) { datasets::read_csv(p); };
const Reader kText = [](const std::string& p) { datasets::read_text_file(p); };
const Reader kIdx = [](const std::string& p) { datasets::read_idx(p); };

/// A gzip member of `bytes`, as zlib's gzip writer makes it.
std::string gzip(const std::string& bytes) {
  z_stream z{};
  REQUIRE(deflateInit2(&z, 6, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY) == Z_OK);
  std::string out(deflateBound(&z, static_cast<uLong>(bytes.size())), '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(bytes.data()));
  z.avail_in = static_cast<uInt>(bytes.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  REQUIRE(deflate(&z, Z_FINISH) == Z_STREAM_END);
  out.resize(z.total_out);
  deflateEnd(&z);
  return out;
}

/// Bytes that do not compress (a linear congruential sequence).
std::string noise(std::size_t n) {
  std::string s(n, '\0');
  std::uint32_t x = 12345;
  for (char& c : s) c = static_cast<char>((x = x * 1103515245u + 12345u) >> 24);
  return s;
}

/// Writes a gzip file of `head` followed by `zeros` zero bytes, streamed (no buffer of that size).
void write_gzip_zeros(const std::string& path, const std::string& head, std::size_t zeros) {
  gzFile gz = gzopen(path.c_str(), "wb1");
  REQUIRE(gz != nullptr);
  gzwrite(gz, head.data(), static_cast<unsigned>(head.size()));
  const std::string block(1 << 20, '\0');
  for (std::size_t left = zeros; left > 0;) {
    const std::size_t n = std::min(left, block.size());
    gzwrite(gz, block.data(), static_cast<unsigned>(n));
    left -= n;
  }
  gzclose(gz);
}

struct ReaderCase {
  const char* name;
  Reader read;
  std::function<std::string(const TempDir&)> make;  // returns the path to read
  std::vector<std::string> expected;                // substrings of the message
};

std::string file_with(const TempDir& dir, const std::string& name, const std::string& bytes) {
  const std::string path = dir.file(name);
  write_file(path, bytes);
  return path;
}

std::string fifo(const TempDir& dir, const std::string& name) {
  const std::string path = dir.file(name);
  make_fifo(path);
  return path;
}

/// A safetensors file of no tensors whose header holds `entries` tiny metadata entries.
std::string tiny_metadata_file(std::size_t entries) {
  std::string json = "{\"__metadata__\":{";
  for (std::size_t i = 0; i < entries; ++i)
    json += (i ? ",\"k" : "\"k") + std::to_string(i) + "\":\"\"";
  json += "}}";
  std::string out(8, '\0');
  for (int i = 0; i < 8; ++i) out[i] = static_cast<char>((json.size() >> (8 * i)) & 0xFF);
  return out + json;
}

std::vector<ReaderCase> reader_cases() {
  const std::string idx4 = idx_header(0x08, {4});
  return {
      {"text read as a checkpoint",
       kSafetensors,
       [](const TempDir& d) { return file_with(d, "notes.txt", "hello, world of text\n"); },
       {"notes.txt", "not a safetensors file"}},
      {"safetensors FIFO",
       kSafetensors,
       [](const TempDir& d) { return fifo(d, "m.safetensors"); },
       {"m.safetensors", "is a FIFO, not a regular file"}},
      {"safetensors /dev/zero",
       kSafetensors,
       [](const TempDir&) { return std::string("/dev/zero"); },
       {"/dev/zero", "is a character device"}},
      {"safetensors directory",
       kSafetensors,
       [](const TempDir& d) { return d.path().string(); },
       {"is a directory"}},
      {"safetensors header of 2 million tiny metadata entries",
       kSafetensors,
       [](const TempDir& d) {
         return file_with(d, "meta.safetensors", tiny_metadata_file(2000000));
       },
       {"meta.safetensors", "metadata entries would take more than", "times the header's size"}},
      {"csv FIFO",
       kCsv,
       [](const TempDir& d) { return fifo(d, "boston.csv"); },
       {"csv: ", "boston.csv", "is a FIFO"}},
      {"csv /dev/zero",
       kCsv,
       [](const TempDir&) { return std::string("/dev/zero"); },
       {"csv: /dev/zero", "is a character device"}},
      {"text FIFO",
       kText,
       [](const TempDir& d) { return fifo(d, "book.txt"); },
       {"text: ", "book.txt", "is a FIFO"}},
      {"text /dev/zero",
       kText,
       [](const TempDir&) { return std::string("/dev/zero"); },
       {"text: /dev/zero", "is a character device"}},
      {"idx FIFO",
       kIdx,
       [](const TempDir& d) { return fifo(d, "labels.idx"); },
       {"idx: ", "labels.idx", "is a FIFO"}},
      {"idx /dev/zero",
       kIdx,
       [](const TempDir&) { return std::string("/dev/zero"); },
       {"idx: /dev/zero", "is a character device"}},
      {"idx gzip member followed by other bytes",
       kIdx,
       [idx4](const TempDir& d) { return file_with(d, "a.idx.gz", gzip(idx4 + "abcd") + "JUNK"); },
       {"a.idx.gz", "4 trailing byte(s) after the gzip member, at compressed byte offset"}},
      {"idx gzip stream longer than declared",
       kIdx,
       [idx4](const TempDir& d) {
         return file_with(d, "b.idx.gz", gzip(idx4 + std::string(100, 'x')));
       },
       {"b.idx.gz", "unexpected trailing data at decompressed byte offset 12"}},
      {"idx gzip declaring more than deflate can hold",
       kIdx,
       [](const TempDir& d) {
         return file_with(d, "c.idx.gz", gzip(idx_header(0x08, {60000, 60000}) + "xy"));
       },
       {"c.idx.gz", "3600000000 data bytes", "more than a gzip file of"}},
      {"idx gzip cut short",
       kIdx,
       [idx4](const TempDir& d) {
         const std::string gz = gzip(idx_header(0x08, {4096}) + noise(4096));
         return file_with(d, "d.idx.gz", gz.substr(0, gz.size() / 2));
       },
       {"d.idx.gz", "truncated gzip stream"}},
  };
}

}  // namespace

TEST_CASE("hostile files: each reader case is a typed IOError naming the file and the problem") {
  for (const ReaderCase& c : reader_cases()) {
    CAPTURE(c.name);
    TempDir dir;
    const std::string path = c.make(dir);
    const std::string msg = error_of<IOError>([&] { c.read(path); });
    for (const std::string& part : c.expected) {
      CAPTURE(part);
      CHECK(msg.find(part) != std::string::npos);
    }
    CHECK(msg.size() < 400);
  }
}

TEST_CASE("hostile files: gzip corruption is reported where it is, not at offset 0") {
  TempDir dir;
  const std::string path = dir.file("corrupt.idx.gz");
  std::string gz = gzip(idx_header(0x08, {1 << 20}) + noise(1 << 20));
  // Damage the deflate data three quarters of the way in: inflate stops there (or at the check
  // value at the end), well after the first decompressed byte.
  for (std::size_t i = gz.size() * 3 / 4; i < gz.size() * 3 / 4 + 64; ++i) gz[i] = '\xFF';
  write_file(path, gz);
  const std::string msg = error_of<IOError>([&] { datasets::read_idx(path); });
  CHECK(msg.find("corrupt gzip stream at compressed byte offset") != std::string::npos);
  CHECK(msg.find("decompressed byte offset 0)") == std::string::npos);
  const std::size_t at = msg.find("compressed byte offset ") + 23;
  CHECK(std::stoull(msg.substr(at)) >= gz.size() / 2);
}

TEST_CASE("hostile files: csv quotes at most 40 characters of a cell; 1e-400 is a number") {
  TempDir dir;
  const std::string path = dir.file("cells.csv");
  write_file(path, "a,y\n1," + std::string(1 << 20, 'z') + "\n");
  const std::string msg = error_of<IOError>([&] { datasets::read_csv(path); });
  CHECK(msg.find(std::string(40, 'z') + "... (1048576 characters)") != std::string::npos);
  CHECK(msg.size() < 300);

  write_file(path, "a,y\n1e-400,-1e-320\n");
  const datasets::CsvTable table = datasets::read_csv(path);
  CHECK(table.at(0, 0) == 0.0);
  CHECK(table.at(0, 1) < 0.0);  // a subnormal, kept
  write_file(path, "a,y\n1e400,1\n");
  CHECK(error_of<IOError>([&] { datasets::read_csv(path); }).find("'1e400'") != std::string::npos);
}

TEST_CASE("hostile files: a csv header of 160,000 columns is checked for duplicates quickly") {
  // Every pair was compared (23 s for this file); sorting takes a fraction of a second.
  TempDir dir;
  const std::string path = dir.file("wide.csv");
  std::string header, row;
  for (int c = 0; c < 160000; ++c) {
    header += (c ? ",c" : "c") + std::to_string(c);
    row += c ? ",1" : "1";
  }
  write_file(path, header + "\n" + row + "\n");
  CHECK(datasets::read_csv(path).cols() == 160000);
  write_file(path, header + ",c5\n" + row + ",1\n");
  const std::string msg = error_of<IOError>([&] { datasets::read_csv(path); });
  CHECK(msg.find("column 160001: duplicate column name 'c5' (also column 6)") != std::string::npos);
}

namespace {

constexpr std::size_t kMiB = std::size_t{1} << 20;

/// A reader case whose file is built to exhaust memory: run under an address-space cap of `cap`
/// bytes, it must end in an IOError whose message holds `expected`.
struct MemoryCase {
  const char* name;
  Reader read;
  std::function<std::string(const TempDir&)> make;  // returns the path to read
  std::string expected;
  std::size_t cap;
};

std::vector<MemoryCase> memory_cases() {
  return {
      // Declares 64 MiB, holds 256 MiB: read in growing chunks (at most 1.5x the declared size at
      // once), then one byte more shows the excess.
      {"a gzip IDX stream stops inflating at the declared size", kIdx,
       [](const TempDir& d) {
         const std::string path = d.file("bomb.idx.gz");
         write_gzip_zeros(path, idx_header(0x08, {64 << 20}), 256 * kMiB);
         return path;
       },
       "unexpected trailing data", 160 * kMiB},
      {"a sparse raw IDX file too large for memory is an IOError naming it", kIdx,
       [](const TempDir& d) {
         const std::string path = d.file("sparse.idx");
         write_file(path, idx_header(0x08, {0x80000000u}));
         REQUIRE(::truncate(path.c_str(), 8 + 0x80000000ll) == 0);
         return path;
       },
       "sparse.idx: cannot allocate", 256 * kMiB},
      // 20 MB: 10 million cells for a header of 2 (it took 22 times its size).
      {"a long csv row is counted, not stored", kCsv,
       [](const TempDir& d) {
         const std::string path = d.file("long.csv");
         std::string text = "a,b\n";
         text.reserve(20 * kMiB + 8);
         for (int i = 0; i < 10'000'000; ++i) text += i ? ",0" : "0";
         write_file(path, text + "\n");
         return path;
       },
       "10000000 cells, expected 2", 64 * kMiB},
  };
}

}  // namespace

TEST_CASE("hostile files: memory stays bounded under an address-space cap, errors stay typed") {
  if (!can_cap_memory()) {
    MESSAGE("skipped under a sanitizer: address-space caps do not apply");
    return;
  }
  for (const MemoryCase& c : memory_cases()) {
    CAPTURE(c.name);
    TempDir dir;
    const std::string path = c.make(dir);
    const int code = run_capped(c.cap, [&]() -> int {
      try {
        c.read(path);
      } catch (const IOError& e) {
        if (std::string(e.what()).find(c.expected) != std::string::npos) return 0;
        std::fprintf(stderr, "unexpected message: %s\n", e.what());
        return 2;
      }
      return 1;
    });
    CHECK(code == 0);
  }
}

TEST_CASE("hostile files: a program that catches only axon::Error survives every reader case") {
  // Every case of the table and every memory case, in one child under a 512 MiB address-space
  // cap; each must end in an axon::Error (an uncaught std::bad_alloc would abort the child).
  const std::vector<ReaderCase> cases = reader_cases();
  const std::vector<MemoryCase> big = memory_cases();
  TempDir dir;
  std::vector<std::pair<Reader, std::string>> runs;
  for (const ReaderCase& c : cases) runs.emplace_back(c.read, c.make(dir));
  if (can_cap_memory()) {
    for (const MemoryCase& c : big) runs.emplace_back(c.read, c.make(dir));
  }
  const int code = run_capped(512 * kMiB, [&]() -> int {
    int errors = 0;
    for (const auto& [read, path] : runs) {
      try {
        read(path);
      } catch (const axon::Error&) {
        ++errors;
      }
    }
    return errors == static_cast<int>(runs.size()) ? 0 : 1;
  });
  CHECK(code == 0);
}

}  // namespace axon::test
