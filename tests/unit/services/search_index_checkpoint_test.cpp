// SearchIndex checkpoints: a start loads the last one and replays only what the database changed
// since, including a chunk id SQLite handed out again after the highest chunks were deleted.

#include "services/search_index.h"
#include "unit/services/search_index_fixture.h"

#include "core/config.h"
#include "core/id.h"
#include "core/time.h"
#include "services/accounts.h"
#include "store/chunk_index.h"
#include "store/database.h"

#include <gtest/gtest.h>

#include <filesystem>

namespace docent::services {
namespace {

using SearchIndexCheckpointTest = SearchIndexFixture;

TEST_F(SearchIndexCheckpointTest, AChunkIdHandedOutAgainAfterTheCheckpointGetsItsNewVector) {
  const std::string alice = make_account("alice");
  add_file(alice, {"the harbour at dawn", "rust on iron bridges"});
  std::string old_file;
  const auto old_ids = add_file(alice, {"invoice totals and tax", "minutes of the board meeting"}, &old_file);
  {
    SearchIndex index(*db_, embedder_, dir_ / "index");
    ASSERT_TRUE(index.open());
    ASSERT_TRUE(index.save());
  }
  // The highest chunks go and new ones take their ids, and the index never hears of it (a crash).
  ASSERT_TRUE(db_->write([&](store::Tx& tx) { return store::chunks::remove_for_file(tx, old_file); }));
  std::string new_file;
  const auto new_ids = add_file(alice, {"penguins nesting on the ice shelf", "volcanic ash over the runway"},
                                &new_file);
  ASSERT_EQ(new_ids, old_ids) << "SQLite hands the highest ids out again";

  SearchIndex index(*db_, embedder_, dir_ / "index");
  ASSERT_TRUE(index.open());
  EXPECT_EQ(index.size(), 4u);
  const auto query = embedder_.embed({"penguins nesting on the ice shelf"}).value().front();
  auto hits = index.search(query, 1, alice, nullptr);
  ASSERT_EQ(hits.size(), 1u);
  EXPECT_EQ(hits.front().first, new_ids[0]);
  EXPECT_GT(hits.front().second, 0.99f) << "the label carries the new chunk's vector, not the deleted one's";
  const std::vector<std::string> only_new{new_file};
  EXPECT_EQ(index.search(query, 5, alice, &only_new).size(), 2u);
}

TEST_F(SearchIndexCheckpointTest, ACheckpointPrunesTheTombstonesItHasApplied) {
  const std::string alice = make_account("alice");
  std::string file;
  add_file(alice, {"the harbour at dawn", "rust on iron bridges"}, &file);
  SearchIndex index(*db_, embedder_, dir_ / "index");
  ASSERT_TRUE(index.open());
  ASSERT_TRUE(db_->write([&](store::Tx& tx) { return store::chunks::remove_for_file(tx, file); }));
  index.remove_file(file);
  auto tombstones = [&] {
    size_t n = 0;
    EXPECT_TRUE(db_->read([&](store::Tx& tx) -> core::Status {
      auto t = store::chunk_index::tombstones_after(tx, 0);
      if (!t) return t.error();
      n = t->chunk_ids.size();
      return {};
    }));
    return n;
  };
  EXPECT_EQ(tombstones(), 2u);
  ASSERT_TRUE(index.save());
  EXPECT_EQ(tombstones(), 2u) << "not yet: the index opened before these removals";
  add_file(alice, {"a later change"});
  SearchIndex reopened(*db_, embedder_, dir_ / "index");
  ASSERT_TRUE(reopened.open());  // applies every tombstone, replays the new chunk and saves
  EXPECT_EQ(tombstones(), 0u);
  EXPECT_EQ(reopened.size(), 1u);
}

TEST_F(SearchIndexCheckpointTest, ARebuildOnEveryCoreIndexesEveryChunkWithItsOwner) {
  const std::string alice = make_account("alice"), bob = make_account("bob");
  std::vector<std::string> texts;
  for (int i = 0; i < 300; ++i)
    texts.push_back("note " + std::to_string(i) + " about topic " + std::to_string(i * 7919));
  const auto ids = add_file(alice, texts);
  add_file(bob, {"a note of bob's"});
  SearchIndex index(*db_, embedder_, dir_ / "index");
  ASSERT_TRUE(index.open());
  EXPECT_EQ(index.size(), 301u);
  for (int i : {0, 123, 299}) {
    const auto query = embedder_.embed({texts[static_cast<size_t>(i)]}).value().front();
    auto hits = index.search(query, 1, alice, nullptr);
    ASSERT_EQ(hits.size(), 1u);
    EXPECT_EQ(hits.front().first, ids[static_cast<size_t>(i)]);
  }
  EXPECT_FALSE(index.owns_every_chunk(alice));
}

}  // namespace
}  // namespace docent::services
