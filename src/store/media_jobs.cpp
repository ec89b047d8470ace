#include "store/media_jobs.h"

namespace docent::store::media_jobs {

namespace {

constexpr std::string_view kColumns =
    "m.id, m.job_id, m.account_id, m.type, m.session_id, m.input_sha256, m.result_sha256, m.created_at";

MediaJobRecord from_row(const Row& r) {
  MediaJobRecord m;
  m.id = r.get_text(0);
  m.job_id = r.get_text(1);
  m.account_id = r.get_text(2);
  m.type = r.get_text(3);
  m.session_id = r.opt_text(4);
  m.input_sha256 = r.opt_text(5);
  m.result_sha256 = r.opt_text(6);
  m.created_at = r.get_text(7);
  return m;
}

Value opt(const std::optional<std::string>& v) { return v ? Value(*v) : Value(nullptr); }

core::Result<std::optional<MediaJobRecord>> one(Tx& tx, std::string_view where, std::string_view key) {
  auto row = tx.query_one("SELECT " + std::string(kColumns) + " FROM media_jobs m WHERE " + std::string(where),
                          {std::string(key)});
  if (!row) return row.error();
  if (!*row) return std::optional<MediaJobRecord>();
  return std::optional<MediaJobRecord>(from_row(**row));
}

}  // namespace

core::Status insert(Tx& tx, const MediaJobRecord& m) {
  return tx.exec(
      "INSERT INTO media_jobs (id, job_id, account_id, type, session_id, input_sha256, result_sha256, created_at) "
      "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
      {m.id, m.job_id, m.account_id, m.type, opt(m.session_id), opt(m.input_sha256), opt(m.result_sha256),
       m.created_at});
}

core::Result<std::optional<MediaJobRecord>> by_id(Tx& tx, std::string_view id) { return one(tx, "m.id = ?", id); }

core::Result<std::optional<MediaJobRecord>> by_job_id(Tx& tx, std::string_view job_id) {
  return one(tx, "m.job_id = ?", job_id);
}

core::Status set_result_blob(Tx& tx, std::string_view id, std::string_view sha256) {
  return tx.exec("UPDATE media_jobs SET result_sha256 = ? WHERE id = ?", {std::string(sha256), std::string(id)});
}

core::Result<std::vector<MediaJobRecord>> finished_before(Tx& tx, std::string_view finished_before, int64_t limit) {
  auto rows = tx.query("SELECT " + std::string(kColumns) +
                           " FROM media_jobs m JOIN jobs j ON j.id = m.job_id"
                           " WHERE j.finished_at IS NOT NULL AND j.finished_at < ? ORDER BY j.finished_at LIMIT ?",
                       {std::string(finished_before), limit});
  if (!rows) return rows.error();
  std::vector<MediaJobRecord> out;
  out.reserve(rows->size());
  for (const auto& r : *rows) out.push_back(from_row(r));
  return out;
}

core::Status remove_with_job(Tx& tx, const MediaJobRecord& m) {
  if (auto st = tx.exec("DELETE FROM media_jobs WHERE id = ?", {m.id}); !st) return st;
  return tx.exec("DELETE FROM jobs WHERE id = ?", {m.job_id});
}

core::Result<int64_t> count_sha(Tx& tx, std::string_view sha256) {
  auto row = tx.query_one("SELECT count(*) FROM media_jobs WHERE input_sha256 = ?1 OR result_sha256 = ?1",
                          {std::string(sha256)});
  if (!row) return row.error();
  return *row ? (*row)->get_int(0) : 0;
}

}  // namespace docent::store::media_jobs
