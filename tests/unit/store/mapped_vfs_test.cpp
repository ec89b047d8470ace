#include "store/mapped_vfs.h"

#include "store/sqlite_connection.h"
#include "unit/store/temp_dir.h"

#include <gtest/gtest.h>

#include <sqlite3.h>

#include <string>

namespace docent::store {
namespace {

constexpr std::chrono::milliseconds kBusy{2000};

// A writer on the default VFS and a read-only connection on the mapped one, with SQLite's own
// map off so that every page the reader needs goes through the mapped VFS's read.
class MappedVfsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto w = SqliteConnection::open(dir_ / "m.db", SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, kBusy);
    ASSERT_TRUE(w.ok()) << w.error().message;
    writer_ = std::move(w).value();
    ASSERT_TRUE(
        writer_->exec_script("PRAGMA journal_mode = WAL; CREATE TABLE t (k INTEGER PRIMARY KEY, v TEXT);").ok());
    add_rows(0, 200);
    auto r = SqliteConnection::open(dir_ / "m.db", SQLITE_OPEN_READONLY, kBusy, mapped_vfs_name());
    ASSERT_TRUE(r.ok()) << r.error().message;
    reader_ = std::move(r).value();
    ASSERT_TRUE(reader_->exec_script("PRAGMA mmap_size = 0; PRAGMA cache_size = 0;").ok());
  }

  // Rows [from, to), each about 1 kB, then checkpointed so their pages are in the main file.
  void add_rows(int64_t from, int64_t to) {
    ASSERT_TRUE(writer_->exec_script("BEGIN").ok());
    for (int64_t k = from; k < to; ++k) {
      ASSERT_TRUE(writer_->exec("INSERT INTO t (k, v) VALUES (?, ?)", {k, value_of(k)}).ok());
    }
    ASSERT_TRUE(writer_->exec_script("COMMIT; PRAGMA wal_checkpoint(TRUNCATE);").ok());
  }

  static std::string value_of(int64_t k) {
    return std::string(1000, static_cast<char>('a' + k % 26)) + std::to_string(k);
  }

  // Every row's value as the reader sees it, checked against what was written.
  int64_t read_and_check(int64_t expected) {
    auto rows = reader_->query("SELECT k, v FROM t ORDER BY k", {});
    EXPECT_TRUE(rows.ok());
    if (!rows.ok()) return -1;
    EXPECT_EQ(static_cast<int64_t>(rows->size()), expected);
    for (const auto& row : *rows) {
      if (row.get_text(1) != value_of(row.get_int(0))) {
        ADD_FAILURE() << "row " << row.get_int(0) << " reads back wrong";
        break;
      }
    }
    return static_cast<int64_t>(rows->size());
  }

  testing::TempDir dir_;
  std::unique_ptr<SqliteConnection> writer_;
  std::unique_ptr<SqliteConnection> reader_;
};

TEST_F(MappedVfsTest, AReadOnlyConnectionReadsItsPagesFromTheMap) {
  const uint64_t before = mapped_vfs_reads();
  read_and_check(200);
  EXPECT_GT(mapped_vfs_reads(), before + 50);  // 200 kB of rows: dozens of pages
}

TEST_F(MappedVfsTest, PagesAddedAfterTheMapWasMadeAreReadToo) {
  read_and_check(200);
  add_rows(200, 2000);  // the file grows well past the map the first reads made
  const uint64_t before = mapped_vfs_reads();
  read_and_check(2000);
  EXPECT_GT(mapped_vfs_reads(), before + 500);
  // And rows rewritten in place read back new.
  ASSERT_TRUE(writer_->exec("UPDATE t SET v = ? WHERE k = 7", {std::string("changed")}).ok());
  ASSERT_TRUE(writer_->exec_script("PRAGMA wal_checkpoint(TRUNCATE);").ok());
  auto row = reader_->query("SELECT v FROM t WHERE k = 7", {});
  ASSERT_TRUE(row.ok());
  ASSERT_EQ(row->size(), 1u);
  EXPECT_EQ(row->front().get_text(0), "changed");
}

TEST_F(MappedVfsTest, WritingConnectionsAndMissingFilesBehaveAsOnTheDefaultVfs) {
  // A read-write connection on the mapped VFS writes and reads through the default VFS's code.
  auto rw = SqliteConnection::open(dir_ / "other.db", SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, kBusy,
                                   mapped_vfs_name());
  ASSERT_TRUE(rw.ok()) << rw.error().message;
  ASSERT_TRUE((*rw)->exec_script("CREATE TABLE x (a); INSERT INTO x VALUES (42);").ok());
  auto rows = (*rw)->query("SELECT a FROM x", {});
  ASSERT_TRUE(rows.ok());
  EXPECT_EQ(rows->front().get_int(0), 42);
  // A read-only open of a file that does not exist fails as it would without the mapped VFS.
  auto missing = SqliteConnection::open(dir_ / "missing.db", SQLITE_OPEN_READONLY, kBusy, mapped_vfs_name());
  EXPECT_FALSE(missing.ok());
}

}  // namespace
}  // namespace docent::store
