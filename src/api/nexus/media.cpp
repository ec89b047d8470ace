#include "api/nexus/media.h"

#include "api/nexus/errors.h"
#include "core/text.h"
#include "engines/image_analysis.h"
#include "services/image_jobs.h"

#include <boost/json.hpp>

namespace docent::api::nexus {

namespace json = boost::json;
using http::Method;
using http::Request;
using http::Response;

namespace {

constexpr size_t kMaxQuestionChars = 5000;

// A missing job (or another account's) is the seed's JOB_NOT_FOUND; a missing session, SESSION_NOT_FOUND.
Response error(const Request& req, const core::Error& e, std::string_view not_found = "JOB_NOT_FOUND") {
  Response res = render_error(req, e);
  if (e.code != core::Code::NotFound) return res;
  boost::system::error_code ec;
  json::value body = json::parse(res.body, ec);
  if (ec || !body.is_object()) return res;
  body.as_object()["error_code"] = not_found;
  res.body = json::serialize(body);
  return res;
}

Response unavailable(const Request& req) {
  return render_error(req, core::Error(core::Code::ServiceUnavailable, "media jobs are not running in this server"));
}

// image (required), session_id and, with a question, question: parsed and checked.
Response post_image(const Context& ctx, Request& req, bool with_question) {
  if (ctx.media == nullptr || !ctx.media->has_kind(services::kImageKind)) return unavailable(req);
  if (!req.form) {
    return error(req, core::Error(core::Code::InvalidInput,
                                  "send the image as multipart/form-data with an 'image' part", "image"));
  }
  auto files = req.form->files_named("image");
  if (files.empty()) return error(req, core::Error(core::Code::MissingField, "Image is required", "image"));
  if (files.size() > 1) return error(req, core::Error(core::Code::InvalidInput, "send one 'image' part", "image"));
  const http::FormFile& image = *files[0];
  if (auto st = check_upload_size(*ctx.config, image.size, "image"); !st) return error(req, st.error());
  if (image.size == 0) return error(req, core::Error(core::Code::InvalidFormat, "the image is empty", "image"));

  services::MediaSubmission sub;
  if (const auto* f = req.form->field("session_id"); f && !f->value.empty()) {
    auto c = ctx.conversations->get(principal(req), f->value);
    if (!c) {
      core::Error e = c.error();
      if (e.code == core::Code::NotFound) e = core::Error(core::Code::NotFound, "Session not found", "session_id");
      return error(req, e, "SESSION_NOT_FOUND");
    }
    sub.session_id = c->id;
  }
  if (with_question) {
    const auto* q = req.form->field("question");
    if (q == nullptr || q->value.find_first_not_of(" \t\r\n") == std::string::npos) {
      return error(req, core::Error(core::Code::MissingField, "Question is required", "question"));
    }
    if (core::utf8_length(q->value) > kMaxQuestionChars) {
      return error(req, core::Error(core::Code::InvalidInput, "Question must be at most 5000 characters", "question"));
    }
    sub.params["question"] = q->value;
  }
  // The format by its bytes and the declared size, before anything is queued or decoded.
  auto checked = engines::check_image(image.path, ctx.config->media.image_max_pixels);
  if (!checked) {
    core::Error e = checked.error();
    e.field = "image";
    return error(req, e);
  }
  sub.params["format"] = std::string(engines::image_format_name(checked->format));
  sub.input = image.path;
  auto job = ctx.media->submit(principal(req), services::kImageKind, std::move(sub));
  if (!job) return error(req, job.error());
  return Response::json(200, json::object{{"job_id", job->id},
                                          {"status", "queued"},
                                          {"message", with_question ? "Analysis started" : "Image analysis started"}});
}

Response get_status(const Context& ctx, Request& req) {
  if (ctx.media == nullptr) return unavailable(req);
  auto job = ctx.media->get(principal(req), req.param("job_id"));
  if (!job) return error(req, job.error());
  return Response::json(200, status_json(*job));
}

}  // namespace

json::object status_json(const services::MediaJobView& job) {
  json::object o{{"job_id", job.id},
                 {"status", job.status},
                 {"progress", job.progress},
                 {"type", job.type},
                 {"created_at", job.created_at}};
  if (!job.stage.empty() && job.status != "error") o["stage"] = job.stage;
  if (job.completed_at) o["completed_at"] = *job.completed_at;
  if (job.status == "completed") o["result"] = job.result;
  if (job.status == "error") o["error"] = job.error;
  if (job.session_id) o["session_id"] = *job.session_id;
  return o;
}

void register_media_routes(http::Router& router, const Context& ctx) {
  const http::ErrorRenderer* errors = &error_renderer();
  router.add(
      Method::Post, "/api/process/image", [ctx](Request& req) { return post_image(ctx, req, false); },
      {.multipart = true}, errors);
  router.add(
      Method::Post, "/api/process/image-with-text", [ctx](Request& req) { return post_image(ctx, req, true); },
      {.multipart = true}, errors);
  router.add(
      Method::Get, "/api/status/{job_id}", [ctx](Request& req) { return get_status(ctx, req); }, {}, errors);
}

}  // namespace docent::api::nexus
