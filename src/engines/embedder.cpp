#include "engines/embedder.h"

#include <algorithm>
#include <array>
#include <bit>
#include <cmath>
#include <cstring>

namespace docent::engines {

Embedder::~Embedder() = default;

namespace {

// ---- hashing ---------------------------------------------------------------------------------
// A small wyhash-style hash: 128-bit multiply-fold over 8-byte words, then a murmur finalizer.
// Fixed constants and little-endian loads make it identical on every machine.

constexpr uint64_t kP0 = 0xa0761d6478bd642full;
constexpr uint64_t kP1 = 0xe7037ed1a0b428dbull;
constexpr uint64_t kP2 = 0x8ebc6af09c88c6e3ull;
constexpr uint64_t kP3 = 0x589965cc75374cc3ull;

// Salts that keep the feature kinds apart in the hashed space.
constexpr uint64_t kUnigramSalt = 0x9e3779b97f4a7c15ull;
constexpr uint64_t kBigramSalt = 0xc2b2ae3d27d4eb4full;
constexpr uint64_t kTrigramSalt = 0x165667b19e3779f9ull;
constexpr uint64_t kFourgramSalt = 0x27d4eb2f165667c5ull;

// Per-kind weights: words carry the meaning, bigrams some order, character grams fuzziness.
// A word has ~2 grams per character, and the frequent grams ("ing", "<th") occur in nearly
// every text, so heavier grams would give all texts a large common component: unrelated
// chunks would score ~0.2 instead of ~0.05, and short queries would sit far from every chunk,
// which also makes the HNSW walk much longer (bench/search). At 0.12 inflections still score
// ~0.2 ("connection" / "connections") against ~0 for unrelated words.
constexpr float kUnigramWeight = 1.0f;
constexpr float kBigramWeight = 0.5f;
constexpr float kGramWeight = 0.12f;
constexpr float kStopwordDamping = 0.1f;

// Code points standing for the '<' and '>' word boundary marks (outside Unicode's range).
constexpr uint32_t kWordBegin = 0x110000;
constexpr uint32_t kWordEnd = 0x110001;

inline uint64_t mum(uint64_t a, uint64_t b) {
  const unsigned __int128 r = static_cast<unsigned __int128>(a) * b;
  return static_cast<uint64_t>(r) ^ static_cast<uint64_t>(r >> 64);
}

inline uint64_t fmix64(uint64_t h) {
  h ^= h >> 33;
  h *= 0xff51afd7ed558ccdull;
  h ^= h >> 33;
  h *= 0xc4ceb9fe1a85ec53ull;
  h ^= h >> 33;
  return h;
}

inline uint64_t load_le(const char* p, size_t n) {
  uint64_t v = 0;
  std::memcpy(&v, p, n);
  if constexpr (std::endian::native == std::endian::big) v = __builtin_bswap64(v);
  return v;
}

uint64_t hash_bytes(std::string_view s) {
  uint64_t h = kP0 ^ (s.size() * kP3);
  const char* p = s.data();
  size_t n = s.size();
  for (; n >= 8; p += 8, n -= 8) h = mum(h ^ load_le(p, 8) ^ kP1, kP2);
  if (n > 0) h = mum(h ^ load_le(p, n) ^ kP3, kP1);
  return fmix64(h);
}

// ---- characters ------------------------------------------------------------------------------

// ASCII bytes that belong to words: letters, digits and '_'.
constexpr std::array<bool, 128> kAsciiWord = [] {
  std::array<bool, 128> t{};
  for (int c = '0'; c <= '9'; ++c) t[c] = true;
  for (int c = 'a'; c <= 'z'; ++c) t[c] = true;
  for (int c = 'A'; c <= 'Z'; ++c) t[c] = true;
  t['_'] = true;
  return t;
}();

// Non-ASCII code points that separate words: Latin-1 punctuation and symbols, general
// punctuation and spaces, CJK punctuation, fullwidth ASCII punctuation, the BOM. Everything
// else (letters of every script, ideographs, marks) is part of a word.
inline bool is_separator(uint32_t cp) {
  return (cp >= 0x80 && cp <= 0xBF) || cp == 0xD7 || cp == 0xF7 || (cp >= 0x2000 && cp <= 0x206F) ||
         (cp >= 0x3000 && cp <= 0x303F) || (cp >= 0xFF01 && cp <= 0xFF0F) || (cp >= 0xFF1A && cp <= 0xFF20) ||
         cp == 0xFEFF;
}

// Decodes the code point at s[i]. An invalid or truncated sequence yields one byte, mapped to a
// private code point (0xDC00 + byte) so it still hashes consistently.
inline uint32_t decode(const unsigned char* s, size_t n, size_t i, size_t& len) {
  const unsigned char c = s[i];
  uint32_t cp;
  size_t need;
  uint32_t min;
  if (c >= 0xC2 && c <= 0xDF) {
    cp = c & 0x1F, need = 1, min = 0x80;
  } else if (c >= 0xE0 && c <= 0xEF) {
    cp = c & 0x0F, need = 2, min = 0x800;
  } else if (c >= 0xF0 && c <= 0xF4) {
    cp = c & 0x07, need = 3, min = 0x10000;
  } else {
    len = 1;
    return 0xDC00 + c;
  }
  if (i + need >= n) {
    len = 1;
    return 0xDC00 + c;
  }
  for (size_t k = 1; k <= need; ++k) {
    const unsigned char cc = s[i + k];
    if ((cc & 0xC0) != 0x80) {
      len = 1;
      return 0xDC00 + c;
    }
    cp = (cp << 6) | (cc & 0x3F);
  }
  if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {  // overlong, too big, surrogate
    len = 1;
    return 0xDC00 + c;
  }
  len = need + 1;
  return cp;
}

// ---- stopwords -------------------------------------------------------------------------------

constexpr std::string_view kStopwords[] = {
    "a",       "about",  "above", "after",      "again",    "against",    "all",     "am",        "an",    "and",
    "any",     "are",    "as",    "at",         "be",       "because",    "been",    "before",    "being", "below",
    "between", "both",   "but",   "by",         "can",      "could",      "did",     "do",        "does",  "doing",
    "down",    "during", "each",  "few",        "for",      "from",       "further", "had",       "has",   "have",
    "having",  "he",     "her",   "here",       "hers",     "herself",    "him",     "himself",   "his",   "how",
    "i",       "if",     "in",    "into",       "is",       "it",         "its",     "itself",    "just",  "me",
    "more",    "most",   "my",    "myself",     "no",       "nor",        "not",     "now",       "of",    "off",
    "on",      "once",   "only",  "or",         "other",    "our",        "ours",    "ourselves", "out",   "over",
    "own",     "same",   "she",   "should",     "so",       "some",       "such",    "than",      "that",  "the",
    "their",   "theirs", "them",  "themselves", "then",     "there",      "these",   "they",      "this",  "those",
    "through", "to",     "too",   "under",      "until",    "up",         "very",    "was",       "we",    "were",
    "what",    "when",   "where", "which",      "while",    "who",        "whom",    "why",       "will",  "with",
    "would",   "you",    "your",  "yours",      "yourself", "yourselves",
};
constexpr size_t kMaxStopwordBytes = 10;

// The stopwords' hashes in a small open-addressing set: membership costs one probe or two on
// the word hash, which the unigram feature needs anyway.
class StopwordSet {
 public:
  StopwordSet() {
    for (auto w : kStopwords) {
      const uint64_t h = hash_bytes(w);
      size_t i = h & kMask;
      while (slots_[i] != 0) i = (i + 1) & kMask;
      slots_[i] = h;
    }
  }
  bool contains(uint64_t h) const {
    for (size_t i = h & kMask;; i = (i + 1) & kMask) {
      if (slots_[i] == h) return true;
      if (slots_[i] == 0) return false;
    }
  }

