#include "api/chatbot/knowledge.h"

#include "api/chatbot/errors.h"
#include "core/json.h"

#include <boost/json.hpp>

#include <chrono>

namespace docent::api::chatbot {

namespace json = boost::json;
using http::Method;
using http::Request;
using http::Response;

namespace {

Response error(const Request& req, const core::Error& e) { return render_error(req, e); }

// The seed's words for a file's state.
std::string_view status_word(const std::string& s) {
  return s == "processed" ? "completed" : s == "failed" ? "failed" : "processing";
}

json::value nullable(const std::optional<std::string>& s) { return s ? json::value(*s) : json::value(nullptr); }


}  // namespace

void register_knowledge_routes(http::Router& router, const Context& ctx) {
  const http::ErrorRenderer* errors = &error_renderer();

  router.add(
      Method::Post, "/api/files/upload",
      [ctx](Request& req) {
    if (!req.form) {
      return error(req, core::Error(core::Code::UnsupportedMediaType, "send multipart/form-data with a 'file' part",
                                    "file"));
    }
    auto files = req.form->files_named("file");
    if (files.size() != 1)
      return error(req, core::Error(core::Code::MissingField, "one 'file' part is required", "file"));
    services::NewFile info;
    info.name = files[0]->filename.empty() ? "upload" : files[0]->filename;
    if (const auto* d = req.form->field("description")) info.description = d->value;
    if (const auto* t = req.form->field("tags")) {
      auto tags = string_list_field(t->value, "tags");
      if (!tags) return error(req, tags.error());
      info.tags = std::move(*tags);
    }
    auto f = ctx.knowledge->add_file(principal(req), files[0]->path, std::move(info));
    if (!f) return error(req, f.error());
    req.form->release(*files[0]);
    return Response::json(200, json::object{{"id", f->id},
                                            {"filename", f->name},
                                            {"size", f->size},
                                            {"type", f->mime},
                                            {"status", status_word(f->status)},
                                            {"upload_url", "/v1/files/" + f->id + "/content"},
                                            {"created_at", f->created_at}});
      },
      {.multipart = true}, errors);

  router.add(
      Method::Get, "/api/files/{file_id}/status",
      [ctx](Request& req) {
    auto f = ctx.knowledge->get_file(principal(req), req.param("file_id"));
    if (!f) return error(req, f.error());
    return Response::json(200, json::object{{"id", f->id},
                                            {"status", status_word(f->status)},
                                            {"processed_at", nullable(f->processed_at)},
                                            {"chunks_created", f->chunk_count},
                                            {"error", f->status == "failed" ? json::value(f->status_reason)
                                                                            : json::value(nullptr)}});
      },
      {}, errors);

  router.add(
      Method::Post, "/api/knowledge/search",
      [ctx](Request& req) {
    auto started = std::chrono::steady_clock::now();
    auto body = json_body(req, *ctx.config);
    if (!body) return error(req, body.error());
    core::ObjectReader r(*body);
    services::SearchQuery q;
    std::string type = "semantic";
    json::value filters;
    r.required("query", q.text).optional("type", type).optional("limit", q.limit).optional("filters", filters);
    if (r.ok() && type != "semantic" && type != "text" && type != "hybrid") {
      r.invalid("type", "must be semantic, text or hybrid");
    }
    if (r.ok() && (q.limit < 1 || q.limit > 100)) r.invalid("limit", "must be from 1 to 100");
    if (!r.ok()) return error(req, r.error());
    if (!filters.is_null()) {
      core::ObjectReader f(filters, "filters");
      std::string source_type;
      f.optional("source_type", source_type).optional("tags", q.tags).optional("file_ids", q.file_ids);
      f.optional("folder_ids", q.folder_ids);
      if (!f.ok()) return error(req, f.error());
      // "document" (the seed's example) means any uploaded document; other values name a format.
      if (!source_type.empty() && source_type != "document")
        q.source_types = {source_type == "manual" ? "markdown" : source_type};
    }
    // The seed's "semantic" search is docent's hybrid search (meaning and words, fused).
    q.mode = type == "text" ? services::SearchQuery::Mode::Text : services::SearchQuery::Mode::Hybrid;
    auto hits = ctx.knowledge->search(principal(req), q);
    if (!hits) return error(req, hits.error());
    json::array results;
    for (const auto& h : *hits) {
      results.push_back(
          json::object{{"id", "chunk_" + std::to_string(h.chunk_id)},
                       {"content", h.text},
                       {"score", h.score},
                       {"source", json::object{{"id", h.file_id}, {"filename", h.file_name}, {"type", "document"}}},
                       {"metadata", json::object{{"page", h.page}, {"section", h.section}, {"position", h.position}}}});
    }
    // Beyond the seed: the files in scope still being ingested, which the results could not include.
    auto pending = ctx.knowledge->pending_files(principal(req), q);
    if (!pending) return error(req, pending.error());
    json::array pending_ids(pending->begin(), pending->end());
    double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    auto total = static_cast<int64_t>(results.size());
    return Response::json(200, json::object{{"results", std::move(results)},
                                            {"total", total},
                                            {"query_time", secs},
                                            {"pending_file_ids", std::move(pending_ids)}});
      },
      {}, errors);

  router.add(
      Method::Post, "/api/knowledge",
      [ctx](Request& req) {
    auto body = json_body(req, *ctx.config);
    if (!body) return error(req, body.error());
    core::ObjectReader r(*body);
    std::string content, title = "note", source_type = "manual";
    services::NewFile info;
    r.required("content", content).optional("title", title).optional("source_type", source_type);
    r.optional("tags", info.tags).optional("metadata", info.metadata);
    if (!r.ok()) return error(req, r.error());
    // Stored as a Markdown document titled as given, so it is chunked, indexed and cited like any file.
    info.name = title + ".md";
    info.description = "knowledge entry (" + source_type + ")";
    info.knowledge_entry = true;
    std::string document = "# " + title + "\n\n" + content + "\n";
    if (auto st = check_upload_size(*ctx.config, document.size(), "content"); !st) return error(req, st.error());
    auto f = ctx.knowledge->add_bytes(principal(req), document, std::move(info));
    if (!f) return error(req, f.error());
    return Response::json(201, json::object{{"id", f->id},
                                            {"title", title},
                                            {"source_type", source_type},
                                            {"status", status_word(f->status)},
                                            {"created_at", f->created_at}});
      },
      {}, errors);
}

}  // namespace docent::api::chatbot
