#include "store/webhooks.h"

#include "store/jobs.h"

namespace docent::store::webhooks {

namespace {

using Clock = std::chrono::system_clock;

Value opt_text(const std::optional<std::string>& s) { return s ? Value(*s) : Value(nullptr); }
Value opt_int(const std::optional<int64_t>& v) { return v ? Value(*v) : Value(nullptr); }
std::string ts(Clock::time_point t) { return jobs::timestamp(t); }

constexpr std::string_view kEndpointColumns =
    "id, account_id, url, events, secret_sealed, description, enabled, disabled_reason, consecutive_failures, "
    "created_at, updated_at";

WebhookEndpointRecord endpoint_from(const Row& r) {
  WebhookEndpointRecord e;
  e.id = r.get_text(0);
  e.account_id = r.get_text(1);
  e.url = r.get_text(2);
  e.events = r.get_text(3);
  e.secret_sealed = r.get_text(4);
  e.description = r.get_text(5);
  e.enabled = r.get_int(6) != 0;
  e.disabled_reason = r.opt_text(7);
  e.consecutive_failures = r.get_int(8);
  e.created_at = r.get_text(9);
  e.updated_at = r.get_text(10);
  return e;
}

constexpr std::string_view kDeliveryColumns =
    "d.id, d.event_id, d.endpoint_id, d.account_id, d.status, d.attempts, d.next_attempt_at, d.lease_owner, "
    "d.lease_expires_at, d.last_status_code, d.last_duration_ms, d.last_error, d.created_at, d.updated_at, "
    "d.delivered_at, v.type";

std::string select_deliveries() {
  return "SELECT " + std::string(kDeliveryColumns) +
         " FROM webhook_deliveries d JOIN webhook_events v ON v.id = d.event_id ";
}

WebhookDeliveryRecord delivery_from(const Row& r) {
  WebhookDeliveryRecord d;
  d.id = r.get_text(0);
  d.event_id = r.get_text(1);
  d.endpoint_id = r.get_text(2);
  d.account_id = r.get_text(3);
  d.status = r.get_text(4);
  d.attempts = r.get_int(5);
  d.next_attempt_at = r.get_text(6);
  d.lease_owner = r.opt_text(7);
  d.lease_expires_at = r.opt_text(8);
  d.last_status_code = r.opt_int(9);
  d.last_duration_ms = r.opt_int(10);
  d.last_error = r.opt_text(11);
  d.created_at = r.get_text(12);
  d.updated_at = r.get_text(13);
  d.delivered_at = r.opt_text(14);
  d.event_type = r.get_text(15);
  return d;
}

core::Error not_found(std::string_view what) {
  return core::Error(core::Code::NotFound, std::string(what) + " not found");
}

}  // namespace

core::Status insert_endpoint(Tx& tx, const WebhookEndpointRecord& e) {
  return tx.exec(
      "INSERT INTO webhook_endpoints (id, account_id, url, events, secret_sealed, description, enabled, "
      "disabled_reason, consecutive_failures, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
      {e.id, e.account_id, e.url, e.events, e.secret_sealed, e.description, int64_t(e.enabled ? 1 : 0),
       opt_text(e.disabled_reason), e.consecutive_failures, e.created_at, e.updated_at});
}

core::Result<std::optional<WebhookEndpointRecord>> endpoint_by_id(Tx& tx, std::string_view id) {
  auto row = tx.query_one("SELECT " + std::string(kEndpointColumns) + " FROM webhook_endpoints WHERE id = ?",
                          {std::string(id)});
  if (!row) return row.error();
  if (!*row) return std::optional<WebhookEndpointRecord>();
  return std::optional<WebhookEndpointRecord>(endpoint_from(**row));
}

core::Result<std::vector<WebhookEndpointRecord>> endpoints_of(Tx& tx, const std::optional<std::string>& account_id) {
  std::string sql = "SELECT " + std::string(kEndpointColumns) + " FROM webhook_endpoints";
  std::vector<Value> params;
  if (account_id) {
    sql += " WHERE account_id = ?";
    params.emplace_back(*account_id);
  }
  sql += " ORDER BY id";
  auto rows = tx.query(sql, params);
  if (!rows) return rows.error();
  std::vector<WebhookEndpointRecord> out;
  for (const auto& r : *rows) out.push_back(endpoint_from(r));
  return out;
}

core::Result<std::vector<WebhookEndpointRecord>> enabled_endpoints(Tx& tx, std::string_view account_id) {
  auto rows = tx.query("SELECT " + std::string(kEndpointColumns) +
                           " FROM webhook_endpoints WHERE account_id = ? AND enabled = 1 ORDER BY id",
                       {std::string(account_id)});
  if (!rows) return rows.error();
  std::vector<WebhookEndpointRecord> out;
  for (const auto& r : *rows) out.push_back(endpoint_from(r));
  return out;
}

core::Status update_endpoint(Tx& tx, const WebhookEndpointRecord& e) {
  auto st = tx.exec(
      "UPDATE webhook_endpoints SET url = ?, events = ?, secret_sealed = ?, description = ?, enabled = ?, "
      "disabled_reason = ?, consecutive_failures = ?, updated_at = ? WHERE id = ?",
      {e.url, e.events, e.secret_sealed, e.description, int64_t(e.enabled ? 1 : 0), opt_text(e.disabled_reason),
       e.consecutive_failures, e.updated_at, e.id});
  if (!st) return st;
  if (tx.changes() == 0) return not_found("webhook");
  return {};
}

core::Status delete_endpoint(Tx& tx, std::string_view id) {
  auto st = tx.exec("DELETE FROM webhook_endpoints WHERE id = ?", {std::string(id)});
  if (!st) return st;
  if (tx.changes() == 0) return not_found("webhook");
  return {};
}

core::Status insert_event(Tx& tx, const WebhookEventRecord& e) {
  return tx.exec("INSERT INTO webhook_events (id, account_id, type, body, created_at) VALUES (?, ?, ?, ?, ?)",
                 {e.id, e.account_id, e.type, e.body, e.created_at});
}

core::Status insert_delivery(Tx& tx, const WebhookDeliveryRecord& d) {
  return tx.exec(
      "INSERT INTO webhook_deliveries (id, event_id, endpoint_id, account_id, status, attempts, next_attempt_at, "
      "created_at, updated_at) VALUES (?, ?, ?, ?, 'pending', 0, ?, ?, ?)",
      {d.id, d.event_id, d.endpoint_id, d.account_id, d.next_attempt_at, d.created_at, d.updated_at});
}

core::Result<std::optional<ClaimedDelivery>> claim_due(Tx& tx, std::string_view owner, Clock::time_point now,
                                                       std::chrono::milliseconds lease) {
  const std::string at = ts(now);
  const std::string runnable =
      "((d.status = 'pending' AND d.next_attempt_at <= ?) OR (d.status = 'delivering' AND d.lease_expires_at <= ?))";
  auto pick =
      tx.query_one("SELECT d.id FROM webhook_deliveries d JOIN webhook_endpoints e ON e.id = d.endpoint_id WHERE " +
                       runnable + " AND e.enabled = 1 ORDER BY d.next_attempt_at, d.id LIMIT 1",
                   {at, at});
  if (!pick) return pick.error();
  if (!*pick) return std::optional<ClaimedDelivery>();
  const std::string id = (*pick)->get_text(0);
  // The guard repeats the runnable test, as jobs::claim_next does, so two claimers never both win.
  auto st = tx.exec(
      "UPDATE webhook_deliveries SET status = 'delivering', lease_owner = ?, lease_expires_at = ?, "
      "attempts = attempts + 1, updated_at = ? WHERE id = ? AND ((status = 'pending' AND next_attempt_at <= ?) OR "
      "(status = 'delivering' AND lease_expires_at <= ?))",
      {std::string(owner), ts(now + lease), at, id, at, at});
  if (!st) return st.error();
  if (tx.changes() == 0) return std::optional<ClaimedDelivery>();
  auto row = delivery_by_id(tx, id);
  if (!row) return row.error();
  if (!*row) return std::optional<ClaimedDelivery>();
  ClaimedDelivery c;
  c.delivery = std::move(**row);
  auto extra = tx.query_one(
      "SELECT e.url, e.secret_sealed, v.body FROM webhook_deliveries d JOIN webhook_endpoints e ON e.id = "
      "d.endpoint_id JOIN webhook_events v ON v.id = d.event_id WHERE d.id = ?",
      {id});
  if (!extra) return extra.error();
  if (!*extra) return std::optional<ClaimedDelivery>();
  c.url = (*extra)->get_text(0);
  c.secret_sealed = (*extra)->get_text(1);
  c.body = (*extra)->get_text(2);
  return std::optional<ClaimedDelivery>(std::move(c));
}

core::Status settle(Tx& tx, std::string_view delivery_id, std::string_view owner, const WebhookAttemptRecord& a,
                    bool succeeded, std::optional<Clock::time_point> retry_at, Clock::time_point now) {
  const std::string at = ts(now);
  core::Status st;
  if (succeeded) {
    st = tx.exec(
        "UPDATE webhook_deliveries SET status = 'succeeded', lease_owner = NULL, lease_expires_at = NULL, "
        "last_status_code = ?, last_duration_ms = ?, last_error = NULL, delivered_at = ?, updated_at = ? "
        "WHERE id = ? AND lease_owner = ? AND status = 'delivering'",
        {opt_int(a.status_code), a.duration_ms, at, at, std::string(delivery_id), std::string(owner)});
  } else {
    st = tx.exec(
        "UPDATE webhook_deliveries SET status = ?, next_attempt_at = ?, lease_owner = NULL, lease_expires_at = NULL, "
        "last_status_code = ?, last_duration_ms = ?, last_error = ?, updated_at = ? "
        "WHERE id = ? AND lease_owner = ? AND status = 'delivering'",
        {std::string(retry_at ? "pending" : "failed"), retry_at ? ts(*retry_at) : at, opt_int(a.status_code),
         a.duration_ms, opt_text(a.error), at, std::string(delivery_id), std::string(owner)});
  }
  if (!st) return st;
  if (tx.changes() == 0) {
    return core::Error(core::Code::Conflict, "delivery " + std::string(delivery_id) + " is no longer leased to us");
  }
  return tx.exec(
      "INSERT INTO webhook_attempts (delivery_id, attempt, started_at, status_code, duration_ms, outcome, error) "
      "VALUES (?, ?, ?, ?, ?, ?, ?)",
      {a.delivery_id, a.attempt, a.started_at, opt_int(a.status_code), a.duration_ms, a.outcome, opt_text(a.error)});
}

core::Result<int64_t> count_outcome(Tx& tx, std::string_view endpoint_id, bool succeeded, Clock::time_point now) {
  auto row = tx.query_one(succeeded ? "UPDATE webhook_endpoints SET consecutive_failures = 0 WHERE id = ? "
                                      "RETURNING consecutive_failures"
                                    : "UPDATE webhook_endpoints SET consecutive_failures = consecutive_failures + 1, "
                                      "updated_at = ? WHERE id = ? RETURNING consecutive_failures",
                          succeeded ? std::vector<Value>{std::string(endpoint_id)}
                                    : std::vector<Value>{ts(now), std::string(endpoint_id)});
  if (!row) return row.error();
  if (!*row) return int64_t(0);  // deleted meanwhile
  return (*row)->get_int(0);
}

core::Status disable_endpoint(Tx& tx, std::string_view endpoint_id, std::string_view reason, Clock::time_point now) {
  const std::string at = ts(now);
  auto st = tx.exec("UPDATE webhook_endpoints SET enabled = 0, disabled_reason = ?, updated_at = ? WHERE id = ?",
                    {std::string(reason), at, std::string(endpoint_id)});
  if (!st) return st;
  return tx.exec(
      "UPDATE webhook_deliveries SET status = 'failed', last_error = 'endpoint disabled: ' || ?, updated_at = ? "
      "WHERE endpoint_id = ? AND status = 'pending'",
      {std::string(reason), at, std::string(endpoint_id)});
}

core::Status redeliver(Tx& tx, std::string_view delivery_id, Clock::time_point now) {
  const std::string at = ts(now);
  auto st = tx.exec(
      "UPDATE webhook_deliveries SET status = 'pending', next_attempt_at = ?, updated_at = ? "
      "WHERE id = ? AND status IN ('succeeded', 'failed')",
      {at, at, std::string(delivery_id)});
  if (!st) return st;
  if (tx.changes() > 0) return {};
  auto d = delivery_by_id(tx, delivery_id);
  if (!d) return d.error();
  if (!*d) return not_found("delivery");
  return core::Error(core::Code::Conflict, "the delivery is already " + (*d)->status);
}

core::Result<std::optional<WebhookDeliveryRecord>> delivery_by_id(Tx& tx, std::string_view id) {
  auto row = tx.query_one(select_deliveries() + "WHERE d.id = ?", {std::string(id)});
  if (!row) return row.error();
  if (!*row) return std::optional<WebhookDeliveryRecord>();
  return std::optional<WebhookDeliveryRecord>(delivery_from(**row));
}

core::Result<std::vector<WebhookDeliveryRecord>> deliveries_of(Tx& tx, std::string_view endpoint_id,
                                                               const std::optional<std::string>& before_id,
                                                               int64_t limit) {
  std::string sql = select_deliveries() + "WHERE d.endpoint_id = ?";
  std::vector<Value> params{std::string(endpoint_id)};
  if (before_id) {
    sql += " AND d.id < ?";
    params.emplace_back(*before_id);
  }
  sql += " ORDER BY d.id DESC LIMIT ?";
  params.emplace_back(limit);
  auto rows = tx.query(sql, params);
  if (!rows) return rows.error();
  std::vector<WebhookDeliveryRecord> out;
  for (const auto& r : *rows) out.push_back(delivery_from(r));
  return out;
}

core::Result<std::vector<WebhookAttemptRecord>> attempts_of(Tx& tx, std::string_view delivery_id) {
  auto rows = tx.query(
      "SELECT delivery_id, attempt, started_at, status_code, duration_ms, outcome, error FROM webhook_attempts "
      "WHERE delivery_id = ? ORDER BY attempt, id",
      {std::string(delivery_id)});
  if (!rows) return rows.error();
  std::vector<WebhookAttemptRecord> out;
  for (const auto& r : *rows) {
    out.push_back(WebhookAttemptRecord{r.get_text(0), r.get_int(1), r.get_text(2), r.opt_int(3), r.get_int(4),
                                       r.get_text(5), r.opt_text(6)});
  }
  return out;
}

core::Result<int64_t> requeue_orphans(Tx& tx, std::string_view live_owner, Clock::time_point now) {
  const std::string at = ts(now);
  auto st = tx.exec(
      "UPDATE webhook_deliveries SET status = 'pending', next_attempt_at = ?, lease_owner = NULL, "
      "lease_expires_at = NULL, updated_at = ? WHERE status = 'delivering' AND lease_owner <> ?",
      {at, at, std::string(live_owner)});
  if (!st) return st.error();
  return tx.changes();
}

}  // namespace docent::store::webhooks
