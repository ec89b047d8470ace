#pragma once
// The shared rate-limit counters (limits.store = database): one GCRA theoretical arrival time per
// key, in Unix microseconds (services/rate_limiter.h has the algorithm). Every function runs one
// statement in the caller's write transaction, so a check and its charge are one atomic step for
// every process on the database.

#include "store/database.h"

#include <optional>
#include <string>

namespace docent::store::rate_limits {

// Charges one request to `key` when the counter admits it: the arrival time becomes
// max(tat, now) + interval unless that lies more than `period` past now. Returns the new arrival
// time, or nullopt when refused (nothing changed). All times in microseconds.
core::Result<std::optional<int64_t>> charge(Tx& tx, const std::string& key, int64_t now_us, int64_t interval_us,
                                            int64_t period_us);

// The stored arrival time of `key`, or nullopt when it has none.
core::Result<std::optional<int64_t>> tat(Tx& tx, const std::string& key);

// Deletes the counters whose arrival time is before `now_us` (a fresh counter is the same).
core::Status evict(Tx& tx, int64_t now_us);

}  // namespace docent::store::rate_limits
