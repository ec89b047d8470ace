#include "api/native/documents.h"

#include "api/native/errors.h"
#include "core/json.h"

#include <boost/json.hpp>

#include <charconv>
#include <limits>

namespace docent::api::native {

namespace json = boost::json;
using http::Method;
using http::Request;
using http::Response;

namespace {

Response error(const Request& req, const core::Error& e) { return render_error(req, e); }

json::value nullable(const std::optional<std::string>& s) { return s ? json::value(*s) : json::value(nullptr); }

json::object document_json(const services::Document& d) {
  return json::object{{"id", d.id},
                      {"object", "document"},
                      {"title", d.title},
                      {"content", d.content},
                      {"type", d.type},
                      {"version", d.version},
                      {"file_id", nullable(d.file_id)},
                      {"created_at", d.created_at},
                      {"updated_at", d.updated_at}};
}

json::object version_json(const services::DocumentVersion& v, bool with_content) {
  json::object o{{"object", "document.version"},
                 {"document_id", v.document_id},
                 {"version", v.version},
                 {"title", v.title},
                 {"type", v.type},
                 {"bytes", v.content_bytes},
                 {"created_at", v.created_at}};
  if (with_content) o["content"] = v.content;
  return o;
}

Response post_documents(const Context& ctx, Request& req) {
  auto body = json_body(req, *ctx.config);
  if (!body) return error(req, body.error());
  auto in = read_new_document(*body);
  if (!in) return error(req, in.error());
  auto d = ctx.documents->create(principal(req), *in);
  if (!d) return error(req, d.error());
  return Response::json(201, document_json(*d));
}

Response get_documents(const Context& ctx, Request& req) {
  auto q = read_document_query(req);
  if (!q) return error(req, q.error());
  auto list = ctx.documents->list(principal(req), *q);
  if (!list) return error(req, list.error());
  json::array data;
  for (const auto& d : list->items) data.push_back(document_json(d));
  const bool more = q->offset + static_cast<int64_t>(list->items.size()) < list->total;
  json::object out{{"object", "list"}, {"data", std::move(data)}, {"total", list->total}, {"has_more", more}};
  out["first_id"] = list->items.empty() ? json::value(nullptr) : json::value(list->items.front().id);
  out["last_id"] = list->items.empty() ? json::value(nullptr) : json::value(list->items.back().id);
  return Response::json(200, out);
}

Response get_document(const Context& ctx, Request& req) {
  auto d = ctx.documents->get(principal(req), req.param("document_id"));
  if (!d) return error(req, d.error());
  return Response::json(200, document_json(*d));
}

Response update_document(const Context& ctx, Request& req) {
  auto body = json_body(req, *ctx.config);
  if (!body) return error(req, body.error());
  auto change = read_document_change(*body);
  if (!change) return error(req, change.error());
  auto d = ctx.documents->update(principal(req), req.param("document_id"), *change);
  if (!d) return error(req, d.error());
  return Response::json(200, document_json(*d));
}

Response delete_document(const Context& ctx, Request& req) {
  std::string id(req.param("document_id"));
  if (auto st = ctx.documents->remove(principal(req), id); !st) return error(req, st.error());
  return Response::json(200, json::object{{"id", id}, {"object", "document.deleted"}, {"deleted", true}});
}

Response get_document_versions(const Context& ctx, Request& req) {
  auto versions = ctx.documents->versions(principal(req), req.param("document_id"));
  if (!versions) return error(req, versions.error());
  json::array data;
  for (const auto& v : *versions) data.push_back(version_json(v, false));
  return Response::json(200, json::object{{"object", "list"}, {"data", std::move(data)}, {"has_more", false}});
}

Response get_document_version(const Context& ctx, Request& req) {
  auto n = version_param(req);
  if (!n) return error(req, n.error());
  auto v = ctx.documents->version(principal(req), req.param("document_id"), *n);
  if (!v) return error(req, v.error());
  return Response::json(200, version_json(*v, true));
}

struct DocumentRoute {
  Method method;
  std::string_view path;
  Response (*handler)(const Context&, Request&);
};

constexpr DocumentRoute kRoutes[] = {
    {Method::Post, "/v1/documents", post_documents},
    {Method::Get, "/v1/documents", get_documents},
    {Method::Get, "/v1/documents/{document_id}", get_document},
    {Method::Put, "/v1/documents/{document_id}", update_document},
    {Method::Patch, "/v1/documents/{document_id}", update_document},
    {Method::Delete, "/v1/documents/{document_id}", delete_document},
    {Method::Get, "/v1/documents/{document_id}/versions", get_document_versions},
    {Method::Get, "/v1/documents/{document_id}/versions/{version}", get_document_version},
};

}  // namespace

core::Result<services::NewDocument> read_new_document(const json::value& body) {
  core::ObjectReader r(body);
  services::NewDocument in;
  r.required("title", in.title).required("content", in.content).optional("type", in.type);
  if (!r.ok()) return r.error();
  return in;
}

core::Result<services::DocumentChange> read_document_change(const json::value& body) {
  core::ObjectReader r(body);
  services::DocumentChange c;
  r.optional("title", c.title).optional("content", c.content).optional("type", c.type);
  if (!r.ok()) return r.error();
  return c;
}

core::Result<services::DocumentQuery> read_document_query(const Request& req) {
  services::DocumentQuery q;
  if (auto t = req.query_param("type")) q.type = std::string(*t);
  if (auto s = req.query_param("search")) q.search = std::string(*s);
  auto limit = int_query(req, "limit", 20, 1, 100);
  if (!limit) return limit.error();
  q.limit = *limit;
  auto offset = int_query(req, "offset", 0, 0, std::numeric_limits<int32_t>::max());
  if (!offset) return offset.error();
  q.offset = *offset;
  return q;
}

core::Result<int64_t> version_param(const Request& req) {
  std::string_view text = req.param("version");
  int64_t n = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
  if (text.empty() || ec != std::errc() || ptr != text.data() + text.size() || n < 1) {
    return core::Error(core::Code::NotFound, "no such version: " + std::string(text));
  }
  return n;
}

void register_document_routes(http::Router& router, const Context& ctx) {
  for (const auto& r : kRoutes) {
    router.add(
        r.method, r.path, [ctx, handler = r.handler](Request& req) { return handler(ctx, req); },
        {.max_body_bytes = kDocumentBodyBytes}, &error_renderer());
  }
}

}  // namespace docent::api::native
