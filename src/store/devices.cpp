#include "store/devices.h"

namespace docent::store {

namespace {

constexpr std::string_view kColumns = "digest, sealed, account_id, location, is_sync, email, created_at, updated_at";

DeviceRecord from_row(const Row& r) {
  DeviceRecord d;
  d.digest = r.get_text(0);
  d.sealed = r.get_text(1);
  d.account_id = r.get_text(2);
  d.location = r.get_text(3);
  d.is_sync = r.get_int(4) != 0;
  d.email = r.get_text(5);
  d.created_at = r.get_text(6);
  d.updated_at = r.get_text(7);
  return d;
}

core::Result<std::optional<DeviceRecord>> one(Tx& tx, std::string_view where, std::string_view arg) {
  auto row = tx.query_one("SELECT " + std::string(kColumns) + " FROM devices WHERE " + std::string(where),
                          {std::string(arg)});
  if (!row) return row.error();
  if (!*row) return std::optional<DeviceRecord>();
  return std::optional<DeviceRecord>(from_row(**row));
}

}  // namespace

namespace devices {

core::Status insert(Tx& tx, const DeviceRecord& d) {
  return tx.exec(
      "INSERT INTO devices (digest, sealed, account_id, location, is_sync, email, created_at, updated_at) "
      "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
      {d.digest, Blob{d.sealed}, d.account_id, d.location, int64_t{d.is_sync ? 1 : 0}, d.email, d.created_at,
       d.updated_at});
}

core::Result<std::optional<DeviceRecord>> by_digest(Tx& tx, std::string_view digest) {
  return one(tx, "digest = ?", digest);
}

core::Result<std::optional<DeviceRecord>> by_account(Tx& tx, std::string_view account_id) {
  return one(tx, "account_id = ?", account_id);
}

core::Status touch(Tx& tx, std::string_view digest, std::string_view at) {
  return tx.exec("UPDATE devices SET updated_at = ? WHERE digest = ?", {std::string(at), std::string(digest)});
}

}  // namespace devices

namespace usage {

core::Status add(Tx& tx, std::string_view account_id, std::string_view metric, std::string_view period, int64_t n) {
  return tx.exec(
      "INSERT INTO usage_counters (account_id, metric, period, value) VALUES (?, ?, ?, ?) "
      "ON CONFLICT (account_id, metric, period) DO UPDATE SET value = value + excluded.value",
      {std::string(account_id), std::string(metric), std::string(period), n});
}

core::Result<int64_t> get(Tx& tx, std::string_view account_id, std::string_view metric, std::string_view period) {
  auto row = tx.query_one("SELECT value FROM usage_counters WHERE account_id = ? AND metric = ? AND period = ?",
                          {std::string(account_id), std::string(metric), std::string(period)});
  if (!row) return row.error();
  return *row ? (*row)->get_int(0) : int64_t{0};
}

core::Result<std::vector<UsageValue>> of(Tx& tx, std::string_view account_id, const std::vector<std::string>& metrics,
                                         std::string_view day, std::string_view month) {
  std::string sql = "SELECT metric, period, value FROM usage_counters WHERE account_id = ? AND metric IN (";
  std::vector<Value> params{std::string(account_id)};
  for (size_t i = 0; i < metrics.size(); ++i) {
    sql += i ? ", ?" : "?";
    params.emplace_back(metrics[i]);
  }
  sql += ") AND period IN (?, ?)";
  params.emplace_back(std::string(day));
  params.emplace_back(std::string(month));
  auto rows = tx.query(sql, params);
  if (!rows) return rows.error();
  std::vector<UsageValue> out;
  out.reserve(rows->size());
  for (const auto& r : *rows) out.push_back(UsageValue{r.get_text(0), r.get_text(1), r.get_int(2)});
  return out;
}

}  // namespace usage
}  // namespace docent::store
