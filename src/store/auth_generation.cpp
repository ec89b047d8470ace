#include "store/auth_generation.h"

namespace docent::store::auth_generation {

core::Result<int64_t> get(Tx& tx) {
  auto row = tx.query_one("SELECT value FROM counters WHERE name = 'auth_generation'");
  if (!row) return row.error();
  return *row ? (*row)->get_int(0) : 0;
}

core::Result<int64_t> bump(Tx& tx) {
  auto row = tx.query_one(
      "INSERT INTO counters (name, value) VALUES ('auth_generation', 1) "
      "ON CONFLICT (name) DO UPDATE SET value = counters.value + 1 RETURNING value");
  if (!row) return row.error();
  if (!*row) return core::Error(core::Code::Internal, "the authentication generation was not raised");
  return (*row)->get_int(0);
}

}  // namespace docent::store::auth_generation
