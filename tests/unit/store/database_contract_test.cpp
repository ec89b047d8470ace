// The Database contract (database.h) as every backend must keep it, one value-parameterised suite
// over a backend factory: SQLite today; the PostgreSQL backend adds itself to kBackends and runs
// the same tests. What only SQLite does (WAL, file handling, its messages) is tested in
// sqlite_database_test.cpp.
//
// SQL here is what both backends understand: `?` placeholders, INSERT/UPDATE ... RETURNING, and
// JSON read with `->>` (SQLite 3.38+ on TEXT holding JSON; PostgreSQL on json/jsonb columns,
// which its test schema declares). A failed statement leaves the transaction usable (PostgreSQL
// needs a savepoint per statement for that); a UNIQUE violation is Conflict naming its columns.

#include "store/sqlite_database.h"

#include "unit/store/temp_dir.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <functional>
#include <future>
#include <mutex>
#include <ostream>
#include <set>
#include <stdexcept>
#include <thread>
#include <vector>

namespace docent::store {
namespace {

using core::Code;
using core::Status;
using ::testing::HasSubstr;

// What a test may ask of the backend it opens.
struct Options {
  int readers = 4;
  std::chrono::milliseconds busy_timeout{5000};
};

// One backend: `open` gives a Database over this test's storage (every call in one test reaches
// the same data, as two processes would), at the contract's schema:
//   items (id integer key, name text unique not null, qty integer)
//   accounts (id text key, balance integer not null)
//   parents (id text key); children (id integer key, parent_id text not null references parents)
//   docs (id text key, body JSON not null)
//   counters (name text key, value integer not null)
struct Backend {
  std::string name;
  std::function<core::Result<std::unique_ptr<Database>>(const std::filesystem::path& dir, const Options&)> open;
};

// gtest prints the backend by its name.
void PrintTo(const Backend& backend, std::ostream* os) { *os << backend.name; }

constexpr Migration kSqliteSchema[] = {
    {1, "contract", R"sql(
      CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, qty INTEGER);
      CREATE TABLE accounts (id TEXT PRIMARY KEY, balance INTEGER NOT NULL);
      CREATE TABLE parents (id TEXT PRIMARY KEY);
      CREATE TABLE children (id INTEGER PRIMARY KEY, parent_id TEXT NOT NULL REFERENCES parents(id));
      CREATE TABLE docs (id TEXT PRIMARY KEY, body TEXT NOT NULL CHECK (json_valid(body)));
      CREATE TABLE counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
    )sql"},
};

const Backend kBackends[] =
    {
        {"sqlite",
         [](const std::filesystem::path& dir, const Options& o) {
  return open_sqlite(dir / "docent.db", SqliteOptions{.readers = o.readers, .busy_timeout = o.busy_timeout},
                     kSqliteSchema);
         }},
};

class DatabaseContractTest : public ::testing::TestWithParam<Backend> {
 protected:
  void SetUp() override { db_ = open(); }

