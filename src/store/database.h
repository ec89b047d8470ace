#pragma once
// The database as services see it: transactions of parameterised SQL, nothing backend-specific.
// SQLite is the implementation today (open_sqlite); a PostgreSQL one can follow behind the same
// interface, so services and repositories only ever hold a Database& and a Tx&.
//
//   Status s = db.write([&](Tx& tx) -> Status {
//     if (Status s = tx.exec("INSERT INTO meta(key, value) VALUES (?, ?)", {key, value}); !s) return s;
//     return tx.exec("UPDATE meta SET value = ? WHERE key = 'updated'", {now});
//   });
//
// SQL uses `?` placeholders, bound in order (a PostgreSQL backend rewrites them to $n).
// Numbers are allocated with INSERT/UPDATE ... RETURNING (counters.h), never as a read of the
// largest one plus one: two PostgreSQL transactions would read the same largest. The contract
// both backends keep is tests/unit/store/database_contract_test.cpp.
//
// Errors a service can tell apart, whatever the backend:
//   * a UNIQUE or PRIMARY KEY violation -> Code::Conflict; details["constraint"] names the
//     violated columns ("accounts.email"), details["constraint_kind"] is "unique";
//   * another constraint (foreign key, NOT NULL, CHECK) -> Code::Internal with the backend's
//     message; details["constraint_kind"] is "foreign_key", "not_null", "check" or "other";
//   * the database stayed locked past the busy timeout -> Code::ServiceUnavailable;
//   * anything else -> Code::Internal with the backend's message.

