#pragma once
// OpenAI's vector stores API (testdata/openai-openapi/openapi.yaml) over docent's knowledge base:
//   GET|POST /v1/vector_stores, GET|POST|DELETE /v1/vector_stores/{vector_store_id},
//   GET|POST /v1/vector_stores/{vector_store_id}/files,
//   GET|DELETE /v1/vector_stores/{vector_store_id}/files/{file_id},
//   POST /v1/vector_stores/{vector_store_id}/search (results carry page and section too)

#include "api/context.h"
#include "http/router.h"

namespace docent::api::native {

void register_vector_store_routes(http::Router& router, const Context& ctx);

}  // namespace docent::api::native
