#pragma once
// Text embeddings: the interface every embedding engine implements, and HashedEmbedder, the
// built-in one that needs no model: deterministic feature hashing, good enough for lexical
// similarity and always available.

#include "core/error.h"

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace docent::engines {

// Turns texts into fixed-size vectors. Implementations may call out to a model server; the
// vectors of one Embedder are comparable with each other and with nothing else (model() names
// the space, so an index built with one model is never queried with another).
class Embedder {
 public:
  virtual ~Embedder();

  // The length of every vector embed() returns; constant for the embedder's lifetime.
  virtual int dimensions() const = 0;
  // A stable name for the vector space, stored beside the vectors they produced.
  virtual std::string model() const = 0;
  // One vector per text, in order, each of dimensions() floats and L2-normalized (or all zero
  // when a text has nothing to embed). A failed batch is an error; there are no partial results.
  virtual core::Result<std::vector<std::vector<float>>> embed(const std::vector<std::string>& texts) = 0;
};

// The built-in embedder: signed feature hashing, no model, no state beyond its dimensions.
//
// Features of a text, after ASCII lowercasing (other bytes pass through unchanged):
//   - word unigrams and word bigrams, where a word is a run of ASCII letters/digits, '_' or
//     non-ASCII code points other than Unicode punctuation and spaces;
//   - character 3-grams and 4-grams of each word with '<' '>' boundary marks, counted in code
//     points, so a multibyte character is never cut.
// Each feature is hashed into one of D dimensions and a second hash bit picks its sign; its
// weight is (1 + ln tf) times a per-kind weight, and English stopwords are damped. The result
// is L2-normalized. Identical input gives bit-identical output on every run and machine; any
// change to the features or hashing is a new model() name, since stored vectors would no longer
// be comparable with new ones.
//
// Thread-safe: embed() keeps its scratch space per call; one instance may serve many threads.
class HashedEmbedder : public Embedder {
 public:
  static constexpr int kDefaultDimensions = 384;
  static constexpr std::string_view kModel = "docent-hashed-v1";

  // dimensions must be positive; a non-positive value is replaced by kDefaultDimensions.
  explicit HashedEmbedder(int dimensions = kDefaultDimensions);

  int dimensions() const override { return dimensions_; }
  std::string model() const override { return std::string(kModel); }
  // Never fails.
  core::Result<std::vector<std::vector<float>>> embed(const std::vector<std::string>& texts) override;

  // The allocation-free core: writes the embedding of text into out[0, dimensions()).
  // Scratch is reusable working memory (keep one per thread for the best speed).
  struct Scratch;
  void embed_into(std::string_view text, float* out, Scratch& scratch) const;

 private:
  int dimensions_;
};

// The working memory of HashedEmbedder::embed_into, reused across calls so the hot loop never
// allocates once it has grown to the largest text seen.
struct HashedEmbedder::Scratch {
  struct Feature {
    uint64_t key = 0;    // feature hash
    float weight = 0;    // per-kind weight of the feature
    uint32_t count = 0;  // term frequency
  };
  std::string lowered;
  std::vector<Feature> features;  // distinct features of the text, in first-seen order
  std::vector<uint32_t> table;    // open addressing over features: index + 1, 0 = empty
};

// Dot product of two n-float vectors; equals cosine similarity when both are L2-normalized.
float dot(const float* a, const float* b, int n);
// Cosine similarity of two n-float vectors of any length; 0 when either is all zero.
float cosine(const float* a, const float* b, int n);
// Scales v to unit L2 length in place; leaves an all-zero vector as is. Returns the old norm.
float normalize(float* v, int n);

}  // namespace docent::engines
