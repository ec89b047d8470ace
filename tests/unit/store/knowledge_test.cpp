// Full-text search over chunks: the FTS5 expression made from user text, and what it finds.

#include "store/knowledge.h"

#include "store/accounts.h"
#include "store/database.h"
#include "temp_dir.h"

#include <gtest/gtest.h>

namespace docent::store {
namespace {

TEST(FtsQuery, QuotesEachWordSoNoInputIsFtsSyntax) {
  EXPECT_EQ(chunks::fts_query("tax NEAR(invoice) -x \"y\""), "\"tax\" OR \"NEAR\" OR \"invoice\" OR \"x\" OR \"y\"");
  EXPECT_EQ(chunks::fts_query("  ,;  "), "");
}

// The regression bench/search's hybrid mode found: "what is the ..." made FTS5 score every chunk.
TEST(FtsQuery, LeavesOutFunctionWordsWhenOtherWordsRemain) {
  EXPECT_EQ(chunks::fts_query("What is the tax rate of the Invoice?"), "\"tax\" OR \"rate\" OR \"Invoice\"");
  EXPECT_EQ(chunks::fts_query("THE theory"), "\"theory\"");
}

TEST(FtsQuery, KeepsFunctionWordsWhenThereIsNothingElse) {
  EXPECT_EQ(chunks::fts_query("to be or it"), "\"to\" OR \"be\" OR \"or\" OR \"it\"");
}

class SearchTextTest : public ::testing::Test {
 protected:
  void SetUp() override {
    db_ = std::move(open_sqlite(dir_ / "t.db").value());
    ASSERT_TRUE(db_->write([&](Tx& tx) -> core::Status {
      AccountRecord a;
      a.id = "acct";
      a.login = "reader";
      a.plan = "unlimited";
      a.created_at = a.updated_at = "2026-01-01T00:00:00Z";
      if (auto st = accounts::insert(tx, a); !st) return st;
      FileRecord f;
      f.id = "file";
      f.account_id = "acct";
      f.name = "notes.txt";
      f.mime = "text/plain";
      f.source_type = "text";
      f.sha256 = std::string(64, '0');
      f.created_at = f.updated_at = "2026-01-01T00:00:00Z";
      if (auto st = files::insert(tx, f); !st) return st;
      std::vector<ChunkRecord> chunks;
      for (const char* text : {"the harbour of the town", "the tax on imports", "to be or not to be"}) {
        ChunkRecord c;
        c.file_id = "file";
        c.account_id = "acct";
        c.ordinal = static_cast<int64_t>(chunks.size());
        c.page = 1;
        c.text = text;
        chunks.push_back(std::move(c));
      }
      if (auto st = chunks::insert(tx, chunks); !st) return st;
      for (const auto& c : chunks) ids_.push_back(c.id);
      return {};
    }));
  }

  std::vector<int64_t> search(std::string_view q) {
    std::vector<int64_t> found;
    EXPECT_TRUE(db_->read([&](Tx& tx) -> core::Status {
      auto hits = chunks::search_text(tx, q, "acct", {}, 10);
      if (!hits) return hits.error();
      for (const auto& h : *hits) found.push_back(h.id);
      return {};
    }));
    return found;
  }

  testing::TempDir dir_;
  std::unique_ptr<Database> db_;
  std::vector<int64_t> ids_;
};

TEST_F(SearchTextTest, AQuestionFindsTheChunksOfItsContentWordsOnly) {
  EXPECT_EQ(search("what is the tax?"), std::vector<int64_t>{ids_[1]});
}

TEST_F(SearchTextTest, AQuestionOfFunctionWordsOnlyStillSearches) {
  EXPECT_EQ(search("to be, or is it?"), std::vector<int64_t>{ids_[2]});
}

}  // namespace
}  // namespace docent::store
