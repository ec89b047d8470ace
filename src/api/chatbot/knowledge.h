#pragma once
// The chatbot platform's files and knowledge base (seeds/chatbot-platform.txt):
//   POST /api/files/upload, GET /api/files/{file_id}/status,
//   POST /api/knowledge/search, POST /api/knowledge

#include "api/context.h"
#include "http/router.h"

namespace docent::api::chatbot {

void register_knowledge_routes(http::Router& router, const Context& ctx);

}  // namespace docent::api::chatbot
