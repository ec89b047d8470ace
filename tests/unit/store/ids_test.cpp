// Numbers handed out by the store (issue 16): from counters updated in the allocating transaction,
// never as the largest existing number plus one, so a number is never handed out twice (not even
// after the row that held the largest is deleted), and a database from before the counters
// migrates with its numbers carried on.

#include "store/accounts.h"
#include "store/conversations.h"
#include "store/counters.h"
#include "store/extractions.h"
#include "store/knowledge.h"
#include "store/sqlite_database.h"
#include "unit/store/temp_dir.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <vector>

namespace docent::store {
namespace {

using core::Status;

constexpr const char* kAt = "2026-12-07T00:00:00Z";

AccountRecord account(const std::string& login) {
  AccountRecord a;
  a.id = "acct-" + login;
  a.login = login;
  a.plan = "unlimited";
  a.created_at = a.updated_at = kAt;
  return a;
}

class IdsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    db_ = std::move(open_sqlite(dir_ / "docent.db").value());
    ASSERT_TRUE(db_->write([&](Tx& tx) {
      AccountRecord a = account("owner");
      return accounts::insert(tx, a);
    }));
  }

  FolderRecord folder(const std::string& name) {
    FolderRecord f;
    f.id = "folder-" + name;
    f.account_id = "acct-owner";
    f.name = name;
    f.created_at = f.updated_at = kAt;
    EXPECT_TRUE(db_->write([&](Tx& tx) { return folders::insert(tx, f); }));
    return f;
  }

  ConversationRecord conversation(std::optional<int64_t> thread_id = std::nullopt) {
    ConversationRecord c;
    c.id = "conv-" + std::to_string(++made_);
    c.account_id = "acct-owner";
    c.source_id = "src-" + c.id;
    c.created_at = c.updated_at = kAt;
    c.thread_id = thread_id;
    EXPECT_TRUE(db_->write([&](Tx& tx) { return conversations::insert(tx, c, {}); }));
    return c;
  }

  int64_t message(const std::string& conversation_id) {
    MessageRecord m;
    m.id = "msg-" + std::to_string(++made_);
    m.conversation_id = conversation_id;
    m.role = "user";
    m.content = "hello";
    m.created_at = kAt;
    EXPECT_TRUE(db_->write([&](Tx& tx) { return conversations::add_message(tx, m); }));
    return m.seq;
  }

  testing::TempDir dir_;
  std::unique_ptr<Database> db_;
  int made_ = 0;
};

TEST_F(IdsTest, AFolderSeqIsNeverHandedOutAgainAfterTheNewestFolderIsDeleted) {
  folder("a");
  const FolderRecord b = folder("b");
  ASSERT_TRUE(db_->write([&](Tx& tx) { return folders::remove(tx, b.id); }));
  EXPECT_EQ(folder("c").seq, b.seq + 1);
}

TEST_F(IdsTest, AnAccountSeqIsNeverHandedOutAgainAfterTheNewestAccountIsRemoved) {
  AccountRecord second = account("second");
  ASSERT_TRUE(db_->write([&](Tx& tx) { return accounts::insert(tx, second); }));
  ASSERT_TRUE(db_->write([&](Tx& tx) { return tx.exec("DELETE FROM accounts WHERE id = ?", {second.id}); }));
  AccountRecord third = account("third");
  ASSERT_TRUE(db_->write([&](Tx& tx) { return accounts::insert(tx, third); }));
  EXPECT_EQ(third.seq, second.seq + 1);
}

TEST_F(IdsTest, AnIdTakenByARolledBackTransactionIsHandedOutAgain) {
  const FolderRecord a = folder("a");
  Status failed = db_->write([&](Tx& tx) -> Status {
    auto n = counters::next(tx, "folders");
    if (!n) return n.error();
    EXPECT_EQ(*n, a.seq + 1);
    return core::Error(core::Code::Internal, "roll back");
  });
  ASSERT_FALSE(failed);
  EXPECT_EQ(folder("b").seq, a.seq + 1);
}

TEST_F(IdsTest, AnUnknownCounterIsAnErrorNotANumber) {
  Status s = db_->write([&](Tx& tx) -> Status {
    auto n = counters::next(tx, "no_such_table");
    return n ? Status() : Status(n.error());
  });
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().code, core::Code::Internal);
}

TEST_F(IdsTest, MessageSeqsKeepRisingAfterTheNewestMessagesAreDeleted) {
  const ConversationRecord c = conversation();
  EXPECT_EQ(message(c.id), 1);
  EXPECT_EQ(message(c.id), 2);
  ASSERT_TRUE(db_->write([&](Tx& tx) { return conversations::clear_messages(tx, c.id, kAt); }));
  EXPECT_EQ(message(c.id), 3);
  // Each conversation counts its own.
  EXPECT_EQ(message(conversation().id), 1);
}

TEST_F(IdsTest, AMessageForAMissingConversationIsNotFound) {
  MessageRecord m;
  m.id = "orphan";
  m.conversation_id = "no-such-conversation";
  m.role = "user";
  m.created_at = kAt;
  Status s = db_->write([&](Tx& tx) { return conversations::add_message(tx, m); });
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().code, core::Code::NotFound);
}

