#include "store/sqlite_connection.h"

#include "unit/store/temp_dir.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <sqlite3.h>

namespace docent::store {
namespace {

using core::Code;
using ::testing::HasSubstr;

class SqliteConnectionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto conn = SqliteConnection::open(dir_ / "c.db", SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE,
                                       std::chrono::milliseconds(1000));
    ASSERT_TRUE(conn.ok()) << conn.error().message;
    conn_ = std::move(conn).value();
    ASSERT_TRUE(conn_->exec_script("CREATE TABLE t (k INTEGER PRIMARY KEY, v TEXT UNIQUE);").ok());
  }

  testing::TempDir dir_;
  std::unique_ptr<SqliteConnection> conn_;
};

TEST_F(SqliteConnectionTest, TheSameSqlIsPreparedOnceAndReused) {
  const uint64_t before = conn_->prepare_count();
  for (int64_t i = 0; i < 1000; ++i) {
    ASSERT_TRUE(conn_->exec("INSERT INTO t(k, v) VALUES (?, ?)", {i, std::to_string(i * 7)}).ok());
  }
  for (int64_t i = 0; i < 1000; i += 97) {
    auto rows = conn_->query("SELECT v FROM t WHERE k = ?", {i});
    ASSERT_TRUE(rows.ok());
    ASSERT_EQ(rows->size(), 1u);
    EXPECT_EQ(rows->front().get_text(0), std::to_string(i * 7));
  }
  EXPECT_EQ(conn_->prepare_count() - before, 2u);
  auto first = conn_->prepare("SELECT v FROM t WHERE k = ?");
  auto again = conn_->prepare("SELECT v FROM t WHERE k = ?");
  ASSERT_TRUE(first.ok() && again.ok());
  EXPECT_EQ(*first, *again);
}

TEST_F(SqliteConnectionTest, AStatementIsReusableAfterItFailed) {
  const std::string sql = "INSERT INTO t(k, v) VALUES (?, ?)";
  ASSERT_TRUE(conn_->exec(sql, {1, "same"}).ok());
  core::Status dup = conn_->exec(sql, {2, "same"});
  ASSERT_FALSE(dup.ok());
  EXPECT_EQ(dup.error().code, Code::Conflict);
  EXPECT_TRUE(conn_->exec(sql, {3, "other"}).ok());
  int64_t changes = -1;
  EXPECT_TRUE(conn_->exec("DELETE FROM t", {}, &changes).ok());
  EXPECT_EQ(changes, 2);
}

TEST_F(SqliteConnectionTest, TheCacheIsBoundedAndEvictsTheLeastRecentlyUsed) {
  const std::string hot = "SELECT count(*) FROM t";
  ASSERT_TRUE(conn_->query(hot, {}).ok());
  for (size_t i = 0; i < 3 * SqliteConnection::kStatementCacheSize; ++i) {
    auto rows = conn_->query("SELECT " + std::to_string(i) + " AS n", {});
    ASSERT_TRUE(rows.ok());
    EXPECT_EQ(rows->front().get_int("n"), static_cast<int64_t>(i));
    ASSERT_TRUE(conn_->query(hot, {}).ok());  // keeps `hot` recently used
  }
  EXPECT_LE(conn_->cached_statements(), SqliteConnection::kStatementCacheSize);
  const uint64_t before = conn_->prepare_count();
  ASSERT_TRUE(conn_->query(hot, {}).ok());
  EXPECT_EQ(conn_->prepare_count(), before);  // never evicted
  ASSERT_TRUE(conn_->query("SELECT 0 AS n", {}).ok());
  EXPECT_EQ(conn_->prepare_count(), before + 1);  // evicted long ago, prepared again
}

TEST_F(SqliteConnectionTest, ScriptsRunManyStatements) {
  ASSERT_TRUE(conn_->exec_script("INSERT INTO t VALUES (1, 'a'); INSERT INTO t VALUES (2, 'b');").ok());
  auto rows = conn_->query("SELECT count(*) FROM t", {});
  ASSERT_TRUE(rows.ok());
  EXPECT_EQ(rows->front().get_int(0), 2);
  core::Status bad = conn_->exec_script("INSERT INTO nowhere VALUES (1);");
  ASSERT_FALSE(bad.ok());
  EXPECT_THAT(bad.error().message, HasSubstr("no such table: nowhere"));
}

TEST(SqliteError, MapsCodesAsDatabaseHPromises) {
  EXPECT_EQ(sqlite_error(nullptr, SQLITE_BUSY).code, Code::ServiceUnavailable);
  EXPECT_EQ(sqlite_error(nullptr, SQLITE_LOCKED).code, Code::ServiceUnavailable);
  EXPECT_EQ(sqlite_error(nullptr, SQLITE_CONSTRAINT_UNIQUE).code, Code::Conflict);
  EXPECT_EQ(sqlite_error(nullptr, SQLITE_CONSTRAINT_PRIMARYKEY).code, Code::Conflict);
  EXPECT_EQ(sqlite_error(nullptr, SQLITE_CONSTRAINT_FOREIGNKEY).code, Code::Internal);
  EXPECT_EQ(sqlite_error(nullptr, SQLITE_IOERR).code, Code::Internal);
}

}  // namespace
}  // namespace docent::store
