#include "store/counters.h"

namespace docent::store::counters {

core::Result<int64_t> next(Tx& tx, std::string_view name) {
  auto row = tx.query_one("UPDATE counters SET value = value + 1 WHERE name = ? RETURNING value", {std::string(name)});
  if (!row) return row.error();
  if (!*row) return core::Error(core::Code::Internal, "no counter named '" + std::string(name) + "'");
  return (*row)->get_int(0);
}

}  // namespace docent::store::counters
