#include "api/native/webhooks.h"

#include "api/native/errors.h"
#include "core/json.h"

#include <boost/json.hpp>

namespace docent::api::native {

namespace json = boost::json;
using http::Method;
using http::Request;
using http::Response;

namespace {

Response error(const Request& req, const core::Error& e) { return render_error(req, e); }

json::value nullable_int(const std::optional<int64_t>& v) { return v ? json::value(*v) : json::value(nullptr); }

}  // namespace

json::object webhook_json(const services::Webhook& w) {
  json::array events;
  for (const auto& e : w.events) events.emplace_back(e);
  return json::object{{"id", w.id},
                      {"object", "webhook"},
                      {"url", w.url},
                      {"events", std::move(events)},
                      {"description", w.description},
                      {"enabled", w.enabled},
                      {"disabled_reason",
                       w.disabled_reason.empty() ? json::value(nullptr) : json::value(w.disabled_reason)},
                      {"consecutive_failures", w.consecutive_failures},
                      {"created_at", w.created_at},
                      {"updated_at", w.updated_at}};
}

json::object delivery_json(const services::WebhookDelivery& d) {
  json::array log;
  for (const auto& a : d.attempt_log) {
    log.push_back(json::object{{"attempt", a.attempt},
                               {"started_at", a.started_at},
                               {"response_code", nullable_int(a.status_code)},
                               {"duration_ms", a.duration_ms},
                               {"outcome", a.outcome},
                               {"error", a.error.empty() ? json::value(nullptr) : json::value(a.error)}});
  }
  return json::object{{"id", d.id},
                      {"object", "webhook.delivery"},
                      {"event_id", d.event_id},
                      {"event", d.event_type},
                      {"status", d.status},
                      {"attempt", d.attempts},
                      {"response_code", nullable_int(d.last_status_code)},
                      {"duration_ms", nullable_int(d.last_duration_ms)},
                      {"error", d.last_error.empty() ? json::value(nullptr) : json::value(d.last_error)},
                      {"next_attempt_at",
                       d.status == "pending" ? json::value(d.next_attempt_at) : json::value(nullptr)},
                      {"created_at", d.created_at},
                      {"updated_at", d.updated_at},
                      {"delivered_at", d.delivered_at ? json::value(*d.delivered_at) : json::value(nullptr)},
                      {"attempts", std::move(log)}};
}

core::Result<services::NewWebhook> read_new_webhook(const json::value& body) {
  core::ObjectReader r(body);
  services::NewWebhook in;
  r.required("url", in.url).required("events", in.events).optional("secret", in.secret);
  r.optional("description", in.description);
  if (!r.ok()) return r.error();
  return in;
}

core::Result<services::WebhookChange> read_webhook_change(const json::value& body) {
  core::ObjectReader r(body);
  services::WebhookChange c;
  r.optional("url", c.url).optional("events", c.events).optional("secret", c.secret);
  r.optional("description", c.description).optional("enabled", c.enabled);
  if (!r.ok()) return r.error();
  return c;
}

void register_webhook_routes(http::Router& router, const Context& ctx) {
  const http::ErrorRenderer* errors = &error_renderer();

  router.add(
      Method::Post, "/v1/webhooks",
      [ctx](Request& req) {
    auto body = json_body(req, *ctx.config);
    if (!body) return error(req, body.error());
    auto in = read_new_webhook(*body);
    if (!in) return error(req, in.error());
    auto created = ctx.webhooks->create(principal(req), std::move(*in), origin(req));
    if (!created) return error(req, created.error());
    json::object out = webhook_json(created->webhook);
    out["secret"] = created->secret;  // shown this once
    return Response::json(201, out);
      },
      {}, errors);

  router.add(
      Method::Get, "/v1/webhooks",
      [ctx](Request& req) {
    auto list = ctx.webhooks->list(principal(req));
    if (!list) return error(req, list.error());
    json::array data;
    for (const auto& w : *list) data.push_back(webhook_json(w));
    return Response::json(200, json::object{{"object", "list"}, {"data", std::move(data)}});
      },
      {}, errors);

  router.add(
      Method::Get, "/v1/webhooks/{webhook_id}",
      [ctx](Request& req) {
    auto w = ctx.webhooks->get(principal(req), req.param("webhook_id"));
    if (!w) return error(req, w.error());
    return Response::json(200, webhook_json(*w));
      },
      {}, errors);

  router.add(
      Method::Patch, "/v1/webhooks/{webhook_id}",
      [ctx](Request& req) {
    auto body = json_body(req, *ctx.config);
    if (!body) return error(req, body.error());
    auto change = read_webhook_change(*body);
    if (!change) return error(req, change.error());
    auto w = ctx.webhooks->update(principal(req), req.param("webhook_id"), std::move(*change), origin(req));
    if (!w) return error(req, w.error());
    return Response::json(200, webhook_json(*w));
      },
      {}, errors);

  router.add(
      Method::Delete, "/v1/webhooks/{webhook_id}",
      [ctx](Request& req) {
    std::string id(req.param("webhook_id"));
    if (auto st = ctx.webhooks->remove(principal(req), id, origin(req)); !st) return error(req, st.error());
    return Response::json(200, json::object{{"id", id}, {"object", "webhook.deleted"}, {"deleted", true}});
      },
      {}, errors);

  router.add(
      Method::Get, "/v1/webhooks/{webhook_id}/deliveries",
      [ctx](Request& req) {
    auto limit = int_query(req, "limit", 20, 1, 100);
    if (!limit) return error(req, limit.error());
    std::optional<std::string> before;
    if (auto b = req.query_param("before")) before = std::string(*b);
    auto list = ctx.webhooks->deliveries(principal(req), req.param("webhook_id"), before, *limit);
    if (!list) return error(req, list.error());
    json::array data;
    for (const auto& d : *list) data.push_back(delivery_json(d));
    const bool more = static_cast<int64_t>(list->size()) == *limit;
    json::value last = list->empty() ? json::value(nullptr) : json::value(list->back().id);
    return Response::json(
        200, json::object{{"object", "list"}, {"data", std::move(data)}, {"has_more", more}, {"last_id", last}});
      },
      {}, errors);

  router.add(
      Method::Post, "/v1/webhooks/{webhook_id}/deliveries/{delivery_id}/redeliver",
      [ctx](Request& req) {
    auto d = ctx.webhooks->redeliver(principal(req), req.param("webhook_id"), req.param("delivery_id"));
    if (!d) return error(req, d.error());
    return Response::json(202, delivery_json(*d));
      },
      {}, errors);

  router.add(
      Method::Post, "/v1/webhooks/{webhook_id}/test",
      [ctx](Request& req) {
    auto d = ctx.webhooks->send_test(principal(req), req.param("webhook_id"));
    if (!d) return error(req, d.error());
    return Response::json(202, delivery_json(*d));
      },
      {}, errors);
}

}  // namespace docent::api::native