 private:
  static constexpr size_t kMask = 511;
  std::array<uint64_t, kMask + 1> slots_{};
};

const StopwordSet& stopwords() {
  static const StopwordSet set;
  return set;
}

// 1 + ln(tf) for small tf, the common case, without calling log.
const std::array<float, 64>& sublinear_table() {
  static const std::array<float, 64> table = [] {
    std::array<float, 64> t{};
    for (size_t i = 1; i < t.size(); ++i) t[i] = 1.0f + static_cast<float>(std::log(static_cast<double>(i)));
    return t;
  }();
  return table;
}

// ---- the feature table -----------------------------------------------------------------------

// Counts distinct features: a dense array in first-seen order (emitted in that order, so the
// float sums are the same on every run) and a power-of-two index of 32-bit slots over it.
class FeatureTable {
 public:
  explicit FeatureTable(HashedEmbedder::Scratch& s) : s_(s) {}

  // expected: about how many distinct features are coming. The table is kept if it is big
  // enough and not much bigger (clearing a huge table for a short text would dominate).
  void reset(size_t expected) {
    s_.features.clear();
    size_t want = 1024;
    while (want < expected * 2) want <<= 1;
    if (s_.table.size() < want || s_.table.size() > want * 8) {
      s_.table.assign(want, 0);
    } else {
      std::fill(s_.table.begin(), s_.table.end(), 0u);
    }
    mask_ = s_.table.size() - 1;
  }

