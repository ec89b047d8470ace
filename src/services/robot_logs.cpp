#include "services/robot_logs.h"

#include "core/id.h"
#include "core/time.h"
#include "store/robot_logs.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>

namespace docent::services {

using core::Code;
using core::Error;

namespace {

constexpr std::array<std::string_view, 6> kLevels = {"trace", "debug", "info", "warn", "error", "fatal"};
const Error kLogNotFound(Code::NotFound, "log not found");

int64_t unix_of(std::chrono::system_clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count();
}

RobotLog to_log(const store::RobotLogRecord& r) {
  return RobotLog{r.id,    r.guid,    r.account_id, r.robot_guid, r.process_version_guid, r.job_guid,
                  r.level, r.message, r.created_at, r.updated_at, r.created_unix};
}

core::Status check_guid(const std::string& value, const char* field) {
  if (value.empty()) return Error(Code::MissingField, std::string(field) + " is required", field);
  if (!is_guid(value)) {
    return Error(Code::InvalidInput, std::string(field) + " must be a GUID like 16f94238-ede9-435b-a001-1489b32e7dc2",
                 field);
  }
  return {};
}

}  // namespace

std::optional<int> parse_log_level(std::string_view text) {
  if (!text.empty() && std::all_of(text.begin(), text.end(), [](unsigned char c) { return std::isdigit(c); })) {
    int n = -1;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
    if (ec == std::errc() && end == text.data() + text.size() && n >= 0 && n < static_cast<int>(kLevels.size()))
      return n;
    return std::nullopt;
  }
  std::string lower(text);
  std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
  if (lower == "warning") return 3;
  if (lower == "critical") return 5;
  for (size_t i = 0; i < kLevels.size(); ++i) {
    if (lower == kLevels[i]) return static_cast<int>(i);
  }
  return std::nullopt;
}

std::string_view log_level_name(int level) {
  return level >= 0 && level < static_cast<int>(kLevels.size()) ? kLevels[static_cast<size_t>(level)] : "";
}

bool is_guid(std::string_view s) {
  if (s.size() != 36) return false;
  for (size_t i = 0; i < s.size(); ++i) {
    const bool dash = i == 8 || i == 13 || i == 18 || i == 23;
    if (dash ? s[i] != '-' : !std::isxdigit(static_cast<unsigned char>(s[i]))) return false;
  }
  return true;
}

RobotLogService::RobotLogService(store::Database& db, RobotLogRetention retention, WallClock clock)
    : db_(db),
      retention_(retention),
      clock_(clock ? std::move(clock) : WallClock([] { return std::chrono::system_clock::now(); })) {}

core::Result<RobotLog> RobotLogService::create(const Principal& actor, const NewRobotLog& in) {
  if (auto st = check_guid(in.robot_guid, "RobotGUID"); !st) return st.error();
  if (auto st = check_guid(in.process_version_guid, "ProcessVersionGUID"); !st) return st.error();
  if (auto st = check_guid(in.job_guid, "JobGUID"); !st) return st.error();
  if (log_level_name(in.level).empty()) {
    return Error(Code::InvalidInput, "Level must be 0-5 or trace, debug, info, warn, error, fatal", "Level");
  }
  if (in.message.empty()) return Error(Code::MissingField, "Message is required", "Message");
  if (in.message.size() > kMaxLogMessageBytes) {
    return Error(Code::InvalidInput, "Message must be at most 65536 bytes", "Message");
  }
  const auto now = clock_();
  store::RobotLogRecord r;
  r.guid = core::new_id();
  r.account_id = actor.account_id;
  r.robot_guid = in.robot_guid;
  r.process_version_guid = in.process_version_guid;
  r.job_guid = in.job_guid;
  r.level = in.level;
  r.message = in.message;
  r.created_at = r.updated_at = core::rfc3339(now);
  r.created_unix = unix_of(now);
  auto st = db_.write([&](store::Tx& tx) -> core::Status {
    auto id = store::robot_logs::insert(tx, r);
    if (!id) return id.error();
    r.id = *id;
    if (retention_.max_per_account > 0) {
      if (auto trimmed = store::robot_logs::trim_account(tx, r.account_id, retention_.max_per_account); !trimmed)
        return trimmed.error();
    }
    return {};
  });
  if (!st) return st.error();
  return to_log(r);
}

core::Result<RobotLog> RobotLogService::get(const Principal& actor, std::string_view guid) {
  if (!is_guid(guid)) return kLogNotFound;
  std::optional<store::RobotLogRecord> found;
  auto st = db_.read([&](store::Tx& tx) -> core::Status {
    auto r = store::robot_logs::by_guid(tx, guid);
    if (!r) return r.error();
    found = std::move(*r);
    return {};
  });
  if (!st) return st.error();
  if (!found || !actor.may_access(found->account_id)) return kLogNotFound;
  return to_log(*found);
}

core::Result<RobotLogPage> RobotLogService::list(const Principal& actor, const RobotLogFilter& f) {
  store::RobotLogQuery q;
  q.account_id = actor.account_id;
  for (int level : f.levels) {
    if (log_level_name(level).empty()) return Error(Code::InvalidInput, "unknown level in Levels", "Levels");
  }
  q.levels = f.levels;
  if (f.min_level) {
    std::vector<int> at_least;
    for (int l = *f.min_level; l < static_cast<int>(kLevels.size()); ++l) {
      if (q.levels.empty() || std::find(q.levels.begin(), q.levels.end(), l) != q.levels.end()) at_least.push_back(l);
    }
    if (at_least.empty()) return RobotLogPage{};
    q.levels = std::move(at_least);
  }
  q.from_unix = f.from_unix;
  q.until_unix = f.until_unix;
  for (auto [value, field] : {std::pair{&f.robot_guid, "RobotGUID"},
                              {&f.process_version_guid, "ProcessVersionGUID"},
                              {&f.job_guid, "JobGUID"}}) {
    if (*value) {
      if (auto st = check_guid(**value, field); !st) return st.error();
    }
  }
  q.robot_guid = f.robot_guid;
  q.process_version_guid = f.process_version_guid;
  q.job_guid = f.job_guid;
  if (f.skip < 0) return Error(Code::InvalidInput, "Skip must be 0 or more", "Skip");
  if (f.take < 1 || f.take > 1000) return Error(Code::InvalidInput, "Take must be from 1 to 1000", "Take");
  q.skip = f.skip;
  q.take = f.take;
  RobotLogPage page;
  auto st = db_.read([&](store::Tx& tx) -> core::Status {
    auto rows = store::robot_logs::list(tx, q);
    if (!rows) return rows.error();
    for (const auto& r : *rows) page.items.push_back(to_log(r));
    auto n = store::robot_logs::count(tx, q);
    if (!n) return n.error();
    page.total = *n;
    return {};
  });
  if (!st) return st.error();
  return page;
}

core::Result<int64_t> RobotLogService::purge(const Principal& actor, int64_t before_unix) {
  int64_t n = 0;
  auto st = db_.write([&](store::Tx& tx) -> core::Status {
    auto r = store::robot_logs::purge_account(tx, actor.account_id, before_unix);
    if (!r) return r.error();
    n = *r;
    return {};
  });
  if (!st) return st.error();
  return n;
}

core::Result<int64_t> RobotLogService::purge_expired() {
  if (retention_.retention_days <= 0) return int64_t{0};
  const int64_t before = unix_of(clock_() - std::chrono::hours(24) * retention_.retention_days);
  int64_t n = 0;
  auto st = db_.write([&](store::Tx& tx) -> core::Status {
    auto r = store::robot_logs::purge_all(tx, before);
    if (!r) return r.error();
    n = *r;
    return {};
  });
  if (!st) return st.error();
  return n;
}

}  // namespace docent::services
