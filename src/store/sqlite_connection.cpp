#include "store/sqlite_connection.h"

#include "core/log.h"

#include <sqlite3.h>

#include <algorithm>
#include <cctype>
#include <climits>

namespace docent::store {

namespace {

std::string_view constraint_kind(int rc) {
  switch (rc) {
    case SQLITE_CONSTRAINT_UNIQUE:
    case SQLITE_CONSTRAINT_PRIMARYKEY: return "unique";
    case SQLITE_CONSTRAINT_FOREIGNKEY: return "foreign_key";
    case SQLITE_CONSTRAINT_NOTNULL: return "not_null";
    case SQLITE_CONSTRAINT_CHECK: return "check";
    default: return "other";
  }
}

std::string_view trim_left(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  return s;
}

Value column_value(sqlite3_stmt* stmt, int i) {
  switch (sqlite3_column_type(stmt, i)) {
    case SQLITE_INTEGER: return static_cast<int64_t>(sqlite3_column_int64(stmt, i));
    case SQLITE_FLOAT: return sqlite3_column_double(stmt, i);
    case SQLITE_TEXT: {
      const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(stmt, i));
      return std::string(p != nullptr ? p : "", static_cast<size_t>(sqlite3_column_bytes(stmt, i)));
    }
    case SQLITE_BLOB: {
      const auto* p = static_cast<const char*>(sqlite3_column_blob(stmt, i));
      return Blob{std::string(p != nullptr ? p : "", static_cast<size_t>(sqlite3_column_bytes(stmt, i)))};
    }
    default: return nullptr;
  }
}

}  // namespace

core::Error sqlite_error(sqlite3* db, int rc) {
  std::string message = db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
  switch (rc & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      return core::Error(core::Code::ServiceUnavailable,
                         "the database is busy (locked past the busy timeout): " + message);
    case SQLITE_CONSTRAINT: {
      const std::string_view kind = constraint_kind(rc);
      core::Error e(kind == "unique" ? core::Code::Conflict : core::Code::Internal, message);
      e.details["constraint_kind"] = kind;
      // SQLite says "UNIQUE constraint failed: accounts.email"; the part after ": " is the name.
      if (auto colon = message.find(": "); colon != std::string::npos) {
        e.details["constraint"] = message.substr(colon + 2);
      }
      return e;
    }
    default: return core::Error(core::Code::Internal, "sqlite: " + message);
  }
}

StatementUse::~StatementUse() {
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
}

core::Result<std::unique_ptr<SqliteConnection>> SqliteConnection::open(const std::filesystem::path& file, int flags,
                                                                       std::chrono::milliseconds busy_timeout,
                                                                       const char* vfs) {
  sqlite3* db = nullptr;
  const int rc = sqlite3_open_v2(file.c_str(), &db, flags | SQLITE_OPEN_NOMUTEX, vfs);
  if (rc != SQLITE_OK) {
    core::Error e = sqlite_error(db, rc);
    e.message = "cannot open database " + file.string() + ": " + e.message;
    sqlite3_close_v2(db);  // a handle is returned even on most failures; closing nullptr is a no-op
    return e;
  }
  std::unique_ptr<SqliteConnection> conn(new SqliteConnection(db));
  sqlite3_extended_result_codes(db, 1);
  sqlite3_busy_timeout(db, static_cast<int>(std::clamp<int64_t>(busy_timeout.count(), 0, INT_MAX)));
  return conn;
}

SqliteConnection::~SqliteConnection() {
  for (auto& [sql, cached] : cache_) sqlite3_finalize(cached.stmt);
  cache_.clear();
  if (int rc = sqlite3_close_v2(db_); rc != SQLITE_OK) {
    core::log::error("sqlite close failed", {{"error", sqlite3_errstr(rc)}});
  }
}

core::Result<sqlite3_stmt*> SqliteConnection::prepare(std::string_view sql) {
  if (auto it = cache_.find(sql); it != cache_.end()) {
    it->second.last_used = ++use_clock_;
    return it->second.stmt;
  }
  if (sql.size() > static_cast<size_t>(INT_MAX)) return core::Error(core::Code::Internal, "SQL text too long");
  sqlite3_stmt* stmt = nullptr;
  const char* tail = nullptr;
  int rc = sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()), SQLITE_PREPARE_PERSISTENT, &stmt, &tail);
  if (rc != SQLITE_OK) {
    core::Error e = sqlite_error(db_, rc);
    core::log::warn("sql prepare failed", {{"sql", sql}, {"error", e.message}});
    return e;
  }
  if (stmt == nullptr) return core::Error(core::Code::Internal, "empty SQL statement");

  // Only whitespace, comments and semicolons may follow: a second statement would be ignored
  // silently by sqlite3_step, so refuse it instead.
  const char* end = sql.data() + sql.size();
  std::string_view rest = trim_left(std::string_view(tail, static_cast<size_t>(end - tail)));
  while (!rest.empty()) {
    sqlite3_stmt* next = nullptr;
    const char* next_tail = nullptr;
    rc = sqlite3_prepare_v2(db_, rest.data(), static_cast<int>(rest.size()), &next, &next_tail);
    if (rc != SQLITE_OK || next != nullptr) {
      sqlite3_finalize(next);
      sqlite3_finalize(stmt);
      return core::Error(core::Code::Internal, "SQL holds more than one statement: " + std::string(sql));
    }
    if (next_tail == rest.data()) break;
    rest = trim_left(std::string_view(next_tail, static_cast<size_t>(end - next_tail)));
  }

  if (cache_.size() >= kStatementCacheSize) evict_least_recently_used();
  ++prepare_count_;
  cache_.emplace(std::string(sql), Cached{stmt, ++use_clock_});
  return stmt;
}

