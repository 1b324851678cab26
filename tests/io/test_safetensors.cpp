// SPDX-License-Identifier: MIT
// Tests io/header.cpp, io/safetensors.cpp and io/write.cpp: exact bytes of a small file, round
// trips, layout, dtype conversions, and a table of malformed files.
#include <doctest/doctest.h>

#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "axon/autograd/error.hpp"
#include "axon/io/safetensors.hpp"
#include "tests/datasets/files.hpp"

namespace axon::test {

using io::DType;
using io::SafetensorsFile;
using io::TensorRef;

namespace {

/// The 8-byte little-endian length, the header text as given, then `data`.
std::string raw_file(const std::string& header, const std::string& data = "") {
  std::string out(8, '\0');
  for (int i = 0; i < 8; ++i) out[i] = static_cast<char>((header.size() >> (8 * i)) & 0xFF);
  return out + header + data;
}

/// A file whose first 8 bytes claim `length`, followed by `rest`.
std::string with_length(std::uint64_t length, const std::string& rest) {
  std::string out(8, '\0');
  for (int i = 0; i < 8; ++i) out[i] = static_cast<char>((length >> (8 * i)) & 0xFF);
  return out + rest;
}

template <class T>
std::string le_bytes(const std::vector<T>& values) {
  std::string out(values.size() * sizeof(T), '\0');
  if (!values.empty()) std::memcpy(out.data(), values.data(), out.size());  // x86/ARM: little
  return out;
}

/// The IOError message parsing `bytes` produces ("" and a failed check when it parses).
std::string parse_error(const std::string& bytes) {
  try {
    SafetensorsFile::parse(bytes, "bad.safetensors");
  } catch (const IOError& e) {
    return e.what();
  } catch (const std::exception& e) {
    FAIL("expected IOError, got: " << e.what());
    return {};
  }
  FAIL("expected IOError, the file parsed");
  return {};
}

const std::string kEntryA = R"("a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]})";

}  // namespace

TEST_CASE("io/safetensors: a small file has exactly the bytes the format prescribes") {
  const std::vector<float> a = {1.0f, -2.0f};
  const std::string bytes = io::encode_safetensors({{"a", DType::F32, {2}, a.data()}});
  const std::string json = "{" + kEntryA + "}";  // 54 bytes, padded to 56
  REQUIRE(json.size() == 54);
  CHECK(bytes == raw_file(json + "  ", le_bytes(a)));
  CHECK(bytes.size() == 8 + 56 + 8);
}

