#include "engines/speech_upstream.h"

#include "core/json.h"
#include "engines/upstream_http.h"

#include <boost/json.hpp>
#include <curl/curl.h>

#include <algorithm>
#include <chrono>
#include <memory>

namespace docent::engines {

namespace {

namespace json = boost::json;
using core::Code;
using core::Error;

constexpr size_t kMaxTranscriptBody = 16u << 20;

UpstreamHttpOptions http_options(const SpeechUpstreamOptions& o) {
  UpstreamHttpOptions h;
  h.base_url = o.base_url;
  h.api_key = o.api_key;
  h.connect_timeout = o.connect_timeout;
  h.read_timeout = o.read_timeout;
  h.allow_private = o.allow_private;
  h.setting = o.setting;
  h.what = "speech upstream";
  h.max_body = kMaxTranscriptBody;
  return h;
}

double number(const json::value* v) {
  if (v == nullptr) return 0;
  if (v->is_double()) return v->get_double();
  if (v->is_int64()) return static_cast<double>(v->get_int64());
  if (v->is_uint64()) return static_cast<double>(v->get_uint64());
  return 0;
}

std::string text_of(const json::value* v) {
  return (v != nullptr && v->is_string()) ? std::string(v->get_string()) : std::string();
}

std::vector<SpokenWord> words_of(const json::value* v) {
  std::vector<SpokenWord> out;
  if (v == nullptr || !v->is_array()) return out;
  for (const auto& w : v->get_array()) {
    if (!w.is_object()) continue;
    const auto& o = w.get_object();
    SpokenWord sw;
    sw.word = text_of(o.if_contains("word"));
    sw.start = number(o.if_contains("start"));
    sw.end = number(o.if_contains("end"));
    sw.confidence = o.contains("probability") ? number(o.if_contains("probability")) : 1.0;
    const auto first = sw.word.find_first_not_of(' ');
    sw.word = first == std::string::npos ? std::string() : sw.word.substr(first);
    if (!sw.word.empty()) out.push_back(std::move(sw));
  }
  return out;
}

core::Result<Transcript> parse_transcript(const std::string& body, const std::string& model,
                                          const std::string& language) {
  Transcript t;
  t.engine = model.empty() ? "upstream" : model;
  t.language = language;
  auto v = core::parse_json(body, 32);
  if (!v || !v->is_object()) {
    // An upstream that answers text whatever it is asked.
    t.text = body;
    while (!t.text.empty() && (t.text.back() == '\n' || t.text.back() == ' ')) t.text.pop_back();
    return t;
  }
  const auto& o = v->get_object();
  if (!o.contains("text")) return Error(Code::UpstreamError, "the speech upstream's answer has no text");
  t.text = text_of(o.if_contains("text"));
  const auto first = t.text.find_first_not_of(' ');
  t.text = first == std::string::npos ? std::string() : t.text.substr(first);
  if (auto l = text_of(o.if_contains("language")); !l.empty()) t.language = l;
  t.duration = number(o.if_contains("duration"));
  const auto all_words = words_of(o.if_contains("words"));
  t.has_words = !all_words.empty();
  if (const auto* segs = o.if_contains("segments"); segs && segs->is_array()) {
    for (const auto& s : segs->get_array()) {
      if (!s.is_object()) continue;
      const auto& so = s.get_object();
      SpeechSegment seg;
      seg.start = number(so.if_contains("start"));
      seg.end = number(so.if_contains("end"));
      seg.text = text_of(so.if_contains("text"));
      const auto f = seg.text.find_first_not_of(' ');
      seg.text = f == std::string::npos ? std::string() : seg.text.substr(f);
      seg.words = words_of(so.if_contains("words"));
      if (seg.words.empty()) {
        for (const auto& w : all_words) {
          if (w.start >= seg.start && w.start < seg.end) seg.words.push_back(w);
        }
      }
      if (!seg.words.empty()) t.has_words = true;
      t.segments.push_back(std::move(seg));
    }
  }
  if (t.segments.empty() && !t.text.empty()) {
    SpeechSegment seg;
    seg.start = 0;
    seg.end = t.duration;
    seg.text = t.text;
    seg.words = all_words;
    t.segments.push_back(std::move(seg));
  }
  return t;
}

}  // namespace

core::Result<Transcript> upstream_transcribe(const SpeechUpstreamOptions& options, const std::filesystem::path& file,
                                             std::string_view filename, const UpstreamTranscription& request,
                                             const StopCheck& stop) {
  const UpstreamHttpOptions http = http_options(options);
  UpstreamCall call(http, "POST", request.translate ? "/audio/translations" : "/audio/transcriptions");
  curl_mime* mime = call.mime();
  if (mime == nullptr) return Error(Code::Internal, "cannot start an HTTP transfer");
  auto add_field = [&](const char* name, const std::string& value) {
    curl_mimepart* part = curl_mime_addpart(mime);
    curl_mime_name(part, name);
    curl_mime_data(part, value.c_str(), CURL_ZERO_TERMINATED);
  };
  curl_mimepart* part = curl_mime_addpart(mime);
  curl_mime_name(part, "file");
  curl_mime_filedata(part, file.c_str());
  const std::string name = filename.empty() ? std::string("audio") : std::string(filename);
  curl_mime_filename(part, name.c_str());
  const std::string model = request.model.empty() ? options.model : request.model;
  if (!model.empty()) add_field("model", model);
  if (!request.language.empty() && !request.translate) add_field("language", request.language);
  if (!request.prompt.empty()) add_field("prompt", request.prompt);
  if (request.temperature) add_field("temperature", std::to_string(*request.temperature));
  add_field("response_format", "verbose_json");
  add_field("timestamp_granularities[]", "segment");
  add_field("timestamp_granularities[]", "word");
  auto reply = call.run(stop);
  if (!reply) {
    core::Error e = reply.error();
    if (e.code == Code::ServiceUnavailable && request.translate) {
      e.message = "the speech upstream (" + options.setting + ") does not offer translations";
    }
    return e;
  }
  return parse_transcript(reply->body, model, request.translate ? std::string("en") : request.language);
}

core::Status upstream_speech(const SpeechUpstreamOptions& options, const UpstreamSpeech& request,
                             const std::function<bool(std::string_view)>& on_bytes, const StopCheck& stop) {
  json::object body{{"input", request.input}};
  const std::string model = request.model.empty() ? options.model : request.model;
  if (!model.empty()) body["model"] = model;
  if (!request.voice.empty()) body["voice"] = request.voice;
  if (!request.response_format.empty()) body["response_format"] = request.response_format;
  if (request.speed) body["speed"] = *request.speed;
  const UpstreamHttpOptions http = http_options(options);
  UpstreamCall call(http, "POST", "/audio/speech");
  call.json_body(json::serialize(body));
  auto reply = call.run(stop, &on_bytes);
  if (!reply) return reply.error();
  return {};
}

}  // namespace docent::engines
