#pragma once
// Installation-wide sequence numbers (the `counters` table), allocated inside the caller's write
// transaction. The number is taken by UPDATE ... RETURNING, so the counter row stays locked until
// that transaction ends: concurrent transactions (PostgreSQL, or several SQLite processes) never
// get the same number, and a rolled-back transaction gives its number back.

#include "store/database.h"

#include <string_view>

namespace docent::store::counters {

// The next number of `name` ("accounts", "folders", "files", "extractions"), from 1. Internal
// when the counter does not exist (its migration seeds every name).
core::Result<int64_t> next(Tx& tx, std::string_view name);

}  // namespace docent::store::counters
