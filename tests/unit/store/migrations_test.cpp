#include "store/migrations.h"

#include "store/sqlite_database.h"
#include "unit/store/temp_dir.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <vector>

namespace docent::store {
namespace {

using core::Code;
using core::Status;
using ::testing::HasSubstr;

class MigrationsTest : public ::testing::Test {
 protected:
  core::Result<std::unique_ptr<Database>> open(std::span<const Migration> migrations) {
    return open_sqlite(file_, {}, migrations);
  }

  // All rows of a one-column query, as text, through a read transaction.
  std::vector<std::string> column(Database& db, std::string_view sql) {
    std::vector<std::string> out;
    Status s = db.read([&](Tx& tx) -> Status {
      auto rows = tx.query(sql);
      if (!rows.ok()) return rows.error();
      for (const Row& row : *rows) {
        out.push_back(row.is_null(0)                                  ? "NULL"
                      : std::holds_alternative<int64_t>(row.value(0)) ? std::to_string(row.get_int(0))
                                                                      : row.get_text(0));
      }
      return {};
    });
    EXPECT_TRUE(s.ok()) << s.error().message;
    return out;
  }

  std::vector<std::string> tables(Database& db) {
    return column(db, "SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name");
  }

  testing::TempDir dir_;
  std::filesystem::path file_ = dir_ / "docent.db";
};

constexpr Migration kOne = {1, "create", "CREATE TABLE t (n TEXT NOT NULL);"};
constexpr Migration kTwo = {2, "fill", "INSERT INTO t VALUES ('two');"};
constexpr Migration kThree = {3, "widen", "ALTER TABLE t ADD COLUMN extra INTEGER; INSERT INTO t VALUES ('three', 3);"};

TEST_F(MigrationsTest, EmbeddedMigrationsStartWithInitAndAreOrdered) {
  auto embedded = embedded_migrations();
  ASSERT_FALSE(embedded.empty());
  EXPECT_EQ(embedded.front().version, 1);
  EXPECT_EQ(embedded.front().name, "init");
  EXPECT_THAT(std::string(embedded.front().sql), HasSubstr("CREATE TABLE meta"));
  EXPECT_TRUE(check_migrations(embedded).ok());
}

TEST_F(MigrationsTest, OpeningAppliesTheEmbeddedMigrations) {
  auto db = open_sqlite(file_);
  ASSERT_TRUE(db.ok()) << db.error().message;
  EXPECT_EQ((*db)->schema_version(), embedded_migrations().back().version);
  Status s = (*db)->write([](Tx& tx) { return tx.exec("INSERT INTO meta(key, value) VALUES ('created', 'now')"); });
  EXPECT_TRUE(s.ok()) << s.error().message;
  EXPECT_EQ(column(**db, "PRAGMA user_version"), std::vector<std::string>{std::to_string((*db)->schema_version())});
}

TEST_F(MigrationsTest, AppliedInOrderOnceEach) {
  const Migration all[] = {kOne, kTwo, kThree};
  {
    auto db = open(all);
    ASSERT_TRUE(db.ok()) << db.error().message;
    EXPECT_EQ((*db)->schema_version(), 3);
    EXPECT_EQ(column(**db, "SELECT n FROM t ORDER BY rowid"), (std::vector<std::string>{"two", "three"}));
  }
  auto again = open(all);  // reopening applies nothing twice
  ASSERT_TRUE(again.ok()) << again.error().message;
  EXPECT_EQ((*again)->schema_version(), 3);
  EXPECT_EQ(column(**again, "SELECT n FROM t ORDER BY rowid"), (std::vector<std::string>{"two", "three"}));
  EXPECT_EQ(column(**again, "PRAGMA user_version"), std::vector<std::string>{"3"});
}

TEST_F(MigrationsTest, ANewerBinaryAppliesOnlyWhatIsNew) {
  const Migration old_set[] = {kOne, kTwo};
  ASSERT_TRUE(open(old_set).ok());
  const Migration new_set[] = {kOne, kTwo, kThree};
  auto db = open(new_set);
  ASSERT_TRUE(db.ok()) << db.error().message;
  EXPECT_EQ((*db)->schema_version(), 3);
  EXPECT_EQ(column(**db, "SELECT count(*) FROM t"), std::vector<std::string>{"2"});
}

TEST_F(MigrationsTest, GapsInNumberingAreAllowed) {
  const Migration gappy[] = {kOne, {5, "five", "INSERT INTO t VALUES ('five');"}};
  auto db = open(gappy);
  ASSERT_TRUE(db.ok()) << db.error().message;
  EXPECT_EQ((*db)->schema_version(), 5);
}

TEST_F(MigrationsTest, AFailingMigrationRollsBackWholeAndStopsTheOpen) {
  const Migration broken[] = {kOne,
                              {2, "broken",
                               "CREATE TABLE half (a); INSERT INTO t VALUES ('x'); INSERT INTO nope VALUES (1);"}};
  auto db = open(broken);
  ASSERT_FALSE(db.ok());
  EXPECT_EQ(db.error().code, Code::Internal);
  EXPECT_THAT(db.error().message, HasSubstr("migration 0002_broken failed"));
  EXPECT_THAT(db.error().message, HasSubstr("no such table: nope"));

  const Migration first[] = {kOne};
  auto reopened = open(first);
  ASSERT_TRUE(reopened.ok()) << reopened.error().message;
  EXPECT_EQ((*reopened)->schema_version(), 1);
  EXPECT_EQ(tables(**reopened), std::vector<std::string>{"t"});  // no `half`
  EXPECT_EQ(column(**reopened, "SELECT count(*) FROM t"), std::vector<std::string>{"0"});
}

TEST_F(MigrationsTest, ANewerSchemaIsRefused) {
  const Migration two[] = {kOne, kTwo};
  ASSERT_TRUE(open(two).ok());
  const Migration one[] = {kOne};
  auto db = open(one);
  ASSERT_FALSE(db.ok());
  EXPECT_EQ(db.error().code, Code::Conflict);
  EXPECT_EQ(db.error().message, "database schema version 2 is newer than this docent (knows up to 1); upgrade docent");
}

TEST_F(MigrationsTest, OutOfOrderListsAreRejected) {
  const Migration reversed[] = {kTwo, kOne};
  EXPECT_FALSE(check_migrations(reversed).ok());
  const Migration duplicate[] = {kOne, kOne};
  EXPECT_FALSE(check_migrations(duplicate).ok());
  const Migration zero[] = {{0, "zero", "SELECT 1;"}};
  EXPECT_FALSE(check_migrations(zero).ok());
  auto db = open(reversed);
  ASSERT_FALSE(db.ok());
  EXPECT_THAT(db.error().message, HasSubstr("out of order"));
  auto untouched = open(std::span<const Migration>{});  // nothing was applied
  ASSERT_TRUE(untouched.ok()) << untouched.error().message;
  EXPECT_EQ((*untouched)->schema_version(), 0);
  EXPECT_TRUE(tables(**untouched).empty());
}

TEST_F(MigrationsTest, AMigrationMayNotEndItsOwnTransaction) {
  const Migration sneaky[] = {kOne, {2, "sneaky", "COMMIT; INSERT INTO t VALUES ('x');"}};
  auto db = open(sneaky);
  ASSERT_FALSE(db.ok());
  EXPECT_THAT(db.error().message, HasSubstr("migration 0002_sneaky failed"));
}

TEST_F(MigrationsTest, TheForeignKeysOffMarkerIsTheFirstLineOnly) {
  EXPECT_TRUE(wants_foreign_keys_off("-- docent: foreign_keys=off\nCREATE TABLE x (a);"));
  EXPECT_TRUE(wants_foreign_keys_off("-- docent: foreign_keys=off  \r\nCREATE TABLE x (a);"));
  EXPECT_FALSE(wants_foreign_keys_off("CREATE TABLE x (a);\n-- docent: foreign_keys=off\n"));
  EXPECT_FALSE(wants_foreign_keys_off("-- docent: foreign_keys=on\n"));
  EXPECT_FALSE(wants_foreign_keys_off(""));
}

constexpr Migration kParents = {
    1, "parents",
    "CREATE TABLE parents (id TEXT PRIMARY KEY);"
    "CREATE TABLE kids (id INTEGER PRIMARY KEY, parent_id TEXT NOT NULL REFERENCES parents(id));"
    "INSERT INTO parents VALUES ('p');"
    "INSERT INTO kids(parent_id) VALUES ('p');"};
// SQLite's documented table rebuild: only possible with foreign keys off.
constexpr std::string_view kRebuild =
    "CREATE TABLE parents_new (id TEXT PRIMARY KEY, name TEXT NOT NULL DEFAULT '');"
    "INSERT INTO parents_new(id) SELECT id FROM parents;"
    "DROP TABLE parents;"
    "ALTER TABLE parents_new RENAME TO parents;";

TEST_F(MigrationsTest, ATableRebuildNeedsTheMarkerAndKeepsForeignKeysEnforced) {
  const std::string plain(kRebuild);
  const Migration without_marker[] = {kParents, {2, "rebuild", plain}};
  auto refused = open(without_marker);
  ASSERT_FALSE(refused.ok());
  EXPECT_THAT(refused.error().message, HasSubstr("FOREIGN KEY constraint failed"));

  const std::string marked = "-- docent: foreign_keys=off\n" + plain;
  const Migration with_marker[] = {kParents, {2, "rebuild", marked}};
  auto db = open(with_marker);
  ASSERT_TRUE(db.ok()) << db.error().message;
  EXPECT_EQ((*db)->schema_version(), 2);
  Status s = (*db)->write([](Tx& tx) -> Status {
    EXPECT_EQ((*tx.query_one("PRAGMA foreign_keys"))->get_int(0), 1);  // back on
    return tx.exec("INSERT INTO kids(parent_id) VALUES ('nobody')");
  });
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().details.at("constraint_kind").as_string(), "foreign_key");
}

TEST_F(MigrationsTest, AMarkedMigrationThatBreaksReferencesIsRolledBack) {
  const Migration orphaning[] = {kParents, {2, "orphan", "-- docent: foreign_keys=off\nDELETE FROM parents;"}};
  auto db = open(orphaning);
  ASSERT_FALSE(db.ok());
  EXPECT_THAT(db.error().message, HasSubstr("foreign key violations in table kids"));
  const Migration first[] = {kParents};
  auto reopened = open(first);
  ASSERT_TRUE(reopened.ok()) << reopened.error().message;
  EXPECT_EQ(column(**reopened, "SELECT id FROM parents"), std::vector<std::string>{"p"});
}

}  // namespace
}  // namespace docent::store
