#pragma once
// OpenAI's model routes on the native face: GET /v1/models, GET /v1/models/{model},
// POST /v1/chat/completions (JSON or an SSE stream) and POST /v1/embeddings, with the shapes of
// OpenAI's OpenAPI document (CreateChatCompletionRequest/Response/StreamResponse, ListModelsResponse,
// Model, CreateEmbeddingRequest/Response) and errors in its ErrorResponse shape.

#include "api/context.h"
#include "http/router.h"

namespace docent::api::native {

void register_model_routes(http::Router& router, const Context& ctx);
void register_chat_completion_routes(http::Router& router, const Context& ctx);
// POST /v1/responses with file_search over vector stores (responses.cpp).
void register_response_routes(http::Router& router, const Context& ctx);

}  // namespace docent::api::native
