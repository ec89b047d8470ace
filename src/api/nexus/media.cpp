#include "api/nexus/media.h"

#include "api/nexus/errors.h"
#include "core/json.h"
#include "core/text.h"
#include "engines/audio_decode.h"
#include "engines/audio_encode.h"
#include "engines/image_analysis.h"
#include "engines/stt.h"
#include "engines/tts.h"
#include "services/image_jobs.h"
#include "services/voice_jobs.h"

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

// The caller's session `id`, or the seed's "Session not found".
core::Result<std::string> session_of(const Context& ctx, const Request& req, const std::string& id) {
  auto c = ctx.conversations->get(principal(req), id);
  if (!c) {
    core::Error e = c.error();
    if (e.code == core::Code::NotFound) e = core::Error(core::Code::NotFound, "Session not found", "session_id");
    return e;
  }
  return c->id;
}

// A seed language ("en" when none is given), or 400 naming `language`.
core::Result<std::string> language_of(const std::string* given) {
  if (given == nullptr || given->empty()) return std::string("en");
  if (!engines::is_speech_language(*given)) {
    return core::Error(core::Code::InvalidInput, "language must be one of en es fr de it pt ru ja ko zh ar hi ur th",
                       "language");
  }
  return *given;
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
    auto id = session_of(ctx, req, f->value);
    if (!id) return error(req, id.error(), "SESSION_NOT_FOUND");
    sub.session_id = std::move(*id);
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

// audio (required), language, session_id: /api/process/voice and, with `conversation`,
// /api/process/voice-conversation (which starts a session when none is named, as
// /api/process/text does).
Response post_voice(const Context& ctx, Request& req, bool conversation) {
  const std::string_view kind = conversation ? services::kVoiceConversationKind : services::kVoiceKind;
  if (ctx.media == nullptr || ctx.speech == nullptr || !ctx.media->has_kind(kind)) return unavailable(req);
  if (!req.form) {
    return error(req, core::Error(core::Code::InvalidInput,
                                  "send the audio as multipart/form-data with an 'audio' part", "audio"));
  }
  auto files = req.form->files_named("audio");
  if (files.empty()) return error(req, core::Error(core::Code::MissingField, "Audio is required", "audio"));
  if (files.size() > 1) return error(req, core::Error(core::Code::InvalidInput, "send one 'audio' part", "audio"));
  const http::FormFile& audio = *files[0];
  if (auto st = check_upload_size(*ctx.config, audio.size, "audio"); !st) return error(req, st.error());
  const auto* lang = req.form->field("language");
  auto language = language_of(lang ? &lang->value : nullptr);
  if (!language) return error(req, language.error());
  if (*language != "en" && !ctx.speech->has_stt_upstream()) {
    return error(req, core::Error(core::Code::ServiceUnavailable,
                                  "the built-in recogniser knows English only; recognising '" + *language +
                                      "' needs a speech-to-text upstream: set stt.url",
                                  "stt.url"));
  }
  const services::Principal p = principal(req);
  services::MediaSubmission sub;
  if (const auto* f = req.form->field("session_id"); f && !f->value.empty()) {
    auto id = session_of(ctx, req, f->value);
    if (!id) return error(req, id.error(), "SESSION_NOT_FOUND");
    sub.session_id = std::move(*id);
  }
  if (conversation) {
    // The answer is a question of the plan: out of questions is a 429 now, not a failed job later.
    if (auto st = ctx.quota->check(p, services::Metric::Question); !st) return error(req, st.error());
  }
  // The container by its first bytes; the isolated decode in the job checks the rest.
  if (auto st = engines::check_audio_signature(audio.path); !st) {
    core::Error e = st.error();
    e.field = "audio";
    return error(req, e);
  }
  if (conversation && !sub.session_id) {
    auto c = ctx.conversations->create(p, services::NewConversation{.title = "New Chat"});
    if (!c) return error(req, c.error());
    sub.session_id = c->id;
  }
  sub.params["language"] = *language;
  sub.params["filename"] = audio.filename;
  sub.input = audio.path;
  auto job = ctx.media->submit(p, kind, std::move(sub));
  if (!job) return error(req, job.error());
  json::object out{{"job_id", job->id},
                   {"status", "queued"},
                   {"message", conversation ? "Voice conversation started" : "Voice processing started"}};
  if (conversation) out["session_id"] = *job->session_id;
  return Response::json(200, std::move(out));
}

// JSON {text (1-5000 characters), language, session_id, format}: /api/process/text-to-speech.
Response post_text_to_speech(const Context& ctx, Request& req) {
  if (ctx.media == nullptr || !ctx.media->has_kind(services::kTextToSpeechKind)) return unavailable(req);
  auto body = json_body(req, *ctx.config);
  if (!body) return error(req, body.error());
  core::ObjectReader r(*body);
  std::string text;
  std::optional<std::string> language_given, session_id, format_given;
  r.required("text", text);
  r.optional("language", language_given);
  r.optional("session_id", session_id);
  r.optional("format", format_given);
  if (!r.ok()) return error(req, r.error());
  if (auto st = engines::check_speech_text(text, "text"); !st) return error(req, st.error());
  auto language = language_of(language_given ? &*language_given : nullptr);
  if (!language) return error(req, language.error());
  const auto format = engines::parse_audio_format(format_given.value_or("mp3"));
  if (!format) {
    return error(req, core::Error(core::Code::InvalidInput, "format must be one of mp3, wav, ogg, flac, opus, aac, pcm",
                                  "format"));
  }
  services::MediaSubmission sub;
  if (session_id && !session_id->empty()) {
    auto id = session_of(ctx, req, *session_id);
    if (!id) return error(req, id.error(), "SESSION_NOT_FOUND");
    sub.session_id = std::move(*id);
  }
  sub.params["text"] = text;
  sub.params["language"] = *language;
  sub.params["format"] = std::string(engines::audio_format_name(*format));
  auto job = ctx.media->submit(principal(req), services::kTextToSpeechKind, std::move(sub));
  if (!job) return error(req, job.error());
  return Response::json(200, json::object{{"job_id", job->id}, {"status", "queued"}, {"message", "TTS started"}});
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
      Method::Post, "/api/process/voice", [ctx](Request& req) { return post_voice(ctx, req, false); },
      {.multipart = true}, errors);
  router.add(
      Method::Post, "/api/process/voice-conversation", [ctx](Request& req) { return post_voice(ctx, req, true); },
      {.multipart = true}, errors);
  router.add(
      Method::Post, "/api/process/text-to-speech", [ctx](Request& req) { return post_text_to_speech(ctx, req); }, {},
      errors);
  router.add(
      Method::Get, "/api/status/{job_id}", [ctx](Request& req) { return get_status(ctx, req); }, {}, errors);
}

}  // namespace docent::api::nexus
