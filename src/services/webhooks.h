#pragma once
// Webhooks (docs/WEBHOOKS.md): endpoints an account registers, events written to an outbox in the
// transaction of the change that caused them (EventSink::emit), and a pool of delivery workers
// that claim due deliveries from the database with leases, POST them signed by the Standard
// Webhooks scheme, retry with exponential backoff and jitter, and disable an endpoint after a run
// of failures or a 410.
//
// Once per event across replicas: a delivery is one row; a worker of any process sharing the
// database claims it by taking its lease in a write transaction (the same discipline as the job
// queue, store/jobs.h), so no two workers send the same attempt. A worker that dies mid-attempt
// leaves the row delivering until its lease expires; then another claims it again: the receiver
// may see that event twice, always with the same webhook-id, which is what the id is for.

#include "core/error.h"
#include "core/thread_annotations.h"
#include "services/audit.h"
#include "services/events.h"
#include "services/principal.h"
#include "services/secrets.h"
#include "store/database.h"
#include "store/webhooks.h"

#include <boost/json/value.hpp>

#include <atomic>
#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace docent::services {

struct WebhookOptions {
  bool allow_http = false;
  bool allow_private = false;
  std::chrono::milliseconds timeout{10000};
  int workers = 2;
  int max_failures = 25;  // consecutive failed attempts that disable an endpoint; 0: never
  // Delay before retry n (1-based); a delivery has retry_schedule.size() + 1 attempts in all.
  std::vector<std::chrono::milliseconds> retry_schedule = default_retry_schedule();
  std::chrono::milliseconds idle_poll_max{1000};
  bool reclaim_orphans_on_start = true;  // single node: deliveries left by a previous run retry at once
  std::function<std::chrono::system_clock::time_point()> now;  // default: system_clock::now

  static std::vector<std::chrono::milliseconds> default_retry_schedule();
};

// "5s,5m,30m,2h" -> durations; nullopt for an empty list or a bad item.
std::optional<std::vector<std::chrono::milliseconds>> parse_retry_schedule(std::string_view text);

// The signing key of a secret: the base64-decoded bytes after "whsec_", or the text's own bytes
// for a secret without that prefix (the chatbot seed's "your_webhook_secret").
std::optional<std::string> webhook_signing_key(std::string_view secret);
// The Standard Webhooks signature: "v1," + base64(HMAC-SHA256(key, id "." timestamp "." body)).
std::string webhook_signature(std::string_view key, std::string_view id, int64_t timestamp, std::string_view body);

struct Webhook {
  std::string id;
  std::string account_id;
  std::string url;
  std::vector<std::string> events;
  std::string description;
  bool enabled = true;
  std::string disabled_reason;
  int64_t consecutive_failures = 0;
  std::string created_at, updated_at;
};

struct NewWebhook {
  std::string url;
  std::vector<std::string> events;
  std::optional<std::string> secret;  // none: one is generated
  std::string description;
};

struct WebhookChange {
  std::optional<std::string> url;
  std::optional<std::vector<std::string>> events;
  std::optional<std::string> secret;
  std::optional<std::string> description;
  std::optional<bool> enabled;  // true re-enables a disabled endpoint (its run of failures starts again)
};

struct CreatedWebhook {
  Webhook webhook;
  std::string secret;  // shown once
};

struct WebhookAttempt {
  int64_t attempt = 0;
  std::string started_at;
  std::optional<int64_t> status_code;
  int64_t duration_ms = 0;
  std::string outcome;
  std::string error;
};

struct WebhookDelivery {
  std::string id;
  std::string event_id;  // the webhook-id header
  std::string event_type;
  std::string status;  // pending, delivering, succeeded, failed
  int64_t attempts = 0;
  std::optional<int64_t> last_status_code, last_duration_ms;
  std::string last_error;
  std::string next_attempt_at, created_at, updated_at;
  std::optional<std::string> delivered_at;
  std::vector<WebhookAttempt> attempt_log;
};

class WebhookService : public EventSink {
 public:
  WebhookService(store::Database& db, const Secrets& secrets, WebhookOptions options);
  ~WebhookService() override;
  WebhookService(const WebhookService&) = delete;
  WebhookService& operator=(const WebhookService&) = delete;

  // EventSink: fans the event out to the account's enabled endpoints that subscribe to it, one
  // pending delivery each; writes nothing when none does.
  core::Status emit(store::Tx& tx, std::string_view account_id, std::string_view type,
                    const boost::json::value& data) override;

  core::Result<CreatedWebhook> create(const Principal& actor, NewWebhook in, const RequestOrigin& origin = {});
  core::Result<std::vector<Webhook>> list(const Principal& actor);
  core::Result<Webhook> get(const Principal& actor, std::string_view id);
  core::Result<Webhook> update(const Principal& actor, std::string_view id, WebhookChange change,
                               const RequestOrigin& origin = {});
  core::Status remove(const Principal& actor, std::string_view id, const RequestOrigin& origin = {});

  core::Result<std::vector<WebhookDelivery>> deliveries(const Principal& actor, std::string_view webhook_id,
                                                        const std::optional<std::string>& before, int64_t limit);
  core::Result<WebhookDelivery> redeliver(const Principal& actor, std::string_view webhook_id,
                                          std::string_view delivery_id);
  // Sends a "webhook.test" event to this endpoint alone, whatever it subscribes to.
  core::Result<WebhookDelivery> send_test(const Principal& actor, std::string_view webhook_id);

  // Starts options.workers delivery threads (after requeueing orphans when configured).
  core::Status start();
  // Stops claiming, lets attempts under way finish until the deadline, joins the threads. An
  // attempt still running then finishes (curl's own timeout bounds it); its row is settled.
  void stop(std::chrono::steady_clock::time_point deadline);
  // Wakes idle workers to look for due deliveries now.
  void wake();

  // Records webhook.create, webhook.update and webhook.delete in `audit` from now on (null: none),
  // in the change's transaction. Set by the composition root before use.
  void set_audit(AuditTrail* audit) { audit_ = audit; }

 private:
  void worker_loop();
  void deliver(store::ClaimedDelivery claimed);
  core::Result<std::string> record_event(store::Tx& tx, std::string_view account_id, std::string_view type,
                                         const boost::json::value& data);
  std::chrono::system_clock::time_point now() const { return options_.now(); }

  store::Database& db_;
  const Secrets& secrets_;
  WebhookOptions options_;
  AuditTrail* audit_ = nullptr;
  const std::string owner_;

  core::Mutex mu_;
  uint64_t wake_generation_ GUARDED_BY(mu_) = 0;
  bool stopping_ GUARDED_BY(mu_) = false;
  core::CondVar wake_cv_;
  core::Mutex lifecycle_mu_;
  std::vector<std::thread> workers_ GUARDED_BY(lifecycle_mu_);
};

}  // namespace docent::services
