#include "store/blob_store.h"

#include "unit/store/temp_dir.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <random>
#include <thread>
#include <vector>

namespace docent::store {
namespace {

namespace fs = std::filesystem;
using core::Code;

constexpr std::string_view kHelloSha = "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824";
constexpr std::string_view kEmptySha = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

class BlobStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto store = BlobStore::open(dir_ / "blobs");
    ASSERT_TRUE(store.ok()) << store.error().message;
    store_.emplace(std::move(store).value());
  }

  // Regular files under the store, excluding nothing: blobs and any temporaries.
  size_t file_count(const fs::path& under) {
    size_t n = 0;
    for (const auto& e : fs::recursive_directory_iterator(under)) n += e.is_regular_file() ? 1 : 0;
    return n;
  }
  size_t temp_count() { return file_count(dir_ / "blobs" / "tmp"); }

  static std::string random_bytes(size_t n) {
    std::mt19937_64 rng(42);
    std::string s(n, '\0');
    for (auto& c : s) c = static_cast<char>(rng());
    return s;
  }

  testing::TempDir dir_;
  std::optional<BlobStore> store_;
};

TEST_F(BlobStoreTest, PutStoresUnderTheDigestAndReadsBack) {
  auto info = store_->put("hello");
  ASSERT_TRUE(info.ok()) << info.error().message;
  EXPECT_EQ(info->sha256, kHelloSha);
  EXPECT_EQ(info->size, 5u);
  const fs::path expected = dir_ / "blobs" / "2c" / "f2" / std::string(kHelloSha);
  EXPECT_EQ(store_->path_of(kHelloSha), expected);
  EXPECT_TRUE(fs::is_regular_file(expected));
  EXPECT_TRUE(store_->exists(kHelloSha));
  auto bytes = store_->read(kHelloSha);
  ASSERT_TRUE(bytes.ok());
  EXPECT_EQ(*bytes, "hello");
  EXPECT_EQ(fs::status(expected).permissions() & fs::perms::all, fs::perms::owner_read | fs::perms::owner_write);
  EXPECT_EQ(temp_count(), 0u);
}

TEST_F(BlobStoreTest, EmptyAndBinaryContentRoundTrip) {
  auto empty = store_->put("");
  ASSERT_TRUE(empty.ok());
  EXPECT_EQ(empty->sha256, kEmptySha);
  EXPECT_EQ(*store_->read(kEmptySha), "");
  const std::string binary("\0\x01\xff\n\r", 5);
  auto info = store_->put(binary);
  ASSERT_TRUE(info.ok());
  EXPECT_EQ(*store_->read(info->sha256), binary);
}

TEST_F(BlobStoreTest, IdenticalBytesAreStoredOnce) {
  auto a = store_->put("same bytes");
  auto b = store_->put("same bytes");
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(a->sha256, b->sha256);
  const fs::path src = dir_ / "same.txt";
  std::ofstream(src, std::ios::binary) << "same bytes";
  auto c = store_->put_file(src);
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->sha256, a->sha256);
  EXPECT_EQ(file_count(dir_ / "blobs"), 1u);  // one blob, no temporaries
}

TEST_F(BlobStoreTest, PutFileStreamsALargeFileAndMatchesPut) {
  const std::string big = random_bytes(3 * 1024 * 1024 + 17);  // several copy chunks and a tail
  const fs::path src = dir_ / "big.bin";
  std::ofstream(src, std::ios::binary).write(big.data(), static_cast<std::streamsize>(big.size()));
  auto from_file = store_->put_file(src);
  ASSERT_TRUE(from_file.ok()) << from_file.error().message;
  EXPECT_EQ(from_file->size, big.size());
  EXPECT_EQ(fs::file_size(*store_->path_of(from_file->sha256)), big.size());
  auto read = store_->read(from_file->sha256);
  ASSERT_TRUE(read.ok());
  EXPECT_TRUE(*read == big);
  auto from_memory = store_->put(big);
  ASSERT_TRUE(from_memory.ok());
  EXPECT_EQ(from_memory->sha256, from_file->sha256);
  EXPECT_TRUE(fs::exists(src));  // the source is copied, not moved
  EXPECT_EQ(temp_count(), 0u);
}

