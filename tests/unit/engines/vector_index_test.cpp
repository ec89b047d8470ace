#include "engines/vector_index.h"

#include <gtest/gtest.h>

#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <set>
#include <thread>
#include <vector>

namespace docent::engines {
namespace {

namespace fs = std::filesystem;

// n random unit vectors of dimension dim, row-major.
std::vector<float> random_vectors(size_t n, int dim, uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> normal;
  std::vector<float> v(n * dim);
  for (size_t i = 0; i < n; ++i) {
    float sum = 0;
    for (int j = 0; j < dim; ++j) {
      v[i * dim + j] = normal(rng);
      sum += v[i * dim + j] * v[i * dim + j];
    }
    const float inv = 1.0f / std::sqrt(sum);
    for (int j = 0; j < dim; ++j) v[i * dim + j] *= inv;
  }
  return v;
}

std::set<uint64_t> labels_of(const std::vector<ScoredLabel>& hits) {
  std::set<uint64_t> out;
  for (const auto& h : hits) out.insert(h.first);
  return out;
}

class VectorIndexTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("docent_vector_index_test_" + std::to_string(::getpid()) + "_" + std::to_string(std::random_device{}()));
    fs::create_directories(dir_);
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
  std::string path(const std::string& name) const { return (dir_ / name).string(); }

