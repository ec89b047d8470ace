#include "api/spherechat/generate.h"

#include "api/spherechat/errors.h"

#include <boost/json.hpp>

#include <cctype>
#include <tuple>

namespace docent::api::spherechat {

namespace json = boost::json;
using http::Method;
using http::Request;
using http::Response;

namespace {

constexpr std::string_view kJobsPrefix = "/api/generate/jobs/";

// The seed writes camelCase; snake_case is taken too, as the native face writes it.
json::value normalised(json::value body) {
  if (!body.is_object()) return body;
  json::object& o = body.as_object();
  for (auto [camel, snake] : {std::pair{"fileIds", "file_ids"}, std::pair{"maxSlides", "max_slides"}}) {
    if (auto* v = o.if_contains(camel); v != nullptr && !o.contains(snake)) {
      o[snake] = *v;
      o.erase(camel);
    }
  }
  return body;
}

json::object job_json(const services::GenerationJob& g) {
  json::object o{{"success", true},
                 {"jobId", g.id},
                 {"type", g.type},
                 {"status", g.status},
                 {"progress", g.progress},
                 {"createdAt", g.created_at},
                 {"completedAt", g.completed_at ? json::value(*g.completed_at) : json::value(nullptr)},
                 {"statusUrl", std::string(kJobsPrefix) + g.id}};
  if (g.status == "completed" && g.type != "presentation") {
    std::string noun = g.type;
    if (!noun.empty()) noun[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(noun[0])));
    o["message"] = noun + " ready";
    json::array files;
    for (size_t i = 0; i < g.files.size(); ++i) {
      const std::string url = std::string(kJobsPrefix) + g.id + "/download" +
                              (i > 0 ? "?index=" + std::to_string(i) : "");
      files.push_back(json::object{{"fileName", g.files[i].file_name},
                                   {"mimeType", g.files[i].mime},
                                   {"fileSize", g.files[i].size},
                                   {"downloadUrl", url}});
    }
    o["files"] = std::move(files);
    o["fileName"] = g.file_name;
    o["fileSize"] = g.file_size;
    o["engine"] = g.engine;
    if (!g.model.empty()) o["model"] = g.model;
    if (!g.revised_prompt.empty()) o["revisedPrompt"] = g.revised_prompt;
    o["downloadUrl"] = std::string(kJobsPrefix) + g.id + "/download";
  } else if (g.status == "completed") {
    json::array warnings;
    for (const auto& w : g.warnings) warnings.emplace_back(w);
    o["message"] = "Presentation ready";
    o["fileName"] = g.file_name;
    o["fileSize"] = g.file_size;
    o["slides"] = g.slides;
    o["engine"] = g.engine;
    if (!g.model.empty()) o["model"] = g.model;
    o["warnings"] = std::move(warnings);
    o["downloadUrl"] = std::string(kJobsPrefix) + g.id + "/download";
  } else if (g.status == "failed") {
    o["message"] = "Generation failed";
    o["error"] = g.error;
  } else if (g.status == "cancelled") {
    o["message"] = "Generation was cancelled";
  } else {
    o["message"] = "Generation " + g.status;
  }
  return o;
}

Response post_presentation(const Context& ctx, Request& req) {
  auto body = json_body(req, *ctx.config);
  if (!body) return render_error(req, body.error());
  auto in = services::presentation_input(normalised(std::move(*body)));
  if (!in) return render_error(req, in.error());
  auto job = ctx.generation->start_presentation(principal(req), *in);
  if (!job) return render_error(req, job.error());
  json::object o = job_json(*job);
  o["message"] = "Presentation queued";
  o["downloadUrl"] = std::string(kJobsPrefix) + job->id + "/download";
  return Response::json(202, std::move(o));
}

// POST /api/generate/{image,video,music,voice}: checked, then queued (202), or 503 naming the
// setting when nothing here can make it.
Response post_media(const Context& ctx, Request& req, services::GeneratedMedia kind, std::string_view noun) {
  auto body = json_body(req, *ctx.config);
  if (!body) return render_error(req, body.error());
  auto in = services::media_generation_input(kind, *body);
  if (!in) return render_error(req, in.error());
  auto job = ctx.generation->start_media(principal(req), *in);
  if (!job) return render_error(req, job.error());
  json::object o = job_json(*job);
  if (job->status == "queued" || job->status == "running") o["message"] = std::string(noun) + " queued";
  o["downloadUrl"] = std::string(kJobsPrefix) + job->id + "/download";
  return Response::json(202, std::move(o));
}

Response get_job(const Context& ctx, Request& req) {
  auto job = ctx.generation->get(principal(req), req.param("jobId"));
  if (!job) return render_error(req, job.error());
  return Response::json(200, job_json(*job));
}

Response get_download(const Context& ctx, Request& req) {
  size_t index = 0;
  if (auto i = req.query_param("index")) {
    const std::string v(*i);
    if (v.empty() || v.size() > 3 || v.find_first_not_of("0123456789") != std::string::npos) {
      return render_error(req, core::Error(core::Code::InvalidInput, "index must be a whole number", "index"));
    }
    index = std::stoul(v);
  }
  auto file = ctx.generation->file(principal(req), req.param("jobId"), index);
  if (!file) return render_error(req, file.error());
  return download(file->path, file->mime, file->file_name);
}

}  // namespace

void register_generation_routes(http::Router& router, const Context& ctx) {
  const http::ErrorRenderer* errors = &error_renderer();
  router.add(
      Method::Post, "/api/generate/presentation", [ctx](Request& req) { return post_presentation(ctx, req); }, {},
      errors);
  using services::GeneratedMedia;
  for (const auto& route : {std::tuple{"/api/generate/image", GeneratedMedia::Image, "Image"},
                            std::tuple{"/api/generate/video", GeneratedMedia::Video, "Video"},
                            std::tuple{"/api/generate/music", GeneratedMedia::Music, "Music"},
                            std::tuple{"/api/generate/voice", GeneratedMedia::Voice, "Voice"}}) {
    // Copied out of the tuple: clang 14 (the tsa build) cannot capture a structured binding in a lambda.
    const GeneratedMedia kind = std::get<1>(route);
    const char* noun = std::get<2>(route);
    router.add(
        Method::Post, std::get<0>(route), [ctx, kind, noun](Request& req) { return post_media(ctx, req, kind, noun); },
        {}, errors);
  }
  router.add(
      Method::Get, std::string(kJobsPrefix) + "{jobId}", [ctx](Request& req) { return get_job(ctx, req); }, {}, errors);
  router.add(
      Method::Get, std::string(kJobsPrefix) + "{jobId}/download",
      [ctx](Request& req) { return get_download(ctx, req); }, {}, errors);
}

}  // namespace docent::api::spherechat