TEST_F(IdsTest, ContextPositionsFollowOnFromTheConversationsLast) {
  const FolderRecord a = folder("a"), b = folder("b"), c = folder("c");
  const ConversationRecord conv = conversation();
  ASSERT_TRUE(db_->write([&](Tx& tx) {
    return conversations::add_context(tx, conv.id, {ContextItem{.folder_id = a.id}, ContextItem{.folder_id = b.id}});
  }));
  ASSERT_TRUE(
      db_->write([&](Tx& tx) { return conversations::add_context(tx, conv.id, {ContextItem{.folder_id = c.id}}); }));
  std::vector<int64_t> positions;
  ASSERT_TRUE(db_->read([&](Tx& tx) -> Status {
    auto rows = tx.query("SELECT position FROM conversation_context WHERE conversation_id = ? ORDER BY position",
                         {conv.id});
    if (!rows) return rows.error();
    for (const auto& r : *rows) positions.push_back(r.get_int(0));
    return {};
  }));
  EXPECT_EQ(positions, (std::vector<int64_t>{0, 1, 2}));
}

TEST_F(IdsTest, AutomaticThreadIdsGoAboveOnesTheClientChose) {
  auto next = [&] {
    int64_t n = 0;
    EXPECT_TRUE(db_->write([&](Tx& tx) -> Status {
      auto r = conversations::next_thread_id(tx, "acct-owner");
      if (!r) return r.error();
      n = *r;
      return {};
    }));
    return n;
  };
  EXPECT_EQ(next(), 1);
  conversation(7);
  EXPECT_EQ(next(), 8);
  conversation(3);  // below the counter: it stays
  EXPECT_EQ(next(), 9);
}

// A database made before the counters migration keeps counting from its largest numbers.
TEST(IdsMigrationTest, ADatabaseFromBeforeTheCountersCarriesItsNumbersOn) {
  testing::TempDir dir;
  const auto all = embedded_migrations();
  const auto it = std::find_if(all.begin(), all.end(),
                               [](const Migration& m) { return m.name == "counters_and_duplicates"; });
  ASSERT_NE(it, all.end());
  const std::span<const Migration> before(all.begin(), it);
  {
    auto old = open_sqlite(dir / "docent.db", {}, before);
    ASSERT_TRUE(old.ok()) << old.error().message;
    ASSERT_TRUE((*old)->write([&](Tx& tx) -> Status {
      for (
          const char* sql :
          {"INSERT INTO accounts (id, seq, login, login_key, plan, created_at, updated_at) "
           "VALUES ('a1', 41, 'old', 'old', 'unlimited', 'x', 'x')",
           "INSERT INTO folders (id, seq, account_id, name, created_at, updated_at) VALUES ('f1', 12, 'a1', 'f', 'x', 'x')",
           "INSERT INTO files (id, seq, account_id, name, mime, source_type, size, sha256, created_at, updated_at) "
           "VALUES ('file1', 30, 'a1', 'n', 'text/plain', 'text', 1, 'aa', 'x', 'x')",
           "INSERT INTO extractions (id, seq, account_id, kind, status, file_name, created_at) "
           "VALUES ('e1', 5, 'a1', 'invoice', 'completed', 'x.xlsx', 'x')",
           "INSERT INTO conversations (id, account_id, source_id, created_at, updated_at, thread_id) "
           "VALUES ('c1', 'a1', 's1', 'x', 'x', 20)",
           "INSERT INTO messages (id, conversation_id, seq, role, content, created_at) VALUES ('m1', 'c1', 9, 'user', 'hi', 'x')",
           "INSERT INTO conversation_context (conversation_id, position, folder_id) VALUES ('c1', 4, 'f1')"}) {
        if (auto s = tx.exec(sql); !s) return s;
      }
      return {};
    }));
  }
  auto db = open_sqlite(dir / "docent.db");
  ASSERT_TRUE(db.ok()) << db.error().message;
  ASSERT_TRUE((*db)->write([&](Tx& tx) -> Status {
    AccountRecord a = account("new");
    if (auto s = accounts::insert(tx, a); !s) return s;
    EXPECT_EQ(a.seq, 42);
    FolderRecord f{.id = "f2", .account_id = "a1", .name = "g", .created_at = "x", .updated_at = "x"};
    if (auto s = folders::insert(tx, f); !s) return s;
    EXPECT_EQ(f.seq, 13);
    FileRecord file;
    file.id = "file2";
    file.account_id = "a1";
    file.name = "n";
    file.mime = "text/plain";
    file.source_type = "text";
    file.sha256 = "bb";
    file.created_at = file.updated_at = "x";
    if (auto s = files::insert(tx, file); !s) return s;
    EXPECT_EQ(file.seq, 31);
    auto e = counters::next(tx, "extractions");
    if (!e) return e.error();
    EXPECT_EQ(*e, 6);
    MessageRecord m{.id = "m2", .conversation_id = "c1", .role = "user", .content = "again", .created_at = "x"};
    if (auto s = conversations::add_message(tx, m); !s) return s;
    EXPECT_EQ(m.seq, 10);
    if (auto s = conversations::add_context(tx, "c1", {ContextItem{.folder_id = "f2"}}); !s) return s;
    auto pos = tx.query_one("SELECT MAX(position) FROM conversation_context WHERE conversation_id = 'c1'");
    if (!pos) return pos.error();
    EXPECT_EQ((*pos)->get_int(0), 5);
    auto thread = conversations::next_thread_id(tx, "a1");
    if (!thread) return thread.error();
    EXPECT_EQ(*thread, 21);
    return {};
  }));
}

}  // namespace
}  // namespace docent::store
