// Full-text search over chunks: the FTS5 expression made from user text, and what it finds.

#include "store/knowledge.h"

#include "store/accounts.h"
#include "store/database.h"
#include "temp_dir.h"

#include <gtest/gtest.h>

#include <set>
#include <string>
#include <vector>

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

// An account (login: its id) with one file holding a chunk per text, on page 1; their ids. The
// account is made by the first call that names it.
std::vector<int64_t> seed_chunks(Database& db, const std::vector<std::string>& texts,
                                 const std::string& account = "acct", const std::string& file = "file") {
  std::vector<int64_t> ids;
  EXPECT_TRUE(db.write([&](Tx& tx) -> core::Status {
    AccountRecord a;
    a.id = account;
    a.login = account;
    a.plan = "unlimited";
    a.created_at = a.updated_at = "2026-01-01T00:00:00Z";
    if (auto st = accounts::insert(tx, a); !st) return st;
    FileRecord f;
    f.id = file;
    f.account_id = account;
    f.name = file + ".txt";
    f.mime = "text/plain";
    f.source_type = "text";
    f.sha256 = std::string(64, '0');
    f.created_at = f.updated_at = "2026-01-01T00:00:00Z";
    if (auto st = files::insert(tx, f); !st) return st;
    std::vector<ChunkRecord> chunks;
    for (const auto& text : texts) {
      ChunkRecord c;
      c.file_id = file;
      c.account_id = account;
      c.ordinal = static_cast<int64_t>(chunks.size());
      c.page = 1;
      c.text = text;
      chunks.push_back(std::move(c));
    }
    if (auto st = chunks::insert(tx, chunks); !st) return st;
    for (const auto& c : chunks) ids.push_back(c.id);
    return {};
  }));
  return ids;
}

