#include "store/accounts.h"

#include "store/counters.h"

#include <algorithm>
#include <cctype>

namespace docent::store::accounts {

namespace {

constexpr std::string_view kColumns =
    "id, seq, login, password_hash, first_name, last_name, email, phone, company, department, role, plan, "
    "user_type, version, created_at, updated_at, deleted_at, tier, rate_limits";

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return std::tolower(c); });
  return out;
}

AccountRecord from_row(const Row& r) {
  AccountRecord a;
  a.id = r.get_text(0);
  a.seq = r.get_int(1);
  a.login = r.get_text(2);
  a.password_hash = r.opt_text(3).value_or("");
  a.first_name = r.get_text(4);
  a.last_name = r.get_text(5);
  a.email = r.get_text(6);
  a.phone = r.get_text(7);
  a.company = r.get_text(8);
  a.department = r.get_text(9);
  a.role = r.get_text(10);
  a.plan = r.get_text(11);
  a.user_type = r.get_text(12);
  a.version = r.get_int(13);
  a.created_at = r.get_text(14);
  a.updated_at = r.get_text(15);
  a.deleted_at = r.opt_text(16);
  a.tier = r.get_text(17);
  a.rate_limits = r.get_text(18);
  return a;
}

Value hash_or_null(const std::string& h) { return h.empty() ? Value(nullptr) : Value(h); }

core::Result<std::optional<AccountRecord>> one(Tx& tx, std::string sql, std::vector<Value> params) {
  auto row = tx.query_one(sql, params);
  if (!row) return row.error();
  if (!*row) return std::optional<AccountRecord>();
  return std::optional<AccountRecord>(from_row(**row));
}

}  // namespace

core::Status insert(Tx& tx, AccountRecord& a) {
  auto next = counters::next(tx, "accounts");
  if (!next) return next.error();
  a.seq = *next;
  auto st = tx.exec(
      "INSERT INTO accounts (id, seq, login, login_key, password_hash, first_name, last_name, email, phone, company, "
      "department, role, plan, user_type, version, created_at, updated_at, tier, rate_limits) "
      "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, ?, ?, ?, ?)",
      {a.id, a.seq, a.login, lower(a.login), hash_or_null(a.password_hash), a.first_name, a.last_name, a.email, a.phone,
       a.company, a.department, a.role, a.plan, a.user_type, a.created_at, a.updated_at, a.tier, a.rate_limits});
  if (!st && st.error().code == core::Code::Conflict) {
    return core::Error(core::Code::Conflict, "an account with login '" + a.login + "' already exists", "Login");
  }
  return st;
}

core::Result<std::optional<AccountRecord>> by_id(Tx& tx, std::string_view id) {
  return one(tx, "SELECT " + std::string(kColumns) + " FROM accounts WHERE id = ? AND deleted_at IS NULL",
             {std::string(id)});
}

core::Result<std::optional<AccountRecord>> by_login(Tx& tx, std::string_view login) {
  return one(tx, "SELECT " + std::string(kColumns) + " FROM accounts WHERE login_key = ? AND deleted_at IS NULL",
             {lower(login)});
}

core::Status update(Tx& tx, AccountRecord& a) {
  auto st = tx.exec(
      "UPDATE accounts SET login = ?, login_key = ?, password_hash = ?, first_name = ?, last_name = ?, email = ?, "
      "phone = ?, company = ?, department = ?, role = ?, plan = ?, user_type = ?, tier = ?, rate_limits = ?, "
      "version = version + 1, updated_at = ? WHERE id = ? AND deleted_at IS NULL",
      {a.login, lower(a.login), hash_or_null(a.password_hash), a.first_name, a.last_name, a.email, a.phone, a.company,
       a.department, a.role, a.plan, a.user_type, a.tier, a.rate_limits, a.updated_at, a.id});
  if (!st) {
    if (st.error().code == core::Code::Conflict) {
      return core::Error(core::Code::Conflict, "an account with login '" + a.login + "' already exists", "Login");
    }
    return st;
  }
  if (tx.changes() == 0) return core::Error(core::Code::NotFound, "account not found");
  ++a.version;
  return {};
}

core::Status soft_delete(Tx& tx, std::string_view id, std::string_view at) {
  auto st = tx.exec(
      "UPDATE accounts SET deleted_at = ?, updated_at = ?, version = version + 1 "
      "WHERE id = ? AND deleted_at IS NULL",
      {std::string(at), std::string(at), std::string(id)});
  if (!st) return st;
  if (tx.changes() == 0) return core::Error(core::Code::NotFound, "account not found");
  return {};
}

core::Result<std::vector<AccountRecord>> list(Tx& tx, int64_t after_seq, int64_t limit) {
  auto rows = tx.query("SELECT " + std::string(kColumns) +
                           " FROM accounts WHERE deleted_at IS NULL AND seq > ? ORDER BY seq LIMIT ?",
                       {after_seq, limit});
  if (!rows) return rows.error();
  std::vector<AccountRecord> out;
  out.reserve(rows->size());
  for (const auto& r : *rows) out.push_back(from_row(r));
  return out;
}

core::Result<int64_t> count_live(Tx& tx) {
  auto row = tx.query_one("SELECT COUNT(*) FROM accounts WHERE deleted_at IS NULL");
  if (!row) return row.error();
  return (*row)->get_int(0);
}

core::Result<int64_t> count_admins(Tx& tx) {
  auto row = tx.query_one("SELECT COUNT(*) FROM accounts WHERE deleted_at IS NULL AND role = 'admin'");
  if (!row) return row.error();
  return (*row)->get_int(0);
}

}  // namespace docent::store::accounts
