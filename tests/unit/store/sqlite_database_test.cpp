#include "store/sqlite_database.h"

#include "unit/store/temp_dir.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

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

TEST_F(SqliteDatabaseTest, ForeignKeysAreEnforced) {
  Status s = db_->write([](Tx& tx) { return tx.exec("INSERT INTO children(parent_id) VALUES ('nobody')"); });
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, Code::Internal);
  EXPECT_THAT(s.error().message, HasSubstr("FOREIGN KEY constraint failed"));
  EXPECT_EQ(s.error().details.at("constraint_kind").as_string(), "foreign_key");
  EXPECT_EQ(scalar("SELECT count(*) FROM children"), 0);
}

TEST_F(SqliteDatabaseTest, WriteCommits) {
  Status s = db_->write([](Tx& tx) -> Status {
    if (Status s = tx.exec("INSERT INTO items(name, qty) VALUES (?, ?)", {"a", 1}); !s.ok()) return s;
    EXPECT_EQ(tx.changes(), 1);
    const int64_t id = tx.last_insert_id();
    if (Status s = tx.exec("INSERT INTO items(name, qty) VALUES (?, ?)", {"b", 2}); !s.ok()) return s;
    EXPECT_EQ(tx.last_insert_id(), id + 1);
    if (Status s = tx.exec("UPDATE items SET qty = qty + 10"); !s.ok()) return s;
    EXPECT_EQ(tx.changes(), 2);
    return {};
  });
  ASSERT_TRUE(s.ok()) << s.error().message;
  EXPECT_EQ(scalar("SELECT sum(qty) FROM items"), 23);
}

TEST_F(SqliteDatabaseTest, FailingFnLeavesNothing) {
  Status s = db_->write([](Tx& tx) -> Status {
    EXPECT_TRUE(tx.exec("INSERT INTO items(name) VALUES ('a')").ok());
    EXPECT_TRUE(tx.exec("INSERT INTO items(name) VALUES ('b')").ok());
    return core::Error(Code::InvalidInput, "changed my mind", "name");
  });
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, Code::InvalidInput);  // fn's own error comes back unchanged
  EXPECT_EQ(s.error().field, "name");
  EXPECT_EQ(scalar("SELECT count(*) FROM items"), 0);
  EXPECT_TRUE(insert_item(*db_, "a").ok());  // and the writer is usable again
}

TEST_F(SqliteDatabaseTest, ExceptionRollsBackAndIsRethrown) {
  EXPECT_THROW((void)db_->write([](Tx& tx) -> Status {
    EXPECT_TRUE(tx.exec("INSERT INTO items(name) VALUES ('a')").ok());
    throw std::runtime_error("boom");
  }),
               std::runtime_error);
  EXPECT_EQ(scalar("SELECT count(*) FROM items"), 0);
  EXPECT_TRUE(insert_item(*db_, "a").ok());
  EXPECT_EQ(scalar("SELECT count(*) FROM items"), 1);
}

TEST_F(SqliteDatabaseTest, UniqueViolationIsConflictNamingTheConstraint) {
  ASSERT_TRUE(insert_item(*db_, "dup").ok());
  Status s = insert_item(*db_, "dup");
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, Code::Conflict);
  EXPECT_THAT(s.error().message, HasSubstr("items.name"));
  EXPECT_EQ(s.error().details.at("constraint").as_string(), "items.name");
  EXPECT_EQ(s.error().details.at("constraint_kind").as_string(), "unique");

  s = db_->write([](Tx& tx) { return tx.exec("INSERT INTO accounts VALUES ('x', 1), ('x', 2)"); });
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, Code::Conflict);  // a primary key is unique too
  EXPECT_EQ(s.error().details.at("constraint").as_string(), "accounts.id");
}

TEST_F(SqliteDatabaseTest, OtherConstraintsAreInternal) {
  Status s = db_->write([](Tx& tx) { return tx.exec("INSERT INTO items(name) VALUES (NULL)"); });
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, Code::Internal);
  EXPECT_THAT(s.error().message, HasSubstr("NOT NULL constraint failed: items.name"));
  EXPECT_EQ(s.error().details.at("constraint_kind").as_string(), "not_null");
}

