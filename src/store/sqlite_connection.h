#pragma once
// One SQLite connection and its prepared-statement cache, in RAII form. Internal to the SQLite
// backend (sqlite_database.cpp, migrations.cpp); services never see it.
//
// Not thread-safe: opened with SQLITE_OPEN_NOMUTEX, a connection is used by one thread at a time
// (the owner of the writer mutex, or the thread that leased it from the reader pool).

#include "core/error.h"
#include "store/database.h"

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

struct sqlite3;
struct sqlite3_stmt;

namespace docent::store {

// The Error for a failed SQLite call on `db` with result code `rc`, mapped as database.h
// promises (UNIQUE -> Conflict, BUSY -> ServiceUnavailable, else Internal).
core::Error sqlite_error(sqlite3* db, int rc);

// A prepared statement checked out of a connection's cache for one use. On destruction it is
// reset and its bindings cleared, ready for the next use; the cache still owns it.
class StatementUse {
 public:
  explicit StatementUse(sqlite3_stmt* stmt) : stmt_(stmt) {}
  ~StatementUse();
  StatementUse(const StatementUse&) = delete;
  StatementUse& operator=(const StatementUse&) = delete;

  sqlite3_stmt* get() const { return stmt_; }

 private:
  sqlite3_stmt* stmt_;
};

class SqliteConnection {
 public:
  // Cached statements per connection; the least recently used one is finalized beyond this.
  static constexpr size_t kStatementCacheSize = 64;

  // Opens `file` with SQLITE_OPEN_NOMUTEX | `flags` (e.g. SQLITE_OPEN_READWRITE |
  // SQLITE_OPEN_CREATE, or SQLITE_OPEN_READONLY) and sets the busy timeout. `vfs` names a
  // registered SQLite VFS (nullptr: the default one).
  static core::Result<std::unique_ptr<SqliteConnection>> open(const std::filesystem::path& file, int flags,
                                                              std::chrono::milliseconds busy_timeout,
                                                              const char* vfs = nullptr);

  // Finalizes every cached statement, then closes the connection.
  ~SqliteConnection();
  SqliteConnection(const SqliteConnection&) = delete;
  SqliteConnection& operator=(const SqliteConnection&) = delete;

  sqlite3* handle() const { return db_; }

  // The cached statement for exactly one SQL statement (trailing whitespace and comments
  // allowed), preparing it on first use. Fails for empty SQL or several statements.
  core::Result<sqlite3_stmt*> prepare(std::string_view sql);

  // Runs a script of any number of statements without parameters (migrations, pragmas, BEGIN).
  core::Status exec_script(const std::string& sql);

  // Runs one statement with parameters. `changes` (if given) gets the rows it changed.
  core::Status exec(std::string_view sql, const std::vector<Value>& params, int64_t* changes = nullptr);
  // Runs one statement and collects up to `limit` rows (0: all).
  core::Result<std::vector<Row>> query(std::string_view sql, const std::vector<Value>& params, size_t limit = 0);

  // Statements prepared so far (cache misses), and statements now cached; for tests.
  uint64_t prepare_count() const { return prepare_count_; }
  size_t cached_statements() const { return cache_.size(); }

 private:
  struct Cached {
    sqlite3_stmt* stmt = nullptr;
    uint64_t last_used = 0;
  };

  explicit SqliteConnection(sqlite3* db) : db_(db) {}
  core::Status bind(sqlite3_stmt* stmt, const std::vector<Value>& params);
  void evict_least_recently_used();

  sqlite3* db_;
  std::map<std::string, Cached, std::less<>> cache_;  // SQL text -> statement; owns the statements
  uint64_t use_clock_ = 0;
  uint64_t prepare_count_ = 0;
};

}  // namespace docent::store
