#include "store/robot_logs.h"

namespace docent::store::robot_logs {

namespace {

constexpr std::string_view kColumns =
    "id, guid, account_id, robot_guid, process_version_guid, job_guid, level, message, created_at, created_unix, "
    "updated_at";

RobotLogRecord from_row(const Row& r) {
  RobotLogRecord l;
  l.id = r.get_int(0);
  l.guid = r.get_text(1);
  l.account_id = r.get_text(2);
  l.robot_guid = r.get_text(3);
  l.process_version_guid = r.get_text(4);
  l.job_guid = r.get_text(5);
  l.level = static_cast<int>(r.get_int(6));
  l.message = r.get_text(7);
  l.created_at = r.get_text(8);
  l.created_unix = r.get_int(9);
  l.updated_at = r.get_text(10);
  return l;
}

// The WHERE clause of a query and its parameters.
std::string where(const RobotLogQuery& q, std::vector<Value>& params) {
  std::string sql = " WHERE account_id = ?";
  params.emplace_back(q.account_id);
  if (!q.levels.empty()) {
    sql += " AND level IN (";
    for (size_t i = 0; i < q.levels.size(); ++i) {
      sql += i ? ", ?" : "?";
      params.emplace_back(static_cast<int64_t>(q.levels[i]));
    }
    sql += ")";
  }
  if (q.from_unix) {
    sql += " AND created_unix >= ?";
    params.emplace_back(*q.from_unix);
  }
  if (q.until_unix) {
    sql += " AND created_unix < ?";
    params.emplace_back(*q.until_unix);
  }
  for (auto [value, column] : {std::pair{&q.robot_guid, "robot_guid"},
                               {&q.process_version_guid, "process_version_guid"},
                               {&q.job_guid, "job_guid"}}) {
    if (!*value) continue;
    sql += std::string(" AND ") + column + " = ?";
    params.emplace_back(**value);
  }
  return sql;
}

}  // namespace

core::Result<int64_t> insert(Tx& tx, const RobotLogRecord& r) {
  auto row = tx.query_one(
      "INSERT INTO robot_logs (guid, account_id, robot_guid, process_version_guid, job_guid, level, message, "
      "created_at, created_unix, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
      {r.guid, r.account_id, r.robot_guid, r.process_version_guid, r.job_guid, static_cast<int64_t>(r.level), r.message,
       r.created_at, r.created_unix, r.updated_at});
  if (!row) return row.error();
  if (!*row) return core::Error(core::Code::Internal, "insert into robot_logs returned no id");
  return (*row)->get_int(0);
}

core::Result<std::optional<RobotLogRecord>> by_guid(Tx& tx, std::string_view guid) {
  auto row = tx.query_one("SELECT " + std::string(kColumns) + " FROM robot_logs WHERE guid = ?", {std::string(guid)});
  if (!row) return row.error();
  if (!*row) return std::optional<RobotLogRecord>();
  return std::optional<RobotLogRecord>(from_row(**row));
}

core::Result<std::vector<RobotLogRecord>> list(Tx& tx, const RobotLogQuery& q) {
  std::vector<Value> params;
  std::string sql = "SELECT " + std::string(kColumns) + " FROM robot_logs" + where(q, params) +
                    " ORDER BY id DESC LIMIT ? OFFSET ?";
  params.emplace_back(q.take);
  params.emplace_back(q.skip);
  auto rows = tx.query(sql, params);
  if (!rows) return rows.error();
  std::vector<RobotLogRecord> out;
  out.reserve(rows->size());
  for (const auto& r : *rows) out.push_back(from_row(r));
  return out;
}

core::Result<int64_t> count(Tx& tx, const RobotLogQuery& q) {
  std::vector<Value> params;
  auto row = tx.query_one("SELECT COUNT(*) AS n FROM robot_logs" + where(q, params), params);
  if (!row) return row.error();
  return *row ? (*row)->get_int(0) : 0;
}

core::Result<int64_t> purge_account(Tx& tx, std::string_view account_id, int64_t before_unix) {
  auto st = tx.exec("DELETE FROM robot_logs WHERE account_id = ? AND created_unix < ?",
                    {std::string(account_id), before_unix});
  if (!st) return st.error();
  return tx.changes();
}

core::Result<int64_t> purge_all(Tx& tx, int64_t before_unix) {
  auto st = tx.exec("DELETE FROM robot_logs WHERE created_unix < ?", {before_unix});
  if (!st) return st.error();
  return tx.changes();
}

core::Result<int64_t> trim_account(Tx& tx, std::string_view account_id, int64_t keep) {
  auto st = tx.exec(
      "DELETE FROM robot_logs WHERE account_id = ? AND id <= COALESCE((SELECT id FROM robot_logs WHERE account_id = ? "
      "ORDER BY id DESC LIMIT 1 OFFSET ?), -1)",
      {std::string(account_id), std::string(account_id), keep});
  if (!st) return st.error();
  return tx.changes();
}

}  // namespace docent::store::robot_logs
