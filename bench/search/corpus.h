#pragma once
// bench/search's synthetic corpus: chunk texts over a Zipf vocabulary with topics (so their
// embeddings cluster as real ones do), and queries about them. Deterministic: chunk i and query q
// are the same text on every run and thread.

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <iterator>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

namespace docent::bench {

// splitmix64: small, fast, and seedable per chunk so every thread generates the same corpus.
struct Rng {
  uint64_t s;
  uint64_t next() {
    uint64_t z = (s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
  }
  double uniform() { return static_cast<double>(next() >> 11) * (1.0 / 9007199254740992.0); }
  size_t below(size_t n) { return static_cast<size_t>(uniform() * static_cast<double>(n)); }
};

// Zipf(s) over ranks [0, n): a CDF and a binary search.
class Zipf {
 public:
  Zipf(size_t n, double s) : cdf_(n) {
    double sum = 0;
    for (size_t i = 0; i < n; ++i) cdf_[i] = (sum += 1.0 / std::pow(static_cast<double>(i + 1), s));
    for (auto& c : cdf_) c /= sum;
  }
  size_t sample(Rng& rng) const {
    const auto it = std::lower_bound(cdf_.begin(), cdf_.end(), rng.uniform());
    return std::min<size_t>(static_cast<size_t>(it - cdf_.begin()), cdf_.size() - 1);
  }

 private:
  std::vector<double> cdf_;
};

// A vocabulary whose most frequent words are real English function words, then invented
// words; topics are subsets of the content words with their own Zipf.
class Corpus {
 public:
  static constexpr size_t kTopics = 1000;
  static constexpr size_t kTopicWords = 150;
  static constexpr size_t kTopicPool = 100000;  // topic words come from the most frequent ones

  explicit Corpus(size_t vocabulary)
      : vocabulary_(std::max<size_t>(vocabulary, kTopicPool)),
        background_(vocabulary_, 1.0),
        topical_(kTopicWords, 0.9) {
    static const char* kFunctionWords[] = {"the",  "of",  "and",  "to",   "a",    "in",    "is",    "that", "for",
                                           "it",   "as",  "was",  "with", "be",   "by",    "on",    "not",  "he",
                                           "this", "are", "or",   "his",  "from", "at",    "which", "but",  "have",
                                           "an",   "had", "they", "you",  "were", "their", "one",   "all",  "we"};
    std::unordered_set<std::string> seen;
    for (const char* w : kFunctionWords) {
      words_.emplace_back(w);
      seen.insert(w);
    }
    function_words_ = words_.size();
    static const char* kOnsets[] = {"b",  "c",  "d",  "f",  "g",  "h",  "j",  "k",  "l",  "m",
                                    "n",  "p",  "r",  "s",  "t",  "v",  "w",  "z",  "br", "cr",
                                    "dr", "fl", "gr", "pl", "pr", "sh", "st", "th", "tr", "ch"};
    static const char* kNuclei[] = {"a", "e", "i", "o", "u", "ai", "ea", "ou", "io", "y"};
    static const char* kCodas[] = {"", "", "", "n", "r", "s", "t", "l", "m", "nd", "st", "ck", "ng", "x"};
    Rng rng{12345};
    while (words_.size() < vocabulary_) {
      std::string w;
      const size_t syllables = 1 + rng.below(5);
      for (size_t s = 0; s < syllables; ++s) {
        w += kOnsets[rng.below(std::size(kOnsets))];
        w += kNuclei[rng.below(std::size(kNuclei))];
        w += kCodas[rng.below(std::size(kCodas))];
      }
      if (seen.insert(w).second) words_.push_back(std::move(w));
    }
    topics_.resize(kTopics);
    for (auto& topic : topics_) {
      for (size_t i = 0; i < kTopicWords; ++i) topic.push_back(200 + rng.below(kTopicPool - 200));
    }
  }

  // The text of chunk id: ~600-1200 bytes of sentences about a main and a side topic.
  void chunk(uint64_t id, std::string& out) const {
    Rng rng{id * 0x9e3779b97f4a7c15ull + 1};
    const auto& main = topics_[rng.below(kTopics)];
    const auto& side = topics_[rng.below(kTopics)];
    const size_t target = 600 + rng.below(600);
    out.clear();
    while (out.size() < target) sentence(rng, main, side, 6 + rng.below(13), out);
  }