  fs::path dir_;
};

// The fixture in one place: 2000 vectors of dim 32 in both indexes.
struct Small {
  static constexpr int kDim = 32;
  static constexpr size_t kN = 2000;
  std::vector<float> data = random_vectors(kN, kDim, 7);
  VectorIndex hnsw{kDim, 64};
  ExactIndex exact{kDim};
  Small() {
    for (size_t i = 0; i < kN; ++i) {
      EXPECT_TRUE(hnsw.add(i, &data[i * kDim]).ok());
      EXPECT_TRUE(exact.add(i, &data[i * kDim]).ok());
    }
  }
};

TEST_F(VectorIndexTest, RecallAtTenVersusExactOn20kVectors) {
  constexpr int kDim = 128;
  constexpr size_t kN = 20000, kQueries = 200, kK = 10;
  const auto data = random_vectors(kN, kDim, 1);
  const auto queries = random_vectors(kQueries, kDim, 2);
  VectorIndex index(kDim, kN, 16, 64);
  ExactIndex exact(kDim);
  exact.reserve(kN);

  const auto start = std::chrono::steady_clock::now();
  // Two threads build concurrently (hnswlib's per-node locks make parallel inserts safe).
  std::vector<std::thread> builders;
  for (int t = 0; t < 2; ++t) {
    builders.emplace_back([&, t] {
      for (size_t i = t; i < kN; i += 2) ASSERT_TRUE(index.add(i, &data[i * kDim]).ok());
    });
  }
  for (size_t i = 0; i < kN; ++i) ASSERT_TRUE(exact.add(i, &data[i * kDim]).ok());
  for (auto& b : builders) b.join();
  EXPECT_EQ(index.size(), kN);

  // Uniform random vectors in 128 dimensions are the hardest case for HNSW (no cluster
  // structure); a wide beam is what reaching 0.95 takes on them.
  index.set_ef(800);
  size_t found = 0;
  for (size_t q = 0; q < kQueries; ++q) {
    const auto truth = labels_of(exact.search(&queries[q * kDim], kK));
    const auto hits = index.search(&queries[q * kDim], kK);
    ASSERT_EQ(hits.size(), kK);
    for (size_t i = 1; i < hits.size(); ++i) EXPECT_GE(hits[i - 1].second, hits[i].second);
    for (const auto& h : hits) found += truth.count(h.first);
  }
  const double recall = static_cast<double>(found) / (kQueries * kK);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  RecordProperty("recall_at_10", std::to_string(recall));
  EXPECT_GE(recall, 0.95) << "recall@10 " << recall << " in " << seconds << " s";
}

// The index stores half floats: a score may differ from the float32 cosine by a few 1e-5.
constexpr float kHalfTolerance = 5e-4f;

TEST_F(VectorIndexTest, ScoresAreCosineAndTheNearestIsItself) {
  Small s;
  for (size_t i = 0; i < 50; ++i) {
    const auto hits = s.hnsw.search(&s.data[i * Small::kDim], 3);
    ASSERT_FALSE(hits.empty());
    EXPECT_EQ(hits[0].first, i);
    EXPECT_NEAR(hits[0].second, 1.0f, kHalfTolerance);
    EXPECT_LE(hits[0].second, 1.0f);
  }
  // Unnormalized input is normalized: a scaled copy still scores 1.
  std::vector<float> scaled(s.data.begin(), s.data.begin() + Small::kDim);
  for (auto& x : scaled) x *= 7.5f;
  EXPECT_NEAR(s.hnsw.search(scaled.data(), 1).at(0).second, 1.0f, kHalfTolerance);
  EXPECT_NEAR(s.exact.search(scaled.data(), 1).at(0).second, 1.0f, 1e-5);
}

TEST_F(VectorIndexTest, HalfFloatScoresStayCloseToFloat32Cosines) {
  Small s;
  const auto queries = random_vectors(40, Small::kDim, 99);
  float worst = 0;
  for (size_t q = 0; q < 40; ++q) {
    const float* query = &queries[q * Small::kDim];
    for (const auto& [label, score] : s.hnsw.search(query, 10)) {
      float cosine = 0;
      for (int j = 0; j < Small::kDim; ++j) cosine += query[j] * s.data[label * Small::kDim + j];
      worst = std::max(worst, std::abs(score - cosine));
    }
    // The exact scan of a filtered search reads the same stored halves.
    for (const auto& [label, score] : s.hnsw.search(query, 5, [](uint64_t l) { return l % 500 == 3; })) {
      float cosine = 0;
      for (int j = 0; j < Small::kDim; ++j) cosine += query[j] * s.data[label * Small::kDim + j];
      worst = std::max(worst, std::abs(score - cosine));
    }
  }
  EXPECT_LT(worst, kHalfTolerance);
  EXPECT_GT(worst, 0.0f);  // they are halves: some score must differ a little
}

// The walk reads 8-bit codes (a cosine off by up to ~1e-3) but ranks and scores its best
// candidates on the halves: 30 vectors whose cosines to the query are 4e-4 apart, finer than the
// codes tell, come back as the exact scan orders them, with the halves' scores.
TEST_F(VectorIndexTest, NearTiesFinerThanTheWalksCodesAreRankedOnTheHalves) {
  constexpr int kDim = 64;
  const auto noise = random_vectors(3000, kDim, 11);
  const auto query = random_vectors(1, kDim, 12);
  const auto sides = random_vectors(30, kDim, 13);
  VectorIndex index(kDim, 4096);
  for (size_t i = 0; i < 3000; ++i) ASSERT_TRUE(index.add(1000 + i, &noise[i * kDim]).ok());
  std::vector<float> cosines;
  for (size_t i = 0; i < 30; ++i) {
    // v = c * query + sqrt(1 - c^2) * (the side direction made orthogonal to the query)
    std::vector<float> side(sides.begin() + i * kDim, sides.begin() + (i + 1) * kDim);
    float along = 0, norm = 0;
    for (int j = 0; j < kDim; ++j) along += side[j] * query[j];
    for (int j = 0; j < kDim; ++j) norm += (side[j] -= along * query[j]) * side[j];
    const float c = 0.99f - 0.0004f * static_cast<float>(i), s = std::sqrt(1 - c * c) / std::sqrt(norm);
    std::vector<float> v(kDim);
    for (int j = 0; j < kDim; ++j) v[j] = c * query[j] + s * side[j];
    ASSERT_TRUE(index.add(i, v.data()).ok());
    cosines.push_back(c);
  }
  index.set_ef(200);
  const auto hits = index.search(query.data(), 10);
  ASSERT_EQ(hits.size(), 10u);
  for (size_t i = 0; i < hits.size(); ++i) {
    EXPECT_EQ(hits[i].first, i) << "rank " << i;
    if (hits[i].first < cosines.size()) {
      EXPECT_NEAR(hits[i].second, cosines[hits[i].first], kHalfTolerance);
    }
  }
}

TEST_F(VectorIndexTest, FilterKeepsOnlyAcceptedLabels) {
  Small s;
  const float* q = &s.data[5 * Small::kDim];
  auto even = [](uint64_t label) { return label % 2 == 0; };
  const auto hits = s.hnsw.search(q, 10, even);
  ASSERT_EQ(hits.size(), 10u);
  for (const auto& h : hits) EXPECT_EQ(h.first % 2, 0u);
  // Label 5 itself is odd and so excluded.
  EXPECT_EQ(labels_of(hits).count(5), 0u);
  // Agrees with the exact answer under the same filter (the set is small, so it is exact).
  EXPECT_EQ(labels_of(hits), labels_of(s.exact.search(q, 10, even)));
}

// Scoring a listed set of labels is exact: the exact index's answer under the same filter, with
// the same scores; labels never added or removed since are skipped.
TEST_F(VectorIndexTest, SearchAmongListedLabelsIsExactAndSkipsAbsentOnes) {
  Small s;
  const float* q = &s.data[8 * Small::kDim];
  std::vector<uint64_t> listed;
  for (uint64_t label = 3; label < Small::kN; label += 7) listed.push_back(label);
  listed.push_back(Small::kN + 50);  // never added
  ASSERT_TRUE(s.hnsw.remove(10).ok());
  auto kept = [](uint64_t label) { return label % 7 == 3 && label != 10; };
  const auto hits = s.hnsw.search_among(q, 10, listed);
  const auto truth = s.exact.search(q, 10, kept);
  ASSERT_EQ(hits.size(), 10u);
  ASSERT_EQ(truth.size(), 10u);
  for (size_t i = 0; i < hits.size(); ++i) {
    EXPECT_EQ(hits[i].first, truth[i].first) << "rank " << i;
    EXPECT_NEAR(hits[i].second, truth[i].second, kHalfTolerance);
    EXPECT_TRUE(kept(hits[i].first));
  }
  // Fewer listed than k: all of them, best first.
  const auto few = s.hnsw.search_among(q, 10, {1, 2, 10});
  ASSERT_EQ(few.size(), 2u);
  EXPECT_GE(few[0].second, few[1].second);
  EXPECT_TRUE(s.hnsw.search_among(q, 10, {}).empty());
  EXPECT_TRUE(s.hnsw.search_among(q, 0, listed).empty());
}

TEST_F(VectorIndexTest, RestrictiveFilterOnALargeIndexStillFindsResults) {
  constexpr int kDim = 32;
  constexpr size_t kN = 12000;
  const auto data = random_vectors(kN, kDim, 11);
  VectorIndex index(kDim, kN, 12, 60);
  ExactIndex exact(kDim);
  for (size_t i = 0; i < kN; ++i) {
    ASSERT_TRUE(index.add(i, &data[i * kDim]).ok());
    ASSERT_TRUE(exact.add(i, &data[i * kDim]).ok());
  }
  const auto queries = random_vectors(20, kDim, 12);
  for (uint64_t modulus : {3u, 50u, 997u, 6000u}) {
    SCOPED_TRACE("1 in " + std::to_string(modulus));
    auto filter = [modulus](uint64_t label) { return label % modulus == 1; };
    size_t found = 0, wanted = 0;
    for (size_t q = 0; q < 20; ++q) {
      const auto hits = index.search(&queries[q * kDim], 10, filter);
      const auto truth = labels_of(exact.search(&queries[q * kDim], 10, filter));
      ASSERT_EQ(hits.size(), truth.size());
      for (const auto& h : hits) {
        EXPECT_EQ(h.first % modulus, 1u);
        found += truth.count(h.first);
      }
      wanted += truth.size();
    }
    EXPECT_GE(static_cast<double>(found) / wanted, 0.9);
  }
  // A filter that accepts nothing returns nothing.
  EXPECT_TRUE(index.search(&queries[0], 10, [](uint64_t) { return false; }).empty());
}

TEST_F(VectorIndexTest, RemoveHidesLabelsAndReAddRestores) {
  Small s;
  const float* q = &s.data[3 * Small::kDim];
  ASSERT_EQ(s.hnsw.search(q, 1).at(0).first, 3u);
  ASSERT_TRUE(s.hnsw.remove(3).ok());
  ASSERT_TRUE(s.exact.remove(3).ok());
  EXPECT_EQ(s.hnsw.size(), Small::kN - 1);
  EXPECT_EQ(s.exact.size(), Small::kN - 1);
  EXPECT_EQ(s.hnsw.remove(3).error().code, core::Code::NotFound);
  EXPECT_EQ(s.exact.remove(3).error().code, core::Code::NotFound);
  EXPECT_EQ(s.hnsw.remove(999999).error().code, core::Code::NotFound);
  for (const auto& h : s.hnsw.search(q, 20)) EXPECT_NE(h.first, 3u);
  EXPECT_EQ(labels_of(s.hnsw.search(q, 10)), labels_of(s.exact.search(q, 10)));

  // Remove a tenth; none comes back, and results stay full.
  for (uint64_t i = 0; i < Small::kN; i += 10) {
    if (i != 0) {
      ASSERT_TRUE(s.hnsw.remove(i).ok());
    }
  }
  ASSERT_TRUE(s.hnsw.remove(0).ok());
  for (size_t qi = 0; qi < 30; ++qi) {
    const auto hits = s.hnsw.search(&s.data[qi * Small::kDim], 10);
    EXPECT_EQ(hits.size(), 10u);
    for (const auto& h : hits) EXPECT_NE(h.first % 10, 0u);
  }

  // Adding the label again brings it back.
  ASSERT_TRUE(s.hnsw.add(3, q).ok());
  EXPECT_EQ(s.hnsw.search(q, 1).at(0).first, 3u);
}

TEST_F(VectorIndexTest, AddReplacesAnExistingLabel) {
  Small s;
  const float* other = &s.data[100 * Small::kDim];
  ASSERT_TRUE(s.hnsw.add(7, other).ok());
  const auto hits = s.hnsw.search(other, 2);
  ASSERT_EQ(hits.size(), 2u);
  EXPECT_EQ(labels_of(hits), (std::set<uint64_t>{7, 100}));
  EXPECT_EQ(s.hnsw.size(), Small::kN);
}

TEST_F(VectorIndexTest, GrowsPastItsInitialCapacity) {
  constexpr int kDim = 16;
  const auto data = random_vectors(3000, kDim, 3);
  VectorIndex index(kDim, 16);
  for (size_t i = 0; i < 3000; ++i) ASSERT_TRUE(index.add(i * 1000003, &data[i * kDim]).ok());
  EXPECT_EQ(index.size(), 3000u);
  EXPECT_GE(index.capacity(), 3000u);
  EXPECT_EQ(index.search(&data[2999 * kDim], 1).at(0).first, 2999u * 1000003);
}

TEST_F(VectorIndexTest, RejectsNonFiniteVectorsAndHandlesEmptyIndexAndZeroK) {
  VectorIndex index(4, 16);
  const float nan[] = {1, std::nanf(""), 0, 0};
  const float inf[] = {1, 0, INFINITY, 0};
  const float ok[] = {1, 0, 0, 0};
  EXPECT_EQ(index.add(1, nan).error().code, core::Code::InvalidInput);
  EXPECT_EQ(index.add(1, inf).error().code, core::Code::InvalidInput);
  EXPECT_TRUE(index.search(ok, 5).empty());
  EXPECT_TRUE(index.search(ok, 5, [](uint64_t) { return true; }).empty());
  ASSERT_TRUE(index.add(1, ok).ok());
  EXPECT_TRUE(index.search(ok, 0).empty());
  EXPECT_EQ(index.search(ok, 5).size(), 1u);
  ExactIndex exact(4);
  EXPECT_EQ(exact.add(1, nan).error().code, core::Code::InvalidInput);
  EXPECT_TRUE(exact.search(ok, 3).empty());
}

TEST_F(VectorIndexTest, SaveAndLoadGiveTheSameResults) {
  Small s;
  ASSERT_TRUE(s.hnsw.remove(42).ok());
  const std::string file = path("index.hnsw");
  ASSERT_TRUE(s.hnsw.save(file).ok());
  // No temporary file is left behind.
  size_t files = 0;
  for (const auto& entry : fs::directory_iterator(dir_)) files += entry.is_regular_file();
  EXPECT_EQ(files, 1u);

  auto loaded = VectorIndex::load(file, Small::kDim);
  ASSERT_TRUE(loaded.ok()) << loaded.error().message;
  auto& index = *loaded.value();
  EXPECT_EQ(index.size(), s.hnsw.size());
  for (size_t qi = 0; qi < 50; ++qi) {
    const float* q = &s.data[qi * 13 * Small::kDim];
    EXPECT_EQ(index.search(q, 10), s.hnsw.search(q, 10));
  }
  for (const auto& h : index.search(&s.data[42 * Small::kDim], 10)) EXPECT_NE(h.first, 42u);
  // The loaded index keeps working: adds (past its capacity) and saves again.
  const auto more = random_vectors(500, Small::kDim, 99);
  for (size_t i = 0; i < 500; ++i) ASSERT_TRUE(index.add(100000 + i, &more[i * Small::kDim]).ok());
  EXPECT_EQ(index.search(&more[0], 1).at(0).first, 100000u);
  ASSERT_TRUE(index.save(file).ok());
  auto again = VectorIndex::load(file, Small::kDim);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again.value()->size(), Small::kN - 1 + 500);

