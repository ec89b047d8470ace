#include "api/native/extractions.h"

#include "api/native/errors.h"
#include "core/json.h"
#include "core/time.h"
#include "engines/xlsx.h"

#include <boost/json.hpp>

namespace docent::api::native {

namespace json = boost::json;
using core::Code;
using core::Error;
using http::Method;
using http::Request;
using http::Response;

namespace {

json::object extraction_json(const services::ExtractionResult& r) {
  json::array documents;
  for (const auto& d : r.documents) {
    json::object doc = engines::to_json(d.extraction).as_object();
    doc["file_name"] = d.file_name;
    doc["file_id"] = d.file_id ? json::value(*d.file_id) : json::value(nullptr);
    documents.push_back(std::move(doc));
  }
  return json::object{
      {"id", r.id},
      {"object", "extraction"},
      {"kind", engines::kind_name(r.kind)},
      {"status", r.status},
      {"created_at", core::unix_seconds(r.created_at)},
      {"file_name", r.file_name},
      {"xlsx", json::object{{"bytes", r.xlsx_size}, {"url", "/v1/extractions/" + r.id + "/xlsx"}}},
      {"found_fields", r.found_fields()},
      {"documents", std::move(documents)},
  };
}

core::Result<engines::DocKind> kind_of(std::string_view name) {
  if (name.empty()) return Error(Code::MissingField, "kind is required (invoice, po, dc or ewaybill)", "kind");
  auto kind = engines::parse_kind(name);
  if (!kind) return Error(Code::InvalidInput, "kind must be invoice, po, dc or ewaybill", "kind");
  return *kind;
}

core::Result<services::ExtractionResult> create_from_form(const Context& ctx, Request& req) {
  const auto* kind_field = req.form->field("kind");
  auto kind = kind_of(kind_field ? std::string_view(kind_field->value) : std::string_view());
  if (!kind) return kind.error();
  auto files = req.form->files_named("file");
  if (files.empty()) return Error(Code::MissingField, "the 'file' part (a PDF) is required", "file");
  std::vector<services::ExtractionUpload> uploads;
  for (const auto* f : files) uploads.push_back({f->filename, f->path});
  return ctx.extraction->extract_uploads(principal(req), *kind, uploads);
}

core::Result<services::ExtractionResult> create_from_json(const Context& ctx, Request& req) {
  auto body = json_body(req, *ctx.config);
  if (!body) return body.error();
  core::ObjectReader r(*body);
  std::string kind_name;
  std::optional<std::string> file_id;
  std::vector<std::string> file_ids;
  r.required("kind", kind_name).optional("file_id", file_id).optional("file_ids", file_ids);
  if (!r.ok()) return r.error();
  auto kind = kind_of(kind_name);
  if (!kind) return kind.error();
  if (file_id) file_ids.insert(file_ids.begin(), *file_id);
  if (file_ids.empty()) return Error(Code::MissingField, "file_id (or file_ids) is required", "file_id");
  return ctx.extraction->extract_files(principal(req), *kind, file_ids);
}

}  // namespace

void register_extraction_routes(http::Router& router, const Context& ctx) {
  const http::ErrorRenderer* errors = &error_renderer();

  router.add(
      Method::Post, "/v1/extractions",
      [ctx](Request& req) {
    auto result = req.form ? create_from_form(ctx, req) : create_from_json(ctx, req);
    if (!result) return render_error(req, result.error());
    return Response::json(200, extraction_json(*result));
      },
      {.multipart = true}, errors);

  router.add(
      Method::Get, "/v1/extractions",
      [ctx](Request& req) {
    auto limit = int_query(req, "limit", 20, 1, 100);
    if (!limit) return render_error(req, limit.error());
    auto page = ctx.extraction->list(principal(req), req.query_param("after").value_or(""), *limit);
    if (!page) return render_error(req, page.error());
    json::array data;
    for (const auto& e : page->items) data.push_back(extraction_json(e));
    json::object body{{"object", "list"}, {"data", std::move(data)}, {"has_more", page->has_more}};
    body["first_id"] = page->items.empty() ? json::value(nullptr) : json::value(page->items.front().id);
    body["last_id"] = page->items.empty() ? json::value(nullptr) : json::value(page->items.back().id);
    return Response::json(200, body);
      },
      {}, errors);

  router.add(
      Method::Get, "/v1/extractions/{extraction_id}",
      [ctx](Request& req) {
    auto result = ctx.extraction->get(principal(req), req.param("extraction_id"));
    if (!result) return render_error(req, result.error());
    return Response::json(200, extraction_json(*result));
      },
      {}, errors);

  router.add(
      Method::Get, "/v1/extractions/{extraction_id}/xlsx",
      [ctx](Request& req) {
    auto book = ctx.extraction->workbook(principal(req), req.param("extraction_id"));
    if (!book) return render_error(req, book.error());
    return download(book->path, std::string(engines::kXlsxMime), book->file_name);
      },
      {}, errors);
}

}  // namespace docent::api::native