TEST_F(BlobStoreTest, PutFileOfAMissingOrSpecialFileFails) {
  auto missing = store_->put_file(dir_ / "nope");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code, Code::NotFound);
  auto directory = store_->put_file(dir_.path());
  ASSERT_FALSE(directory.ok());
  EXPECT_EQ(directory.error().code, Code::InvalidInput);
  EXPECT_EQ(temp_count(), 0u);
}

TEST_F(BlobStoreTest, RemoveDeletesAndReportsAbsence) {
  ASSERT_TRUE(store_->put("hello").ok());
  EXPECT_TRUE(store_->remove(kHelloSha).ok());
  EXPECT_FALSE(store_->exists(kHelloSha));
  EXPECT_EQ(store_->path_of(kHelloSha), std::nullopt);
  EXPECT_EQ(store_->read(kHelloSha).error().code, Code::NotFound);
  EXPECT_EQ(store_->remove(kHelloSha).error().code, Code::NotFound);
  // Putting it again after removal stores it again.
  ASSERT_TRUE(store_->put("hello").ok());
  EXPECT_EQ(*store_->read(kHelloSha), "hello");
}

TEST_F(BlobStoreTest, MalformedDigestsNeverBecomePaths) {
  ASSERT_TRUE(store_->put("hello").ok());
  std::string upper(kHelloSha);
  for (auto& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  const std::vector<std::string> bad = {
      "",
      "../../../../etc/passwd",
      upper,
      std::string(kHelloSha.substr(0, 63)),
      std::string(kHelloSha) + "0",
      "2c/f2/" + std::string(kHelloSha.substr(6)),
      std::string(kHelloSha.substr(0, 62)) + "..",
      std::string(kHelloSha.substr(0, 63)) + std::string(1, '\0'),
  };
  for (const std::string& sha : bad) {
    EXPECT_FALSE(BlobStore::valid_sha256(sha)) << sha;
    EXPECT_FALSE(store_->exists(sha)) << sha;
    EXPECT_EQ(store_->path_of(sha), std::nullopt) << sha;
    EXPECT_EQ(store_->read(sha).error().code, Code::InvalidInput) << sha;
    EXPECT_EQ(store_->remove(sha).error().code, Code::InvalidInput) << sha;
  }
  EXPECT_TRUE(BlobStore::valid_sha256(kHelloSha));
  EXPECT_TRUE(store_->exists(kHelloSha));  // untouched by all of the above
}

TEST_F(BlobStoreTest, ConcurrentPutsOfTheSameBytesLeaveOneBlob) {
  const std::string bytes = random_bytes(256 * 1024);
  const fs::path src = dir_ / "shared.bin";
  std::ofstream(src, std::ios::binary).write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  std::vector<std::thread> threads;
  std::vector<std::string> shas(8);
  for (size_t t = 0; t < shas.size(); ++t) {
    threads.emplace_back([&, t] {
      auto info = t % 2 == 0 ? store_->put(bytes) : store_->put_file(src);
      if (info.ok()) shas[t] = info->sha256;
    });
  }
  for (auto& t : threads) t.join();
  for (const auto& sha : shas) EXPECT_EQ(sha, shas.front());
  EXPECT_EQ(file_count(dir_ / "blobs"), 1u);
  EXPECT_TRUE(*store_->read(shas.front()) == bytes);
}

TEST_F(BlobStoreTest, OpeningRemovesOnlyStaleTemporaries) {
  const fs::path tmp = dir_ / "blobs" / "tmp";
  std::ofstream(tmp / "stale.tmp") << "left by a crash";
  std::ofstream(tmp / "fresh.tmp") << "being written by another process";
  fs::last_write_time(tmp / "stale.tmp", fs::file_time_type::clock::now() - std::chrono::hours(2));
  auto reopened = BlobStore::open(dir_ / "blobs");
  ASSERT_TRUE(reopened.ok());
  EXPECT_FALSE(fs::exists(tmp / "stale.tmp"));
  EXPECT_TRUE(fs::exists(tmp / "fresh.tmp"));
}

TEST_F(BlobStoreTest, ARootThatCannotBeCreatedIsAnError) {
  std::ofstream(dir_ / "a-file") << "x";
  auto store = BlobStore::open(dir_ / "a-file" / "blobs");
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.error().code, Code::Internal);
}

}  // namespace
}  // namespace docent::store
