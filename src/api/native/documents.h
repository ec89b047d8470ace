#pragma once
// Document artifacts on the native face (docs/FACES.md; services/documents.h):
//   GET|POST /v1/documents, GET|PUT|PATCH|DELETE /v1/documents/{document_id},
//   GET /v1/documents/{document_id}/versions, GET /v1/documents/{document_id}/versions/{version}
// Lists in OpenAI's shape ({"object": "list", "data": [...]}), errors in OpenAI's envelope. The
// body and query readers are shared with the chatbot face's /api/documents.

#include "api/context.h"
#include "http/router.h"
#include "services/documents.h"

namespace docent::api::native {

void register_document_routes(http::Router& router, const Context& ctx);

// A create body: title and content (strings, required), type (string, optional: text).
core::Result<services::NewDocument> read_new_document(const boost::json::value& body);
// An update body: any of title, content and type (strings).
core::Result<services::DocumentChange> read_document_change(const boost::json::value& body);
// The list query: type, search, limit (1..100, default 20), offset (>= 0).
core::Result<services::DocumentQuery> read_document_query(const http::Request& req);
// The {version} path segment: NotFound when it is not a positive integer (no such version).
core::Result<int64_t> version_param(const http::Request& req);

// A document route's body may hold content of DocumentService::kMaxContent bytes escaped in JSON.
inline constexpr size_t kDocumentBodyBytes = 8 * 1024 * 1024;

}  // namespace docent::api::native