  // A search query of 3-8 words. Even ids ask about a topic (words drawn from one topic);
  // odd ids ask about a passage (content words picked from one of the n chunks), as a user
  // looking for something they half remember would.
  void query(uint64_t id, size_t n_chunks, std::string& out) const {
    Rng rng{id * 0xbf58476d1ce4e5b9ull + 7};
    const size_t n = 3 + rng.below(6);
    out.clear();
    if (id % 2 == 0) {
      const auto& topic = topics_[rng.below(kTopics)];
      for (size_t i = 0; i < n; ++i) {
        if (!out.empty()) out += ' ';
        out += rng.uniform() < 0.75 ? words_[topic[topical_.sample(rng)]] : words_[background_.sample(rng)];
      }
      return;
    }
    std::string text;
    chunk(rng.below(n_chunks), text);
    std::vector<std::string_view> content;
    size_t start = 0;
    for (size_t i = 0; i <= text.size(); ++i) {
      if (i == text.size() || text[i] == ' ') {
        std::string_view w(text.data() + start, i - start);
        while (!w.empty() && (w.back() == '.' || w.back() == ',')) w.remove_suffix(1);
        if (!w.empty() && !is_function_word(w)) content.push_back(w);
        start = i + 1;
      }
    }
    for (size_t i = 0; i < n && !content.empty(); ++i) {
      if (!out.empty()) out += ' ';
      out += content[rng.below(content.size())];
    }
  }

  // A hybrid-search query: query(id)'s words phrased as a question, glued with the corpus's
  // most frequent function words ("what is the X of Y and Z"), so full-text search also pays for
  // terms that nearly every chunk holds, as it does for a user's natural-language question.
  void question(uint64_t id, size_t n_chunks, std::string& out) const {
    static const char* kOpenings[] = {"what is the", "how do the", "where is the", "which of the", "why are the"};
    static const char* kGlue[] = {"of", "and", "the", "in", "to", "for", "with", "on", "a", "is"};
    std::string words;
    query(id, n_chunks, words);
    Rng rng{id * 0x94d049bb133111ebull + 3};
    out = kOpenings[rng.below(std::size(kOpenings))];
    size_t start = 0;
    for (size_t i = 0; i <= words.size(); ++i) {
      if (i < words.size() && words[i] != ' ') continue;
      if (start > 0 && rng.uniform() < 0.5) (out += ' ') += kGlue[rng.below(std::size(kGlue))];
      out += ' ';
      out.append(words, start, i - start);
      start = i + 1;
    }
    out += '?';
  }

 private:
  void sentence(Rng& rng, const std::vector<size_t>& main, const std::vector<size_t>& side, size_t n,
                std::string& out) const {
    if (!out.empty()) out += ' ';
    for (size_t i = 0; i < n; ++i) {
      const double u = rng.uniform();
      const std::string& w = u < 0.45   ? words_[background_.sample(rng)]
                             : u < 0.88 ? words_[main[topical_.sample(rng)]]
                                        : words_[side[topical_.sample(rng)]];
      if (i == 0) {
        out += static_cast<char>(w[0] - 32);
        out.append(w, 1);
      } else {
        out += ' ';
        out += w;
        if (i + 1 < n && rng.uniform() < 0.06) out += ',';
      }
    }
    out += '.';
  }

  bool is_function_word(std::string_view w) const {
    for (size_t i = 0; i < function_words_; ++i) {
      if (w.size() == words_[i].size() &&
          std::equal(w.begin(), w.end(), words_[i].begin(), [](char a, char b) { return (a | 0x20) == b; })) {
        return true;
      }
    }
    return false;
  }

  size_t vocabulary_;
  size_t function_words_ = 0;  // words_[0, function_words_) are English function words
  std::vector<std::string> words_;
  std::vector<std::vector<size_t>> topics_;
  Zipf background_;
  Zipf topical_;
};

}  // namespace docent::bench
