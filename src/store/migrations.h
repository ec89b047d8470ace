#pragma once
// Schema migrations: numbered SQL files, src/store/migrations/NNNN_name.sql, embedded into the
// binary at build time (embed_migrations.cmake) and applied in order when a database opens.
//
// Adding one is adding a file: the next number, four digits, a lowercase name —
// `0002_accounts.sql`. The build fails on a misnamed or duplicate-numbered file. Never edit a
// migration that has shipped; add a new one.
//
// Each migration runs in its own write transaction together with `PRAGMA user_version = N`, so a
// database is always at exactly one version: the highest migration applied. A migration that
// fails rolls back whole and stops the open.
//
// SQLite cannot change a table's constraints in place; the rebuild procedure
// (https://sqlite.org/lang_altertable.html#otheralter) needs foreign keys off. A migration whose
// first line is exactly
//   -- docent: foreign_keys=off
// runs with foreign-key enforcement off, and `PRAGMA foreign_key_check` must come back empty
// before it commits.

#include "core/error.h"

#include <span>
#include <string_view>

namespace docent::store {

class SqliteConnection;

struct Migration {
  int version = 0;        // NNNN of the file name, >= 1
  std::string_view name;  // the file name's `name` part
  std::string_view sql;   // the file's contents: any number of statements
};

// The migrations built into this binary, in ascending version order.
std::span<const Migration> embedded_migrations();

// Ok when versions are >= 1 and strictly increasing (gaps allowed), else Code::Internal.
core::Status check_migrations(std::span<const Migration> migrations);

// Whether a migration asks to run with foreign keys off (its first line is the marker above).
bool wants_foreign_keys_off(std::string_view sql);

// Brings the database on `writer` up to the last of `migrations`, each in its own
// BEGIN IMMEDIATE transaction (re-reading user_version inside it, so two processes opening the
// same file at once apply each migration once). Returns the resulting schema version.
// Fails with Code::Conflict when the database's version is newer than the last migration.
core::Result<int> migrate_sqlite(SqliteConnection& writer, std::span<const Migration> migrations);

}  // namespace docent::store