class SearchTextTest : public ::testing::Test {
 protected:
  void SetUp() override {
    db_ = std::move(open_sqlite(dir_ / "t.db").value());
    ids_ = seed_chunks(*db_, {"the harbour of the town", "the tax on imports", "to be or not to be"});
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

// Searches ask for the files still being ingested on every query: the account's own, uploaded
// or processing, read through their partial index rather than all of the account's files.
TEST_F(SearchTextTest, PendingFilesAreTheAccountsUploadedAndProcessingOnes) {
  seed_chunks(*db_, {"theirs"}, "other", "their-file");
  ASSERT_TRUE(db_->write([&](Tx& tx) -> core::Status {
    for (const char* id : {"second", "third"}) {
      FileRecord f;
      f.id = id;
      f.account_id = "acct";
      f.name = f.id + ".txt";
      f.sha256 = std::string(64, '0');
      f.created_at = f.updated_at = "2026-01-01T00:00:00Z";
      if (auto st = files::insert(tx, f); !st) return st;
    }
    if (auto st = files::set_status(tx, "file", "processed", "", 1, 3); !st) return st;
    if (auto st = files::set_status(tx, "second", "processing", "", 0, 0); !st) return st;
    return files::set_status(tx, "third", "failed", "unreadable", 0, 0);
  }));
  std::vector<std::string> mine, theirs;
  std::string plan;
  ASSERT_TRUE(db_->read([&](Tx& tx) -> core::Status {
    mine = files::pending(tx, "acct").value();
    theirs = files::pending(tx, "other").value();
    auto rows = tx.query(
        "EXPLAIN QUERY PLAN SELECT id FROM files WHERE account_id = ? AND status IN ('uploaded', "
        "'processing') ORDER BY seq",
        {std::string("acct")});
    if (!rows) return rows.error();
    for (const auto& r : *rows) plan += r.get_text(3) + "\n";
    return {};
  }));
  EXPECT_EQ(mine, std::vector<std::string>{"second"});
  EXPECT_EQ(theirs, std::vector<std::string>{"their-file"});  // still "uploaded"
  EXPECT_NE(plan.find("files_pending"), std::string::npos) << plan;
  EXPECT_EQ(plan.find("TEMP B-TREE"), std::string::npos) << plan;
}

// What a search's filters let through: each filter given must be met, and only the account's
// own files pass; counted without reading ids, the same number.
TEST_F(SearchTextTest, FileFiltersCombineAndKeepToTheAccount) {
  seed_chunks(*db_, {"theirs"}, "other", "their-pdf");
  ASSERT_TRUE(db_->write([&](Tx& tx) -> core::Status {
    FolderRecord folder;
    folder.id = "folder";
    folder.account_id = "acct";
    folder.name = "Reports";
    folder.created_at = folder.updated_at = "2026-01-01T00:00:00Z";
    if (auto st = folders::insert(tx, folder); !st) return st;
    auto add = [&](const char* id, const char* type, const char* tags, bool in_folder) {
      FileRecord f;
      f.id = id;
      f.account_id = "acct";
      f.name = f.id;
      f.source_type = type;
      f.tags = tags;
      if (in_folder) f.folder_id = "folder";
      f.sha256 = std::string(64, '0');
      f.created_at = f.updated_at = "2026-01-01T00:00:00Z";
      return files::insert(tx, f);
    };
    if (auto st = add("pdf-tax", "pdf", R"(["tax","2025"])", true); !st) return st;
    if (auto st = add("pdf-plain", "pdf", "[]", false); !st) return st;
    return add("doc-tax", "docx", R"(["tax"])", false);
  }));
  auto pass = [&](files::FileFilter filter) {
    std::set<std::string> ids;
    int64_t counted = -1;
    EXPECT_TRUE(db_->read([&](Tx& tx) -> core::Status {
      const auto passing = files::matching(tx, "acct", filter).value();
      ids.insert(passing.begin(), passing.end());
      counted = files::count_matching(tx, "acct", filter).value();
      return {};
    }));
    EXPECT_EQ(counted, static_cast<int64_t>(ids.size()));
    return ids;
  };
  using Ids = std::set<std::string>;
  EXPECT_EQ(pass({}), (Ids{"file", "pdf-tax", "pdf-plain", "doc-tax"}));
  EXPECT_EQ(pass({.source_types = {"pdf"}}), (Ids{"pdf-tax", "pdf-plain"}));
  EXPECT_EQ(pass({.source_types = {"pdf", "docx"}}), (Ids{"pdf-tax", "pdf-plain", "doc-tax"}));
  EXPECT_EQ(pass({.tags = {"tax"}}), (Ids{"pdf-tax", "doc-tax"}));
  EXPECT_EQ(pass({.tags = {"2025", "nope"}}), (Ids{"pdf-tax"}));
  EXPECT_EQ(pass({.source_types = {"pdf"}, .tags = {"tax"}}), (Ids{"pdf-tax"}));
  EXPECT_EQ(pass({.folder_ids = {"folder"}}), (Ids{"pdf-tax"}));
  EXPECT_EQ(pass({.ids = {"pdf-plain", "doc-tax", "their-pdf", "missing"}}), (Ids{"pdf-plain", "doc-tax"}));
  EXPECT_EQ(pass({.ids = {"pdf-plain", "doc-tax"}, .tags = {"tax"}}), (Ids{"doc-tax"}));
  EXPECT_TRUE(pass({.source_types = {"image"}}).empty());
  int64_t all = 0;
  ASSERT_TRUE(db_->read([&](Tx& tx) -> core::Status {
    all = files::count(tx, "acct").value();
    return {};
  }));
  EXPECT_EQ(all, 4);
}

TEST(FtsQuery, EachWordOnceWhateverItsCase) { EXPECT_EQ(chunks::fts_query("Tax tax TAX rate"), "\"Tax\" OR \"rate\""); }

// A corpus where "harbour" is in every chunk, "tax" in a few and "pier" in one, searched with a
// small budget: common terms are left out while rarer ones remain, and all-common questions
// need every term.
class TextBudgetTest : public ::testing::Test {
 protected:
  void SetUp() override {
    db_ = std::move(open_sqlite(dir_ / "t.db").value());
    std::vector<std::string> texts;
    for (int i = 0; i < 20; ++i) {
      std::string text = "harbour crane number " + std::to_string(i);
      if (i < 3) text += " tax";
      if (i == 7) text += " pier";
      if (i % 2 == 0) text += " boat";
      texts.push_back(std::move(text));
    }
    ids_ = seed_chunks(*db_, texts);
  }

  std::set<int64_t> search(std::string_view q, chunks::TextSearchBudget budget) {
    std::set<int64_t> found;
    EXPECT_TRUE(db_->read([&](Tx& tx) -> core::Status {
      auto hits = chunks::search_text(tx, q, "acct", {}, 50, budget);
      if (!hits) return hits.error();
      for (const auto& h : *hits) found.insert(h.id);
      return {};
    }));
    return found;
  }

  testing::TempDir dir_;
  std::unique_ptr<Database> db_;
  std::vector<int64_t> ids_;
};

TEST_F(TextBudgetTest, WithinTheBudgetEveryTermCounts) {
  // The default budget is far above 20 chunks: "harbour" matches them all.
  EXPECT_EQ(search("harbour pier", {}).size(), 20u);
}

TEST_F(TextBudgetTest, CommonTermsAreLeftOutWhileRarerOnesRemain) {
  const chunks::TextSearchBudget small{.term_cap = 5, .postings = 10};
  EXPECT_EQ(search("harbour pier", small), (std::set<int64_t>{ids_[7]}));
  EXPECT_EQ(search("harbour tax pier", small), (std::set<int64_t>{ids_[0], ids_[1], ids_[2], ids_[7]}));
}

TEST_F(TextBudgetTest, RarestTermsFirstUntilThePostingsBudgetIsSpent) {
  // "pier" (1) then "tax" (3) fit a budget of 4; "boat" (10) would not.
  const chunks::TextSearchBudget small{.term_cap = 15, .postings = 4};
  EXPECT_EQ(search("boat tax pier", small), (std::set<int64_t>{ids_[0], ids_[1], ids_[2], ids_[7]}));
}

TEST_F(TextBudgetTest, AllCommonTermsMustAllAppearElseTheRarestAlone) {
  const chunks::TextSearchBudget small{.term_cap = 5, .postings = 10};
  std::set<int64_t> even;
  for (int i = 0; i < 20; i += 2) even.insert(ids_[i]);
  EXPECT_EQ(search("harbour boat", small), even);  // both in the even chunks
  // "crane" and "boat" are in every even chunk too; "harbour boat submarine": the unknown word
  // matches nothing and is dropped.
  EXPECT_EQ(search("harbour boat submarine", small), even);
  // With a cap of 1 both "tax" (3) and "pier" (1) count as common (1 each), and no chunk holds
  // both: one of them alone answers, not nothing.
  const auto alone = search("tax pier", {.term_cap = 1, .postings = 10});
  EXPECT_TRUE(alone == (std::set<int64_t>{ids_[0], ids_[1], ids_[2]}) || alone == (std::set<int64_t>{ids_[7]}));
}

TEST_F(TextBudgetTest, ACommonWordAloneScoresOnlyTheNewestMatches) {
  // "harbour" is in all 20 chunks: with a cap of 5 only the 4 newest are scored.
  const chunks::TextSearchBudget small{.term_cap = 5, .postings = 4};
  EXPECT_EQ(search("harbour", small), (std::set<int64_t>{ids_[16], ids_[17], ids_[18], ids_[19]}));
  // A rare word alone is not bounded, and neither is a common one under the default budget.
  EXPECT_EQ(search("tax", small), (std::set<int64_t>{ids_[0], ids_[1], ids_[2]}));
  EXPECT_EQ(search("harbour", {}).size(), 20u);
}

TEST_F(TextBudgetTest, AllCommonTermsScoreOnlyTheNewestChunksHoldingThemAll) {
  const chunks::TextSearchBudget small{.term_cap = 5, .postings = 3};
  EXPECT_EQ(search("harbour boat", small), (std::set<int64_t>{ids_[14], ids_[16], ids_[18]}));
}

// Within a few files whose chunks fit the postings budget, every term counts and every chunk
// holding one is scored: nothing of the files is left out for being common elsewhere.
TEST_F(TextBudgetTest, AFileScopedSearchScoresEveryTermOfTheFilesChunks) {
  auto in_file = [&](std::string_view q, chunks::TextSearchBudget budget, std::string_view account = "acct") {
    std::set<int64_t> found;
    EXPECT_TRUE(db_->read([&](Tx& tx) -> core::Status {
      auto hits = chunks::search_text(tx, q, account, {"file"}, 50, budget);
      if (!hits) return hits.error();
      for (const auto& h : *hits) found.insert(h.id);
      return {};
    }));
    return found;
  };
  const std::set<int64_t> all(ids_.begin(), ids_.end());
  // "harbour" is in all 20 chunks: past a cap of 5 it is common, yet the file's 20 fit 30.
  EXPECT_EQ(in_file("harbour", {.term_cap = 5, .postings = 30}), all);
  EXPECT_EQ(in_file("harbour pier", {.term_cap = 5, .postings = 30}), all);
  // Past the budget the usual rules apply: only the newest 4 are scored.
  EXPECT_EQ(in_file("harbour", {.term_cap = 5, .postings = 4}),
            (std::set<int64_t>{ids_[16], ids_[17], ids_[18], ids_[19]}));
  // The file's owner only; and a file of no chunks finds nothing.
  EXPECT_TRUE(in_file("harbour", {}, "other").empty());
  EXPECT_TRUE(db_->read([&](Tx& tx) -> core::Status {
    EXPECT_TRUE(chunks::search_text(tx, "harbour", "acct", {"no-such-file"}, 50).value().empty());
    return {};
  }));
}

TEST_F(TextBudgetTest, TheNewestMatchesAreTheAccountsOwn) {
  // Another account's newer chunks holding the word do not use up the budget.
  const auto theirs = seed_chunks(*db_, std::vector<std::string>(10, "harbour of someone else"), "other", "their-file");
  ASSERT_EQ(theirs.size(), 10u);
  const chunks::TextSearchBudget small{.term_cap = 5, .postings = 2};
  EXPECT_EQ(search("harbour", small), (std::set<int64_t>{ids_[18], ids_[19]}));
}

}  // namespace
}  // namespace docent::store
