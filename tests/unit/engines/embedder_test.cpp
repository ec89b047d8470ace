#include "engines/embedder.h"

#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

namespace docent::engines {
namespace {

std::vector<float> embed_one(HashedEmbedder& e, const std::string& text) {
  auto r = e.embed({text});
  EXPECT_TRUE(r.ok());
  return r.ok() ? r.value().at(0) : std::vector<float>{};
}

float norm(const std::vector<float>& v) { return std::sqrt(dot(v.data(), v.data(), static_cast<int>(v.size()))); }

float similarity(HashedEmbedder& e, const std::string& a, const std::string& b) {
  const auto va = embed_one(e, a), vb = embed_one(e, b);
  return dot(va.data(), vb.data(), e.dimensions());
}

TEST(EmbedderTest, ModelNameAndDimensions) {
  HashedEmbedder standard;
  EXPECT_EQ(standard.dimensions(), 384);
  EXPECT_EQ(standard.model(), "docent-hashed-v1");
  HashedEmbedder small(128);
  EXPECT_EQ(small.dimensions(), 128);
  auto r = small.embed({"one", "two", "three"});
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r.value().size(), 3u);
  for (const auto& v : r.value()) EXPECT_EQ(v.size(), 128u);
  EXPECT_EQ(HashedEmbedder(0).dimensions(), HashedEmbedder::kDefaultDimensions);
  EXPECT_TRUE(small.embed({}).value().empty());
}

TEST(EmbedderTest, DeterministicAcrossCallsAndInstances) {
  HashedEmbedder a, b;
  const std::string text = "Deterministic hashing: the same text gives the same vector, bit for bit. Ünïcödé too.";
  const auto v1 = embed_one(a, text);
  const auto v2 = embed_one(a, text);
  const auto v3 = embed_one(b, text);
  EXPECT_EQ(v1, v2);
  EXPECT_EQ(v1, v3);
  // A batch gives what single calls give, whatever came before in the batch.
  auto batch = a.embed({std::string(5000, 'x') + " long first text", text});
  ASSERT_TRUE(batch.ok());
  EXPECT_EQ(batch.value()[1], v1);
}

TEST(EmbedderTest, VectorsAreUnitLength) {
  HashedEmbedder e;
  for (const std::string& text :
       std::vector<std::string>{"a", "Hello, world!", "The quick brown fox jumps over the lazy dog again and again",
                                "東京は大きい都市です", std::string(20000, 'z')}) {
    EXPECT_NEAR(norm(embed_one(e, text)), 1.0f, 1e-5) << text.substr(0, 40);
  }
}

TEST(EmbedderTest, EmptyTextGivesZeroVectorWithoutNaN) {
  HashedEmbedder e;
  for (const std::string& text : std::vector<std::string>{"", "   ", "...,;!? -- ()", "\n\n\t"}) {
    const auto v = embed_one(e, text);
    ASSERT_EQ(v.size(), 384u);
    for (float x : v) {
      EXPECT_FALSE(std::isnan(x));
      EXPECT_EQ(x, 0.0f);
    }
    const auto other = embed_one(e, "something");
    EXPECT_EQ(cosine(v.data(), other.data(), 384), 0.0f);
    EXPECT_EQ(dot(v.data(), other.data(), 384), 0.0f);
  }
}

TEST(EmbedderTest, SimilarTextsScoreHigherThanUnrelated) {
  HashedEmbedder e;
  const std::string query = "How do I reset my password?";
  const float related = similarity(e, query, "To reset your password, open settings and choose reset password.");
  const float unrelated = similarity(e, query, "Quarterly revenue grew by twelve percent in the northern region.");
  EXPECT_GT(related, unrelated + 0.2f) << related << " vs " << unrelated;

  const float paraphrase = similarity(e, "The cat sat on the mat", "A cat was sitting on a mat");
  const float different = similarity(e, "The cat sat on the mat", "Stock markets fell sharply on Monday");
  EXPECT_GT(paraphrase, different + 0.2f) << paraphrase << " vs " << different;

  // Character n-grams make inflections and typos close; unrelated words are not.
  EXPECT_GT(similarity(e, "connection", "connections"), 0.15f);
  EXPECT_GT(similarity(e, "configure authentication", "configuring authentification"), 0.1f);
  EXPECT_LT(std::abs(similarity(e, "connection", "elephant")), 0.05f);
  // Case does not matter for ASCII.
  EXPECT_NEAR(similarity(e, "Password RESET", "password reset"), 1.0f, 1e-5);
}

TEST(EmbedderTest, StopwordsAreDamped) {
  HashedEmbedder e;
  // Sharing only stopwords makes texts barely similar; sharing a content word makes them close.
  const float stop_only = similarity(e, "the cat and the dog of the house", "the car and the road of the city");
  const float content = similarity(e, "the cat sat", "a cat slept");
  EXPECT_LT(stop_only, 0.3f);
  EXPECT_GT(content, stop_only);
}

TEST(EmbedderTest, HandlesInvalidUtf8AndControlBytes) {
  HashedEmbedder e;
  std::string junk = "valid \xff\xfe\xc3 text \xe2\x82 more \xf0\x9f\x98";
  junk.push_back('\0');
  junk += "after nul";
  const auto v = embed_one(e, junk);
  EXPECT_NEAR(norm(v), 1.0f, 1e-5);
  EXPECT_EQ(v, embed_one(e, junk));
}

TEST(EmbedderTest, CosineOfArbitraryVectors) {
  const float a[] = {3, 0, 0, 0, 0, 0, 0, 0, 0, 4};
  const float b[] = {6, 0, 0, 0, 0, 0, 0, 0, 0, 8};
  const float c[] = {0, 1, 0, 0, 0, 0, 0, 0, 0, 0};
  EXPECT_NEAR(cosine(a, b, 10), 1.0f, 1e-6);
  EXPECT_NEAR(cosine(a, c, 10), 0.0f, 1e-6);
  EXPECT_NEAR(dot(a, b, 10), 50.0f, 1e-4);
  float v[] = {3, 4, 0};
  EXPECT_NEAR(normalize(v, 3), 5.0f, 1e-6);
  EXPECT_NEAR(v[0], 0.6f, 1e-6);
}

}  // namespace
}  // namespace docent::engines
