#include "store/plans.h"

#include <boost/json.hpp>

#include <algorithm>

namespace docent::store::plans {

namespace {

constexpr std::string_view kColumns =
    "name, source, rank, self_service, file_size, file_types, file_per_day, file_per_month, page_per_month, "
    "question_per_day, question_per_month, file_capacity, extraction_per_month, media_per_day, media_per_month, "
    "created_at, updated_at";

std::string types_json(const std::vector<std::string>& types) {
  boost::json::array a;
  for (const auto& t : types) a.emplace_back(t);
  return boost::json::serialize(a);
}

std::vector<std::string> types_from(const std::string& text) {
  std::vector<std::string> out;
  boost::system::error_code ec;
  auto v = boost::json::parse(text, ec);
  if (ec || !v.is_array()) return out;
  for (const auto& t : v.as_array()) {
    if (t.is_string()) out.emplace_back(t.as_string());
  }
  return out;
}

PlanRecord from_row(const Row& r) {
  PlanRecord p;
  p.name = r.get_text(0);
  p.source = r.get_text(1);
  auto& l = p.limits;
  l.rank = r.get_int(2);
  l.self_service = r.get_int(3) != 0;
  l.file_size = static_cast<std::uint64_t>(r.get_int(4));
  l.file_types = types_from(r.get_text(5));
  l.file_per_day = r.get_int(6);
  l.file_per_month = r.get_int(7);
  l.page_per_month = r.get_int(8);
  l.question_per_day = r.get_int(9);
  l.question_per_month = r.get_int(10);
  l.file_capacity = r.get_int(11);
  l.extraction_per_month = r.get_int(12);
  l.media_per_day = r.get_int(13);
  l.media_per_month = r.get_int(14);
  p.created_at = r.get_text(15);
  p.updated_at = r.get_text(16);
  return p;
}

// The limit values in kColumns order from rank to media_per_month.
std::vector<Value> limit_values(const core::PlanConfig& l) {
  return {l.rank,
          int64_t{l.self_service ? 1 : 0},
          static_cast<int64_t>(l.file_size),
          types_json(l.file_types),
          l.file_per_day,
          l.file_per_month,
          l.page_per_month,
          l.question_per_day,
          l.question_per_month,
          l.file_capacity,
          l.extraction_per_month,
          l.media_per_day,
          l.media_per_month};
}

}  // namespace

core::Status insert(Tx& tx, const PlanRecord& p) {
  std::vector<Value> params{p.name, p.source};
  for (auto& v : limit_values(p.limits)) params.push_back(std::move(v));
  params.emplace_back(p.created_at);
  params.emplace_back(p.updated_at);
  auto st = tx.exec("INSERT INTO plans (" + std::string(kColumns) +
                        ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    params);
  if (!st && st.error().code == core::Code::Conflict) {
    return core::Error(core::Code::Conflict, "a plan named '" + p.name + "' already exists", "name");
  }
  return st;
}

core::Status update(Tx& tx, const PlanRecord& p) {
  std::vector<Value> params{p.source};
  for (auto& v : limit_values(p.limits)) params.push_back(std::move(v));
  params.emplace_back(p.updated_at);
  params.emplace_back(p.name);
  auto st = tx.exec(
      "UPDATE plans SET source = ?, rank = ?, self_service = ?, file_size = ?, file_types = ?, file_per_day = ?, "
      "file_per_month = ?, page_per_month = ?, question_per_day = ?, question_per_month = ?, file_capacity = ?, "
      "extraction_per_month = ?, media_per_day = ?, media_per_month = ?, updated_at = ? WHERE name = ?",
      params);
  if (!st) return st;
  if (tx.changes() == 0) return core::Error(core::Code::NotFound, "plan '" + p.name + "' not found");
  return {};
}

core::Status upsert_config(Tx& tx, const std::string& name, const core::PlanConfig& limits, std::string_view now) {
  std::vector<Value> params{name, std::string("config")};
  for (auto& v : limit_values(limits)) params.push_back(std::move(v));
  params.emplace_back(std::string(now));
  params.emplace_back(std::string(now));
  return tx.exec("INSERT INTO plans (" + std::string(kColumns) +
                     ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
                     "ON CONFLICT (name) DO UPDATE SET source = excluded.source, rank = excluded.rank, "
                     "self_service = excluded.self_service, file_size = excluded.file_size, "
                     "file_types = excluded.file_types, file_per_day = excluded.file_per_day, "
                     "file_per_month = excluded.file_per_month, page_per_month = excluded.page_per_month, "
                     "question_per_day = excluded.question_per_day, question_per_month = excluded.question_per_month, "
                     "file_capacity = excluded.file_capacity, extraction_per_month = excluded.extraction_per_month, "
                     "media_per_day = excluded.media_per_day, media_per_month = excluded.media_per_month, "
                     "updated_at = excluded.updated_at",
                 params);
}

core::Status release_unconfigured(Tx& tx, const std::vector<std::string>& configured, std::string_view now) {
  auto rows = tx.query("SELECT name FROM plans WHERE source = 'config'");
  if (!rows) return rows.error();
  for (const auto& r : *rows) {
    const std::string& name = r.get_text(0);
    if (std::find(configured.begin(), configured.end(), name) != configured.end()) continue;
    if (auto st = tx.exec("UPDATE plans SET source = 'admin', updated_at = ? WHERE name = ?", {std::string(now), name});
        !st) {
      return st;
    }
  }
  return {};
}

core::Result<std::optional<PlanRecord>> by_name(Tx& tx, std::string_view name) {
  auto row = tx.query_one("SELECT " + std::string(kColumns) + " FROM plans WHERE name = ?", {std::string(name)});
  if (!row) return row.error();
  if (!*row) return std::optional<PlanRecord>();
  return std::optional<PlanRecord>(from_row(**row));
}

core::Result<std::vector<PlanRecord>> list(Tx& tx) {
  auto rows = tx.query("SELECT " + std::string(kColumns) + " FROM plans ORDER BY rank, name");
  if (!rows) return rows.error();
  std::vector<PlanRecord> out;
  out.reserve(rows->size());
  for (const auto& r : *rows) out.push_back(from_row(r));
  return out;
}

core::Status remove(Tx& tx, std::string_view name) {
  auto st = tx.exec("DELETE FROM plans WHERE name = ?", {std::string(name)});
  if (!st) return st;
  if (tx.changes() == 0) return core::Error(core::Code::NotFound, "plan '" + std::string(name) + "' not found");
  return {};
}

core::Result<int64_t> accounts_on(Tx& tx, std::string_view name) {
  auto row = tx.query_one("SELECT COUNT(*) FROM accounts WHERE deleted_at IS NULL AND plan = ?", {std::string(name)});
  if (!row) return row.error();
  return (*row)->get_int(0);
}

core::Status set_grant(Tx& tx, std::string_view account_id, const PlanGrant& g) {
  return tx.exec(
      "INSERT INTO plan_grants (account_id, source, granted_by, granted_at) VALUES (?, ?, ?, ?) "
      "ON CONFLICT (account_id) DO UPDATE SET source = excluded.source, granted_by = excluded.granted_by, "
      "granted_at = excluded.granted_at",
      {std::string(account_id), g.source, g.granted_by, g.granted_at});
}

core::Result<std::optional<PlanGrant>> grant_of(Tx& tx, std::string_view account_id) {
  auto row = tx.query_one("SELECT source, granted_by, granted_at FROM plan_grants WHERE account_id = ?",
                          {std::string(account_id)});
  if (!row) return row.error();
  if (!*row) return std::optional<PlanGrant>();
  return std::optional<PlanGrant>(PlanGrant{(*row)->get_text(0), (*row)->get_text(1), (*row)->get_text(2)});
}

}  // namespace docent::store::plans
