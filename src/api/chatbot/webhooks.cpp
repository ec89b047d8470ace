#include "api/chatbot/webhooks.h"

#include "api/chatbot/errors.h"
#include "api/native/webhooks.h"

#include <boost/json.hpp>

namespace docent::api::chatbot {

namespace json = boost::json;
using http::Method;
using http::Request;
using http::Response;

namespace {
Response error(const Request& req, const core::Error& e) { return render_error(req, e); }
}  // namespace

void register_webhook_routes(http::Router& router, const Context& ctx) {
  const http::ErrorRenderer* errors = &error_renderer();

  router.add(
      Method::Post, "/api/webhooks",
      [ctx](Request& req) {
    auto body = json_body(req, *ctx.config);
    if (!body) return error(req, body.error());
    auto in = native::read_new_webhook(*body);
    if (!in) return error(req, in.error());
    auto created = ctx.webhooks->create(principal(req), std::move(*in), origin(req));
    if (!created) return error(req, created.error());
    json::object out = native::webhook_json(created->webhook);
    out.erase("object");
    out["secret"] = created->secret;  // shown this once
    return Response::json(201, out);
      },
      {}, errors);

  router.add(
      Method::Get, "/api/webhooks",
      [ctx](Request& req) {
    auto list = ctx.webhooks->list(principal(req));
    if (!list) return error(req, list.error());
    json::array items;
    for (const auto& w : *list) {
      json::object o = native::webhook_json(w);
      o.erase("object");
      items.push_back(std::move(o));
    }
    const auto total = static_cast<int64_t>(items.size());
    return Response::json(200, json::object{{"webhooks", std::move(items)}, {"total", total}});
      },
      {}, errors);

  router.add(
      Method::Get, "/api/webhooks/{webhook_id}",
      [ctx](Request& req) {
    auto w = ctx.webhooks->get(principal(req), req.param("webhook_id"));
    if (!w) return error(req, w.error());
    json::object o = native::webhook_json(*w);
    o.erase("object");
    return Response::json(200, o);
      },
      {}, errors);

  router.add(
      Method::Put, "/api/webhooks/{webhook_id}",
      [ctx](Request& req) {
    auto body = json_body(req, *ctx.config);
    if (!body) return error(req, body.error());
    auto change = native::read_webhook_change(*body);
    if (!change) return error(req, change.error());
    auto w = ctx.webhooks->update(principal(req), req.param("webhook_id"), std::move(*change), origin(req));
    if (!w) return error(req, w.error());
    json::object o = native::webhook_json(*w);
    o.erase("object");
    return Response::json(200, o);
      },
      {}, errors);

  router.add(
      Method::Delete, "/api/webhooks/{webhook_id}",
      [ctx](Request& req) {
    std::string id(req.param("webhook_id"));
    if (auto st = ctx.webhooks->remove(principal(req), id, origin(req)); !st) return error(req, st.error());
    return Response::json(200, json::object{{"id", id}, {"deleted", true}});
      },
      {}, errors);
}

}  // namespace docent::api::chatbot
