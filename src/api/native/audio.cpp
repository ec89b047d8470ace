#include "api/native/audio.h"

#include "api/native/errors.h"
#include "core/json.h"
#include "core/log.h"

#include <boost/json.hpp>

#include <array>
#include <charconv>
#include <cmath>
#include <cstdio>

namespace docent::api::native {

namespace json = boost::json;
using http::Method;
using http::Request;
using http::Response;

namespace {

constexpr size_t kMaxSpeechInput = 4096;  // OpenAI's limit on `input`

// OpenAI's voices; the built-in synthesiser speaks each with espeak-ng's voice of `language`.
constexpr std::array<std::string_view, 13> kOpenAiVoices = {"alloy", "ash",   "ballad", "coral", "echo",
                                                            "fable", "onyx",  "nova",   "sage",  "shimmer",
                                                            "verse", "marin", "cedar"};

core::Error invalid(std::string message, std::string field) {
  return core::Error(core::Code::InvalidInput, std::move(message), std::move(field));
}

enum class TextFormat { Json, Text, Srt, Vtt, VerboseJson };

struct TranscriptionRequest {
  services::TranscribeInput input;
  TextFormat format = TextFormat::Json;
  bool words = false;  // timestamp_granularities[] included "word"
};

const std::string* form_text(const Request& req, std::string_view name) {
  const auto* f = req.form->field(name);
  return f == nullptr ? nullptr : &f->value;
}

core::Result<TranscriptionRequest> parse_transcription(const Request& req, bool translate) {
  if (!req.form) {
    return core::Error(core::Code::UnsupportedMediaType, "send the audio as multipart/form-data with a 'file' part",
                       "file");
  }
  TranscriptionRequest r;
  auto files = req.form->files_named("file");
  if (files.empty()) return core::Error(core::Code::MissingField, "the 'file' part is required", "file");
  if (files.size() > 1) return invalid("send one 'file' part", "file");
  r.input.file = files[0]->path;
  r.input.filename = files[0]->filename;
  r.input.translate = translate;
  const std::string* model = form_text(req, "model");
  if (model == nullptr || model->empty()) return core::Error(core::Code::MissingField, "model is required", "model");
  r.input.model = *model;
  if (const auto* lang = form_text(req, "language"); lang != nullptr && !translate) {
    if (!engines::is_speech_language(*lang)) {
      return invalid("language must be one of en es fr de it pt ru ja ko zh ar hi ur th (ISO 639-1)", "language");
    }
    r.input.language = *lang;
  }
  if (const auto* p = form_text(req, "prompt")) r.input.prompt = *p;
  if (const auto* t = form_text(req, "temperature")) {
    double v = 0;
    auto [end, ec] = std::from_chars(t->data(), t->data() + t->size(), v);
    if (ec != std::errc() || end != t->data() + t->size() || !std::isfinite(v) || v < 0 || v > 1) {
      return invalid("temperature must be a number from 0 to 1", "temperature");
    }
    r.input.temperature = v;
  }
  if (const auto* f = form_text(req, "response_format")) {
    static constexpr std::pair<std::string_view, TextFormat> kFormats[] = {{"json", TextFormat::Json},
                                                                           {"text", TextFormat::Text},
                                                                           {"srt", TextFormat::Srt},
                                                                           {"vtt", TextFormat::Vtt},
                                                                           {"verbose_json", TextFormat::VerboseJson}};
    bool found = false;
    for (auto [name, fmt] : kFormats) {
      if (*f == name) {
        r.format = fmt;
        found = true;
      }
    }
    if (!found) return invalid("response_format must be one of json, text, srt, verbose_json, vtt", "response_format");
  }
  for (const auto& field : req.form->fields) {
    if (field.name != "timestamp_granularities[]" && field.name != "timestamp_granularities") continue;
    if (field.value == "word") {
      r.words = true;
    } else if (field.value != "segment") {
      return invalid("timestamp_granularities must be 'word' or 'segment'", "timestamp_granularities");
    }
  }
  if (const auto* s = form_text(req, "stream"); s != nullptr && *s == "true") {
    return invalid("streamed transcriptions are not supported; leave stream false", "stream");
  }
  return r;
}

std::string timestamp(double seconds, char separator) {
  if (!(seconds >= 0)) seconds = 0;
  const auto ms = static_cast<long long>(std::llround(seconds * 1000));
  char buf[32];
  std::snprintf(buf, sizeof buf, "%02lld:%02lld:%02lld%c%03lld", ms / 3600000, (ms / 60000) % 60, (ms / 1000) % 60,
                separator, ms % 1000);
  return buf;
}

json::array words_json(const std::vector<engines::SpokenWord>& words) {
  json::array out;
  for (const auto& w : words) out.push_back(json::object{{"word", w.word}, {"start", w.start}, {"end", w.end}});
  return out;
}

Response render_transcript(const engines::Transcript& t, const TranscriptionRequest& r) {
  switch (r.format) {
    case TextFormat::Text: return Response::text(200, t.text + "\n");
    case TextFormat::Srt:
    case TextFormat::Vtt: {
      const bool srt = r.format == TextFormat::Srt;
      std::string out = srt ? "" : "WEBVTT\n\n";
      int n = 0;
      for (const auto& s : t.segments) {
        if (srt) out += std::to_string(++n) + "\n";
        out += timestamp(s.start, srt ? ',' : '.') + " --> " + timestamp(s.end, srt ? ',' : '.') + "\n" + s.text +
               "\n\n";
      }
      return Response::text(200, std::move(out),
                            srt ? "application/x-subrip; charset=utf-8" : "text/vtt; charset=utf-8");
    }
    case TextFormat::VerboseJson: {
      json::array segments;
      std::vector<engines::SpokenWord> all;
      int id = 0;
      for (const auto& s : t.segments) {
        json::object seg{{"id", id++}, {"start", s.start}, {"end", s.end}, {"text", s.text}};
        if (!s.words.empty()) seg["words"] = words_json(s.words);
        all.insert(all.end(), s.words.begin(), s.words.end());
        segments.push_back(std::move(seg));
      }
      json::object o{{"task", r.input.translate ? "translate" : "transcribe"},
                     {"language", engines::speech_language_name(t.language)},
                     {"duration", t.duration},
                     {"text", t.text},
                     {"segments", std::move(segments)}};
      if (t.has_words) o["words"] = words_json(all);
      o["usage"] = json::object{{"type", "duration"}, {"seconds", static_cast<int64_t>(std::ceil(t.duration))}};
      return Response::json(200, o);
    }
    case TextFormat::Json: break;
  }
  return Response::json(200, json::object{{"text", t.text},
                                          {"usage",
                                           json::object{{"type", "duration"},
                                                        {"seconds", static_cast<int64_t>(std::ceil(t.duration))}}}});
}

Response post_audio_text(const Context& ctx, Request& req, bool translate) {
  auto r = parse_transcription(req, translate);
  if (!r) return render_error(req, r.error());
  // One media action of the caller's plan, as a nexus voice job is; counted when it is done.
  const services::Principal& p = principal(req);
  if (auto st = ctx.quota->check(p, services::Metric::Media); !st) return render_error(req, st.error());
  auto t = ctx.speech->transcribe(r->input, {}, {});
  if (!t) return render_error(req, t.error());
  record_usage(ctx, p, services::Metric::Media);
  return render_transcript(*t, *r);
}

Response post_audio_transcriptions(const Context& ctx, Request& req) { return post_audio_text(ctx, req, false); }
Response post_audio_translations(const Context& ctx, Request& req) { return post_audio_text(ctx, req, true); }

core::Result<services::SpeakInput> parse_speech(const json::value& body, bool upstream) {
  core::ObjectReader r(body);
  services::SpeakInput in;
  std::string format = "mp3";
  std::optional<double> speed;
  std::optional<std::string> language;
  std::optional<std::string> instructions;
  std::optional<std::string> stream_format;
  r.required("model", in.model).required("input", in.text).required("voice", in.voice);
  r.optional("response_format", format).optional("speed", speed).optional("language", language);
  r.optional("instructions", instructions).optional("stream_format", stream_format);
  if (!r.ok()) return r.error();
  if (in.model.empty()) return invalid("model must not be empty", "model");
  if (auto st = engines::check_speech_text(in.text, "input", kMaxSpeechInput); !st) return st.error();
  auto f = engines::parse_audio_format(format);
  if (!f || *f == engines::AudioFormat::Ogg) {
    return invalid("response_format must be one of mp3, opus, aac, flac, wav, pcm", "response_format");
  }
  in.format = *f;
  if (speed) {
    if (!std::isfinite(*speed) || *speed < 0.25 || *speed > 4.0)
      return invalid("speed must be from 0.25 to 4.0", "speed");
    in.speed = *speed;
  }
  if (stream_format && *stream_format != "audio") {
    return invalid("stream_format must be 'audio' (server-sent events are not offered)", "stream_format");
  }
  if (language) {
    if (!engines::is_speech_language(*language)) {
      return invalid("language must be one of en es fr de it pt ru ja ko zh ar hi ur th", "language");
    }
    in.language = *language;
  }
  if (in.voice.empty()) return invalid("voice must not be empty", "voice");
  if (!upstream) {
    // The built-in voice is the language's; a seed language code is accepted as a voice too.
    const bool openai_voice = std::find(kOpenAiVoices.begin(), kOpenAiVoices.end(), in.voice) != kOpenAiVoices.end();
    if (engines::is_speech_language(in.voice)) {
      if (!language) in.language = in.voice;
    } else if (!openai_voice) {
      return invalid(
          "voice must be one of alloy, ash, ballad, coral, echo, fable, onyx, nova, sage, shimmer, verse, "
          "marin, cedar, or a language code (en es fr de it pt ru ja ko zh ar hi ur th)",
          "voice");
    }
  }
  return in;
}

Response post_audio_speech(const Context& ctx, Request& req) {
  auto body = json_body(req, *ctx.config);
  if (!body) return render_error(req, body.error());
  auto in = parse_speech(*body, ctx.speech->has_tts_upstream());
  if (!in) return render_error(req, in.error());
  const services::Principal& p = principal(req);
  if (auto st = ctx.quota->check(p, services::Metric::Media); !st) return render_error(req, st.error());
  const std::string mime(engines::audio_mime_type(in->format));
  services::SpeechService* speech = ctx.speech;
  std::string request_id = req.request_id;
  return Response::byte_stream(mime, [ctx, p, speech, input = std::move(*in), request_id](http::SseSink& sink) {
    bool sent = false;
    auto on_bytes = [&](std::string_view bytes) {
      sent = true;
      return sink.send_bytes(bytes);
    };
    auto st = speech->speak(input, on_bytes, {}, [&sink] { return sink.cancelled(); });
    if (st) {
      record_usage(ctx, p, services::Metric::Media);
      return;
    }
    if (!sent && sink.reject(render_error(Request(), st.error()))) return;
    if (st.error().message != "cancelled") {
      // Too late for an error response: the audio is cut short, and the log says why.
      core::log::warn("speech stream failed", {{"request_id", request_id}, {"error", st.error().message}});
    }
  });
}

}  // namespace

void register_audio_routes(http::Router& router, const Context& ctx) {
  const http::ErrorRenderer* errors = &error_renderer();
  router.add(
      Method::Post, "/v1/audio/transcriptions", [ctx](Request& req) { return post_audio_transcriptions(ctx, req); },
      {.multipart = true}, errors);
  router.add(
      Method::Post, "/v1/audio/translations", [ctx](Request& req) { return post_audio_translations(ctx, req); },
      {.multipart = true}, errors);
  router.add(
      Method::Post, "/v1/audio/speech", [ctx](Request& req) { return post_audio_speech(ctx, req); }, {}, errors);
}

}  // namespace docent::api::native
