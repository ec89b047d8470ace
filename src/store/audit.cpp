#include "store/audit.h"

namespace docent::store::audit {

namespace {

constexpr std::string_view kColumns =
    "seq, id, created_at, created_unix, actor_account_id, actor_key_id, actor_device, action, target_type, "
    "target_id, subject_account_id, outcome, reason, client_address, request_id, details";

Value nullable(const std::optional<std::string>& s) { return s ? Value(*s) : Value(nullptr); }

AuditRecord from_row(const Row& r) {
  AuditRecord a;
  a.seq = r.get_int(0);
  a.id = r.get_text(1);
  a.created_at = r.get_text(2);
  a.created_unix = r.get_int(3);
  a.actor_account_id = r.opt_text(4);
  a.actor_key_id = r.opt_text(5);
  a.actor_device = r.get_int(6) != 0;
  a.action = r.get_text(7);
  a.target_type = r.get_text(8);
  a.target_id = r.get_text(9);
  a.subject_account_id = r.opt_text(10);
  a.outcome = r.get_text(11);
  a.reason = r.get_text(12);
  a.client_address = r.get_text(13);
  a.request_id = r.get_text(14);
  a.details = r.get_text(15);
  return a;
}

}  // namespace

core::Result<int64_t> insert(Tx& tx, const AuditRecord& r) {
  auto row = tx.query_one(
      "INSERT INTO audit_events (id, created_at, created_unix, actor_account_id, actor_key_id, actor_device, action, "
      "target_type, target_id, subject_account_id, outcome, reason, client_address, request_id, details) "
      "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING seq",
      {r.id, r.created_at, r.created_unix, nullable(r.actor_account_id), nullable(r.actor_key_id),
       static_cast<int64_t>(r.actor_device ? 1 : 0), r.action, r.target_type, r.target_id,
       nullable(r.subject_account_id), r.outcome, r.reason, r.client_address, r.request_id, r.details});
  if (!row) return row.error();
  if (!*row) return core::Error(core::Code::Internal, "insert into audit_events returned no seq");
  return (*row)->get_int(0);
}

core::Result<std::vector<AuditRecord>> list(Tx& tx, const AuditQuery& q) {
  std::string sql = "SELECT " + std::string(kColumns) + " FROM audit_events WHERE 1 = 1";
  std::vector<Value> params;
  if (q.involving) {
    sql += " AND (actor_account_id = ? OR subject_account_id = ?)";
    params.emplace_back(*q.involving);
    params.emplace_back(*q.involving);
  }
  if (q.action) {
    sql += " AND action = ?";
    params.emplace_back(*q.action);
  }
  if (q.outcome) {
    sql += " AND outcome = ?";
    params.emplace_back(*q.outcome);
  }
  if (q.since_unix) {
    sql += " AND created_unix >= ?";
    params.emplace_back(*q.since_unix);
  }
  if (q.until_unix) {
    sql += " AND created_unix < ?";
    params.emplace_back(*q.until_unix);
  }
  if (q.before_seq) {
    sql += " AND seq < ?";
    params.emplace_back(*q.before_seq);
  }
  sql += " ORDER BY seq DESC LIMIT ?";
  params.emplace_back(q.limit);
  auto rows = tx.query(sql, params);
  if (!rows) return rows.error();
  std::vector<AuditRecord> out;
  out.reserve(rows->size());
  for (const auto& r : *rows) out.push_back(from_row(r));
  return out;
}

core::Result<int64_t> purge(Tx& tx, int64_t before_unix) {
  auto st = tx.exec("DELETE FROM audit_events WHERE created_unix < ?", {before_unix});
  if (!st) return st.error();
  return tx.changes();
}

}  // namespace docent::store::audit
