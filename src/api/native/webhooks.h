#pragma once
// Webhooks on the native face (docs/WEBHOOKS.md):
//   GET|POST /v1/webhooks, GET|PATCH|DELETE /v1/webhooks/{webhook_id},
//   GET /v1/webhooks/{webhook_id}/deliveries,
//   POST /v1/webhooks/{webhook_id}/deliveries/{delivery_id}/redeliver, POST /v1/webhooks/{webhook_id}/test
// The JSON forms and the body reader are shared with the chatbot face's /api/webhooks.

#include "api/context.h"
#include "http/router.h"

#include <boost/json/object.hpp>

namespace docent::api::native {

void register_webhook_routes(http::Router& router, const Context& ctx);

// An endpoint as both faces show it (never its secret).
boost::json::object webhook_json(const services::Webhook& w);
boost::json::object delivery_json(const services::WebhookDelivery& d);
// Reads url, events, secret, description (and enabled for a change) from a JSON body.
core::Result<services::NewWebhook> read_new_webhook(const boost::json::value& body);
core::Result<services::WebhookChange> read_webhook_change(const boost::json::value& body);

}  // namespace docent::api::native
