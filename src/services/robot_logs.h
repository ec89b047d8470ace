#pragma once
// The Sherpa AI Server log: lines robots write about a process version and a job, kept per
// account, listed newest first with filters, purged by the owner before a time, and removed by
// the retention policy (logs.retention_days, logs.max_per_account).
//
// Levels are the seed's six, by number or name: 0 trace, 1 debug, 2 info, 3 warn, 4 error,
// 5 fatal. GUIDs are the 8-4-4-4-12 hexadecimal form. Thread-safe; all state is in the database.

#include "services/audit.h"
#include "services/principal.h"
#include "store/database.h"

#include <optional>
#include <string>
#include <vector>

namespace docent::services {

inline constexpr size_t kMaxLogMessageBytes = 64 * 1024;

// The level's number for a name ("warn", "Warning", "ERROR") or digits ("3"); nullopt if unknown.
std::optional<int> parse_log_level(std::string_view text);
// "trace" ... "fatal"; "" outside 0..5.
std::string_view log_level_name(int level);
// True for a GUID in the 8-4-4-4-12 hexadecimal form.
bool is_guid(std::string_view text);

struct NewRobotLog {
  std::string robot_guid, process_version_guid, job_guid;
  int level = 0;
  std::string message;
};

struct RobotLog {
  int64_t id = 0;
  std::string guid;
  std::string account_id;
  std::string robot_guid, process_version_guid, job_guid;
  int level = 0;
  std::string message;
  std::string created_at, updated_at;  // RFC 3339
  int64_t created_unix = 0;
};

struct RobotLogFilter {
  std::vector<int> levels;            // any of these; empty: all
  std::optional<int> min_level;       // this level or worse
  std::optional<int64_t> from_unix;   // created at or after (Unix seconds)
  std::optional<int64_t> until_unix;  // created before
  std::optional<std::string> robot_guid, process_version_guid, job_guid;
  int64_t skip = 0;
  int64_t take = 100;  // 1..1000
};

struct RobotLogPage {
  std::vector<RobotLog> items;
  int64_t total = 0;  // rows the filters select, across all pages
};

struct RobotLogRetention {
  int retention_days = 30;  // 0: kept until purged
  int max_per_account = 0;  // 0: no cap
};

class RobotLogService {
 public:
  RobotLogService(store::Database& db, RobotLogRetention retention, WallClock clock = {});

  // MissingField / InvalidInput naming the field for a missing or malformed GUID, an unknown
  // level or an empty or oversized message (kMaxLogMessageBytes).
  core::Result<RobotLog> create(const Principal& actor, const NewRobotLog& in);
  // NotFound for a malformed guid, an unknown one, or another account's (admins read any).
  core::Result<RobotLog> get(const Principal& actor, std::string_view guid);
  // The caller's own logs, newest first.
  core::Result<RobotLogPage> list(const Principal& actor, const RobotLogFilter& filter);
  // Deletes the caller's logs created before `before_unix`; returns how many.
  core::Result<int64_t> purge(const Principal& actor, int64_t before_unix);

  // The retention policy: deletes every account's logs older than retention_days. Idempotent and
  // safe to run from several processes at once. Returns how many went.
  core::Result<int64_t> purge_expired();

 private:
  store::Database& db_;
  RobotLogRetention retention_;
  WallClock clock_;
};

}  // namespace docent::services
