#include "store/sqlite_database.h"

#include "unit/store/temp_dir.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <signal.h>
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <future>
#include <stdexcept>
#include <thread>
#include <vector>

namespace docent::store {
namespace {

using core::Code;
using core::Status;
using ::testing::HasSubstr;

constexpr Migration kSchema[] = {
    {1, "test", R"sql(
      CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, qty INTEGER);
      CREATE TABLE accounts (id TEXT PRIMARY KEY, balance INTEGER NOT NULL);
      CREATE TABLE parents (id TEXT PRIMARY KEY);
      CREATE TABLE children (id INTEGER PRIMARY KEY, parent_id TEXT NOT NULL REFERENCES parents(id));
    )sql"},
};

class SqliteDatabaseTest : public ::testing::Test {
 protected:
  void SetUp() override { db_ = open(); }

  std::unique_ptr<Database> open(SqliteOptions options = {}) {
    auto db = open_sqlite(file_, options, kSchema);
    if (!db.ok()) ADD_FAILURE() << db.error().message;
    return db.ok() ? std::move(db).value() : nullptr;
  }

  int64_t scalar(std::string_view sql, Database* db = nullptr) {
    int64_t value = -1;
    Status s = (db != nullptr ? db : db_.get())->read([&](Tx& tx) -> Status {
      auto row = tx.query_one(sql);
      if (!row.ok()) return row.error();
      value = (*row)->get_int(0);
      return {};
    });
    EXPECT_TRUE(s.ok()) << s.error().message;
    return value;
  }

  Status insert_item(Database& db, const std::string& name, int64_t qty = 0) {
    return db.write([&](Tx& tx) { return tx.exec("INSERT INTO items(name, qty) VALUES (?, ?)", {name, qty}); });
  }

