#pragma once
// Webhook rows (0015_webhooks.sql): endpoints, the event outbox and deliveries. Functions take
// the caller's transaction. Deliveries are claimed with leases exactly as jobs are (store/jobs.h):
//
//   pending --claim_due--> delivering --succeed--> succeeded
//                              |  \--fail(retry_at)--> pending (next_attempt_at = retry_at)
//                              |  \--fail(nullopt)---> failed
//                              \--lease expires------> claimed again by claim_due
//   failed/succeeded --redeliver--> pending (now)
//
// Times are RFC 3339 UTC text with milliseconds (jobs::timestamp).

#include "store/database.h"

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace docent::store {

struct WebhookEndpointRecord {
  std::string id;
  std::string account_id;
  std::string url;
  std::string events = "[]";  // JSON array text
  std::string secret_sealed;
  std::string description;
  bool enabled = true;
  std::optional<std::string> disabled_reason;
  int64_t consecutive_failures = 0;
  std::string created_at, updated_at;
};

struct WebhookEventRecord {
  std::string id;  // "msg_..."
  std::string account_id;
  std::string type;
  std::string body;
  std::string created_at;
};

struct WebhookDeliveryRecord {
  std::string id;
  std::string event_id;
  std::string endpoint_id;
  std::string account_id;
  std::string status = "pending";  // pending, delivering, succeeded, failed
  int64_t attempts = 0;
  std::string next_attempt_at;
  std::optional<std::string> lease_owner, lease_expires_at;
  std::optional<int64_t> last_status_code, last_duration_ms;
  std::optional<std::string> last_error;
  std::string created_at, updated_at;
  std::optional<std::string> delivered_at;
  std::string event_type;  // joined from the event when read
};

struct WebhookAttemptRecord {
  std::string delivery_id;
  int64_t attempt = 0;
  std::string started_at;
  std::optional<int64_t> status_code;
  int64_t duration_ms = 0;
  std::string outcome;  // succeeded, failed
  std::optional<std::string> error;
};

// What a worker needs to send one claimed delivery.
struct ClaimedDelivery {
  WebhookDeliveryRecord delivery;
  std::string url;
  std::string secret_sealed;
  std::string body;
};

namespace webhooks {

core::Status insert_endpoint(Tx& tx, const WebhookEndpointRecord& e);
core::Result<std::optional<WebhookEndpointRecord>> endpoint_by_id(Tx& tx, std::string_view id);
// An account's endpoints, oldest first; every account's when account_id is nullopt.
core::Result<std::vector<WebhookEndpointRecord>> endpoints_of(Tx& tx, const std::optional<std::string>& account_id);
// The enabled endpoints of an account (the fan-out of emit): one indexed read.
core::Result<std::vector<WebhookEndpointRecord>> enabled_endpoints(Tx& tx, std::string_view account_id);
// Writes url, events, secret_sealed, description, enabled, disabled_reason, consecutive_failures
// and updated_at. NotFound when there is no such endpoint.
core::Status update_endpoint(Tx& tx, const WebhookEndpointRecord& e);
// NotFound when there is no such endpoint. Its deliveries go with it.
core::Status delete_endpoint(Tx& tx, std::string_view id);

core::Status insert_event(Tx& tx, const WebhookEventRecord& e);
// A new pending delivery, due at `due`.
core::Status insert_delivery(Tx& tx, const WebhookDeliveryRecord& d);

// Claims the delivery due first for `owner`: pending with next_attempt_at <= now, or delivering
// with an expired lease, of an enabled endpoint. It becomes delivering, leased until now + lease,
// attempts one higher. nullopt when none is due.
core::Result<std::optional<ClaimedDelivery>> claim_due(Tx& tx, std::string_view owner,
                                                       std::chrono::system_clock::time_point now,
                                                       std::chrono::milliseconds lease);

// Records an attempt and settles the delivery held by `owner`: succeeded, or pending again at
// retry_at, or failed for good (retry_at nullopt). Conflict when the lease is no longer `owner`'s.
core::Status settle(Tx& tx, std::string_view delivery_id, std::string_view owner, const WebhookAttemptRecord& attempt,
                    bool succeeded, std::optional<std::chrono::system_clock::time_point> retry_at,
                    std::chrono::system_clock::time_point now);

// The endpoint's run of failures: reset to 0 on success, one more on failure. Returns the new count.
core::Result<int64_t> count_outcome(Tx& tx, std::string_view endpoint_id, bool succeeded,
                                    std::chrono::system_clock::time_point now);
// Disables an endpoint with a reason; its pending deliveries are failed ("endpoint disabled").
core::Status disable_endpoint(Tx& tx, std::string_view endpoint_id, std::string_view reason,
                              std::chrono::system_clock::time_point now);

// Makes a finished delivery pending again, due now (the attempt count is kept). Conflict when it
// is pending or delivering; NotFound when there is none.
core::Status redeliver(Tx& tx, std::string_view delivery_id, std::chrono::system_clock::time_point now);

core::Result<std::optional<WebhookDeliveryRecord>> delivery_by_id(Tx& tx, std::string_view id);
// An endpoint's deliveries, newest first, older than before_id when set.
core::Result<std::vector<WebhookDeliveryRecord>> deliveries_of(Tx& tx, std::string_view endpoint_id,
                                                               const std::optional<std::string>& before_id,
                                                               int64_t limit);
core::Result<std::vector<WebhookAttemptRecord>> attempts_of(Tx& tx, std::string_view delivery_id);

// Requeues deliveries left delivering by another owner (a previous run of a single-node install).
core::Result<int64_t> requeue_orphans(Tx& tx, std::string_view live_owner, std::chrono::system_clock::time_point now);

}  // namespace webhooks
}  // namespace docent::store