  // An empty index round-trips too.
  VectorIndex empty(8, 16);
  ASSERT_TRUE(empty.save(path("empty.hnsw")).ok());
  auto e = VectorIndex::load(path("empty.hnsw"), 8);
  ASSERT_TRUE(e.ok()) << e.error().message;
  EXPECT_EQ(e.value()->size(), 0u);
  const float v[8] = {1};
  ASSERT_TRUE(e.value()->add(1, v).ok());
  EXPECT_EQ(e.value()->search(v, 1).at(0).first, 1u);
}

TEST_F(VectorIndexTest, SaveToAMissingDirectoryFails) {
  VectorIndex index(4, 16);
  const auto s = index.save(path("no/such/dir/index.hnsw"));
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, core::Code::Internal);
}

TEST_F(VectorIndexTest, BadFilesAreErrorsNotCrashes) {
  Small s;
  const std::string good = path("good.hnsw");
  ASSERT_TRUE(s.hnsw.save(good).ok());
  std::string bytes;
  {
    std::ifstream in(good, std::ios::binary);
    bytes.assign(std::istreambuf_iterator<char>(in), {});
  }
  auto write = [&](const std::string& name, const std::string& content) {
    std::ofstream(path(name), std::ios::binary) << content;
    return path(name);
  };
  auto expect_code = [&](const std::string& file, int dim, core::Code code) {
    auto r = VectorIndex::load(file, dim);
    ASSERT_FALSE(r.ok()) << file;
    EXPECT_EQ(r.error().code, code) << file << ": " << r.error().message;
  };

  expect_code(path("missing.hnsw"), Small::kDim, core::Code::NotFound);
  expect_code(write("empty.hnsw", ""), Small::kDim, core::Code::InvalidFormat);
  expect_code(write("short.hnsw", bytes.substr(0, 50)), Small::kDim, core::Code::InvalidFormat);
  for (size_t cut : {bytes.size() / 3, bytes.size() / 2, bytes.size() - 1}) {
    expect_code(write("truncated.hnsw", bytes.substr(0, cut)), Small::kDim, core::Code::InvalidFormat);
  }
  expect_code(write("longer.hnsw", bytes + "x"), Small::kDim, core::Code::InvalidFormat);
  // Dimension mismatch.
  {
    auto r = VectorIndex::load(good, 64);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, core::Code::InvalidFormat);
    EXPECT_NE(r.error().message.find("dimension"), std::string::npos) << r.error().message;
  }
  // Records the size of float32 vectors of the asked dimension: the format before half floats.
  {
    auto r = VectorIndex::load(good, Small::kDim / 2);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, core::Code::InvalidFormat);
    EXPECT_NE(r.error().message.find("float32"), std::string::npos) << r.error().message;
  }
  // Garbage of the right length.
  {
    std::string garbage = bytes;
    std::mt19937 rng(5);
    for (auto& c : garbage) c = static_cast<char>(rng());
    expect_code(write("garbage.hnsw", garbage), Small::kDim, core::Code::InvalidFormat);
  }
  // A corrupt header field: element count.
  {
    std::string bad = bytes;
    const uint64_t huge = 1ull << 40;
    std::memcpy(&bad[16], &huge, sizeof(huge));
    expect_code(write("count.hnsw", bad), Small::kDim, core::Code::InvalidFormat);
  }
  // Corrupt links: every level-0 neighbour of element 0 points far out of range.
  {
    std::string bad = bytes;
    constexpr size_t kHeader = 96;
    const uint32_t far = 0x7fffffff;
    for (size_t j = 0; j < 4; ++j) std::memcpy(&bad[kHeader + 4 + 4 * j], &far, sizeof(far));
    expect_code(write("links.hnsw", bad), Small::kDim, core::Code::InvalidFormat);
  }
  // Random single-byte corruptions never crash (any outcome but a crash is fine).
  std::mt19937 rng(17);
  for (int i = 0; i < 40; ++i) {
    std::string bad = bytes;
    const size_t at = rng() % std::min<size_t>(bad.size(), 4096);
    bad[at] = static_cast<char>(bad[at] ^ (1 + rng() % 255));
    auto r = VectorIndex::load(write("flip.hnsw", bad), Small::kDim);
    if (r.ok()) (void)r.value()->search(&s.data[0], 5);
  }
}

