#include "api/chatbot/documents.h"

#include "api/chatbot/errors.h"
#include "api/native/documents.h"

#include <boost/json.hpp>

namespace docent::api::chatbot {

namespace json = boost::json;
using http::Method;
using http::Request;
using http::Response;

namespace {

Response error(const Request& req, const core::Error& e) { return render_error(req, e); }

// The seed's document: exactly these members.
json::object document_json(const services::Document& d) {
  return json::object{
      {"id", d.id},           {"title", d.title},           {"content", d.content},      {"type", d.type},
      {"version", d.version}, {"created_at", d.created_at}, {"updated_at", d.updated_at}};
}

Response post_documents(const Context& ctx, Request& req) {
  auto body = json_body(req, *ctx.config);
  if (!body) return error(req, body.error());
  auto in = native::read_new_document(*body);
  if (!in) return error(req, in.error());
  auto d = ctx.documents->create(principal(req), *in);
  if (!d) return error(req, d.error());
  return Response::json(201, document_json(*d));
}

Response get_documents(const Context& ctx, Request& req) {
  auto q = native::read_document_query(req);
  if (!q) return error(req, q.error());
  auto list = ctx.documents->list(principal(req), *q);
  if (!list) return error(req, list.error());
  json::array documents;
  for (const auto& d : list->items) documents.push_back(document_json(d));
  return Response::json(200, json::object{{"documents", std::move(documents)},
                                          {"total", list->total},
                                          {"limit", q->limit},
                                          {"offset", q->offset}});
}

Response get_document(const Context& ctx, Request& req) {
  auto d = ctx.documents->get(principal(req), req.param("document_id"));
  if (!d) return error(req, d.error());
  return Response::json(200, document_json(*d));
}

Response put_document(const Context& ctx, Request& req) {
  auto body = json_body(req, *ctx.config);
  if (!body) return error(req, body.error());
  auto change = native::read_document_change(*body);
  if (!change) return error(req, change.error());
  auto d = ctx.documents->update(principal(req), req.param("document_id"), *change);
  if (!d) return error(req, d.error());
  return Response::json(200, document_json(*d));
}

Response delete_document(const Context& ctx, Request& req) {
  std::string id(req.param("document_id"));
  if (auto st = ctx.documents->remove(principal(req), id); !st) return error(req, st.error());
  return Response::json(200, json::object{{"id", id}, {"deleted", true}});
}

Response get_document_versions(const Context& ctx, Request& req) {
  auto versions = ctx.documents->versions(principal(req), req.param("document_id"));
  if (!versions) return error(req, versions.error());
  json::array out;
  for (const auto& v : *versions) {
    out.push_back(json::object{{"version", v.version},
                               {"title", v.title},
                               {"type", v.type},
                               {"size", v.content_bytes},
                               {"created_at", v.created_at}});
  }
  const auto total = static_cast<int64_t>(out.size());
  return Response::json(200, json::object{{"document_id", std::string(req.param("document_id"))},
                                          {"versions", std::move(out)},
                                          {"total", total}});
}

Response get_document_version(const Context& ctx, Request& req) {
  auto n = native::version_param(req);
  if (!n) return error(req, n.error());
  auto v = ctx.documents->version(principal(req), req.param("document_id"), *n);
  if (!v) return error(req, v.error());
  return Response::json(200, json::object{{"id", v->document_id},
                                          {"title", v->title},
                                          {"content", v->content},
                                          {"type", v->type},
                                          {"version", v->version},
                                          {"created_at", v->created_at}});
}

struct DocumentRoute {
  Method method;
  std::string_view path;
  Response (*handler)(const Context&, Request&);
};

constexpr DocumentRoute kRoutes[] = {
    {Method::Post, "/api/documents", post_documents},
    {Method::Get, "/api/documents", get_documents},
    {Method::Get, "/api/documents/{document_id}", get_document},
    {Method::Put, "/api/documents/{document_id}", put_document},
    {Method::Delete, "/api/documents/{document_id}", delete_document},
    {Method::Get, "/api/documents/{document_id}/versions", get_document_versions},
    {Method::Get, "/api/documents/{document_id}/versions/{version}", get_document_version},
};

}  // namespace

void register_document_routes(http::Router& router, const Context& ctx) {
  for (const auto& r : kRoutes) {
    router.add(
        r.method, r.path, [ctx, handler = r.handler](Request& req) { return handler(ctx, req); },
        {.max_body_bytes = native::kDocumentBodyBytes}, &error_renderer());
  }
}

}  // namespace docent::api::chatbot
