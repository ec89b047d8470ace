#pragma once
// Native /v1 knowledge routes: OpenAI's files API (upload with purpose, list, retrieve, delete,
// content) with docent's extras, ingestion progress over SSE, folders and hybrid search.
//   POST|GET /v1/files, GET|DELETE /v1/files/{file_id}, GET /v1/files/{file_id}/content,
//   GET /v1/files/{file_id}/events (SSE), GET|POST /v1/folders,
//   GET|PATCH|DELETE /v1/folders/{folder_id}, POST /v1/search

#include "api/context.h"
#include "http/router.h"

namespace docent::api::native {

void register_knowledge_routes(http::Router& router, const Context& ctx);

// The OpenAI file object, with docent's details under "docent".
boost::json::object file_json(const services::File& f);

}  // namespace docent::api::native
