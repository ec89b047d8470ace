#include "api/native/vector_stores.h"

#include "api/native/errors.h"
#include "core/json.h"
#include "core/time.h"

#include <boost/json.hpp>

#include <ctime>

namespace docent::api::native {

namespace json = boost::json;
using http::Method;
using http::Request;
using http::Response;

namespace {

Response error(const Request& req, const core::Error& e) { return render_error(req, e); }


std::string_view file_status(const services::File& f) {
  return f.status == "processed" ? "completed" : f.status == "failed" ? "failed" : "in_progress";
}

json::object store_file_json(const std::string& store_id, const services::VectorStoreFile& vf) {
  json::value last_error = nullptr;
  if (vf.file.status == "failed")
    last_error = json::object{{"code", "invalid_file"}, {"message", vf.file.status_reason}};
  return json::object{{"id", vf.file_id},
                      {"object", "vector_store.file"},
                      {"usage_bytes", vf.file.size},
                      {"created_at", core::unix_seconds(vf.added_at)},
                      {"vector_store_id", store_id},
                      {"status", file_status(vf.file)},
                      {"last_error", last_error},
                      {"chunking_strategy", json::object{{"type", "other"}}},
                      {"attributes", json::object{}}};
}

json::object store_json(const services::VectorStore& vs) {
  int64_t in_progress = 0, completed = 0, failed = 0, bytes = 0;
  for (const auto& f : vs.files) {
    auto s = file_status(f.file);
    if (s == "completed")
      ++completed;
    else if (s == "failed")
      ++failed;
    else
      ++in_progress;
    bytes += f.file.size;
  }
  return json::object{
      {"id", vs.id},
      {"object", "vector_store"},
      {"created_at", core::unix_seconds(vs.created_at)},
      {"name", vs.name},
      {"usage_bytes", bytes},
      {"file_counts", json::object{{"in_progress", in_progress},
                                   {"completed", completed},
                                   {"failed", failed},
                                   {"cancelled", 0},
                                   {"total", static_cast<int64_t>(vs.files.size())}}},
      {"status", in_progress ? "in_progress" : "completed"},
      {"expires_after", nullptr},
      {"expires_at", nullptr},
      {"last_active_at", core::unix_seconds(vs.updated_at)},
      {"metadata", vs.metadata},
  };
}

json::object list_json(json::array data) {
  json::object o{{"object", "list"}};
  o["first_id"] = data.empty() ? json::value(nullptr) : data.front().at("id");
  o["last_id"] = data.empty() ? json::value(nullptr) : data.back().at("id");
  o["data"] = std::move(data);
  o["has_more"] = false;
  return o;
}

}  // namespace

void register_vector_store_routes(http::Router& router, const Context& ctx) {
  const http::ErrorRenderer* errors = &error_renderer();

  router.add(
      Method::Post, "/v1/vector_stores",
      [ctx](Request& req) {
    auto body = json_body(req, *ctx.config);
    if (!body) return error(req, body.error());
    core::ObjectReader r(*body);
    std::string name;
    std::vector<std::string> file_ids;
    json::object metadata;
    r.optional("name", name).optional("file_ids", file_ids).optional("metadata", metadata);
    if (!r.ok()) return error(req, r.error());
    auto vs = ctx.vector_stores->create(principal(req), name, std::move(metadata), file_ids);
    if (!vs) return error(req, vs.error());
    return Response::json(200, store_json(*vs));
      },
      {}, errors);

  router.add(
      Method::Get, "/v1/vector_stores",
      [ctx](Request& req) {
    auto stores = ctx.vector_stores->list(principal(req));
    if (!stores) return error(req, stores.error());
    json::array data;
    for (const auto& vs : *stores) data.push_back(store_json(vs));
    return Response::json(200, list_json(std::move(data)));
      },
      {}, errors);

  router.add(
      Method::Get, "/v1/vector_stores/{vector_store_id}",
      [ctx](Request& req) {
    auto vs = ctx.vector_stores->get(principal(req), req.param("vector_store_id"));
    if (!vs) return error(req, vs.error());
    return Response::json(200, store_json(*vs));
      },
      {}, errors);

  router.add(
      Method::Post, "/v1/vector_stores/{vector_store_id}",
      [ctx](Request& req) {
    auto body = json_body(req, *ctx.config);
    if (!body) return error(req, body.error());
    core::ObjectReader r(*body);
    std::optional<std::string> name;
    std::optional<json::object> metadata;
    r.optional("name", name).optional("metadata", metadata);
    if (!r.ok()) return error(req, r.error());
    auto vs = ctx.vector_stores->update(principal(req), req.param("vector_store_id"), name, metadata);
    if (!vs) return error(req, vs.error());
    return Response::json(200, store_json(*vs));
      },
      {}, errors);

  router.add(
      Method::Delete, "/v1/vector_stores/{vector_store_id}",
      [ctx](Request& req) {
    std::string id(req.param("vector_store_id"));
    if (auto st = ctx.vector_stores->remove(principal(req), id); !st) return error(req, st.error());
    return Response::json(200, json::object{{"id", id}, {"object", "vector_store.deleted"}, {"deleted", true}});
      },
      {}, errors);

  router.add(
      Method::Post, "/v1/vector_stores/{vector_store_id}/files",
      [ctx](Request& req) {
    auto body = json_body(req, *ctx.config);
    if (!body) return error(req, body.error());
    core::ObjectReader r(*body);
    std::string file_id;
    r.required("file_id", file_id);
    if (!r.ok()) return error(req, r.error());
    std::string store_id(req.param("vector_store_id"));
    auto vf = ctx.vector_stores->add_file(principal(req), store_id, file_id);
    if (!vf) return error(req, vf.error());
    return Response::json(200, store_file_json(store_id, *vf));
      },
      {}, errors);

  router.add(
      Method::Get, "/v1/vector_stores/{vector_store_id}/files",
      [ctx](Request& req) {
    std::string store_id(req.param("vector_store_id"));
    auto vs = ctx.vector_stores->get(principal(req), store_id);
    if (!vs) return error(req, vs.error());
    auto filter = req.query_param("filter");
    json::array data;
    for (const auto& f : vs->files) {
      if (filter && file_status(f.file) != *filter) continue;
      data.push_back(store_file_json(store_id, f));
    }
    return Response::json(200, list_json(std::move(data)));
      },
      {}, errors);

  router.add(
      Method::Get, "/v1/vector_stores/{vector_store_id}/files/{file_id}",
      [ctx](Request& req) {
    std::string store_id(req.param("vector_store_id"));
    auto vs = ctx.vector_stores->get(principal(req), store_id);
    if (!vs) return error(req, vs.error());
    for (const auto& f : vs->files) {
      if (f.file_id == req.param("file_id")) return Response::json(200, store_file_json(store_id, f));
    }
    return error(req, core::Error(core::Code::NotFound, "file is not in this vector store"));
      },
      {}, errors);

  router.add(
      Method::Delete, "/v1/vector_stores/{vector_store_id}/files/{file_id}",
      [ctx](Request& req) {
    std::string file_id(req.param("file_id"));
    if (auto st = ctx.vector_stores->remove_file(principal(req), req.param("vector_store_id"), file_id); !st) {
      return error(req, st.error());
    }
    return Response::json(200,
                          json::object{{"id", file_id}, {"object", "vector_store.file.deleted"}, {"deleted", true}});
      },
      {}, errors);

  router.add(
      Method::Post, "/v1/vector_stores/{vector_store_id}/search",
      [ctx](Request& req) {
    auto body = json_body(req, *ctx.config);
    if (!body) return error(req, body.error());
    core::ObjectReader r(*body);
    json::value query;
    int64_t max_results = 10;
    r.required("query", query).optional("max_num_results", max_results);
    if (r.ok() && (max_results < 1 || max_results > 50)) r.invalid("max_num_results", "must be from 1 to 50");
    std::string text;
    if (r.ok()) {
      if (query.is_string()) {
        text = std::string(query.as_string());
      } else if (query.is_array()) {
        for (const auto& q : query.as_array()) {
          if (!q.is_string()) {
            r.invalid("query", "must be a string or an array of strings");
            break;
          }
          if (!text.empty()) text += ' ';
          text.append(q.as_string().data(), q.as_string().size());
        }
      } else {
        r.invalid("query", "must be a string or an array of strings");
      }
    }
    if (!r.ok()) return error(req, r.error());
    auto hits = ctx.vector_stores->search(principal(req), req.param("vector_store_id"), text, max_results);
    if (!hits) return error(req, hits.error());
    json::array data;
    for (const auto& h : *hits) {
      data.push_back(
          json::object{{"file_id", h.file_id},
                       {"filename", h.file_name},
                       {"score", h.score},
                       {"attributes", json::object{{"page", h.page}, {"section", h.section}, {"position", h.position}}},
                       {"content", json::array{json::object{{"type", "text"}, {"text", h.text}}}}});
    }
    return Response::json(200, json::object{{"object", "vector_store.search_results.page"},
                                            {"search_query", text},
                                            {"data", std::move(data)},
                                            {"has_more", false},
                                            {"next_page", nullptr}});
      },
      {}, errors);
}

}  // namespace docent::api::native
