#include "store/rate_limits.h"

namespace docent::store::rate_limits {

core::Result<std::optional<int64_t>> charge(Tx& tx, const std::string& key, int64_t now_us, int64_t interval_us,
                                            int64_t period_us) {
  // One statement: a new key starts at now + interval (always admitted: interval <= period); an
  // existing one moves only when the WHERE admits it, and then RETURNING gives its new time. CASE
  // instead of max()/GREATEST keeps it SQL that SQLite and PostgreSQL both read.
  auto row = tx.query_one(
      "INSERT INTO rate_limits (key, tat_us) VALUES (?, ?) "
      "ON CONFLICT (key) DO UPDATE SET "
      "tat_us = (CASE WHEN rate_limits.tat_us > ? THEN rate_limits.tat_us ELSE ? END) + ? "
      "WHERE (CASE WHEN rate_limits.tat_us > ? THEN rate_limits.tat_us ELSE ? END) + ? - ? <= ? "
      "RETURNING tat_us",
      {key, now_us + interval_us, now_us, now_us, interval_us, now_us, now_us, interval_us, now_us, period_us});
  if (!row) return row.error();
  if (!*row) return std::optional<int64_t>();
  return std::optional<int64_t>((*row)->get_int(0));
}

core::Result<std::optional<int64_t>> tat(Tx& tx, const std::string& key) {
  auto row = tx.query_one("SELECT tat_us FROM rate_limits WHERE key = ?", {key});
  if (!row) return row.error();
  if (!*row) return std::optional<int64_t>();
  return std::optional<int64_t>((*row)->get_int(0));
}

core::Status evict(Tx& tx, int64_t now_us) { return tx.exec("DELETE FROM rate_limits WHERE tat_us < ?", {now_us}); }

}  // namespace docent::store::rate_limits