TEST_CASE("io/safetensors: round trip with metadata; larger elements first; deterministic") {
  const std::vector<float> f = {1.5f, 2.5f, -3.25f, 4.0f, 5.0f, 6.0f};
  const std::vector<double> d = {0.1, 1e300, -0.0};
  const std::vector<float> scalar = {7.0f};
  const std::vector<TensorRef> refs = {{"w.f", DType::F32, {2, 3}, f.data()},
                                       {"empty", DType::F32, {0, 4}, nullptr},
                                       {"s", DType::F32, {}, scalar.data()},
                                       {"w.d", DType::F64, {3}, d.data()}};
  const io::Metadata meta = {{"format", "pt"}, {"note", "unicode \xC3\xA9 and \"quotes\""}};
  const std::string bytes = io::encode_safetensors(refs, meta);
  CHECK(bytes == io::encode_safetensors(refs, meta));
  std::uint64_t n = 0;
  std::memcpy(&n, bytes.data(), 8);
  CHECK(n % 8 == 0);

  const SafetensorsFile file = SafetensorsFile::parse(bytes, "mem");
  CHECK(file.metadata() == meta);
  REQUIRE(file.tensors().size() == 4);
  // F64 first (8-byte aligned), then the F32 tensors in the order given.
  CHECK(file.tensors()[0].name == "w.d");
  CHECK(file.tensors()[0].begin == 0);
  CHECK(file.tensors()[1].name == "w.f");
  CHECK(file.tensors()[1].begin == 24);
  CHECK(file.find("empty")->shape == std::vector<std::size_t>{0, 4});
  CHECK(file.find("s")->shape.empty());
  CHECK(file.find("nope") == nullptr);

  const auto wf = file.array<float>("w.f");
  CHECK(wf.shape() == xt::xarray<float>::shape_type{2, 3});
  CHECK(std::memcmp(wf.data(), f.data(), sizeof(float) * f.size()) == 0);
  const auto wd = file.array<double>("w.d");
  CHECK(std::memcmp(wd.data(), d.data(), sizeof(double) * d.size()) == 0);
  CHECK(file.array<float>("s")(0) == 7.0f);
  CHECK(file.array<double>("w.f")(1, 2) == 6.0);  // F32 -> double is exact
  CHECK(file.array<float>("empty").size() == 0);
  CHECK_THROWS_AS(file.array<float>("missing"), IOError);

  TempDir dir;
  const std::string path = dir.file("t.safetensors");
  io::write_safetensors(path, refs, meta);
  std::ifstream in(path, std::ios::binary);
  const std::string on_disk((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  CHECK(on_disk == bytes);
  CHECK(SafetensorsFile::read(path).metadata() == meta);
  CHECK(SafetensorsFile::read_header(path).tensors.size() == 4);
}

TEST_CASE("io/safetensors: other dtypes convert when exact, else a ValueError naming the dtype") {
  const std::vector<std::uint16_t> f16 = {0x3C00, 0xC000, 0x0001, 0x7C00,
                                          0x3555};           // 1,-2,2^-24,inf
  const std::vector<std::uint16_t> bf16 = {0x3F80, 0xC040};  // 1, -3
  const std::vector<std::int64_t> i64 = {-5, 1LL << 40, (1LL << 53) + 2};
  const std::vector<std::int64_t> i64_wide = {(1LL << 53) + 1};
  const std::vector<std::uint8_t> u8 = {0, 255};
  const std::vector<std::uint8_t> flags = {0, 1};
  const std::vector<double> f64_floats = {0.5, -3.0, 1e30f};
  const std::vector<double> f64_third = {1.0 / 3.0};
  const std::vector<double> f64_huge = {1e300};
  const std::vector<std::int32_t> i32 = {16777217};  // 2^24 + 1: not a float
  const std::string bytes = io::encode_safetensors({
      {"f16", DType::F16, {5}, f16.data()},
      {"bf16", DType::BF16, {2}, bf16.data()},
      {"i64", DType::I64, {3}, i64.data()},
      {"i64_wide", DType::I64, {1}, i64_wide.data()},
      {"u8", DType::U8, {2}, u8.data()},
      {"flags", DType::BOOL, {2}, flags.data()},
      {"f64_floats", DType::F64, {3}, f64_floats.data()},
      {"f64_third", DType::F64, {1}, f64_third.data()},
      {"f64_huge", DType::F64, {1}, f64_huge.data()},
      {"i32", DType::I32, {1}, i32.data()},
  });
  const SafetensorsFile file = SafetensorsFile::parse(bytes, "mixed.safetensors");
  const auto h = file.array<float>("f16");
  CHECK(h(0) == 1.0f);
  CHECK(h(1) == -2.0f);
  CHECK(h(2) == std::ldexp(1.0f, -24));
  CHECK(std::isinf(h(3)));
  CHECK(h(4) == doctest::Approx(1.0 / 3.0).epsilon(1e-3));
  CHECK(file.array<float>("bf16")(1) == -3.0f);
  CHECK(file.array<double>("i64")(2) == 9007199254740994.0);
  CHECK(file.array<double>("i64")(1) == 1099511627776.0);
  CHECK(file.array<double>("i64")(0) == -5.0);
  CHECK(file.array<float>("u8")(1) == 255.0f);
  CHECK(file.array<double>("flags")(1) == 1.0);
  CHECK(file.array<float>("f64_floats")(2) == 1e30f);
  CHECK(file.array<double>("f64_third")(0) == 1.0 / 3.0);

  for (const char* name : {"i64_wide", "f64_third", "f64_huge", "i32"}) {
    CAPTURE(name);
    CHECK_FALSE(file.converts_exactly<float>(*file.find(name)));
    std::vector<float> dst(1, 42.0f);
    try {
      file.copy_to(*file.find(name), dst.data());
      FAIL("expected ValueError");
    } catch (const ValueError& e) {
      const std::string what = e.what();
      CHECK(what.find("mixed.safetensors") != std::string::npos);
      CHECK(what.find(std::string("'") + name + "'") != std::string::npos);
      CHECK(what.find("dtype") != std::string::npos);
    }
    CHECK(dst[0] == 42.0f);  // nothing written
  }
  CHECK_THROWS_AS(file.array<double>("i64_wide"), ValueError);
  CHECK(file.array<double>("i32")(0) == 16777217.0);
}

TEST_CASE("io/safetensors: the writer refuses bad names and strings") {
  const float x = 1;
  CHECK_THROWS_AS(io::encode_safetensors({{"", DType::F32, {1}, &x}}), ValueError);
  CHECK_THROWS_AS(io::encode_safetensors({{"__metadata__", DType::F32, {1}, &x}}), ValueError);
  CHECK_THROWS_AS(io::encode_safetensors({{"a", DType::F32, {1}, &x}, {"a", DType::F32, {1}, &x}}),
                  ValueError);
  CHECK_THROWS_AS(io::encode_safetensors({{"a", DType::F32, {1}, nullptr}}), ValueError);
  CHECK_THROWS_AS(io::encode_safetensors({{"bad\xFF", DType::F32, {1}, &x}}), ValueError);
  CHECK_THROWS_AS(io::encode_safetensors({}, {{"k", "\xC0\xAF"}}), ValueError);
  TempDir dir;
  CHECK_THROWS_AS(io::write_safetensors(dir.file("no/such/dir/x.safetensors"), {}), IOError);
}

TEST_CASE("io/safetensors: edge cases that are valid") {
  CHECK(SafetensorsFile::parse(raw_file("{}      "), "m").tensors().empty());
  CHECK(SafetensorsFile::parse(raw_file("{}"), "m").tensors().empty());  // padding is optional
  // Zero-size tensors may share an offset with others; an empty metadata map is fine.
  const std::string header = R"({"__metadata__":{},"z":{"dtype":"F64","shape":[0,5],)"
                             R"("data_offsets":[8,8]},)" +
                             kEntryA + "}";
  const SafetensorsFile f = SafetensorsFile::parse(raw_file(header, std::string(8, '\0')), "m");
  CHECK(f.tensors().size() == 2);
  // A huge extent next to a zero is fine while the other extents' product fits.
  const std::string big = R"({"z":{"dtype":"U8","shape":[0,4294967296],"data_offsets":[0,0]}})";
  CHECK(SafetensorsFile::parse(raw_file(big), "m").tensors().size() == 1);
}

TEST_CASE("io/safetensors: malformed files raise IOError naming the file and what is wrong") {
  const std::string data8(8, '\0');
  const std::string valid = raw_file("{" + kEntryA + "}", data8);
  const auto one = [](const std::string& entry, const std::string& data = std::string(8, '\0')) {
    return raw_file("{" + entry + "}", data);
  };
  const auto tensor = [](const std::string& name, const std::string& dtype,
                         const std::string& shape, const std::string& offsets) {
    return "\"" + name + "\":{\"dtype\":\"" + dtype + "\",\"shape\":" + shape +
           ",\"data_offsets\":" + offsets + "}";
  };
  const auto ones = [](int rank) {
    std::string s = "[1";
    for (int i = 1; i < rank; ++i) s += ",1";
    return s + "]";
  };
  struct Case {
    std::string what;
    std::string bytes;
    const char* message;
  };
  const std::vector<Case> cases = {
      {"empty file", "", "shorter than the 8-byte"},
      {"3 bytes", "abc", "the file is 3 bytes"},
      {"7 bytes", std::string(7, '\0'), "shorter than the 8-byte"},
      {"header length 0", with_length(0, ""), "too short"},
      {"huge header length", with_length(~std::uint64_t{0}, "{}"), "exceeds the limit"},
      {"header length just over the limit", with_length(100'000'001, "{}"), "exceeds the limit"},
      {"header length past the end", with_length(64, "{}"), "past the end of the file"},
      {"truncated by one byte", valid.substr(0, valid.size() - 1), "past the data section"},
      {"one extra byte", valid + "x", "1 bytes after the last tensor"},
      {"bad JSON", raw_file("{\"a\":"), "not valid JSON"},
      {"trailing garbage", raw_file("{}x"), "not valid JSON"},
      {"NUL padding", raw_file(std::string("{}\0\0", 4)), "holds a NUL byte"},
      {"NUL then garbage", raw_file(std::string("{}\0{\"a\":1}", 10)), "holds a NUL byte"},
      {"invalid UTF-8", raw_file("{\"\xFF\":1}"), "not valid UTF-8"},
      {"overlong UTF-8", raw_file("{\"\xC0\xAF\":1}"), "not valid UTF-8"},
      {"UTF-16 surrogate", raw_file("{\"\xED\xA0\x80\":1}"), "not valid UTF-8"},
      {"truncated UTF-8", raw_file("{\"\xE2\x82"), "not valid UTF-8"},
      {"not an object", raw_file("[1]"), "does not start with '{'"},
      {"leading space", raw_file(" {}"), "does not start with '{'"},
      {"entry not an object", raw_file(R"({"a":5})"), "tensor 'a': the entry is a number"},
      {"entry is an array", raw_file(R"({"a":[]})"), "tensor 'a': the entry is an array"},
      {"unknown dtype", one(tensor("a", "F17", "[2]", "[0,8]")), "unknown dtype \"F17\""},
      {"dtype not a string", one(R"("a":{"dtype":4,"shape":[2],"data_offsets":[0,8]})"),
       "tensor 'a'"},
      {"missing shape", one(R"("a":{"dtype":"F32","data_offsets":[0,8]})"),
       "needs dtype, shape and data_offsets"},
      {"unknown field", one(R"("a":{"dtype":"F32","shape":[2],"data_offsets":[0,8],"x":1})"),
       "unknown field \"x\""},
      {"duplicate field",
       one(R"("a":{"dtype":"F32","dtype":"F32","shape":[2],"data_offsets":[0,8]})"),
       "duplicate field \"dtype\""},
      {"duplicate tensor", one(kEntryA + "," + kEntryA, std::string(16, '\0')), "appears twice"},
      {"empty name", one(tensor("", "F32", "[2]", "[0,8]")), "empty name"},
      {"duplicate __metadata__", raw_file(R"({"__metadata__":{},"__metadata__":{}})"),
       "duplicate __metadata__"},
      {"metadata value not a string", raw_file(R"({"__metadata__":{"k":1}})"), "not a string"},
      {"metadata not an object", raw_file(R"({"__metadata__":"x"})"), "not an object"},
      {"negative extent", one(tensor("a", "F32", "[-2]", "[0,8]")), "negative"},
      {"fractional extent", one(tensor("a", "F32", "[2.5]", "[0,8]")), "non-integer"},
      {"extent over 2^64", one(tensor("a", "F32", "[18446744073709551616]", "[0,8]")),
       "out-of-range"},
      {"nested shape", one(tensor("a", "F32", "[[2]]", "[0,8]")),
       "an extent or offset is an array"},
      {"rank 33", one(tensor("a", "U8", ones(33), "[0,1]"), "x"), "rank above 32"},
      {"three offsets", one(tensor("a", "F32", "[2]", "[0,8,8]")), "more than 2 values"},
      {"one offset", one(tensor("a", "F32", "[2]", "[8]")), "must hold 2 values, not 1"},
      {"negative offset", one(tensor("a", "F32", "[2]", "[-8,0]")), "negative"},
      {"offsets backwards", one(tensor("a", "F32", "[2]", "[8,0]")), "run backwards"},
      {"offsets disagree with the shape", one(tensor("a", "F32", "[2]", "[0,4]"), "1234"),
       "span 4 bytes but the shape and F32 need 8"},
      {"offsets past the data", one(tensor("a", "F32", "[4]", "[0,16]")), "past the data section"},
      {"overlapping offsets",
       one(kEntryA + "," + tensor("b", "F32", "[2]", "[4,12]"), std::string(12, '\0')),
       "tensor 'b': data_offsets [4, 12] overlap tensor 'a'"},
      {"gap between tensors",
       one(kEntryA + "," + tensor("b", "F32", "[2]", "[12,20]"), std::string(20, '\0')),
       "tensor 'b': a gap of 4 bytes before it (after tensor 'a')"},
      {"gap at the start", one(tensor("a", "F32", "[2]", "[4,12]"), std::string(12, '\0')),
       "a gap of 4 bytes before it (at the start"},
      {"shape product overflows, large extents first",
       one(tensor("a", "F32", "[4294967296,4294967296,2]", "[0,8]")), "overflows 64 bits"},
      {"shape product overflows, large extents last",
       one(tensor("a", "F32", "[2,4294967296,4294967296]", "[0,8]")), "overflows 64 bits"},
      {"overflow hidden behind a zero, zero last",
       one(tensor("a", "F32", "[4294967296,4294967296,0]", "[0,0]"), ""), "overflows 64 bits"},
      {"overflow hidden behind a zero, zero first",
       one(tensor("a", "F32", "[0,4294967296,4294967296]", "[0,0]"), ""), "overflows 64 bits"},
      {"byte count overflows", one(tensor("a", "F64", "[4611686018427387904]", "[0,8]")),
       "byte count overflows"},
  };
  for (const Case& c : cases) {
    CAPTURE(c.what);
    const std::string message = parse_error(c.bytes);
    CHECK_MESSAGE(message.find(c.message) != std::string::npos, message);
    CHECK(message.rfind("bad.safetensors: ", 0) == 0);
  }

  // The same checks on real files, through read() and read_header().
  TempDir dir;
  for (const Case& c : cases) {
    CAPTURE(c.what);
    const std::string path = dir.file("bad.safetensors");
    write_file(path, c.bytes);
    CHECK_THROWS_AS(SafetensorsFile::read(path), IOError);
  }
  CHECK_THROWS_AS(SafetensorsFile::read(dir.file("missing.safetensors")), IOError);
  CHECK_THROWS_AS(SafetensorsFile::read(dir.path().string()), IOError);  // a directory
}

}  // namespace axon::test
