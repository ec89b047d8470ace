#include "store/api_keys.h"

namespace docent::store::api_keys {

namespace {

constexpr std::string_view kColumns = "id, account_id, name, prefix, last4, digest, sealed, created_at, revoked_at";

ApiKeyRecord from_row(const Row& r) {
  ApiKeyRecord k;
  k.id = r.get_text(0);
  k.account_id = r.get_text(1);
  k.name = r.get_text(2);
  k.prefix = r.get_text(3);
  k.last4 = r.get_text(4);
  k.digest = r.get_text(5);
  k.sealed = r.get_text(6);
  k.created_at = r.get_text(7);
  k.revoked_at = r.opt_text(8);
  return k;
}

core::Result<std::optional<ApiKeyRecord>> one(Tx& tx, std::string_view where, std::string_view arg) {
  auto row = tx.query_one("SELECT " + std::string(kColumns) + " FROM api_keys WHERE " + std::string(where),
                          {std::string(arg)});
  if (!row) return row.error();
  if (!*row) return std::optional<ApiKeyRecord>();
  return std::optional<ApiKeyRecord>(from_row(**row));
}

}  // namespace

core::Status insert(Tx& tx, const ApiKeyRecord& k) {
  return tx.exec(
      "INSERT INTO api_keys (id, account_id, name, prefix, last4, digest, sealed, created_at) "
      "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
      {k.id, k.account_id, k.name, k.prefix, k.last4, k.digest, Blob{k.sealed}, k.created_at});
}

core::Result<std::optional<ApiKeyRecord>> by_digest(Tx& tx, std::string_view digest) {
  return one(tx, "digest = ?", digest);
}

core::Result<std::optional<ApiKeyRecord>> by_id(Tx& tx, std::string_view id) { return one(tx, "id = ?", id); }

core::Result<std::vector<ApiKeyRecord>> of_account(Tx& tx, std::string_view account_id, bool include_revoked) {
  std::string sql = "SELECT " + std::string(kColumns) + " FROM api_keys WHERE account_id = ?";
  if (!include_revoked) sql += " AND revoked_at IS NULL";
  sql += " ORDER BY created_at DESC, id DESC";
  auto rows = tx.query(sql, {std::string(account_id)});
  if (!rows) return rows.error();
  std::vector<ApiKeyRecord> out;
  for (const auto& r : *rows) out.push_back(from_row(r));
  return out;
}

core::Status revoke(Tx& tx, std::string_view id, std::string_view at) {
  auto st = tx.exec("UPDATE api_keys SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL",
                    {std::string(at), std::string(id)});
  if (!st) return st;
  if (tx.changes() == 0) return core::Error(core::Code::NotFound, "API key not found");
  return {};
}

core::Status revoke_all(Tx& tx, std::string_view account_id, std::string_view at) {
  return tx.exec("UPDATE api_keys SET revoked_at = ? WHERE account_id = ? AND revoked_at IS NULL",
                 {std::string(at), std::string(account_id)});
}

}  // namespace docent::store::api_keys
