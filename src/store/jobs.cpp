#include "store/jobs.h"

#include "core/time.h"

#include <array>
#include <utility>

namespace docent::store {

namespace {

constexpr std::array<std::pair<JobStatus, std::string_view>, 5> kStatusNames{{
    {JobStatus::Queued, "queued"},
    {JobStatus::Running, "running"},
    {JobStatus::Succeeded, "succeeded"},
    {JobStatus::Failed, "failed"},
    {JobStatus::Cancelled, "cancelled"},
}};

}  // namespace

std::string_view job_status_name(JobStatus status) {
  for (const auto& [s, name] : kStatusNames) {
    if (s == status) return name;
  }
  return "unknown";
}

std::optional<JobStatus> parse_job_status(std::string_view name) {
  for (const auto& [s, n] : kStatusNames) {
    if (n == name) return s;
  }
  return std::nullopt;
}

namespace jobs {

namespace {

using Clock = std::chrono::system_clock;

constexpr std::string_view kColumns =
    "id, account_id, kind, payload, status, priority, attempts, max_attempts, run_after, lease_owner, "
    "lease_expires_at, cancel_requested, dedupe_key, progress, result, error, created_at, updated_at, started_at, "
    "finished_at";

std::string select_from() { return "SELECT " + std::string(kColumns) + " FROM jobs "; }

JobRecord from_row(const Row& r) {
  JobRecord j;
  j.id = r.get_text(0);
  j.account_id = r.opt_text(1);
  j.kind = r.get_text(2);
  j.payload = r.get_text(3);
  j.status = parse_job_status(r.get_text(4)).value_or(JobStatus::Failed);  // the CHECK allows no other
  j.priority = r.get_int(5);
  j.attempts = r.get_int(6);
  j.max_attempts = r.get_int(7);
  j.run_after = r.get_text(8);
  j.lease_owner = r.opt_text(9);
  j.lease_expires_at = r.opt_text(10);
  j.cancel_requested = r.get_int(11) != 0;
  j.dedupe_key = r.opt_text(12);
  j.progress = r.opt_text(13);
  j.result = r.opt_text(14);
  j.error = r.opt_text(15);
  j.created_at = r.get_text(16);
  j.updated_at = r.get_text(17);
  j.started_at = r.opt_text(18);
  j.finished_at = r.opt_text(19);
  return j;
}

Value text_or_null(const std::optional<std::string>& s) { return s ? Value(*s) : Value(nullptr); }

core::Error lease_lost(std::string_view id) {
  return core::Error(core::Code::Conflict, "job " + std::string(id) + " is no longer leased to this worker");
}

// Runs an UPDATE on a job held by `owner`; Conflict when it changed nothing (the lease is gone).
core::Status update_held(Tx& tx, std::string_view sql, std::vector<Value> params, std::string_view id) {
  if (core::Status s = tx.exec(sql, params); !s) return s;
  if (tx.changes() == 0) return lease_lost(id);
  return {};
}

// Settles running jobs matched by `where` (with `params`) that must not run again: cancelled when
// cancellation was requested, failed when they used every attempt. Returns how many changed.
core::Result<int64_t> settle_abandoned(Tx& tx, const std::string& where, const std::vector<Value>& params,
                                       const std::string& at) {
  int64_t changed = 0;
  std::vector<Value> p{at, at};
  p.insert(p.end(), params.begin(), params.end());
  core::Status s = tx.exec(
      "UPDATE jobs SET status = 'cancelled', lease_owner = NULL, lease_expires_at = NULL, finished_at = ?, "
      "updated_at = ? WHERE status = 'running' AND cancel_requested = 1 AND " +
          where,
      p);
  if (!s) return s.error();
  changed += tx.changes();
  s = tx.exec(
      "UPDATE jobs SET status = 'failed', lease_owner = NULL, lease_expires_at = NULL, finished_at = ?, "
      "updated_at = ?, error = 'abandoned: its worker stopped during attempt ' || attempts || ' of ' || max_attempts "
      "WHERE status = 'running' AND attempts >= max_attempts AND " +
          where,
      p);
  if (!s) return s.error();
  changed += tx.changes();
  return changed;
}

}  // namespace

std::string timestamp(Clock::time_point t) { return core::rfc3339_ms(t); }

core::Status insert(Tx& tx, const JobRecord& j) {
  auto st = tx.exec(
      "INSERT INTO jobs (id, account_id, kind, payload, status, priority, attempts, max_attempts, run_after, "
      "dedupe_key, created_at, updated_at) VALUES (?, ?, ?, ?, 'queued', ?, 0, ?, ?, ?, ?, ?)",
      {j.id, text_or_null(j.account_id), j.kind, j.payload, j.priority, j.max_attempts, j.run_after,
       text_or_null(j.dedupe_key), j.created_at, j.updated_at});
  if (!st && st.error().code == core::Code::Conflict && j.dedupe_key) {
    return core::Error(core::Code::Conflict,
                       "a " + j.kind + " job with dedupe key '" + *j.dedupe_key + "' is already queued or running");
  }
  return st;
}

core::Result<std::optional<JobRecord>> active_by_dedupe_key(Tx& tx, std::string_view kind, std::string_view key) {
  auto row = tx.query_one(select_from() +
                              "WHERE kind = ? AND dedupe_key = ? AND status IN ('queued', 'running') LIMIT 1",
                          {std::string(kind), std::string(key)});
  if (!row) return row.error();
  if (!*row) return std::optional<JobRecord>();
  return std::optional<JobRecord>(from_row(**row));
}

core::Result<std::optional<JobRecord>> by_id(Tx& tx, std::string_view id) {
  auto row = tx.query_one(select_from() + "WHERE id = ?", {std::string(id)});
  if (!row) return row.error();
  if (!*row) return std::optional<JobRecord>();
  return std::optional<JobRecord>(from_row(**row));
}

core::Result<std::optional<JobRecord>> claim_next(Tx& tx, std::string_view owner, const std::vector<std::string>& kinds,
                                                  Clock::time_point now, std::chrono::milliseconds lease) {
  const std::string at = timestamp(now);
  if (auto settled = settle_abandoned(tx, "lease_expires_at <= ?", {at}, at); !settled) return settled.error();

  std::string runnable = "((status = 'queued' AND run_after <= ?) OR (status = 'running' AND lease_expires_at <= ?))";
  std::vector<Value> params{at, at};
  std::string sql = "SELECT id FROM jobs WHERE " + runnable;
  if (!kinds.empty()) {
    sql += " AND kind IN (";
    for (size_t i = 0; i < kinds.size(); ++i) {
      sql += i == 0 ? "?" : ", ?";
      params.emplace_back(kinds[i]);
    }
    sql += ")";
  }
  sql += " ORDER BY priority DESC, id LIMIT 1";
  auto pick = tx.query_one(sql, params);
  if (!pick) return pick.error();
  if (!*pick) return std::optional<JobRecord>();
  const std::string id = (*pick)->get_text(0);

  // The guard repeats the runnable test, so the update is right even where the pick and the
  // update are not one atomic step (a PostgreSQL backend without SELECT ... FOR UPDATE).
  auto st = tx.exec(
      "UPDATE jobs SET status = 'running', lease_owner = ?, lease_expires_at = ?, "
      "attempts = attempts + 1, started_at = COALESCE(started_at, ?), updated_at = ? "
      "WHERE id = ? AND " +
          runnable,
      {std::string(owner), timestamp(now + lease), at, at, id, at, at});
  if (!st) return st.error();
  if (tx.changes() == 0) return std::optional<JobRecord>();
  return by_id(tx, id);
}

core::Result<LeaseState> extend_lease(Tx& tx, std::string_view id, std::string_view owner, Clock::time_point now,
                                      std::chrono::milliseconds lease) {
  auto st = update_held(tx,
                        "UPDATE jobs SET lease_expires_at = ? WHERE id = ? AND lease_owner = ? AND status = 'running'",
                        {timestamp(now + lease), std::string(id), std::string(owner)}, id);
  if (!st) return st.error();
  auto row = tx.query_one("SELECT cancel_requested FROM jobs WHERE id = ?", {std::string(id)});
  if (!row) return row.error();
  LeaseState out;
  out.cancel_requested = *row && (*row)->get_int(0) != 0;
  return out;
}

core::Status set_progress(Tx& tx, std::string_view id, std::string_view owner, std::string_view progress_json,
                          Clock::time_point now) {
  return update_held(tx,
                     "UPDATE jobs SET progress = ?, updated_at = ? WHERE id = ? AND lease_owner = ? "
                     "AND status = 'running'",
                     {std::string(progress_json), timestamp(now), std::string(id), std::string(owner)}, id);
}

core::Status complete(Tx& tx, std::string_view id, std::string_view owner, std::string_view result_json,
                      Clock::time_point now) {
  const std::string at = timestamp(now);
  return update_held(tx,
                     "UPDATE jobs SET status = 'succeeded', result = ?, error = NULL, lease_owner = NULL, "
                     "lease_expires_at = NULL, finished_at = ?, updated_at = ? "
                     "WHERE id = ? AND lease_owner = ? AND status = 'running'",
                     {std::string(result_json), at, at, std::string(id), std::string(owner)}, id);
}

core::Status fail(Tx& tx, std::string_view id, std::string_view owner, std::string_view error,
                  std::optional<Clock::time_point> retry_at, Clock::time_point now) {
  const std::string at = timestamp(now);
  if (retry_at) {
    return update_held(tx,
                       "UPDATE jobs SET status = 'queued', run_after = ?, error = ?, lease_owner = NULL, "
                       "lease_expires_at = NULL, updated_at = ? "
                       "WHERE id = ? AND lease_owner = ? AND status = 'running'",
                       {timestamp(*retry_at), std::string(error), at, std::string(id), std::string(owner)}, id);
  }
  return update_held(tx,
                     "UPDATE jobs SET status = 'failed', error = ?, lease_owner = NULL, lease_expires_at = NULL, "
                     "finished_at = ?, updated_at = ? WHERE id = ? AND lease_owner = ? AND status = 'running'",
                     {std::string(error), at, at, std::string(id), std::string(owner)}, id);
}

core::Status mark_cancelled(Tx& tx, std::string_view id, std::string_view owner, Clock::time_point now) {
  const std::string at = timestamp(now);
  return update_held(tx,
                     "UPDATE jobs SET status = 'cancelled', cancel_requested = 1, lease_owner = NULL, "
                     "lease_expires_at = NULL, finished_at = ?, updated_at = ? "
                     "WHERE id = ? AND lease_owner = ? AND status = 'running'",
                     {at, at, std::string(id), std::string(owner)}, id);
}

core::Status release(Tx& tx, std::string_view id, std::string_view owner, Clock::time_point now) {
  const std::string at = timestamp(now);
  return update_held(tx,
                     "UPDATE jobs SET status = 'queued', run_after = ?, "
                     "attempts = CASE WHEN attempts > 0 THEN attempts - 1 ELSE 0 END, "  // not MAX(a, b): SQLite only
                     "lease_owner = NULL, lease_expires_at = NULL, updated_at = ? "
                     "WHERE id = ? AND lease_owner = ? AND status = 'running'",
                     {at, at, std::string(id), std::string(owner)}, id);
}

core::Result<JobRecord> cancel(Tx& tx, std::string_view id, Clock::time_point now) {
  const std::string at = timestamp(now);
  auto st = tx.exec(
      "UPDATE jobs SET status = 'cancelled', finished_at = ?, updated_at = ? "
      "WHERE id = ? AND status = 'queued'",
      {at, at, std::string(id)});
  if (!st) return st.error();
  st = tx.exec(
      "UPDATE jobs SET cancel_requested = 1, updated_at = ? "
      "WHERE id = ? AND status = 'running' AND cancel_requested = 0",
      {at, std::string(id)});
  if (!st) return st.error();
  auto job = by_id(tx, id);
  if (!job) return job.error();
  if (!*job) return core::Error(core::Code::NotFound, "job not found");
  return std::move(**job);
}

core::Result<int64_t> requeue_orphans(Tx& tx, std::string_view live_owner, Clock::time_point now) {
  const std::string at = timestamp(now);
  auto settled = settle_abandoned(tx, "lease_owner <> ?", {std::string(live_owner)}, at);
  if (!settled) return settled.error();
  auto st = tx.exec(
      "UPDATE jobs SET status = 'queued', run_after = ?, lease_owner = NULL, lease_expires_at = NULL, "
      "updated_at = ? WHERE status = 'running' AND lease_owner <> ?",
      {at, at, std::string(live_owner)});
  if (!st) return st.error();
  return *settled + tx.changes();
}

core::Result<std::vector<JobRecord>> list(Tx& tx, const ListQuery& q) {
  std::string sql = select_from() + "WHERE 1 = 1";
  std::vector<Value> params;
  if (q.account_id) {
    sql += " AND account_id = ?";
    params.emplace_back(*q.account_id);
  }
  if (q.status) {
    sql += " AND status = ?";
    params.emplace_back(std::string(job_status_name(*q.status)));
  }
  if (q.kind) {
    sql += " AND kind = ?";
    params.emplace_back(*q.kind);
  }
  if (q.before_id) {
    sql += " AND id < ?";
    params.emplace_back(*q.before_id);
  }
  sql += " ORDER BY id DESC LIMIT ?";
  params.emplace_back(q.limit);
  auto rows = tx.query(sql, params);
  if (!rows) return rows.error();
  std::vector<JobRecord> out;
  out.reserve(rows->size());
  for (const auto& r : *rows) out.push_back(from_row(r));
  return out;
}

core::Result<std::map<JobStatus, int64_t>> count_by_status(Tx& tx) {
  auto rows = tx.query("SELECT status, COUNT(*) FROM jobs GROUP BY status");
  if (!rows) return rows.error();
  std::map<JobStatus, int64_t> out;
  for (const auto& r : *rows) {
    if (auto s = parse_job_status(r.get_text(0))) out[*s] = r.get_int(1);
  }
  return out;
}

core::Result<int64_t> count_with_status(Tx& tx, JobStatus status) {
  auto row = tx.query_one("SELECT COUNT(*) FROM jobs WHERE status = ?", {std::string(job_status_name(status))});
  if (!row) return row.error();
  return (*row)->get_int(0);
}

}  // namespace jobs
}  // namespace docent::store