TEST_F(SqliteDatabaseTest, AFailedStatementCanBeHandledInsideTheTransaction) {
  Status s = db_->write([](Tx& tx) -> Status {
    EXPECT_TRUE(tx.exec("INSERT INTO items(name) VALUES ('a')").ok());
    Status dup = tx.exec("INSERT INTO items(name) VALUES ('a')");
    EXPECT_EQ(dup.error().code, Code::Conflict);
    return tx.exec("INSERT INTO items(name) VALUES ('b')");
  });
  ASSERT_TRUE(s.ok()) << s.error().message;
  EXPECT_EQ(scalar("SELECT count(*) FROM items"), 2);
}

TEST_F(SqliteDatabaseTest, ReadTransactionsCannotWrite) {
  Status s = db_->read([](Tx& tx) { return tx.exec("INSERT INTO items(name) VALUES ('a')"); });
  ASSERT_FALSE(s.ok());
  EXPECT_THAT(s.error().message, HasSubstr("readonly"));
  EXPECT_EQ(scalar("SELECT count(*) FROM items"), 0);
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
    EXPECT_EQ(row.value("p"), Value(std::string("param")));  // std::string binds as TEXT
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

TEST_F(SqliteDatabaseTest, QueryOneGivesTheFirstRowOrNothing) {
  ASSERT_TRUE(insert_item(*db_, "a", 1).ok());
  ASSERT_TRUE(insert_item(*db_, "b", 2).ok());
  Status s = db_->read([](Tx& tx) -> Status {
    auto none = tx.query_one("SELECT qty FROM items WHERE name = ?", {"zzz"});
    EXPECT_TRUE(none.ok());
    EXPECT_FALSE(none->has_value());
    auto first = tx.query_one("SELECT qty FROM items ORDER BY qty DESC");
    EXPECT_TRUE(first.ok() && first->has_value());
    EXPECT_EQ((*first)->get_int("qty"), 2);
    return {};
  });
  EXPECT_TRUE(s.ok());
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

TEST_F(SqliteDatabaseTest, NestedTransactionsAreRefused) {
  Status inner_write, inner_read, read_in_read;
  Status s = db_->write([&](Tx&) -> Status {
    inner_write = db_->write([](Tx&) -> Status { return {}; });
    inner_read = db_->read([](Tx&) -> Status { return {}; });
    return {};
  });
  EXPECT_TRUE(s.ok());
  EXPECT_THAT(inner_write.error().message, HasSubstr("use the Tx you have"));
  EXPECT_EQ(inner_read.error().code, Code::Internal);
  s = db_->read([&](Tx&) -> Status {
    read_in_read = db_->read([](Tx&) -> Status { return {}; });
    return {};
  });
  EXPECT_TRUE(s.ok());
  EXPECT_FALSE(read_in_read.ok());
  // Afterwards the thread is outside again.
  EXPECT_TRUE(insert_item(*db_, "a").ok());
}

TEST_F(SqliteDatabaseTest, AReadSeesOneSnapshotWhileAWriteCommits) {
  ASSERT_TRUE(insert_item(*db_, "a", 1).ok());
  int64_t before = -1, after = -1;
  Status s = db_->read([&](Tx& tx) -> Status {
    before = (*tx.query_one("SELECT sum(qty) FROM items"))->get_int(0);
    // Another thread commits a write while this read transaction is open.
    std::thread writer([&] {
      EXPECT_TRUE(db_->write([](Tx& w) { return w.exec("UPDATE items SET qty = 100"); }).ok());
    });
    writer.join();
    after = (*tx.query_one("SELECT sum(qty) FROM items"))->get_int(0);
    return {};
  });
  ASSERT_TRUE(s.ok()) << s.error().message;
  EXPECT_EQ(before, 1);
  EXPECT_EQ(after, 1);                                   // still the snapshot
  EXPECT_EQ(scalar("SELECT sum(qty) FROM items"), 100);  // a new read sees the commit
}

TEST_F(SqliteDatabaseTest, ConcurrentReadersNeverSeeAHalfDoneTransfer) {
  ASSERT_TRUE(db_->write([](Tx& tx) { return tx.exec("INSERT INTO accounts VALUES ('a', 1000), ('b', 0)"); }).ok());
  std::atomic<bool> done{false};
  std::atomic<int> reads{0}, torn{0};
  std::vector<std::thread> readers;
  for (int r = 0; r < 3; ++r) {
    readers.emplace_back([&] {
      while (!done.load()) {
        Status s = db_->read([&](Tx& tx) -> Status {
          // Two separate statements: only a snapshot makes them agree.
          auto a = tx.query_one("SELECT balance FROM accounts WHERE id = 'a'");
          auto b = tx.query_one("SELECT balance FROM accounts WHERE id = 'b'");
          if (!a.ok()) return a.error();
          if (!b.ok()) return b.error();
          if ((*a)->get_int(0) + (*b)->get_int(0) != 1000) ++torn;
          return {};
        });
        EXPECT_TRUE(s.ok());
        ++reads;
      }
    });
  }
  for (int i = 0; i < 300; ++i) {
    Status s = db_->write([](Tx& tx) -> Status {
      if (Status s = tx.exec("UPDATE accounts SET balance = balance - 1 WHERE id = 'a'"); !s.ok()) return s;
      return tx.exec("UPDATE accounts SET balance = balance + 1 WHERE id = 'b'");
    });
    ASSERT_TRUE(s.ok()) << s.error().message;
  }
  done = true;
  for (auto& t : readers) t.join();
  EXPECT_GT(reads.load(), 0);
  EXPECT_EQ(torn.load(), 0);
  EXPECT_EQ(scalar("SELECT balance FROM accounts WHERE id = 'b'"), 300);
}

TEST_F(SqliteDatabaseTest, ManyThreadsWritingAllSucceed) {
  constexpr int kThreads = 8, kEach = 50;
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kEach; ++i) {
        if (!insert_item(*db_, std::to_string(t) + "-" + std::to_string(i), 1).ok()) ++failures;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(scalar("SELECT count(*) FROM items"), kThreads * kEach);
}

TEST_F(SqliteDatabaseTest, TwoOpenersOfOneFileShareItThroughTheBusyTimeout) {
  // Two Database objects are two writer connections, as two processes would have.
  auto other = open();
  ASSERT_TRUE(other);
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      Database& db = t % 2 == 0 ? *db_ : *other;
      for (int i = 0; i < 40; ++i) {
        Status s = insert_item(db, std::to_string(t) + "-" + std::to_string(i));
        if (!s.ok()) {
          ++failures;
          ADD_FAILURE() << s.error().message;
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(scalar("SELECT count(*) FROM items", other.get()), 160);
}

TEST_F(SqliteDatabaseTest, ALockHeldPastTheBusyTimeoutIsServiceUnavailable) {
  auto impatient = open(SqliteOptions{.readers = 1, .busy_timeout = std::chrono::milliseconds(50)});
  ASSERT_TRUE(impatient);
  std::promise<void> holding, release;
  std::thread holder([&] {
    Status s = db_->write([&](Tx& tx) -> Status {
      holding.set_value();
      release.get_future().wait();
      return tx.exec("INSERT INTO items(name) VALUES ('held')");
    });
    EXPECT_TRUE(s.ok());
  });
  holding.get_future().wait();
  bool ran = false;
  Status s = impatient->write([&](Tx&) -> Status {
    ran = true;
    return {};
  });
  release.set_value();
  holder.join();
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, Code::ServiceUnavailable);
  EXPECT_FALSE(ran);
  EXPECT_TRUE(insert_item(*impatient, "later").ok());
}

TEST_F(SqliteDatabaseTest, AnExhaustedReaderPoolIsServiceUnavailable) {
  db_.reset();
  db_ = open(SqliteOptions{.readers = 1, .busy_timeout = std::chrono::milliseconds(50)});
  ASSERT_TRUE(db_);
  std::promise<void> holding, release;
  std::thread holder([&] {
    EXPECT_TRUE(db_->read([&](Tx&) -> Status {
                     holding.set_value();
                     release.get_future().wait();
                     return {};
                   }).ok());
  });
  holding.get_future().wait();
  Status s = db_->read([](Tx&) -> Status { return {}; });
  release.set_value();
  holder.join();
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, Code::ServiceUnavailable);
  EXPECT_TRUE(db_->check().ok());  // the reader came back
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
