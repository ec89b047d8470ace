#pragma once
// The chatbot platform's webhooks (seeds/chatbot-platform.txt, "Webhooks"), over the same rows as
// the native /v1/webhooks: POST|GET /api/webhooks, GET|PUT|DELETE /api/webhooks/{webhook_id}.

#include "api/context.h"
#include "http/router.h"

namespace docent::api::chatbot {

void register_webhook_routes(http::Router& router, const Context& ctx);

}  // namespace docent::api::chatbot