void SqliteConnection::evict_least_recently_used() {
  auto oldest = std::min_element(cache_.begin(), cache_.end(),
                                 [](const auto& a, const auto& b) { return a.second.last_used < b.second.last_used; });
  if (oldest == cache_.end()) return;
  sqlite3_finalize(oldest->second.stmt);
  cache_.erase(oldest);
}

core::Status SqliteConnection::exec_script(const std::string& sql) {
  const int rc = sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, nullptr);
  if (rc != SQLITE_OK) return sqlite_error(db_, rc);
  return {};
}

core::Status SqliteConnection::bind(sqlite3_stmt* stmt, const std::vector<Value>& params) {
  const int expected = sqlite3_bind_parameter_count(stmt);
  if (static_cast<size_t>(expected) != params.size()) {
    return core::Error(core::Code::Internal, "SQL expects " + std::to_string(expected) + " parameters, got " +
                                                 std::to_string(params.size()) + ": " + sqlite3_sql(stmt));
  }
  // SQLITE_STATIC: the caller's params outlive the statement's use (StatementUse clears them).
  for (int i = 0; i < expected; ++i) {
    const Value& v = params[static_cast<size_t>(i)];
    int rc = SQLITE_OK;
    if (std::holds_alternative<std::nullptr_t>(v)) {
      rc = sqlite3_bind_null(stmt, i + 1);
    } else if (const auto* n = std::get_if<int64_t>(&v)) {
      rc = sqlite3_bind_int64(stmt, i + 1, *n);
    } else if (const auto* d = std::get_if<double>(&v)) {
      rc = sqlite3_bind_double(stmt, i + 1, *d);
    } else if (const auto* s = std::get_if<std::string>(&v)) {
      rc = sqlite3_bind_text64(stmt, i + 1, s->data(), s->size(), SQLITE_STATIC, SQLITE_UTF8);
    } else {
      const std::string& bytes = std::get<Blob>(v).bytes;
      rc = sqlite3_bind_blob64(stmt, i + 1, bytes.data(), bytes.size(), SQLITE_STATIC);
    }
    if (rc != SQLITE_OK) return sqlite_error(db_, rc);
  }
  return {};
}

core::Status SqliteConnection::exec(std::string_view sql, const std::vector<Value>& params, int64_t* changes) {
  auto stmt = prepare(sql);
  if (!stmt.ok()) return std::move(stmt).error();
  StatementUse use(*stmt);
  if (core::Status s = bind(use.get(), params); !s.ok()) return s;
  int rc = SQLITE_ROW;
  while (rc == SQLITE_ROW) rc = sqlite3_step(use.get());
  if (rc != SQLITE_DONE) {
    core::Error e = sqlite_error(db_, rc);
    if (e.code == core::Code::Internal) core::log::warn("sql failed", {{"sql", sql}, {"error", e.message}});
    return e;
  }
  if (changes != nullptr) *changes = sqlite3_changes64(db_);
  return {};
}

core::Result<std::vector<Row>> SqliteConnection::query(std::string_view sql, const std::vector<Value>& params,
                                                       size_t limit) {
  auto stmt = prepare(sql);
  if (!stmt.ok()) return std::move(stmt).error();
  StatementUse use(*stmt);
  if (core::Status s = bind(use.get(), params); !s.ok()) return s.error();

  const int n = sqlite3_column_count(use.get());
  auto columns = std::make_shared<std::vector<std::string>>();
  columns->reserve(static_cast<size_t>(n));
  for (int i = 0; i < n; ++i) {
    const char* name = sqlite3_column_name(use.get(), i);
    columns->emplace_back(name != nullptr ? name : "");
  }

  std::vector<Row> rows;
  int rc = SQLITE_OK;
  while ((rc = sqlite3_step(use.get())) == SQLITE_ROW) {
    std::vector<Value> values;
    values.reserve(static_cast<size_t>(n));
    for (int i = 0; i < n; ++i) values.push_back(column_value(use.get(), i));
    rows.emplace_back(columns, std::move(values));
    if (limit != 0 && rows.size() >= limit) break;
  }
  if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
    core::Error e = sqlite_error(db_, rc);
    if (e.code == core::Code::Internal) core::log::warn("sql failed", {{"sql", sql}, {"error", e.message}});
    return e;
  }
  return rows;
}

}  // namespace docent::store
