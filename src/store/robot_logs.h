#pragma once
// Sherpa log rows (migration 0016): one line a robot wrote, owned by an account.

#include "store/database.h"

#include <optional>
#include <string>
#include <vector>

namespace docent::store {

struct RobotLogRecord {
  int64_t id = 0;  // the small number; given by the insert
  std::string guid;
  std::string account_id;
  std::string robot_guid, process_version_guid, job_guid;
  int level = 0;
  std::string message;
  std::string created_at;
  int64_t created_unix = 0;
  std::string updated_at;
};

// What a list selects within one account; unset members select everything.
struct RobotLogQuery {
  std::string account_id;
  std::vector<int> levels;            // empty: every level
  std::optional<int64_t> from_unix;   // created_unix >= from
  std::optional<int64_t> until_unix;  // created_unix < until
  std::optional<std::string> robot_guid, process_version_guid, job_guid;
  int64_t skip = 0;
  int64_t take = 100;
};

namespace robot_logs {

// Inserts the row and returns its number.
core::Result<int64_t> insert(Tx& tx, const RobotLogRecord& r);
core::Result<std::optional<RobotLogRecord>> by_guid(Tx& tx, std::string_view guid);
// Newest first (highest id first), `take` rows after skipping `skip`.
core::Result<std::vector<RobotLogRecord>> list(Tx& tx, const RobotLogQuery& q);
// How many rows the query's filters select (skip and take ignored).
core::Result<int64_t> count(Tx& tx, const RobotLogQuery& q);
// Deletes one account's rows created before `before_unix`; returns how many.
core::Result<int64_t> purge_account(Tx& tx, std::string_view account_id, int64_t before_unix);
// Deletes every account's rows created before `before_unix` (retention); returns how many.
core::Result<int64_t> purge_all(Tx& tx, int64_t before_unix);
// Deletes an account's oldest rows beyond its newest `keep`; returns how many.
core::Result<int64_t> trim_account(Tx& tx, std::string_view account_id, int64_t keep);

}  // namespace robot_logs
}  // namespace docent::store
