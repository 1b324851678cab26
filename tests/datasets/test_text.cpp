// SPDX-License-Identifier: MIT
// Tests datasets/text.cpp: reading text files (typed errors), the byte vocabulary, next-character
// windows through a DataLoader, target indices, the unigram entropy and the bundled text.
#include <doctest/doctest.h>

#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <limits>
#include <map>
#include <string>
#include <vector>

#include "axon/autograd/error.hpp"
#include "axon/datasets/dataloader.hpp"
#include "axon/datasets/text.hpp"
#include "tests/datasets/files.hpp"

namespace axon::test {

TEST_CASE("datasets/text: read_text_file keeps the bytes, errors name the file") {
  TempDir dir;
  const std::string path = dir.file("t.txt");
  const std::string bytes = "caf\xc3\xa9\r\nline two\n";
  write_file(path, bytes);
  CHECK(datasets::read_text_file(path) == bytes);

  CHECK_THROWS_WITH_AS(datasets::read_text_file(dir.file("missing.txt")),
                       doctest::Contains((dir.file("missing.txt") + ": no such file").c_str()),
                       IOError);
  write_file(dir.file("empty.txt"), "");
  CHECK_THROWS_WITH_AS(datasets::read_text_file(dir.file("empty.txt")),
                       doctest::Contains((dir.file("empty.txt") + ": the file is empty").c_str()),
                       IOError);
  CHECK_THROWS_WITH_AS(datasets::read_text_file(dir.path().string()),
                       doctest::Contains("is a directory"), IOError);
  // A file without read permission (root reads it anyway, so only checked for other users).
  if (geteuid() != 0) {
    const std::string locked = dir.file("locked.txt");
    write_file(locked, "secret");
    std::filesystem::permissions(locked, std::filesystem::perms::none);
    CHECK_THROWS_WITH_AS(datasets::read_text_file(locked),
                         doctest::Contains((locked + ": cannot open for reading").c_str()),
                         IOError);
  }
}

TEST_CASE("datasets/text: CharVocab is the sorted distinct bytes, mapped both ways") {
  const datasets::CharVocab vocab("hello world");
  CHECK(vocab.chars() == " dehlorw");
  CHECK(vocab.size() == 8);
  for (std::size_t i = 0; i < vocab.size(); ++i) {
    CHECK(vocab.index_of(vocab.char_at(i)) == i);
    if (i > 0)
      CHECK(static_cast<unsigned char>(vocab.char_at(i - 1)) <
            static_cast<unsigned char>(vocab.char_at(i)));
  }
  CHECK(vocab.contains('l'));
  CHECK_FALSE(vocab.contains('z'));

  const std::vector<std::size_t> codes = vocab.encode("hold");
  CHECK(codes == std::vector<std::size_t>{3, 5, 4, 1});
  CHECK(vocab.decode(codes) == "hold");
  CHECK(vocab.decode(vocab.encode("hello world")) == "hello world");

  // Bytes above 0x7f (UTF-8 continuation bytes) sort after ASCII, as unsigned values.
  const datasets::CharVocab utf8("a\xc3\xa9");
  CHECK(utf8.chars() == std::string("a\xa9\xc3"));

  CHECK_THROWS_WITH_AS(vocab.encode("hex"), doctest::Contains("'x' at position 2"), IndexError);
  CHECK_THROWS_WITH_AS(vocab.index_of('\x01'), doctest::Contains("byte 0x01"), IndexError);
  CHECK_THROWS_WITH_AS(vocab.char_at(8), doctest::Contains("index 8"), IndexError);
  const std::vector<std::size_t> bad = {0, 9};
  CHECK_THROWS_WITH_AS(vocab.decode(bad), doctest::Contains("index 9 at position 1"), IndexError);
  CHECK_THROWS_AS(datasets::CharVocab(""), ValueError);
}

TEST_CASE("datasets/text: text_sequences cuts non-overlapping windows, targets shifted by one") {
  const std::string text = "abcdefghijklmnopq";  // 17 characters: (17 - 1) / 5 = 3 windows
  const datasets::CharVocab vocab(text);
  const datasets::Dataset data = datasets::text_sequences(text, vocab, 5);
  REQUIRE(data.size() == 3);
  CHECK(data.sample_shape() == datasets::Shape{5});
  CHECK(data.target_dim() == 5);

  datasets::DataLoader loader(data, 2);
  std::vector<std::string> inputs, targets;
  for (datasets::Batch& batch : loader) {
    REQUIRE(batch.inputs.dim() == 2);
    CHECK(batch.inputs.size(1) == 5);
    CHECK(batch.targets.shape() == batch.inputs.shape());
    std::vector<std::size_t> in(batch.inputs.numel());
    for (std::size_t i = 0; i < in.size(); ++i) {
      in[i] = static_cast<std::size_t>(batch.inputs.data_ptr()[i]);
    }
    const std::vector<std::size_t> out = datasets::target_indices(batch);
    for (std::size_t b = 0; b < batch.size(); ++b) {
      inputs.push_back(vocab.decode(std::span(in).subspan(b * 5, 5)));
      targets.push_back(vocab.decode(std::span(out).subspan(b * 5, 5)));
    }
  }
  CHECK(inputs == std::vector<std::string>{"abcde", "fghij", "klmno"});
  CHECK(targets == std::vector<std::string>{"bcdef", "ghijk", "lmnop"});

  // Exactly T + 1 characters give one window; fewer give none.
  CHECK(datasets::text_sequences("abcdef", vocab, 5).size() == 1);
  CHECK_THROWS_WITH_AS(datasets::text_sequences("abcde", vocab, 5), doctest::Contains("too short"),
                       ValueError);
  CHECK_THROWS_AS(datasets::text_sequences(text, vocab, 0), ValueError);
  CHECK_THROWS_AS(datasets::text_sequences("abc!xyz", vocab, 2), IndexError);
}

TEST_CASE("datasets/text: a seq_len so large that seq_len + 1 wraps is too long, not 0 windows") {
  const datasets::CharVocab vocab("abc");
  const std::size_t huge = std::numeric_limits<std::size_t>::max();
  CHECK_THROWS_WITH_AS(datasets::text_sequences("abcabc", vocab, huge),
                       doctest::Contains("too short"), ValueError);
  CHECK_THROWS_AS(datasets::text_sequences("abcabc", vocab, huge - 1), ValueError);
}

TEST_CASE("datasets/text: target_indices rejects batches without whole-number targets") {
  datasets::Batch batch;
  CHECK_THROWS_AS(datasets::target_indices(batch), ValueError);
  batch.targets = autograd::Tensor(xt::xarray<float>{{1.0f, 2.5f}});
  CHECK_THROWS_WITH_AS(datasets::target_indices(batch), doctest::Contains("position 1"),
                       ValueError);
}

TEST_CASE("datasets/text: unigram_cross_entropy is the entropy of the byte frequencies") {
  CHECK(datasets::unigram_cross_entropy("aaaa") == doctest::Approx(0.0));
  CHECK(datasets::unigram_cross_entropy("abab") == doctest::Approx(std::log(2.0)));
  CHECK(datasets::unigram_cross_entropy("abcd") == doctest::Approx(std::log(4.0)));
  // p = (1/2, 1/4, 1/4): H = 1/2 log 2 + 2 * 1/4 log 4 = 1.5 log 2.
  CHECK(datasets::unigram_cross_entropy("aabc") == doctest::Approx(1.5 * std::log(2.0)));
  CHECK_THROWS_AS(datasets::unigram_cross_entropy(""), ValueError);
}

TEST_CASE("datasets/text: the bundled Austen text") {
  const std::string text = datasets::read_text_file(datasets::austen_text_path());
  CHECK(text.size() == 215526);
  CHECK(text.rfind("Persuasion\n", 0) == 0);
  CHECK(text.find("(End of volume one.)") != std::string::npos);
  const datasets::CharVocab vocab(text);
  CHECK(vocab.size() == 75);
  for (char c : vocab.chars()) CHECK(static_cast<unsigned char>(c) < 0x80);  // plain ASCII
  // Recomputed here from the counts, independently of unigram_cross_entropy's loop.
  std::map<char, double> counts;
  for (char c : text) counts[c] += 1.0;
  double entropy = 0.0;
  for (const auto& [c, n] : counts) entropy -= n / text.size() * std::log(n / text.size());
  CHECK(datasets::unigram_cross_entropy(text) == doctest::Approx(entropy).epsilon(1e-12));
  CHECK(entropy == doctest::Approx(3.0629).epsilon(1e-4));

  const datasets::Dataset data = datasets::text_sequences(text, vocab, 100);
  CHECK(data.size() == (text.size() - 1) / 100);
}

}  // namespace axon::test
