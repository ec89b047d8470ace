// Document rows: versions kept on update, lists filtered by owner and type, full-text search over
// the current title and content (old words forgotten), cascade on delete.

#include "store/documents.h"

#include "store/accounts.h"
#include "store/database.h"
#include "temp_dir.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace docent::store {
namespace {

class DocumentRows : public ::testing::Test {
 protected:
  void SetUp() override {
    db_ = std::move(open_sqlite(dir_ / "t.db").value());
    for (const char* id : {"alice", "bob"}) {
      ASSERT_TRUE(db_->write([&](Tx& tx) {
        AccountRecord a;
        a.id = a.login = id;
        a.plan = "unlimited";
        a.created_at = a.updated_at = "2026-01-01T00:00:00Z";
        return accounts::insert(tx, a);
      }));
    }
  }
  DocumentRecord add(const std::string& id, const std::string& account, const std::string& title,
                     const std::string& content, const std::string& type, const std::string& at) {
    DocumentRecord d{id, account, title, content, type, 1, std::nullopt, at, at};
    EXPECT_TRUE(db_->write([&](Tx& tx) { return documents::insert(tx, d); }));
    return d;
  }
  documents::ListPage list(const std::string& account, documents::ListFilter f) {
    documents::ListPage page;
    EXPECT_TRUE(db_->read([&](Tx& tx) -> core::Status {
      auto r = documents::list(tx, account, f);
      if (!r) return r.error();
      page = std::move(*r);
      return {};
    }));
    return page;
  }
  testing::TempDir dir_;
  std::unique_ptr<Database> db_;
};

TEST_F(DocumentRows, UpdateKeepsEveryVersionAndSearchSeesOnlyTheCurrentOne) {
  auto d = add("doc_1", "alice", "Ferns", "Ferns reproduce by spores.", "markdown", "2026-01-01T00:00:00.000Z");
  d.content = "Mosses need shade.";
  d.version = 2;
  d.updated_at = "2026-01-02T00:00:00.000Z";
  ASSERT_TRUE(db_->write([&](Tx& tx) { return documents::update(tx, d); }));
  // The same version twice is refused (the primary key), and nothing of it is kept.
  auto again = db_->write([&](Tx& tx) { return documents::update(tx, d); });
  EXPECT_EQ(again.error().code, core::Code::Conflict);

  std::vector<DocumentVersionRecord> versions;
  std::optional<DocumentVersionRecord> first;
  ASSERT_TRUE(db_->read([&](Tx& tx) -> core::Status {
    auto v = documents::versions(tx, "doc_1");
    if (!v) return v.error();
    versions = *v;
    auto f = documents::version(tx, "doc_1", 1);
    if (!f) return f.error();
    first = *f;
    return {};
  }));
  ASSERT_EQ(versions.size(), 2u);
  EXPECT_EQ(versions[0].version, 1);
  EXPECT_EQ(versions[0].content_bytes, static_cast<int64_t>(std::string("Ferns reproduce by spores.").size()));
  EXPECT_TRUE(versions[0].content.empty());
  EXPECT_EQ(versions[1].created_at, "2026-01-02T00:00:00.000Z");
  ASSERT_TRUE(first);
  EXPECT_EQ(first->content, "Ferns reproduce by spores.");

  EXPECT_EQ(list("alice", {.search = "spores"}).total, 0);
  EXPECT_EQ(list("alice", {.search = "mosses shade"}).total, 1);
  EXPECT_EQ(list("alice", {.search = "ferns"}).total, 1);       // the title
  EXPECT_EQ(list("alice", {.search = "mosses sun"}).total, 0);  // every word must be there
  EXPECT_EQ(list("alice", {.search = ",;"}).total, 0);          // no word: nothing
  EXPECT_EQ(list("bob", {.search = "mosses"}).total, 0);
}

TEST_F(DocumentRows, ListsByOwnerAndTypeNewestFirstWithTotals) {
  add("doc_a", "alice", "A", "one", "markdown", "2026-01-01T00:00:01.000Z");
  add("doc_b", "alice", "B", "two", "code", "2026-01-01T00:00:02.000Z");
  add("doc_c", "alice", "C", "three", "markdown", "2026-01-01T00:00:03.000Z");
  add("doc_d", "bob", "D", "four", "markdown", "2026-01-01T00:00:04.000Z");
  auto all = list("alice", {});
  EXPECT_EQ(all.total, 3);
  ASSERT_EQ(all.items.size(), 3u);
  EXPECT_EQ(all.items[0].id, "doc_c");
  EXPECT_EQ(all.items[2].id, "doc_a");
  auto md = list("alice", {.type = "markdown", .limit = 1, .offset = 1});
  EXPECT_EQ(md.total, 2);
  ASSERT_EQ(md.items.size(), 1u);
  EXPECT_EQ(md.items[0].id, "doc_a");
  EXPECT_EQ(list("alice", {.offset = 3}).items.size(), 0u);

  ASSERT_TRUE(db_->write([&](Tx& tx) { return documents::remove(tx, "doc_c"); }));
  EXPECT_EQ(list("alice", {}).total, 2);
  EXPECT_EQ(list("alice", {.search = "three"}).total, 0);
  std::vector<DocumentVersionRecord> versions{DocumentVersionRecord{}};
  ASSERT_TRUE(db_->read([&](Tx& tx) -> core::Status {
    auto v = documents::versions(tx, "doc_c");
    if (!v) return v.error();
    versions = *v;
    return {};
  }));
  EXPECT_TRUE(versions.empty());
}

}  // namespace
}  // namespace docent::store
