#pragma once
// The SQLite backend of Database (database.h). One writer connection, serialised by a mutex;
// a fixed pool of read-only connections; WAL so readers never wait for the writer. Services use
// open_sqlite() from database.h; this header adds what only tests and tools need.

#include "store/database.h"
#include "store/migrations.h"

#include <filesystem>
#include <memory>
#include <span>

namespace docent::store {

// open_sqlite() with an explicit migration list in place of the embedded one (tests; tools that
// need a database at an older schema).
core::Result<std::unique_ptr<Database>> open_sqlite(const std::filesystem::path& file, const SqliteOptions& options,
                                                    std::span<const Migration> migrations);

}  // namespace docent::store
