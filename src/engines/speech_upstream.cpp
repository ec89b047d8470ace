#include "engines/speech_upstream.h"

#include "core/json.h"
#include "engines/outbound_url.h"

#include <boost/json.hpp>
#include <curl/curl.h>

#include <sys/socket.h>

#include <algorithm>
#include <chrono>
#include <memory>

namespace docent::engines {

namespace {

namespace json = boost::json;
using core::Code;
using core::Error;

constexpr size_t kMaxErrorBody = 64 * 1024;
constexpr size_t kMaxTranscriptBody = 16u << 20;

void global_init() {
  static const bool once = [] {
    curl_global_init(CURL_GLOBAL_DEFAULT);
    return true;
  }();
  (void)once;
}

struct Transfer {
  bool allow_private = true;
  bool refused = false;
  const StopCheck* stop = nullptr;
  const std::function<bool(std::string_view)>* on_bytes = nullptr;  // streamed bodies
  CURL* easy = nullptr;
  long status = 0;
  std::string body;  // a non-streamed body, or an error body
  size_t limit = kMaxTranscriptBody;
  bool consumer_stopped = false;
  bool too_large = false;
};

curl_socket_t on_open_socket(void* data, curlsocktype, curl_sockaddr* address) {
  auto* t = static_cast<Transfer*>(data);
  if (!t->allow_private && is_private_address(&address->addr)) {
    t->refused = true;
    return CURL_SOCKET_BAD;
  }
  return ::socket(address->family, address->socktype, address->protocol);
}

size_t on_write(char* ptr, size_t size, size_t nmemb, void* data) {
  auto* t = static_cast<Transfer*>(data);
  const size_t n = size * nmemb;
  if (t->status == 0) curl_easy_getinfo(t->easy, CURLINFO_RESPONSE_CODE, &t->status);
  const bool ok = t->status >= 200 && t->status < 300;
  if (ok && t->on_bytes != nullptr) {
    if (!(*t->on_bytes)(std::string_view(ptr, n))) {
      t->consumer_stopped = true;
      return 0;
    }
    return n;
  }
  const size_t limit = ok ? t->limit : kMaxErrorBody;
  if (t->body.size() + n > limit) {
    if (ok) {
      t->too_large = true;
      return 0;
    }
    t->body.append(ptr, limit - t->body.size());
    return n;
  }
  t->body.append(ptr, n);
  return n;
}

int on_progress(void* data, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
  auto* t = static_cast<Transfer*>(data);
  return (t->stop != nullptr && *t->stop && (*t->stop)()) ? 1 : 0;
}

std::string join_url(const std::string& base, std::string_view path) {
  std::string url = base;
  while (!url.empty() && url.back() == '/') url.pop_back();
  return url + std::string(path);
}

// The message of an OpenAI-shaped error body, or the start of whatever came.
std::string upstream_message(const std::string& body) {
  if (auto v = core::parse_json(body, 16); v && v->is_object()) {
    const auto& o = v->get_object();
    if (const auto* e = o.if_contains("error")) {
      if (e->is_object()) {
        if (const auto* m = e->get_object().if_contains("message"); m && m->is_string())
          return std::string(m->get_string());
      } else if (e->is_string()) {
        return std::string(e->get_string());
      }
    }
    if (const auto* d = o.if_contains("detail"); d && d->is_string()) return std::string(d->get_string());
  }
  return body.substr(0, 300);
}

// Sets what every call shares and runs it; the Transfer holds the outcome.
core::Status perform(const SpeechUpstreamOptions& o, CURL* easy, Transfer& t, curl_slist* headers) {
  char errbuf[CURL_ERROR_SIZE] = {};
  t.easy = easy;
  curl_easy_setopt(easy, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(easy, CURLOPT_CONNECTTIMEOUT, static_cast<long>(o.connect_timeout.count()));
  // No total timeout (a long synthesis streams for a while): a transfer slower than 1 byte/s for
  // read_timeout is abandoned instead.
  curl_easy_setopt(easy, CURLOPT_LOW_SPEED_LIMIT, 1L);
  curl_easy_setopt(easy, CURLOPT_LOW_SPEED_TIME, static_cast<long>(o.read_timeout.count()));
  curl_easy_setopt(easy, CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(easy, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(easy, CURLOPT_ERRORBUFFER, errbuf);
  curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, on_write);
  curl_easy_setopt(easy, CURLOPT_WRITEDATA, &t);
  curl_easy_setopt(easy, CURLOPT_OPENSOCKETFUNCTION, on_open_socket);
  curl_easy_setopt(easy, CURLOPT_OPENSOCKETDATA, &t);
  curl_easy_setopt(easy, CURLOPT_XFERINFOFUNCTION, on_progress);
  curl_easy_setopt(easy, CURLOPT_XFERINFODATA, &t);
  curl_easy_setopt(easy, CURLOPT_NOPROGRESS, 0L);
  const CURLcode code = curl_easy_perform(easy);
  if (t.status == 0) curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &t.status);
  if (code == CURLE_ABORTED_BY_CALLBACK || t.consumer_stopped) return Error(Code::ProcessingError, "cancelled");
  if (t.too_large) return Error(Code::UpstreamError, "the speech upstream (" + o.setting + ") answered too much");
  if (code != CURLE_OK) {
    if (t.refused) {
      return Error(Code::UpstreamError, "the speech upstream (" + o.setting +
                                            ") resolves to a private address and private upstreams are refused");
    }
    const std::string why = errbuf[0] != 0 ? errbuf : curl_easy_strerror(code);
    return Error(Code::UpstreamError, "the speech upstream (" + o.setting + ") could not be reached: " + why);
  }
  if (t.status == 404) {
    return Error(Code::ServiceUnavailable, "the speech upstream (" + o.setting + ") does not offer this route");
  }
  if (t.status < 200 || t.status >= 300) {
    return Error(Code::UpstreamError, "the speech upstream (" + o.setting + ") answered " + std::to_string(t.status) +
                                          ": " + upstream_message(t.body));
  }
  return {};
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
  global_init();
  std::unique_ptr<CURL, decltype(&curl_easy_cleanup)> easy(curl_easy_init(), &curl_easy_cleanup);
  if (!easy) return Error(Code::Internal, "cannot start an HTTP transfer");
  std::unique_ptr<curl_mime, decltype(&curl_mime_free)> mime(curl_mime_init(easy.get()), &curl_mime_free);
  auto add_field = [&](const char* name, const std::string& value) {
    curl_mimepart* part = curl_mime_addpart(mime.get());
    curl_mime_name(part, name);
    curl_mime_data(part, value.c_str(), CURL_ZERO_TERMINATED);
  };
  curl_mimepart* part = curl_mime_addpart(mime.get());
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

  curl_slist* headers = nullptr;
  headers = curl_slist_append(headers, "Expect:");
  if (!options.api_key.empty())
    headers = curl_slist_append(headers, ("Authorization: Bearer " + options.api_key).c_str());
  std::unique_ptr<curl_slist, decltype(&curl_slist_free_all)> header_list(headers, &curl_slist_free_all);
  const std::string url = join_url(options.base_url,
                                   request.translate ? "/audio/translations" : "/audio/transcriptions");
  curl_easy_setopt(easy.get(), CURLOPT_URL, url.c_str());
  curl_easy_setopt(easy.get(), CURLOPT_MIMEPOST, mime.get());
  Transfer t;
  t.allow_private = options.allow_private;
  t.stop = &stop;
  if (auto st = perform(options, easy.get(), t, headers); !st) {
    core::Error e = st.error();
    if (e.code == Code::ServiceUnavailable && request.translate) {
      e.message = "the speech upstream (" + options.setting + ") does not offer translations";
    }
    return e;
  }
  return parse_transcript(t.body, model, request.translate ? std::string("en") : request.language);
}

core::Status upstream_speech(const SpeechUpstreamOptions& options, const UpstreamSpeech& request,
                             const std::function<bool(std::string_view)>& on_bytes, const StopCheck& stop) {
  global_init();
  std::unique_ptr<CURL, decltype(&curl_easy_cleanup)> easy(curl_easy_init(), &curl_easy_cleanup);
  if (!easy) return Error(Code::Internal, "cannot start an HTTP transfer");
  json::object body{{"input", request.input}};
  const std::string model = request.model.empty() ? options.model : request.model;
  if (!model.empty()) body["model"] = model;
  if (!request.voice.empty()) body["voice"] = request.voice;
  if (!request.response_format.empty()) body["response_format"] = request.response_format;
  if (request.speed) body["speed"] = *request.speed;
  const std::string payload = json::serialize(body);
  curl_slist* headers = nullptr;
  headers = curl_slist_append(headers, "Content-Type: application/json");
  headers = curl_slist_append(headers, "Expect:");
  if (!options.api_key.empty())
    headers = curl_slist_append(headers, ("Authorization: Bearer " + options.api_key).c_str());
  std::unique_ptr<curl_slist, decltype(&curl_slist_free_all)> header_list(headers, &curl_slist_free_all);
  const std::string url = join_url(options.base_url, "/audio/speech");
  curl_easy_setopt(easy.get(), CURLOPT_URL, url.c_str());
  curl_easy_setopt(easy.get(), CURLOPT_POST, 1L);
  curl_easy_setopt(easy.get(), CURLOPT_POSTFIELDS, payload.c_str());
  curl_easy_setopt(easy.get(), CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(payload.size()));
  Transfer t;
  t.allow_private = options.allow_private;
  t.stop = &stop;
  t.on_bytes = &on_bytes;
  return perform(options, easy.get(), t, headers);
}

}  // namespace docent::engines