TEST_F(VectorIndexTest, ConcurrentAddsSearchesRemovesAndSaves) {
  constexpr int kDim = 24;
  constexpr size_t kN = 6000;
  const auto data = random_vectors(kN, kDim, 21);
  VectorIndex index(kDim, 256);  // small, so adds must grow it while searches run
  std::atomic<bool> done{false};
  std::atomic<size_t> searches{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 2; ++t) {
    threads.emplace_back([&, t] {
      for (size_t i = t; i < kN; i += 2) ASSERT_TRUE(index.add(i, &data[i * kDim]).ok());
    });
  }
  threads.emplace_back([&] {
    std::mt19937 rng(1);
    while (!done) {
      const size_t q = rng() % kN;
      const auto hits = index.search(
          &data[q * kDim], 5, rng() % 2 ? LabelFilter{} : [](uint64_t l) { return l % 7 == 0; });
      EXPECT_LE(hits.size(), 5u);
      ++searches;
    }
  });
  threads.emplace_back([&] {
    for (int i = 0; i < 3 && !done; ++i) {
      EXPECT_TRUE(index.save(path("concurrent.hnsw")).ok());
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  });
  threads[0].join();
  threads[1].join();
  for (uint64_t i = 0; i < 100; ++i) EXPECT_TRUE(index.remove(i * 3).ok());
  done = true;
  for (size_t i = 2; i < threads.size(); ++i) threads[i].join();
  EXPECT_EQ(index.size(), kN - 100);
  EXPECT_GT(searches.load(), 0u);
  EXPECT_EQ(index.search(&data[1 * kDim], 1).at(0).first, 1u);
}

TEST(ExactIndexTest, ReturnsTheExactTopKInOrder) {
  ExactIndex index(2);
  const float v[][2] = {{1, 0}, {0, 1}, {1, 1}, {-1, 0}, {1, 0.1f}};
  for (uint64_t i = 0; i < 5; ++i) ASSERT_TRUE(index.add(i, v[i]).ok());
  const float q[] = {1, 0};
  const auto hits = index.search(q, 3);
  ASSERT_EQ(hits.size(), 3u);
  EXPECT_EQ(hits[0].first, 0u);
  EXPECT_EQ(hits[1].first, 4u);
  EXPECT_EQ(hits[2].first, 2u);
  EXPECT_NEAR(hits[2].second, std::sqrt(0.5f), 1e-6);
  EXPECT_EQ(index.search(q, 100).size(), 5u);
  // Remove moves the last slot into the hole; everything stays findable.
  ASSERT_TRUE(index.remove(1).ok());
  EXPECT_EQ(index.size(), 4u);
  const float up[] = {0, 1};
  EXPECT_NE(index.search(up, 1).at(0).first, 1u);
  EXPECT_EQ(index.search(q, 1, [](uint64_t l) { return l == 4; }).at(0).first, 4u);
  // Replacing a label's vector.
  ASSERT_TRUE(index.add(3, q).ok());
  EXPECT_EQ(index.size(), 4u);
  const auto replaced = index.search(q, 3);
  ASSERT_EQ(replaced.size(), 3u);
  EXPECT_EQ(replaced[0].first, 0u);  // 0 and 3 tie at 1: the smaller label first
  EXPECT_EQ(replaced[1].first, 3u);
  EXPECT_NEAR(replaced[1].second, 1.0f, 1e-6);
  EXPECT_EQ(replaced[2].first, 4u);
}

TEST(ExactIndexTest, TiesGoToTheSmallerLabel) {
  ExactIndex index(3);
  const float v[] = {0, 0, 1};
  for (uint64_t label : {9u, 4u, 7u, 1u}) ASSERT_TRUE(index.add(label, v).ok());
  const auto hits = index.search(v, 2);
  ASSERT_EQ(hits.size(), 2u);
  EXPECT_EQ(hits[0].first, 1u);
  EXPECT_EQ(hits[1].first, 4u);
}

}  // namespace
}  // namespace docent::engines