  void add(uint64_t key, float weight) {
    for (size_t i = key & mask_;; i = (i + 1) & mask_) {
      const uint32_t slot = s_.table[i];
      if (slot == 0) {
        s_.features.push_back({key, weight, 1});
        s_.table[i] = static_cast<uint32_t>(s_.features.size());
        if (s_.features.size() * 2 > s_.table.size()) grow();
        return;
      }
      auto& f = s_.features[slot - 1];
      if (f.key == key) {
        ++f.count;
        return;
      }
    }
  }

 private:
  void grow() {
    s_.table.assign(s_.table.size() * 2, 0);
    mask_ = s_.table.size() - 1;
    for (size_t n = 0; n < s_.features.size(); ++n) {
      size_t i = s_.features[n].key & mask_;
      while (s_.table[i] != 0) i = (i + 1) & mask_;
      s_.table[i] = static_cast<uint32_t>(n + 1);
    }
  }

  HashedEmbedder::Scratch& s_;
  size_t mask_ = 0;
};

// Streams the character 3-grams and 4-grams of one word into the table, one code point at a
// time: each code point becomes a 64-bit value, a gram is the rotated XOR of its values, mixed.
class GramWindow {
 public:
  GramWindow(FeatureTable& table, float weight) : table_(table), weight_(weight) {}

  void push(uint32_t cp) {
    const uint64_t v = (cp ^ kP3) * kP0;
    if (have_ >= 2) {
      table_.add(mum(x1_ ^ std::rotl(x2_, 21) ^ std::rotl(v, 42) ^ kTrigramSalt, kP2), weight_);
    }
    if (have_ >= 3) {
      table_.add(mum(x0_ ^ std::rotl(x1_, 16) ^ std::rotl(x2_, 32) ^ std::rotl(v, 48) ^ kFourgramSalt, kP1), weight_);
    }
    x0_ = x1_;
    x1_ = x2_;
    x2_ = v;
    ++have_;
  }

