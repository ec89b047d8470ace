#include "services/webhooks.h"

#include "core/config.h"
#include "core/crypto.h"
#include "core/id.h"
#include "core/log.h"
#include "core/time.h"
#include "engines/webhook_client.h"
#include "store/jobs.h"

#include <boost/json.hpp>

#include <algorithm>
#include <cmath>

namespace docent::services {

namespace json = boost::json;
using core::Code;
using core::Error;
using SysClock = std::chrono::system_clock;

namespace {

const Error kNotFound(Code::NotFound, "webhook not found");
constexpr int64_t kMaxEndpointsPerAccount = 50;
constexpr size_t kMinSecret = 8, kMaxSecret = 256;

double unit_random() {
  uint64_t x = 0;
  core::random_bytes(&x, sizeof x);
  return static_cast<double>(x >> 11) * 0x1.0p-53;
}

std::vector<std::string> parse_events(const std::string& text) {
  std::vector<std::string> out;
  boost::system::error_code ec;
  json::value v = json::parse(text, ec);
  if (ec || !v.is_array()) return out;
  for (const auto& e : v.as_array()) {
    if (e.is_string()) out.emplace_back(e.as_string());
  }
  return out;
}

std::string events_json(const std::vector<std::string>& events) {
  json::array a;
  for (const auto& e : events) a.emplace_back(e);
  return json::serialize(a);
}

Webhook to_webhook(const store::WebhookEndpointRecord& r) {
  return Webhook{r.id,
                 r.account_id,
                 r.url,
                 parse_events(r.events),
                 r.description,
                 r.enabled,
                 r.disabled_reason.value_or(""),
                 r.consecutive_failures,
                 r.created_at,
                 r.updated_at};
}

WebhookDelivery to_delivery(const store::WebhookDeliveryRecord& r) {
  WebhookDelivery d;
  d.id = r.id;
  d.event_id = r.event_id;
  d.event_type = r.event_type;
  d.status = r.status;
  d.attempts = r.attempts;
  d.last_status_code = r.last_status_code;
  d.last_duration_ms = r.last_duration_ms;
  d.last_error = r.last_error.value_or("");
  d.next_attempt_at = r.next_attempt_at;
  d.created_at = r.created_at;
  d.updated_at = r.updated_at;
  d.delivered_at = r.delivered_at;
  return d;
}

core::Status check_events(const std::vector<std::string>& events) {
  if (events.empty()) return Error(Code::InvalidInput, "events must name at least one event type (or \"*\")", "events");
  for (const auto& e : events) {
    if (e != "*" && !events::is_known(e)) {
      return Error(Code::InvalidInput, "unknown event type '" + e + "'", "events");
    }
  }
  return {};
}

core::Status check_secret(const std::string& secret) {
  if (secret.starts_with("whsec_")) {
    auto key = webhook_signing_key(secret);
    if (!key || key->size() < 16 || key->size() > 64) {
      return Error(Code::InvalidInput, "a secret starting with whsec_ must be whsec_ and base64 of 16 to 64 bytes",
                   "secret");
    }
    return {};
  }
  if (secret.size() < kMinSecret || secret.size() > kMaxSecret) {
    return Error(Code::InvalidInput, "secret must be 8 to 256 characters", "secret");
  }
  return {};
}

bool subscribes(const std::vector<std::string>& events, std::string_view type) {
  return std::any_of(events.begin(), events.end(), [&](const std::string& e) { return e == "*" || e == type; });
}

}  // namespace

std::vector<std::chrono::milliseconds> WebhookOptions::default_retry_schedule() {
  return *parse_retry_schedule("5s,5m,30m,2h,5h,10h,14h,20h,20h");
}

std::optional<std::vector<std::chrono::milliseconds>> parse_retry_schedule(std::string_view text) {
  std::vector<std::chrono::milliseconds> out;
  size_t start = 0;
  while (start <= text.size()) {
    size_t comma = text.find(',', start);
    std::string_view item = text.substr(start,
                                        comma == std::string_view::npos ? std::string_view::npos : comma - start);
    while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
    while (!item.empty() && item.back() == ' ') item.remove_suffix(1);
    auto d = core::parse_duration(item);
    if (!d || d->count() <= 0) return std::nullopt;
    out.push_back(std::chrono::duration_cast<std::chrono::milliseconds>(*d));
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  if (out.empty() || out.size() > 50) return std::nullopt;
  return out;
}

std::optional<std::string> webhook_signing_key(std::string_view secret) {
  if (secret.starts_with("whsec_")) return core::crypto::base64_decode(secret.substr(6));
  return std::string(secret);
}

std::string webhook_signature(std::string_view key, std::string_view id, int64_t timestamp, std::string_view body) {
  std::string message;
  message.reserve(id.size() + body.size() + 24);
  message.append(id).push_back('.');
  message.append(std::to_string(timestamp)).push_back('.');
  message.append(body);
  return "v1," + core::crypto::base64_encode(core::crypto::hmac_sha256(key, message));
}

WebhookService::WebhookService(store::Database& db, const Secrets& secrets, WebhookOptions options)
    : db_(db), secrets_(secrets), options_(std::move(options)), owner_("wh-" + core::random_hex(16)) {
  if (!options_.now) options_.now = [] { return SysClock::now(); };
  if (options_.retry_schedule.empty()) options_.retry_schedule = WebhookOptions::default_retry_schedule();
}

WebhookService::~WebhookService() { stop(std::chrono::steady_clock::now()); }

core::Result<std::string> WebhookService::record_event(store::Tx& tx, std::string_view account_id,
                                                       std::string_view type, const json::value& data) {
  const auto t = now();
  store::WebhookEventRecord ev;
  ev.id = "msg_" + core::new_id();
  ev.account_id = std::string(account_id);
  ev.type = std::string(type);
  ev.created_at = store::jobs::timestamp(t);
  ev.body = json::serialize(
      json::object{{"id", ev.id}, {"event", ev.type}, {"timestamp", core::rfc3339(t)}, {"data", data}});
  if (auto s = store::webhooks::insert_event(tx, ev); !s) return s.error();
  return ev.id;
}

core::Status WebhookService::emit(store::Tx& tx, std::string_view account_id, std::string_view type,
                                  const json::value& data) {
  auto endpoints = store::webhooks::enabled_endpoints(tx, account_id);
  if (!endpoints) return endpoints.error();
  std::vector<const store::WebhookEndpointRecord*> targets;
  for (const auto& e : *endpoints) {
    if (subscribes(parse_events(e.events), type)) targets.push_back(&e);
  }
  if (targets.empty()) return {};
  auto event_id = record_event(tx, account_id, type, data);
  if (!event_id) return event_id.error();
  const std::string at = store::jobs::timestamp(now());
  for (const auto* e : targets) {
    store::WebhookDeliveryRecord d;
    d.id = core::new_id();
    d.event_id = *event_id;
    d.endpoint_id = e->id;
    d.account_id = std::string(account_id);
    d.next_attempt_at = d.created_at = d.updated_at = at;
    if (auto s = store::webhooks::insert_delivery(tx, d); !s) return s;
  }
  // A woken worker's claim is a write: it waits for this transaction to commit (or sees nothing
  // if it rolls back), so waking now is safe.
  wake();
  return {};
}

core::Result<CreatedWebhook> WebhookService::create(const Principal& actor, NewWebhook in,
                                                    const RequestOrigin& origin) {
  if (auto s = engines::check_webhook_url(in.url, {options_.allow_http, options_.allow_private}); !s) return s.error();
  if (auto s = check_events(in.events); !s) return s.error();
  if (in.secret) {
    if (auto s = check_secret(*in.secret); !s) return s.error();
  }
  if (in.description.size() > 1000) return Error(Code::InvalidInput, "description is too long", "description");
  std::string secret = in.secret.value_or("");
  if (secret.empty()) {
    std::string key(24, '\0');
    core::random_bytes(key.data(), key.size());
    secret = "whsec_" + core::crypto::base64_encode(key);
  }
  store::WebhookEndpointRecord r;
  r.id = core::new_id();
  r.account_id = actor.account_id;
  r.url = in.url;
  r.events = events_json(in.events);
  r.secret_sealed = secrets_.seal(secret);
  r.description = in.description;
  r.created_at = r.updated_at = core::rfc3339_ms(now());
  auto st = db_.write([&](store::Tx& tx) -> core::Status {
    auto existing = store::webhooks::endpoints_of(tx, actor.account_id);
    if (!existing) return existing.error();
    if (static_cast<int64_t>(existing->size()) >= kMaxEndpointsPerAccount) {
      return Error(Code::Conflict, "an account may have at most 50 webhooks");
    }
    if (auto s = store::webhooks::insert_endpoint(tx, r); !s) return s;
    if (!audit_) return {};
    // The URL and events are named; the secret never is.
    return audit_->record(tx, AuditEntry::by(actor, origin, "webhook.create")
                                  .on("webhook", r.id, r.account_id)
                                  .with("url", r.url)
                                  .with("events", r.events));
  });
  if (!st) return st.error();
  return CreatedWebhook{to_webhook(r), secret};
}

core::Result<std::vector<Webhook>> WebhookService::list(const Principal& actor) {
  std::vector<Webhook> out;
  auto st = db_.read([&](store::Tx& tx) -> core::Status {
    auto rows = store::webhooks::endpoints_of(tx, actor.account_id);
    if (!rows) return rows.error();
    for (const auto& r : *rows) out.push_back(to_webhook(r));
    return {};
  });
  if (!st) return st.error();
  return out;
}

core::Result<Webhook> WebhookService::get(const Principal& actor, std::string_view id) {
  std::optional<store::WebhookEndpointRecord> found;
  auto st = db_.read([&](store::Tx& tx) -> core::Status {
    auto r = store::webhooks::endpoint_by_id(tx, id);
    if (!r) return r.error();
    found = std::move(*r);
    return {};
  });
  if (!st) return st.error();
  if (!found || !actor.may_access(found->account_id)) return kNotFound;
  return to_webhook(*found);
}

core::Result<Webhook> WebhookService::update(const Principal& actor, std::string_view id, WebhookChange change,
                                             const RequestOrigin& origin) {
  if (change.url) {
    if (auto s = engines::check_webhook_url(*change.url, {options_.allow_http, options_.allow_private}); !s)
      return s.error();
  }
  if (change.events) {
    if (auto s = check_events(*change.events); !s) return s.error();
  }
  if (change.secret) {
    if (auto s = check_secret(*change.secret); !s) return s.error();
  }
  std::optional<store::WebhookEndpointRecord> out;
  auto st = db_.write([&](store::Tx& tx) -> core::Status {
    auto r = store::webhooks::endpoint_by_id(tx, id);
    if (!r) return r.error();
    if (!*r || !actor.may_access((*r)->account_id)) return kNotFound;
    store::WebhookEndpointRecord e = std::move(**r);
    if (change.url) e.url = *change.url;
    if (change.events) e.events = events_json(*change.events);
    if (change.secret) e.secret_sealed = secrets_.seal(*change.secret);
    if (change.description) e.description = *change.description;
    if (change.enabled) {
      if (*change.enabled && !e.enabled) {
        e.consecutive_failures = 0;
        e.disabled_reason.reset();
      }
      if (!*change.enabled && e.enabled) e.disabled_reason = "disabled by its owner";
      e.enabled = *change.enabled;
    }
    e.updated_at = core::rfc3339_ms(now());
    if (auto s = store::webhooks::update_endpoint(tx, e); !s) return s;
    if (audit_) {
      // Which fields changed, by name: a new secret is recorded as "secret", never its value.
      std::string fields;
      for (auto [set, name] : {std::pair{change.url.has_value(), "url"},
                               {change.events.has_value(), "events"},
                               {change.secret.has_value(), "secret"},
                               {change.description.has_value(), "description"},
                               {change.enabled.has_value(), "enabled"}}) {
        if (set) fields += (fields.empty() ? "" : ",") + std::string(name);
      }
      auto entry = AuditEntry::by(actor, origin, "webhook.update").on("webhook", e.id, e.account_id);
      if (auto s = audit_->record(tx, entry.with("fields", fields)); !s) return s;
    }
    out = std::move(e);
    return {};
  });
  if (!st) return st.error();
  wake();
  return to_webhook(*out);
}

core::Status WebhookService::remove(const Principal& actor, std::string_view id, const RequestOrigin& origin) {
  return db_.write([&](store::Tx& tx) -> core::Status {
    auto r = store::webhooks::endpoint_by_id(tx, id);
    if (!r) return r.error();
    if (!*r || !actor.may_access((*r)->account_id)) return kNotFound;
    if (auto s = store::webhooks::delete_endpoint(tx, id); !s) return s;
    if (!audit_) return {};
    return audit_->record(tx, AuditEntry::by(actor, origin, "webhook.delete")
                                  .on("webhook", (*r)->id, (*r)->account_id)
                                  .with("url", (*r)->url));
  });
}

core::Result<std::vector<WebhookDelivery>> WebhookService::deliveries(const Principal& actor,
                                                                      std::string_view webhook_id,
                                                                      const std::optional<std::string>& before,
                                                                      int64_t limit) {
  std::vector<WebhookDelivery> out;
  auto st = db_.read([&](store::Tx& tx) -> core::Status {
    auto e = store::webhooks::endpoint_by_id(tx, webhook_id);
    if (!e) return e.error();
    if (!*e || !actor.may_access((*e)->account_id)) return kNotFound;
    auto rows = store::webhooks::deliveries_of(tx, webhook_id, before, std::clamp<int64_t>(limit, 1, 100));
    if (!rows) return rows.error();
    for (const auto& r : *rows) {
      WebhookDelivery d = to_delivery(r);
      auto attempts = store::webhooks::attempts_of(tx, r.id);
      if (!attempts) return attempts.error();
      for (const auto& a : *attempts) {
        d.attempt_log.push_back(
            WebhookAttempt{a.attempt, a.started_at, a.status_code, a.duration_ms, a.outcome, a.error.value_or("")});
      }
      out.push_back(std::move(d));
    }
    return {};
  });
  if (!st) return st.error();
  return out;
}

core::Result<WebhookDelivery> WebhookService::redeliver(const Principal& actor, std::string_view webhook_id,
                                                        std::string_view delivery_id) {
  std::optional<store::WebhookDeliveryRecord> out;
  auto st = db_.write([&](store::Tx& tx) -> core::Status {
    auto e = store::webhooks::endpoint_by_id(tx, webhook_id);
    if (!e) return e.error();
    if (!*e || !actor.may_access((*e)->account_id)) return kNotFound;
    if (!(*e)->enabled) return Error(Code::Conflict, "the webhook is disabled; enable it first");
    auto d = store::webhooks::delivery_by_id(tx, delivery_id);
    if (!d) return d.error();
    if (!*d || (*d)->endpoint_id != webhook_id) return Error(Code::NotFound, "delivery not found");
    if (auto s = store::webhooks::redeliver(tx, delivery_id, now()); !s) return s;
    auto again = store::webhooks::delivery_by_id(tx, delivery_id);
    if (!again) return again.error();
    out = std::move(*again);
    return {};
  });
  if (!st) return st.error();
  wake();
  return to_delivery(*out);
}

core::Result<WebhookDelivery> WebhookService::send_test(const Principal& actor, std::string_view webhook_id) {
  store::WebhookDeliveryRecord d;
  auto st = db_.write([&](store::Tx& tx) -> core::Status {
    auto e = store::webhooks::endpoint_by_id(tx, webhook_id);
    if (!e) return e.error();
    if (!*e || !actor.may_access((*e)->account_id)) return kNotFound;
    if (!(*e)->enabled) return Error(Code::Conflict, "the webhook is disabled; enable it first");
    auto event_id = record_event(tx, (*e)->account_id, "webhook.test", json::object{{"webhook_id", (*e)->id}});
    if (!event_id) return event_id.error();
    d.id = core::new_id();
    d.event_id = *event_id;
    d.endpoint_id = (*e)->id;
    d.account_id = (*e)->account_id;
    d.next_attempt_at = d.created_at = d.updated_at = store::jobs::timestamp(now());
    d.event_type = "webhook.test";
    return store::webhooks::insert_delivery(tx, d);
  });
  if (!st) return st.error();
  wake();
  return to_delivery(d);
}

core::Status WebhookService::start() {
  core::MutexLock life(lifecycle_mu_);
  if (!workers_.empty()) return Error(Code::Conflict, "the webhook workers were already started");
  if (options_.workers < 1) return {};
  if (options_.reclaim_orphans_on_start) {
    int64_t n = 0;
    auto s = db_.write([&](store::Tx& tx) -> core::Status {
      auto r = store::webhooks::requeue_orphans(tx, owner_, now());
      if (!r) return r.error();
      n = *r;
      return {};
    });
    if (!s) core::log::warn("webhooks: reclaiming orphaned deliveries failed", {{"error", s.error().message}});
    if (n > 0) core::log::info("webhooks: retrying deliveries left by a previous process", {{"count", n}});
  }
  {
    core::MutexLock lock(mu_);
    stopping_ = false;
  }
  for (int i = 0; i < options_.workers; ++i) workers_.emplace_back([this] { worker_loop(); });
  core::log::info("webhooks: started", {{"workers", options_.workers}, {"owner", owner_}});
  return {};
}

void WebhookService::stop(std::chrono::steady_clock::time_point) {
  core::MutexLock life(lifecycle_mu_);
  {
    core::MutexLock lock(mu_);
    stopping_ = true;
  }
  wake_cv_.notify_all();
  // An attempt under way is bounded by webhooks.timeout; it finishes and is settled.
  for (auto& w : workers_) w.join();
  workers_.clear();
}

void WebhookService::wake() {
  {
    core::MutexLock lock(mu_);
    ++wake_generation_;
  }
  wake_cv_.notify_all();
}

void WebhookService::worker_loop() {
  std::chrono::milliseconds idle{50};
  // A lease outlives the longest attempt: the timeout, plus room to store the outcome.
  const std::chrono::milliseconds lease = options_.timeout + std::chrono::seconds(30);
  for (;;) {
    uint64_t generation = 0;
    {
      core::MutexLock lock(mu_);
      if (stopping_) return;
      generation = wake_generation_;
    }
    std::optional<store::ClaimedDelivery> claimed;
    auto s = db_.write([&](store::Tx& tx) -> core::Status {
      auto c = store::webhooks::claim_due(tx, owner_, now(), lease);
      if (!c) return c.error();
      claimed = std::move(*c);
      return {};
    });
    if (!s) core::log::warn("webhooks: claim failed", {{"error", s.error().message}});
    if (claimed) {
      idle = std::chrono::milliseconds(50);
      deliver(std::move(*claimed));
      continue;
    }
    core::MutexLock lock(mu_);
    const bool woken = wake_cv_.wait_for(lock, idle,
                                         [&]() REQUIRES(mu_) { return stopping_ || wake_generation_ != generation; });
    idle = woken ? std::chrono::milliseconds(50) : std::min(idle * 2, options_.idle_poll_max);
  }
}

void WebhookService::deliver(store::ClaimedDelivery c) {
  const auto& d = c.delivery;
  const auto started = now();
  store::WebhookAttemptRecord attempt;
  attempt.delivery_id = d.id;
  attempt.attempt = d.attempts;
  attempt.started_at = store::jobs::timestamp(started);

  engines::WebhookResponse response;
  auto secret = secrets_.open(c.secret_sealed);
  std::optional<std::string> key;
  if (secret) key = webhook_signing_key(*secret);
  if (!key) {
    response.error = "the webhook's secret cannot be read (was the master key changed?)";
  } else {
    const int64_t ts = std::chrono::duration_cast<std::chrono::seconds>(started.time_since_epoch()).count();
    engines::WebhookRequest request;
    request.url = c.url;
    request.body = c.body;
    request.timeout = options_.timeout;
    request.allow_private = options_.allow_private;
    request.headers = {{"webhook-id", d.event_id},
                       {"webhook-timestamp", std::to_string(ts)},
                       {"webhook-signature", webhook_signature(*key, d.event_id, ts, c.body)}};
    response = engines::post_webhook(request);
  }
  attempt.status_code = response.status;
  attempt.duration_ms = response.duration.count();
  const bool ok = response.status && *response.status >= 200 && *response.status < 300;
  const bool gone = response.status && *response.status == 410;
  attempt.outcome = ok ? "succeeded" : "failed";
  if (!ok) {
    attempt.error = !response.error.empty()
                        ? response.error
                        : "the receiver answered HTTP " + std::to_string(response.status.value_or(0));
  }
  std::optional<SysClock::time_point> retry_at;
  const auto n = static_cast<size_t>(std::max<int64_t>(1, d.attempts));
  if (!ok && !gone && n <= options_.retry_schedule.size()) {
    const auto base = options_.retry_schedule[n - 1];
    // Jitter within +-20%, so endpoints failing together do not retry together.
    const auto jittered = std::chrono::milliseconds(
        static_cast<int64_t>(static_cast<double>(base.count()) * (0.8 + 0.4 * unit_random())));
    retry_at = now() + jittered;
  }
  const auto t = now();
  auto st = db_.write([&](store::Tx& tx) -> core::Status {
    if (auto s = store::webhooks::settle(tx, d.id, owner_, attempt, ok, retry_at, t); !s) return s;
    auto failures = store::webhooks::count_outcome(tx, d.endpoint_id, ok, t);
    if (!failures) return failures.error();
    if (gone) return store::webhooks::disable_endpoint(tx, d.endpoint_id, "the receiver answered 410 Gone", t);
    if (!ok && options_.max_failures > 0 && *failures >= options_.max_failures) {
      return store::webhooks::disable_endpoint(tx, d.endpoint_id,
                                               std::to_string(*failures) + " failed deliveries in a row", t);
    }
    return {};
  });
  if (!st) {
    core::log::warn("webhooks: storing a delivery's outcome failed",
                    {{"delivery_id", d.id}, {"error", st.error().message}});
    return;
  }
  if (ok) {
    core::log::debug("webhook delivered", {{"delivery_id", d.id}, {"attempt", d.attempts}});
  } else {
    core::log::info("webhook delivery failed", {{"delivery_id", d.id},
                                                {"attempt", d.attempts},
                                                {"error", attempt.error.value_or("")},
                                                {"retry", retry_at.has_value()}});
  }
}

}  // namespace docent::services
