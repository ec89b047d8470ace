#pragma once
// The chatbot platform's Document API (seeds/chatbot-platform.txt, "Document API"):
//   POST /api/documents, GET /api/documents, GET|PUT|DELETE /api/documents/{document_id},
//   GET /api/documents/{document_id}/versions, GET /api/documents/{document_id}/versions/{version}
// Documents in the seed's shape; errors in the chatbot envelope (errors.h).

#include "api/context.h"
#include "http/router.h"

namespace docent::api::chatbot {

void register_document_routes(http::Router& router, const Context& ctx);

}  // namespace docent::api::chatbot