  testing::TempDir dir_;
  std::filesystem::path file_ = dir_ / "docent.db";
  std::unique_ptr<Database> db_;
};

TEST_F(SqliteDatabaseTest, WalForeignKeysAndSynchronousAreOn) {
  ASSERT_TRUE(db_);
  Status s = db_->write([](Tx& tx) -> Status {
    EXPECT_EQ((*tx.query_one("PRAGMA journal_mode"))->get_text(0), "wal");
    EXPECT_EQ((*tx.query_one("PRAGMA foreign_keys"))->get_int(0), 1);
    EXPECT_EQ((*tx.query_one("PRAGMA synchronous"))->get_int(0), 1);  // NORMAL
    EXPECT_EQ((*tx.query_one("PRAGMA busy_timeout"))->get_int(0), 5000);
    return {};
  });
  EXPECT_TRUE(s.ok());
  s = db_->read([](Tx& tx) -> Status {
    EXPECT_EQ((*tx.query_one("PRAGMA journal_mode"))->get_text(0), "wal");
    return {};
  });
  EXPECT_TRUE(s.ok());
  EXPECT_EQ(db_->backend(), "sqlite");
  EXPECT_EQ(db_->schema_version(), 1);
  EXPECT_TRUE(db_->check().ok());
}

// The change counter (read from the wal-index header after the first look): it stays put while
// nothing commits, however often it is asked, and moves on every commit: this process's own
// writer, another handle's (what another process does), and across a WAL reset after a checkpoint.
TEST_F(SqliteDatabaseTest, TheChangeCounterMovesOnEveryCommitAndOnlyThen) {
  auto first = db_->change_counter();
  ASSERT_TRUE(first.ok()) << first.error().message;
  auto again = db_->change_counter();
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(*again, *first);
  ASSERT_EQ(scalar("SELECT count(*) FROM items"), 0);  // a read is not a change
  EXPECT_EQ(*db_->change_counter(), *first);

  std::vector<int64_t> seen{*first};
  auto moved = [&](const char* what) {
    auto now = db_->change_counter();
    ASSERT_TRUE(now.ok()) << what << ": " << now.error().message;
    EXPECT_EQ(std::count(seen.begin(), seen.end(), *now), 0) << what << " did not move the counter";
    EXPECT_EQ(*db_->change_counter(), *now) << "asked twice after " << what;
    seen.push_back(*now);
  };
  ASSERT_TRUE(insert_item(*db_, "own"));
  moved("this handle's commit");
  {
    auto other = open();
    ASSERT_NE(other, nullptr);
    ASSERT_TRUE(insert_item(*other, "other"));
  }
  moved("another handle's commit");
  for (int i = 0; i < 50; ++i) ASSERT_TRUE(insert_item(*db_, "bulk" + std::to_string(i)));
  moved("fifty commits");
  {
    sqlite3* raw = nullptr;  // a checkpoint cannot run inside a transaction, which is all a Database gives
    ASSERT_EQ(sqlite3_open(file_.c_str(), &raw), SQLITE_OK);
    EXPECT_EQ(sqlite3_exec(raw, "PRAGMA wal_checkpoint(TRUNCATE)", nullptr, nullptr, nullptr), SQLITE_OK);
    sqlite3_close(raw);
  }
  ASSERT_TRUE(insert_item(*db_, "after the checkpoint"));  // starts the WAL afresh
  moved("a commit after a truncating checkpoint");
}

TEST_F(SqliteDatabaseTest, RowsGiveValuesByIndexAndName) {
  Status s = db_->read([](Tx& tx) -> Status {
    auto rows = tx.query("SELECT NULL AS n, 42 AS i, 2.5 AS d, 'text' AS t, x'00ff' AS b, ? AS p, ? AS q",
                         {std::string("param"), Blob{std::string("\0z", 2)}});
    if (!rows.ok()) return rows.error();
    EXPECT_EQ(rows->size(), 1u);
    const Row& row = rows->front();
    EXPECT_EQ(row.size(), 7u);
    EXPECT_EQ(row.column_name(1), "i");
    EXPECT_TRUE(row.is_null(0));
    EXPECT_TRUE(row.is_null("n"));
    EXPECT_EQ(row.get_int("n"), 0);
    EXPECT_EQ(row.opt_int("n"), std::nullopt);
    EXPECT_EQ(row.opt_text(0), std::nullopt);
    EXPECT_EQ(row.get_int(1), 42);
    EXPECT_EQ(row.get_double("i"), 42.0);
    EXPECT_EQ(row.get_double("d"), 2.5);
    EXPECT_EQ(row.get_int("d"), 2);
    EXPECT_EQ(row.get_text("t"), "text");
    EXPECT_EQ(row.opt_text("t"), "text");
    EXPECT_EQ(row.get_text("b"), std::string("\0\xff", 2));
    EXPECT_EQ(row.value("b"), Value(Blob{std::string("\0\xff", 2)}));
    EXPECT_EQ(row.value("p"), Value(std::string("param")));         // std::string binds as TEXT
    EXPECT_EQ(row.value("q"), Value(Blob{std::string("\0z", 2)}));  // Blob binds as BLOB
    EXPECT_EQ(row.find("missing"), std::nullopt);
    EXPECT_THROW((void)row.get_int("t"), std::logic_error);
    EXPECT_THROW((void)row.get_text("i"), std::logic_error);
    EXPECT_THROW((void)row.get_int("missing"), std::out_of_range);
    EXPECT_THROW((void)row.get_int(7), std::out_of_range);
    return {};
  });
  EXPECT_TRUE(s.ok()) << s.error().message;
}

TEST_F(SqliteDatabaseTest, MisusedSqlIsAnErrorNotASilentSurprise) {
  Status s = db_->write([](Tx& tx) -> Status {
    Status wrong_count = tx.exec("INSERT INTO items(name, qty) VALUES (?, ?)", {"a"});
    EXPECT_EQ(wrong_count.error().code, Code::Internal);
    EXPECT_THAT(wrong_count.error().message, HasSubstr("expects 2 parameters, got 1"));
    Status two = tx.exec("INSERT INTO items(name) VALUES ('a'); INSERT INTO items(name) VALUES ('b')");
    EXPECT_THAT(two.error().message, HasSubstr("more than one statement"));
    Status empty = tx.exec("  -- nothing");
    EXPECT_FALSE(empty.ok());
    Status syntax = tx.exec("INSRT INTO items");
    EXPECT_EQ(syntax.error().code, Code::Internal);
    EXPECT_THAT(syntax.error().message, HasSubstr("syntax error"));
    // Trailing semicolons and comments are fine.
    return tx.exec("INSERT INTO items(name) VALUES ('c'); -- done");
  });
  ASSERT_TRUE(s.ok()) << s.error().message;
  EXPECT_EQ(scalar("SELECT count(*) FROM items"), 1);
}

TEST_F(SqliteDatabaseTest, AtLeastOneReaderIsRequired) {
  auto db = open_sqlite(dir_ / "other.db", SqliteOptions{.readers = 0}, kSchema);
  ASSERT_FALSE(db.ok());
  EXPECT_EQ(db.error().code, Code::InvalidInput);
}

TEST_F(SqliteDatabaseTest, AMissingFolderIsAClearError) {
  auto db = open_sqlite(dir_ / "no" / "such" / "docent.db", {}, kSchema);
  ASSERT_FALSE(db.ok());
  EXPECT_THAT(db.error().message, HasSubstr("cannot open database"));
}

TEST_F(SqliteDatabaseTest, AnAcknowledgedWriteSurvivesKillDashNine) {
  db_.reset();
  const pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    auto db = open_sqlite(file_, {}, kSchema);
    if (!db.ok() || !insert_item(**db, "survivor", 7).ok()) _exit(1);
    raise(SIGKILL);  // no destructors, no checkpoint, no close
    _exit(2);
  }
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFSIGNALED(status)) << "child exited with " << WEXITSTATUS(status);
  EXPECT_EQ(WTERMSIG(status), SIGKILL);
  db_ = open();
  ASSERT_TRUE(db_);
  EXPECT_EQ(scalar("SELECT qty FROM items WHERE name = 'survivor'"), 7);
}

}  // namespace
}  // namespace docent::store