#include "core/error.h"

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace docent::store {

// Binary data, bound and read as a BLOB (a std::string is bound as TEXT).
struct Blob {
  std::string bytes;
  bool operator==(const Blob&) const = default;
};

// One parameter or column value. Integers of other widths convert implicitly when they fit
// without narrowing (int, int32_t); pass size_t and uint64_t through static_cast<int64_t>.
using Value = std::variant<std::nullptr_t, int64_t, double, std::string, Blob>;

// One result row, owning its values (valid after the transaction ends). Columns are addressed by
// index (0-based) or by their exact result name (use `AS name` for expressions).
//
// The getters follow the column's stored type:
//   get_int     INTEGER as is, REAL truncated, NULL -> 0
//   get_double  REAL as is, INTEGER converted, NULL -> 0.0
//   get_text    TEXT or BLOB bytes, NULL -> ""
// and throw std::logic_error for any other type, and std::out_of_range for an unknown column:
// both are bugs in the query, not runtime conditions. The opt_ forms give nullopt for NULL.
class Row {
 public:
  Row(std::shared_ptr<const std::vector<std::string>> columns, std::vector<Value> values);

  size_t size() const { return values_.size(); }
  const std::string& column_name(size_t i) const;
  // The index of the column named `name`, if there is one.
  std::optional<size_t> find(std::string_view name) const;

  const Value& value(size_t i) const;
  bool is_null(size_t i) const;
  int64_t get_int(size_t i) const;
  double get_double(size_t i) const;
  const std::string& get_text(size_t i) const;
  std::optional<int64_t> opt_int(size_t i) const;
  std::optional<double> opt_double(size_t i) const;
  std::optional<std::string> opt_text(size_t i) const;

  const Value& value(std::string_view name) const { return value(index(name)); }
  bool is_null(std::string_view name) const { return is_null(index(name)); }
  int64_t get_int(std::string_view name) const { return get_int(index(name)); }
  double get_double(std::string_view name) const { return get_double(index(name)); }
  const std::string& get_text(std::string_view name) const { return get_text(index(name)); }
  std::optional<int64_t> opt_int(std::string_view name) const { return opt_int(index(name)); }
  std::optional<double> opt_double(std::string_view name) const { return opt_double(index(name)); }
  std::optional<std::string> opt_text(std::string_view name) const { return opt_text(index(name)); }

 private:
  size_t index(std::string_view name) const;  // throws std::out_of_range

  std::shared_ptr<const std::vector<std::string>> columns_;  // shared by all rows of one query
  std::vector<Value> values_;
};

// One write transaction, or one read transaction seeing a single consistent snapshot. Only valid
// inside the Database::write / Database::read call that handed it out, on that thread.
// Each call runs exactly one SQL statement; the parameter count must match the placeholders.
class Tx {
 public:
  virtual ~Tx() = default;

  // Runs a statement, discarding any rows it returns.
  virtual core::Status exec(std::string_view sql, const std::vector<Value>& params = {}) = 0;
  // Runs a statement and returns all its rows.
  virtual core::Result<std::vector<Row>> query(std::string_view sql, const std::vector<Value>& params = {}) = 0;
  // Runs a statement and returns its first row, or nullopt when there is none.
  virtual core::Result<std::optional<Row>> query_one(std::string_view sql, const std::vector<Value>& params = {}) = 0;
  // Rows inserted, updated or deleted by the last successful exec.
  virtual int64_t changes() const = 0;
  // The rowid of the last row inserted on this transaction's connection. Prefer RETURNING id,
  // which says which statement's row it is on every backend.
  virtual int64_t last_insert_id() const = 0;
};

// A database: one writer at a time, many concurrent readers. Thread-safe.
//
// Transactions do not nest: calling read() or write() on a thread that is already inside
// read() or write() of the same Database fails with Code::Internal (use the Tx you have; a read
// on another connection would not see the write's uncommitted rows). The Database must outlive
// every call into it.
class Database {
 public:
  virtual ~Database() = default;

  // Runs fn in a write transaction (BEGIN IMMEDIATE on SQLite); commits if fn returns ok, rolls
  // back otherwise and returns fn's error. An exception from fn rolls back and is rethrown.
  // Writers queue; a writer that cannot get the database within the busy timeout (another
  // process holds it) gets Code::ServiceUnavailable.
  virtual core::Status write(const std::function<core::Status(Tx&)>& fn) = 0;

  // Runs fn on a pooled read connection inside a read transaction: every query in fn sees the
  // same committed snapshot, unaffected by writes that commit meanwhile. Writing fails. When all
  // readers stay busy past the busy timeout, returns Code::ServiceUnavailable without calling fn.
  virtual core::Status read(const std::function<core::Status(Tx&)>& fn) = 0;

  // The schema version (highest migration applied) this database was opened at.
  virtual int schema_version() const = 0;

  // A cheap liveness check for /health: a read connection answers a query on the schema.
  virtual core::Status check() = 0;

  // A number that changes whenever a transaction commits in this database, from any connection
  // of this process or of another one, without reading any table: callers keep the last value
  // and re-read what they cached only when it moved (services/auth_cache.h). Never waits: when
  // it cannot tell at once (another thread is asking, the database is locked) it fails with
  // Code::ServiceUnavailable, and the caller must treat that as "may have changed".
  // SQLite: the wal-index header every commit rewrites, read from a connection of its own's
  // mapping of the -shm file (no system call), or `PRAGMA data_version` on that connection when
  // there is no such mapping. PostgreSQL
  // (planned): the count of notifications received on a LISTEN channel that writers NOTIFY in
  // the transaction that changes what a cache holds.
  virtual core::Result<int64_t> change_counter() = 0;

  // The backend's name, "sqlite" or "postgresql", for the few queries that must differ
  // (full-text search). Prefer SQL both understand.
  virtual std::string_view backend() const = 0;
};

struct SqliteOptions {
  int readers = 4;                               // pooled read connections, at least 1
  std::chrono::milliseconds busy_timeout{5000};  // how long to wait for a lock or a reader
};

// Opens (creating if needed) the SQLite database at `file` — its folder must exist — in WAL mode
// with foreign keys on, and applies the migrations embedded in this binary (migrations.h).
// Fails with Code::Conflict when the file's schema is newer than this binary knows.
core::Result<std::unique_ptr<Database>> open_sqlite(const std::filesystem::path& file,
                                                    const SqliteOptions& options = {});

}  // namespace docent::store