 private:
  FeatureTable& table_;
  float weight_;
  uint64_t x0_ = 0, x1_ = 0, x2_ = 0;  // the last three code point values, oldest first
  int have_ = 0;
};

// How the tokenizer treats a byte: separator, ASCII word character, or the start of a
// multibyte (or invalid) sequence to decode.
enum ByteClass : uint8_t { kSep = 0, kWord = 1, kMulti = 2 };
constexpr std::array<uint8_t, 256> kByteClass = [] {
  std::array<uint8_t, 256> t{};
  for (int c = 0; c < 128; ++c) t[c] = kAsciiWord[c] ? kWord : kSep;
  for (int c = 128; c < 256; ++c) t[c] = kMulti;
  return t;
}();

// The code point at s[i] if it belongs to a word (its length in len), or kNotWord.
constexpr uint32_t kNotWord = 0xFFFFFFFF;
inline uint32_t word_point(const unsigned char* s, size_t n, size_t i, size_t& len) {
  const unsigned char c = s[i];
  switch (kByteClass[c]) {
    case kWord: len = 1; return c;
    case kSep: len = 1; return kNotWord;
    default: {
      const uint32_t cp = decode(s, n, i, len);
      return is_separator(cp) ? kNotWord : cp;
    }
  }
}

}  // namespace

HashedEmbedder::HashedEmbedder(int dimensions) : dimensions_(dimensions > 0 ? dimensions : kDefaultDimensions) {}

core::Result<std::vector<std::vector<float>>> HashedEmbedder::embed(const std::vector<std::string>& texts) {
  std::vector<std::vector<float>> out;
  out.reserve(texts.size());
  Scratch scratch;
  for (const auto& text : texts) {
    std::vector<float> v(static_cast<size_t>(dimensions_));
    embed_into(text, v.data(), scratch);
    out.push_back(std::move(v));
  }
  return out;
}

void HashedEmbedder::embed_into(std::string_view text, float* out, Scratch& scratch) const {
  std::fill(out, out + dimensions_, 0.0f);

  // ASCII lowercasing into reusable memory; other bytes pass through.
  scratch.lowered.resize(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(text[i]);
    scratch.lowered[i] = static_cast<char>(static_cast<unsigned>(c - 'A') < 26u ? c + 32 : c);
  }
  const auto* s = reinterpret_cast<const unsigned char*>(scratch.lowered.data());
  const size_t n = scratch.lowered.size();

  FeatureTable table(scratch);
  table.reset(n * 3 / 2 + 16);  // ~1.3 distinct features per byte of prose
  const auto& stops = stopwords();

  uint64_t prev_hash = 0;
  bool have_prev = false;
  bool prev_stop = false;
  size_t i = 0;
  while (i < n) {
    size_t len = 1;
    uint32_t cp = word_point(s, n, i, len);
    if (cp == kNotWord) {
      i += len;
      continue;
    }
    // A word: find its end, then hash it whole and stream its character grams.
    const size_t start = i;
    do {
      i += len;
      if (i >= n) break;
      cp = word_point(s, n, i, len);
    } while (cp != kNotWord);
    const std::string_view word(reinterpret_cast<const char*>(s) + start, i - start);
    const uint64_t h = hash_bytes(word);
    const bool stop = word.size() <= kMaxStopwordBytes && stops.contains(h);
    const float damp = stop ? kStopwordDamping : 1.0f;

    table.add(fmix64(h ^ kUnigramSalt), kUnigramWeight * damp);
    if (have_prev) {
      const float bigram_damp = (stop && prev_stop) ? kStopwordDamping : (stop || prev_stop) ? 0.3f : 1.0f;
      table.add(mum(prev_hash ^ kBigramSalt, h ^ kP1), kBigramWeight * bigram_damp);
    }
    GramWindow grams(table, kGramWeight * damp);
    grams.push(kWordBegin);
    for (size_t j = start; j < i; j += len) grams.push(word_point(s, n, j, len));
    grams.push(kWordEnd);

    prev_hash = h;
    prev_stop = stop;
    have_prev = true;
  }

  const auto& sublinear = sublinear_table();
  const uint64_t dims = static_cast<uint64_t>(dimensions_);
  for (const auto& f : scratch.features) {
    const float tf = f.count < sublinear.size() ? sublinear[f.count]
                                                : 1.0f + static_cast<float>(std::log(static_cast<double>(f.count)));
    const size_t d = static_cast<size_t>(((f.key >> 32) * dims) >> 32);
    // The sign from the key's low bit, applied without a (randomly taken) branch.
    const uint32_t sign = static_cast<uint32_t>(f.key & 1) << 31;
    out[d] += std::bit_cast<float>(std::bit_cast<uint32_t>(f.weight * tf) ^ sign);
  }
  normalize(out, dimensions_);
}

float dot(const float* a, const float* b, int n) {
  // Eight independent accumulators: the compiler turns the inner loop into SIMD without
  // needing -ffast-math, since the order of additions is fixed by the source.
  float acc[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  int i = 0;
  for (; i + 8 <= n; i += 8) {
    for (int j = 0; j < 8; ++j) acc[j] += a[i + j] * b[i + j];
  }
  float sum = ((acc[0] + acc[4]) + (acc[1] + acc[5])) + ((acc[2] + acc[6]) + (acc[3] + acc[7]));
  for (; i < n; ++i) sum += a[i] * b[i];
  return sum;
}

float cosine(const float* a, const float* b, int n) {
  const float na = std::sqrt(dot(a, a, n));
  const float nb = std::sqrt(dot(b, b, n));
  if (na == 0.0f || nb == 0.0f) return 0.0f;
  return dot(a, b, n) / (na * nb);
}

float normalize(float* v, int n) {
  const float norm = std::sqrt(dot(v, v, n));
  if (norm > 0.0f && std::isfinite(norm)) {
    const float inv = 1.0f / norm;
    for (int i = 0; i < n; ++i) v[i] *= inv;
  }
  return norm;
}

}  // namespace docent::engines
