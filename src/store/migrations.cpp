#include "store/migrations.h"

#include "core/log.h"
#include "store/sqlite_connection.h"

#include <sqlite3.h>

#include <chrono>
#include <cstdio>
#include <string>

namespace docent::store {

namespace {

constexpr std::string_view kForeignKeysOff = "-- docent: foreign_keys=off";

std::string label(const Migration& m) {
  char number[16];
  std::snprintf(number, sizeof number, "%04d", m.version);
  return std::string(number) + "_" + std::string(m.name);
}

core::Result<int> user_version(SqliteConnection& conn) {
  auto rows = conn.query("PRAGMA user_version", {});
  if (!rows.ok()) return std::move(rows).error();
  if (rows->empty()) return core::Error(core::Code::Internal, "PRAGMA user_version returned no row");
  return static_cast<int>(rows->front().get_int(0));
}

core::Error newer_schema(int found, int known) {
  return core::Error(core::Code::Conflict, "database schema version " + std::to_string(found) +
                                               " is newer than this docent (knows up to " + std::to_string(known) +
                                               "); upgrade docent");
}

core::Error migration_failed(const Migration& m, core::Error cause) {
  if (cause.code != core::Code::ServiceUnavailable) cause.code = core::Code::Internal;
  cause.message = "migration " + label(m) + " failed: " + cause.message;
  return cause;
}

void rollback(SqliteConnection& conn) {
  if (sqlite3_get_autocommit(conn.handle()) != 0) return;  // nothing open
  if (core::Status s = conn.exec_script("ROLLBACK"); !s.ok()) {
    core::log::error("migration rollback failed", {{"error", s.error().message}});
  }
}

// Applies `m` in one transaction unless another process got there first. Returns the version
// the database is at afterwards.
core::Result<int> apply(SqliteConnection& conn, const Migration& m, int latest, bool foreign_keys_off) {
  if (core::Status s = conn.exec_script("BEGIN IMMEDIATE"); !s.ok()) return migration_failed(m, s.error());
  auto version = user_version(conn);
  if (!version.ok()) {
    rollback(conn);
    return migration_failed(m, std::move(version).error());
  }
  if (*version > latest) {
    rollback(conn);
    return newer_schema(*version, latest);
  }
  if (*version >= m.version) {  // applied by another process since we looked
    rollback(conn);
    return *version;
  }

  const auto started = std::chrono::steady_clock::now();
  if (core::Status s = conn.exec_script(std::string(m.sql)); !s.ok()) {
    rollback(conn);
    return migration_failed(m, s.error());
  }
  if (sqlite3_get_autocommit(conn.handle()) != 0) {
    // The script ended the transaction itself; what it did is committed, the version is not.
    return migration_failed(m, core::Error(core::Code::Internal, "a migration must not BEGIN, COMMIT or ROLLBACK"));
  }
  if (foreign_keys_off) {
    auto violations = conn.query("PRAGMA foreign_key_check", {}, 1);
    if (!violations.ok() || !violations->empty()) {
      rollback(conn);
      return migration_failed(m, violations.ok()
                                     ? core::Error(core::Code::Internal, "it leaves foreign key violations in table " +
                                                                             violations->front().get_text(0))
                                     : std::move(violations).error());
    }
  }
  core::Status s = conn.exec_script("PRAGMA user_version = " + std::to_string(m.version));
  if (s.ok()) s = conn.exec_script("COMMIT");
  if (!s.ok()) {
    rollback(conn);
    return migration_failed(m, s.error());
  }
  const auto ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started).count();
  core::log::info("migration applied", {{"version", m.version}, {"name", m.name}, {"ms", ms}});
  return m.version;
}

}  // namespace

core::Status check_migrations(std::span<const Migration> migrations) {
  int previous = 0;
  for (const Migration& m : migrations) {
    if (m.version <= previous) {
      return core::Error(core::Code::Internal, "migration " + label(m) +
                                                   " is out of order: versions must be >= 1 "
                                                   "and strictly increasing");
    }
    previous = m.version;
  }
  return {};
}

bool wants_foreign_keys_off(std::string_view sql) {
  std::string_view first = sql.substr(0, sql.find('\n'));
  while (!first.empty() && (first.back() == '\r' || first.back() == ' ' || first.back() == '\t')) {
    first.remove_suffix(1);
  }
  return first == kForeignKeysOff;
}

core::Result<int> migrate_sqlite(SqliteConnection& writer, std::span<const Migration> migrations) {
  if (core::Status s = check_migrations(migrations); !s.ok()) return s.error();
  const int latest = migrations.empty() ? 0 : migrations.back().version;
  auto current = user_version(writer);
  if (!current.ok()) return current;
  if (*current > latest) return newer_schema(*current, latest);

  int version = *current;
  for (const Migration& m : migrations) {
    if (m.version <= version) continue;
    // PRAGMA foreign_keys is a no-op inside a transaction, so it is switched around apply().
    const bool fk_off = wants_foreign_keys_off(m.sql);
    if (fk_off) {
      core::Status s = writer.exec_script("PRAGMA foreign_keys = OFF");
      if (!s.ok()) return migration_failed(m, s.error());
    }
    auto applied = apply(writer, m, latest, fk_off);
    if (fk_off) {
      if (core::Status s = writer.exec_script("PRAGMA foreign_keys = ON"); !s.ok() && applied.ok()) {
        return migration_failed(m, s.error());
      }
    }
    if (!applied.ok()) return applied;
    version = *applied;
  }
  return version;
}

}  // namespace docent::store