  std::unique_ptr<Database> open(Options options = {}) {
    auto db = GetParam().open(dir_.path(), options);
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
  std::unique_ptr<Database> db_;
};

TEST_P(DatabaseContractTest, ForeignKeysAreEnforced) {
  Status s = db_->write([](Tx& tx) { return tx.exec("INSERT INTO children(parent_id) VALUES ('nobody')"); });
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, Code::Internal);
  EXPECT_EQ(s.error().details.at("constraint_kind").as_string(), "foreign_key");
  EXPECT_EQ(scalar("SELECT count(*) FROM children"), 0);
}

TEST_P(DatabaseContractTest, WriteCommits) {
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

TEST_P(DatabaseContractTest, FailingFnLeavesNothing) {
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

TEST_P(DatabaseContractTest, ExceptionRollsBackAndIsRethrown) {
  EXPECT_THROW((void)db_->write([](Tx& tx) -> Status {
    EXPECT_TRUE(tx.exec("INSERT INTO items(name) VALUES ('a')").ok());
    throw std::runtime_error("boom");
  }),
               std::runtime_error);
  EXPECT_EQ(scalar("SELECT count(*) FROM items"), 0);
  EXPECT_TRUE(insert_item(*db_, "a").ok());
  EXPECT_EQ(scalar("SELECT count(*) FROM items"), 1);
}

TEST_P(DatabaseContractTest, UniqueViolationIsConflictNamingTheConstraint) {
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

TEST_P(DatabaseContractTest, OtherConstraintsAreInternal) {
  Status s = db_->write([](Tx& tx) { return tx.exec("INSERT INTO items(name) VALUES (NULL)"); });
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, Code::Internal);
  EXPECT_EQ(s.error().details.at("constraint_kind").as_string(), "not_null");
}

TEST_P(DatabaseContractTest, AFailedStatementCanBeHandledInsideTheTransaction) {
  Status s = db_->write([](Tx& tx) -> Status {
    EXPECT_TRUE(tx.exec("INSERT INTO items(name) VALUES ('a')").ok());
    Status dup = tx.exec("INSERT INTO items(name) VALUES ('a')");
    EXPECT_EQ(dup.error().code, Code::Conflict);
    return tx.exec("INSERT INTO items(name) VALUES ('b')");
  });
  ASSERT_TRUE(s.ok()) << s.error().message;
  EXPECT_EQ(scalar("SELECT count(*) FROM items"), 2);
}

TEST_P(DatabaseContractTest, ReadTransactionsCannotWrite) {
  Status s = db_->read([](Tx& tx) { return tx.exec("INSERT INTO items(name) VALUES ('a')"); });
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(scalar("SELECT count(*) FROM items"), 0);
}

TEST_P(DatabaseContractTest, QueryOneGivesTheFirstRowOrNothing) {
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

TEST_P(DatabaseContractTest, NestedTransactionsAreRefused) {
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

TEST_P(DatabaseContractTest, AReadSeesOneSnapshotWhileAWriteCommits) {
  ASSERT_TRUE(insert_item(*db_, "a", 1).ok());
  int64_t before = -1, after = -1;
  Status s = db_->read([&](Tx& tx) -> Status {
    before = (*tx.query_one("SELECT sum(qty) FROM items"))->get_int(0);
    // Another thread commits a write while this read transaction is open.
    std::thread writer(
        [&] { EXPECT_TRUE(db_->write([](Tx& w) { return w.exec("UPDATE items SET qty = 100"); }).ok()); });
    writer.join();
    after = (*tx.query_one("SELECT sum(qty) FROM items"))->get_int(0);
    return {};
  });
  ASSERT_TRUE(s.ok()) << s.error().message;
  EXPECT_EQ(before, 1);
  EXPECT_EQ(after, 1);                                   // still the snapshot
  EXPECT_EQ(scalar("SELECT sum(qty) FROM items"), 100);  // a new read sees the commit
}

TEST_P(DatabaseContractTest, ConcurrentReadersNeverSeeAHalfDoneTransfer) {
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

TEST_P(DatabaseContractTest, ManyThreadsWritingAllSucceed) {
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

TEST_P(DatabaseContractTest, TwoOpenersOfOneFileShareItThroughTheBusyTimeout) {
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

TEST_P(DatabaseContractTest, ALockHeldPastTheBusyTimeoutIsServiceUnavailable) {
  auto impatient = open(Options{.readers = 1, .busy_timeout = std::chrono::milliseconds(50)});
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

TEST_P(DatabaseContractTest, AnExhaustedReaderPoolIsServiceUnavailable) {
  db_.reset();
  db_ = open(Options{.readers = 1, .busy_timeout = std::chrono::milliseconds(50)});
  ASSERT_TRUE(db_);
  std::promise<void> holding, release;
  std::thread holder([&] {
    EXPECT_TRUE(db_->read([&](Tx&) -> Status {
                     holding.set_value();
                     release.get_future().wait();
                     return {};
                   })
                    .ok());
  });
  holding.get_future().wait();
  Status s = db_->read([](Tx&) -> Status { return {}; });
  release.set_value();
  holder.join();
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, Code::ServiceUnavailable);
  EXPECT_TRUE(db_->check().ok());  // the reader came back
}

TEST_P(DatabaseContractTest, ReturningGivesTheRowsAStatementWrote) {
  Status s = db_->write([](Tx& tx) -> Status {
    auto a = tx.query_one("INSERT INTO items(name, qty) VALUES (?, ?) RETURNING id, qty", {"a", 5});
    if (!a.ok()) return a.error();
    EXPECT_TRUE(a->has_value());
    auto b = tx.query_one("INSERT INTO items(name, qty) VALUES (?, ?) RETURNING id", {"b", 7});
    if (!b.ok()) return b.error();
    EXPECT_GT((*b)->get_int("id"), (*a)->get_int("id"));
    EXPECT_EQ((*a)->get_int("qty"), 5);
    auto raised = tx.query("UPDATE items SET qty = qty + 1 RETURNING name, qty");
    if (!raised.ok()) return raised.error();
    EXPECT_EQ(raised->size(), 2u);
    std::set<int64_t> qtys;
    for (const Row& r : *raised) qtys.insert(r.get_int("qty"));
    EXPECT_EQ(qtys, (std::set<int64_t>{6, 8}));
    auto none = tx.query_one("UPDATE items SET qty = 0 WHERE name = ? RETURNING id", {"missing"});
    if (!none.ok()) return none.error();
    EXPECT_FALSE(none->has_value());  // no row changed, no row returned
    return {};
  });
  ASSERT_TRUE(s.ok()) << s.error().message;
  EXPECT_EQ(scalar("SELECT sum(qty) FROM items"), 14);
}

TEST_P(DatabaseContractTest, ACounterHandsEachNumberOutOnceAcrossConnections) {
  ASSERT_TRUE(db_->write([](Tx& tx) { return tx.exec("INSERT INTO counters(name, value) VALUES ('n', 0)"); }));
  auto other = open();
  ASSERT_TRUE(other);
  std::mutex mu;
  std::vector<int64_t> got;
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      Database& db = t % 2 == 0 ? *db_ : *other;
      for (int i = 0; i < 25; ++i) {
        Status s = db.write([&](Tx& tx) -> Status {
          auto row = tx.query_one("UPDATE counters SET value = value + 1 WHERE name = 'n' RETURNING value");
          if (!row.ok()) return row.error();
          std::lock_guard lock(mu);
          got.push_back((*row)->get_int(0));
          return {};
        });
        EXPECT_TRUE(s.ok()) << s.error().message;
      }
    });
  }
  for (auto& t : threads) t.join();
  const std::set<int64_t> unique(got.begin(), got.end());
  EXPECT_EQ(unique.size(), 100u) << "a number was handed out twice";
  EXPECT_EQ(*unique.rbegin(), 100);
}

TEST_P(DatabaseContractTest, JsonParametersAreStoredWholeAndReadByKey) {
  const std::string body = R"({"title":"Q3 report","pages":12,"tags":["a","b"],"nested":{"k":"v"}})";
  ASSERT_TRUE(db_->write([&](Tx& tx) { return tx.exec("INSERT INTO docs(id, body) VALUES (?, ?)", {"d1", body}); }));
  Status s = db_->read([&](Tx& tx) -> Status {
    auto row = tx.query_one("SELECT body ->> 'title' AS title, body ->> 'pages' AS pages FROM docs WHERE id = ?",
                            {"d1"});
    if (!row.ok()) return row.error();
    EXPECT_EQ((*row)->get_text("title"), "Q3 report");
    // ->> gives SQLite's SQL value for a JSON number and PostgreSQL's text: either is 12.
    const Value& pages = (*row)->value("pages");
    EXPECT_TRUE(pages == Value(int64_t{12}) || pages == Value(std::string("12")));
    auto match = tx.query_one("SELECT id FROM docs WHERE body ->> 'title' = ?", {"Q3 report"});
    if (!match.ok()) return match.error();
    EXPECT_TRUE(match->has_value());
    return {};
  });
  ASSERT_TRUE(s.ok()) << s.error().message;
  // Text that is not JSON is refused by the column, not stored.
  Status bad = db_->write([](Tx& tx) { return tx.exec("INSERT INTO docs(id, body) VALUES ('d2', '{not json')"); });
  EXPECT_FALSE(bad.ok());
}

INSTANTIATE_TEST_SUITE_P(Backends, DatabaseContractTest, ::testing::ValuesIn(kBackends),
                         [](const ::testing::TestParamInfo<Backend>& info) { return info.param.name; });

}  // namespace
}  // namespace docent::store
