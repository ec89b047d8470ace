#include "api/native/knowledge.h"

#include "api/native/errors.h"
#include "core/json.h"
#include "core/thread_annotations.h"
#include "core/time.h"
#include "http/static_files.h"

#include <boost/json.hpp>

#include <ctime>
#include <deque>

namespace docent::api::native {

namespace json = boost::json;
using http::Method;
using http::Request;
using http::Response;

namespace {

Response error(const Request& req, const core::Error& e) { return render_error(req, e); }


// OpenAI's three file states.
std::string_view openai_status(const std::string& status) {
  if (status == "processed") return "processed";
  if (status == "failed") return "error";
  return "uploaded";
}

json::object folder_json(const services::Folder& f) {
  return json::object{{"id", f.id},
                      {"object", "folder"},
                      {"name", f.name},
                      {"description", f.description},
                      {"parent_id", f.parent_id ? json::value(*f.parent_id) : json::value(nullptr)},
                      {"created_at", f.created_at},
                      {"updated_at", f.updated_at}};
}


// The ingestion progress of one file as SSE: a "status" event now, then one per change, ending
// with "done" or "failed".
Response file_events(const Context& ctx, const services::File& file) {
  return Response::stream([jobs = ctx.jobs, knowledge = ctx.knowledge, file](http::SseSink& sink) {
    struct Shared {
      core::Mutex mu;
      core::CondVar cv;
      std::deque<services::JobEvent> events GUARDED_BY(mu);
    };
    auto shared = std::make_shared<Shared>();
    uint64_t sub = 0;
    if (!file.job_id.empty()) {
      sub = jobs->subscribe(file.job_id, [shared](const services::JobEvent& e) {
        core::MutexLock lock(shared->mu);
        shared->events.push_back(e);
        shared->cv.notify_all();
      });
    }
    auto send_state = [&](const std::string& status, const std::string& reason, const json::value& progress) {
      json::object o{{"file_id", file.id}, {"status", status}};
      if (!reason.empty()) o["error"] = reason;
      if (progress.is_object()) {
        for (const auto& [k, v] : progress.as_object()) o[k] = v;
      }
      return sink.send(json::serialize(o), status == "processed" ? "done" : status == "failed" ? "failed" : "progress");
    };
    // The state as stored, in case the job finished before we subscribed.
    auto current = [&]() {
      return knowledge->get_file(services::Principal{file.account_id, services::Role::User}, file.id);
    };
    auto now = current();
    bool finished = !now || now->status == "processed" || now->status == "failed";
    if (now) {
      json::value progress = json::object{{"pages_parsed", now->pages}, {"chunks_indexed", now->chunk_count}};
      send_state(now->status, now->status_reason, progress);
    }
    while (!finished && !sink.cancelled()) {
      core::MutexLock lock(shared->mu);
      shared->cv.wait_for(lock, std::chrono::seconds(1),
                          [&]() REQUIRES(shared->mu) { return !shared->events.empty(); });
      std::deque<services::JobEvent> batch;
      batch.swap(shared->events);
      lock.unlock();
      for (const auto& e : batch) {
        if (e.status == services::JobStatus::Running) send_state("processing", "", e.progress);
      }
      // The file row is the truth about the outcome (a job may retry before giving up).
      auto again = current();
      if (!again) break;
      if (again->status == "processed" || again->status == "failed") {
        json::value progress = json::object{{"pages_parsed", again->pages}, {"chunks_indexed", again->chunk_count}};
        send_state(again->status, again->status_reason, progress);
        finished = true;
      }
    }
    if (sub) jobs->unsubscribe(sub);
  });
}

}  // namespace

json::object file_json(const services::File& f) {
  json::array tags;
  for (const auto& t : f.tags) tags.emplace_back(t);
  return json::object{
      {"id", f.id},
      {"object", "file"},
      {"bytes", f.size},
      {"created_at", core::unix_seconds(f.created_at)},
      {"filename", f.name},
      {"purpose", f.purpose},
      {"status", openai_status(f.status)},
      {"status_details", f.status == "failed" ? json::value(f.status_reason) : json::value(nullptr)},
      {"docent", json::object{{"status", f.status},
                              {"status_reason", f.status_reason},
                              {"mime", f.mime},
                              {"source_type", f.source_type},
                              {"sha256", f.sha256},
                              {"pages", f.pages},
                              {"chunk_count", f.chunk_count},
                              {"folder_id", f.folder_id ? json::value(*f.folder_id) : json::value(nullptr)},
                              {"description", f.description},
                              {"tags", std::move(tags)},
                              {"metadata", f.metadata},
                              {"processed_at", f.processed_at ? json::value(*f.processed_at) : json::value(nullptr)},
                              {"duplicate", f.duplicate}}},
  };
}

void register_knowledge_routes(http::Router& router, const Context& ctx) {
  const http::ErrorRenderer* errors = &error_renderer();

  router.add(
      Method::Post, "/v1/files",
      [ctx](Request& req) {
    if (!req.form) {
      return error(req, core::Error(core::Code::UnsupportedMediaType,
                                    "upload the file as multipart/form-data with a 'file' part", "file"));
    }
    auto files = req.form->files_named("file");
    if (files.empty()) return error(req, core::Error(core::Code::MissingField, "the 'file' part is required", "file"));
    if (files.size() > 1) return error(req, core::Error(core::Code::InvalidInput, "send one 'file' part", "file"));
    services::NewFile info;
    info.name = files[0]->filename.empty() ? "upload" : files[0]->filename;
    // Required, as in OpenAI's API (NewFile's default serves the faces that have no purpose).
    const auto* purpose = req.form->field("purpose");
    if (purpose == nullptr || purpose->value.empty()) {
      return error(req, core::Error(core::Code::MissingField, "the 'purpose' part is required", "purpose"));
    }
    info.purpose = purpose->value;
    if (const auto* f = req.form->field("description")) info.description = f->value;
    if (const auto* f = req.form->field("folder_id")) info.folder = f->value;
    if (const auto* f = req.form->field("tags")) {
      auto tags = string_list_field(f->value, "tags");
      if (!tags) return error(req, tags.error());
      info.tags = std::move(*tags);
    }
    auto file = ctx.knowledge->add_file(principal(req), files[0]->path, std::move(info));
    if (!file) return error(req, file.error());
    req.form->release(*files[0]);  // the blob store took the bytes (the spooled file is gone)
    return Response::json(200, file_json(*file));
      },
      {.multipart = true}, errors);

  router.add(
      Method::Get, "/v1/files",
      [ctx](Request& req) {
    auto limit = int_query(req, "limit", 100, 1, 10000);
    if (!limit) return error(req, limit.error());
    std::optional<std::string> folder;
    if (auto f = req.query_param("folder_id")) folder = std::string(*f);
    auto page = ctx.knowledge->list_files(principal(req), folder, req.query_param("after").value_or(""), *limit);
    if (!page) return error(req, page.error());
    auto purpose = req.query_param("purpose");
    json::array data;
    for (const auto& f : page->items) {
      if (purpose && f.purpose != *purpose) continue;
      data.push_back(file_json(f));
    }
    json::object body{{"object", "list"}, {"data", data}, {"has_more", page->has_more}};
    body["first_id"] = page->items.empty() ? json::value(nullptr) : json::value(page->items.front().id);
    body["last_id"] = page->items.empty() ? json::value(nullptr) : json::value(page->items.back().id);
    return Response::json(200, body);
      },
      {}, errors);

  router.add(
      Method::Get, "/v1/files/{file_id}",
      [ctx](Request& req) {
    auto f = ctx.knowledge->get_file(principal(req), req.param("file_id"));
    if (!f) return error(req, f.error());
    return Response::json(200, file_json(*f));
      },
      {}, errors);

  router.add(
      Method::Delete, "/v1/files/{file_id}",
      [ctx](Request& req) {
    std::string id(req.param("file_id"));
    if (auto st = ctx.knowledge->delete_file(principal(req), id); !st) return error(req, st.error());
    return Response::json(200, json::object{{"id", id}, {"object", "file"}, {"deleted", true}});
      },
      {}, errors);

  router.add(
      Method::Get, "/v1/files/{file_id}/content",
      [ctx](Request& req) {
    const auto& p = principal(req);
    auto f = ctx.knowledge->get_file(p, req.param("file_id"));
    if (!f) return error(req, f.error());
    auto path = ctx.knowledge->file_content(p, f->id);
    if (!path) return error(req, path.error());
    return download(*path, f->mime, f->name);
      },
      {}, errors);

  router.add(
      Method::Get, "/v1/files/{file_id}/events",
      [ctx](Request& req) {
    auto f = ctx.knowledge->get_file(principal(req), req.param("file_id"));
    if (!f) return error(req, f.error());
    return file_events(ctx, *f);
      },
      {}, errors);

  router.add(
      Method::Get, "/v1/folders",
      [ctx](Request& req) {
    auto folders = ctx.knowledge->list_folders(principal(req));
    if (!folders) return error(req, folders.error());
    json::array data;
    for (const auto& f : *folders) data.push_back(folder_json(f));
    return Response::json(200, json::object{{"object", "list"}, {"data", std::move(data)}, {"has_more", false}});
      },
      {}, errors);

  router.add(
      Method::Post, "/v1/folders",
      [ctx](Request& req) {
    auto body = json_body(req, *ctx.config);
    if (!body) return error(req, body.error());
    core::ObjectReader r(*body);
    std::string name, description;
    std::optional<std::string> parent;
    r.required("name", name).optional("description", description).optional("parent_id", parent);
    if (!r.ok()) return error(req, r.error());
    auto f = ctx.knowledge->create_folder(principal(req), name, description, parent);
    if (!f) return error(req, f.error());
    return Response::json(201, folder_json(*f));
      },
      {}, errors);

  router.add(
      Method::Get, "/v1/folders/{folder_id}",
      [ctx](Request& req) {
    auto f = ctx.knowledge->get_folder(principal(req), req.param("folder_id"));
    if (!f) return error(req, f.error());
    return Response::json(200, folder_json(*f));
      },
      {}, errors);

  router.add(
      Method::Patch, "/v1/folders/{folder_id}",
      [ctx](Request& req) {
    auto body = json_body(req, *ctx.config);
    if (!body) return error(req, body.error());
    core::ObjectReader r(*body);
    std::optional<std::string> name, description;
    r.optional("name", name).optional("description", description);
    if (!r.ok()) return error(req, r.error());
    auto f = ctx.knowledge->update_folder(principal(req), req.param("folder_id"), name, description);
    if (!f) return error(req, f.error());
    return Response::json(200, folder_json(*f));
      },
      {}, errors);

  router.add(
      Method::Delete, "/v1/folders/{folder_id}",
      [ctx](Request& req) {
    std::string id(req.param("folder_id"));
    if (auto st = ctx.knowledge->delete_folder(principal(req), id); !st) return error(req, st.error());
    return Response::json(200, json::object{{"id", id}, {"object", "folder.deleted"}, {"deleted", true}});
      },
      {}, errors);

  router.add(
      Method::Post, "/v1/search",
      [ctx](Request& req) {
    auto body = json_body(req, *ctx.config);
    if (!body) return error(req, body.error());
    core::ObjectReader r(*body);
    services::SearchQuery q;
    std::string mode = "hybrid";
    r.required("query", q.text).optional("limit", q.limit).optional("mode", mode).optional("file_ids", q.file_ids);
    r.optional("folder_ids", q.folder_ids).optional("include_subfolders", q.include_subfolders);
    r.optional("tags", q.tags).optional("source_types", q.source_types);
    int64_t wait_seconds = 10;
    r.optional("wait_seconds", wait_seconds);
    if (r.ok() && (wait_seconds < 0 || wait_seconds > 60)) r.invalid("wait_seconds", "must be from 0 to 60");
    q.wait_for_files = std::chrono::seconds(wait_seconds);
    if (r.ok() && mode != "hybrid" && mode != "semantic" && mode != "text") {
      r.invalid("mode", "must be hybrid, semantic or text");
    }
    if (r.ok() && (q.limit < 1 || q.limit > 100)) r.invalid("limit", "must be from 1 to 100");
    if (!r.ok()) return error(req, r.error());
    q.mode = mode == "semantic" ? services::SearchQuery::Mode::Semantic
             : mode == "text"   ? services::SearchQuery::Mode::Text
                                : services::SearchQuery::Mode::Hybrid;
    // Read before searching: an index that becomes ready meanwhile makes the note merely cautious.
    const bool full_text_only = q.mode != services::SearchQuery::Mode::Text && !ctx.knowledge->vector_search_ready();
    auto hits = ctx.knowledge->search(principal(req), q);
    if (!hits) return error(req, hits.error());
    json::array data;
    for (const auto& h : *hits) {
      data.push_back(json::object{{"object", "search.result"},
                                  {"chunk_id", h.chunk_id},
                                  {"text", h.text},
                                  {"score", h.score},
                                  {"file_id", h.file_id},
                                  {"filename", h.file_name},
                                  {"page", h.page},
                                  {"section", h.section},
                                  {"position", h.position}});
    }
    // Files in scope still being ingested were not searched: the answer says so.
    auto pending = ctx.knowledge->pending_files(principal(req), q);
    if (!pending) return error(req, pending.error());
    json::array pending_ids(pending->begin(), pending->end());
    json::object answer{{"object", "list"}, {"data", std::move(data)}, {"pending_file_ids", std::move(pending_ids)}};
    // The vector index is still opening (after a crash, replaying its changes): the answer says
    // the results come from the full text alone.
    if (full_text_only) answer["degraded"] = "vector index rebuilding: full-text results only";
    return Response::json(200, std::move(answer));
      },
      {}, errors);
}

}  // namespace docent::api::native
