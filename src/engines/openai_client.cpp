#include "engines/openai_client.h"

#include "engines/outbound_url.h"
#include "engines/sse_parser.h"

#include <curl/curl.h>

#include <boost/json.hpp>

#include <deque>
#include <mutex>
#include <thread>

namespace docent::engines {

namespace json = boost::json;
using Clock = std::chrono::steady_clock;

namespace {

constexpr size_t kMaxBody = 64 * 1024 * 1024;     // a non-streamed answer or model list
constexpr auto kPollInterval = std::chrono::milliseconds(100);

void global_init() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

core::Error upstream_error(std::string message) { return core::Error(core::Code::UpstreamError, std::move(message)); }

core::Error cancelled_error() { return core::Error(core::Code::ServiceUnavailable, "cancelled"); }

// The upstream's own message from an error body: OpenAI's {"error":{"message"}}, the
// {"error":"text"} or {"message":"text"} of other servers, else the start of the body.
std::string upstream_message(const std::string& body) {
  boost::system::error_code ec;
  json::value v = json::parse(body, ec);
  if (!ec && v.is_object()) {
    const auto& o = v.get_object();
    if (const auto* e = o.if_contains("error")) {
      if (e->is_string()) return std::string(e->get_string());
      if (e->is_object()) {
        if (const auto* m = e->get_object().if_contains("message"); m && m->is_string()) {
          return std::string(m->get_string());
        }
      }
    }
    if (const auto* m = o.if_contains("message"); m && m->is_string()) return std::string(m->get_string());
  }
  std::string s = body.substr(0, 300);
  for (char& c : s) {
    if (static_cast<unsigned char>(c) < 0x20) c = ' ';
  }
  return s.empty() ? "(empty body)" : s;
}

bool retryable(CURLcode code) {
  switch (code) {
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY:
    case CURLE_COULDNT_CONNECT:
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_GOT_NOTHING:
      return true;
    default:
      return false;
  }
}

// One HTTP exchange with the upstream, driven step by step through a curl multi handle so the
// caller can check for cancellation between steps. RAII over the curl handles.
class Transfer {
 public:
  Transfer(const OpenAiClientOptions& options, const std::string& path, const std::string* body, bool sse)
      : options_(options), url_(options.base_url), body_(body ? *body : std::string()), post_(body != nullptr),
        sse_(sse) {
    global_init();
    while (!url_.empty() && url_.back() == '/') url_.pop_back();
    url_ += path;
    easy_ = curl_easy_init();
    multi_ = curl_multi_init();
    if (!options_.api_key.empty()) headers_ = curl_slist_append(headers_, ("Authorization: Bearer " + options_.api_key).c_str());
    headers_ = curl_slist_append(headers_, "Content-Type: application/json");
    headers_ = curl_slist_append(headers_, sse ? "Accept: text/event-stream" : "Accept: application/json");
    headers_ = curl_slist_append(headers_, "Expect:");
    curl_easy_setopt(easy_, CURLOPT_URL, url_.c_str());
    curl_easy_setopt(easy_, CURLOPT_HTTPHEADER, headers_);
    curl_easy_setopt(easy_, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(easy_, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(easy_, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(easy_, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(options_.connect_timeout.count() * 1000));
    curl_easy_setopt(easy_, CURLOPT_ERRORBUFFER, errbuf_);
    curl_easy_setopt(easy_, CURLOPT_WRITEFUNCTION, &Transfer::on_write);
    curl_easy_setopt(easy_, CURLOPT_WRITEDATA, this);
    curl_easy_setopt(easy_, CURLOPT_HEADERFUNCTION, &Transfer::on_header);
    curl_easy_setopt(easy_, CURLOPT_HEADERDATA, this);
    curl_easy_setopt(easy_, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(easy_, CURLOPT_XFERINFOFUNCTION, &Transfer::on_progress);
    curl_easy_setopt(easy_, CURLOPT_XFERINFODATA, this);
    curl_easy_setopt(easy_, CURLOPT_OPENSOCKETFUNCTION, &Transfer::on_open_socket);
    curl_easy_setopt(easy_, CURLOPT_OPENSOCKETDATA, this);
    curl_easy_setopt(easy_, CURLOPT_USERAGENT, "docent/" DOCENT_VERSION);
    if (post_) {
      curl_easy_setopt(easy_, CURLOPT_POST, 1L);
      curl_easy_setopt(easy_, CURLOPT_POSTFIELDS, body_.c_str());
      curl_easy_setopt(easy_, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body_.size()));
    }
    start();
  }

  ~Transfer() {
    if (multi_ && easy_) curl_multi_remove_handle(multi_, easy_);
    if (easy_) curl_easy_cleanup(easy_);
    if (multi_) curl_multi_cleanup(multi_);
    curl_slist_free_all(headers_);
  }
  Transfer(const Transfer&) = delete;
  Transfer& operator=(const Transfer&) = delete;

  // Drives the transfer until it has new events (streams), finished, or failed. For a
  // streamed 200 response, events are moved into `events`; the finished body is in body().
  core::Status pump(const CancelCheck& cancel, std::vector<SseEvent>& events) {
    cancel_ = &cancel;
    struct Reset {
      const CancelCheck** p;
      ~Reset() { *p = nullptr; }
    } reset{&cancel_};
    while (!finished_) {
      if (cancel && cancel()) return cancelled_error();
      int running = 0;
      curl_multi_perform(multi_, &running);
      if (auto st = collect(); !st) return st;
      if (!events_.empty()) {
        for (auto& e : events_) events.push_back(std::move(e));
        events_.clear();
        return {};
      }
      if (finished_) break;
      if (Clock::now() - last_activity_ > options_.read_timeout) {
        return upstream_error("upstream " + options_.base_url + " sent nothing for " +
                              std::to_string(options_.read_timeout.count()) + "s (" + options_.read_timeout_setting +
                              ")");
      }
      curl_multi_poll(multi_, nullptr, 0, static_cast<int>(kPollInterval.count()), nullptr);
    }
    if (sse_ && status_ == 200) {
      parser_.finish(events);
    }
    return {};
  }

  bool finished() const { return finished_; }
  long status() const { return status_; }
  const std::string& body() const { return response_; }

  // For a finished transfer with status >= 400: the UpstreamError it maps to.
  core::Error http_error() const {
    core::Error e = upstream_error("upstream " + options_.base_url + " answered HTTP " + std::to_string(status_) +
                                   ": " + upstream_message(response_));
    e.details["upstream_status"] = status_;
    return e;
  }

 private:
  void start() {
    last_activity_ = Clock::now();
    received_ = 0;
    curl_multi_add_handle(multi_, easy_);
  }

  // Looks for the transfer's completion message; retries a connection failure when allowed.
  core::Status collect() {
    int left = 0;
    while (CURLMsg* msg = curl_multi_info_read(multi_, &left)) {
      if (msg->msg != CURLMSG_DONE) continue;
      CURLcode code = msg->data.result;
      if (code == CURLE_OK) {
        long s = 0;
        curl_easy_getinfo(easy_, CURLINFO_RESPONSE_CODE, &s);
        status_ = s;
        finished_ = true;
        return {};
      }
      if (failure_) {
        finished_ = true;
        return *failure_;
      }
      // A callback aborted the transfer because the caller cancelled (write or progress callback).
      if (cancel_ && *cancel_ && (*cancel_)()) {
        finished_ = true;
        return cancelled_error();
      }
      if (refused_private_) {
        finished_ = true;
        return upstream_error("upstream " + options_.base_url +
                              " resolves to a private or loopback address; set llm.allow_private=true to allow it");
      }
      if (retryable(code) && received_ == 0 && attempts_ < options_.retries) {
        ++attempts_;
        curl_multi_remove_handle(multi_, easy_);
        auto until = Clock::now() + std::chrono::milliseconds(200 * attempts_);
        while (Clock::now() < until) {
          if (cancel_ && *cancel_ && (*cancel_)()) return cancelled_error();
          std::this_thread::sleep_for(std::chrono::milliseconds(20));
        }
        start();
        return {};
      }
      finished_ = true;
      std::string detail = errbuf_[0] ? std::string(errbuf_) : std::string(curl_easy_strerror(code));
      if (code == CURLE_OPERATION_TIMEDOUT && received_ == 0) {
        detail = "could not connect within " + std::to_string(options_.connect_timeout.count()) + "s";
      }
      return upstream_error("upstream " + options_.base_url + " failed: " + detail);
    }
    return {};
  }

  static size_t on_header(char* data, size_t size, size_t n, void* self_ptr) {
    auto* self = static_cast<Transfer*>(self_ptr);
    self->received_ += size * n;
    self->last_activity_ = Clock::now();
    return size * n;
  }

  static size_t on_write(char* data, size_t size, size_t n, void* self_ptr) {
    auto* self = static_cast<Transfer*>(self_ptr);
    const size_t len = size * n;
    self->received_ += len;
    self->last_activity_ = Clock::now();
    if (self->cancel_ && *self->cancel_ && (*self->cancel_)()) return 0;  // aborts the transfer
    if (self->status_ == 0) {
      long s = 0;
      curl_easy_getinfo(self->easy_, CURLINFO_RESPONSE_CODE, &s);
      self->status_ = s;
    }
    if (self->sse_ && self->status_ == 200) {
      if (auto st = self->parser_.feed(std::string_view(data, len), self->events_); !st) {
        self->failure_ = st.error();
        return 0;
      }
      return len;
    }
    if (self->response_.size() + len > kMaxBody) {
      self->failure_ = upstream_error("upstream " + self->options_.base_url + " answer is larger than 64 MiB");
      return 0;
    }
    self->response_.append(data, len);
    return len;
  }

  static int on_progress(void* self_ptr, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
    auto* self = static_cast<Transfer*>(self_ptr);
    return (self->cancel_ && *self->cancel_ && (*self->cancel_)()) ? 1 : 0;
  }

  static curl_socket_t on_open_socket(void* self_ptr, curlsocktype, curl_sockaddr* address) {
    auto* self = static_cast<Transfer*>(self_ptr);
    if (!self->options_.allow_private && is_private_address(&address->addr)) {
      self->refused_private_ = true;
      return CURL_SOCKET_BAD;
    }
    return ::socket(address->family, address->socktype, address->protocol);
  }

  const OpenAiClientOptions options_;
  std::string url_;
  std::string body_;
  bool post_;
  bool sse_;
  CURL* easy_ = nullptr;
  CURLM* multi_ = nullptr;
  curl_slist* headers_ = nullptr;
  char errbuf_[CURL_ERROR_SIZE] = {};
  const CancelCheck* cancel_ = nullptr;  // set while pump() runs

  long status_ = 0;
  bool finished_ = false;
  bool refused_private_ = false;
  int attempts_ = 0;
  size_t received_ = 0;
  Clock::time_point last_activity_;
  std::string response_;
  SseParser parser_;
  std::vector<SseEvent> events_;
  std::optional<core::Error> failure_;
};

// Runs a transfer to its end and returns the parsed JSON object of a 2xx answer.
// `deadline` bounds the whole exchange (model lists: an upstream trickling bytes forever must not
// hold a request); generation is bounded by the read timeout only.
core::Result<json::object> exchange(const OpenAiClientOptions& options, const std::string& path, const std::string* body,
                                    const CancelCheck& cancel, std::optional<Clock::time_point> deadline = {}) {
  Transfer t(options, path, body, false);
  std::vector<SseEvent> unused;
  CancelCheck bounded = cancel;
  if (deadline) {
    bounded = [&cancel, d = *deadline] { return Clock::now() > d || (cancel && cancel()); };
  }
  while (!t.finished()) {
    if (auto st = t.pump(bounded, unused); !st) {
      if (deadline && Clock::now() > *deadline) {
        return upstream_error("upstream " + options.base_url + " did not finish " + path + " within " +
                              std::to_string(options.read_timeout.count()) + "s (" + options.read_timeout_setting + ")");
      }
      return st.error();
    }
  }
  if (t.status() >= 400 || t.status() < 200) return t.http_error();
  boost::system::error_code ec;
  json::value v = json::parse(t.body(), ec);
  if (ec || !v.is_object()) {
    return upstream_error("upstream " + options.base_url + " answered " + path + " with a body that is not a JSON object");
  }
  return std::move(v.get_object());
}

std::string first_choice_text(const json::object& o, const char* part, std::optional<std::string>& finish) {
  const auto* choices = o.if_contains("choices");
  if (!choices || !choices->is_array() || choices->get_array().empty()) return {};
  const auto& c0 = choices->get_array()[0];
  if (!c0.is_object()) return {};
  if (const auto* f = c0.get_object().if_contains("finish_reason"); f && f->is_string()) {
    finish = std::string(f->get_string());
  }
  const auto* m = c0.get_object().if_contains(part);
  if (!m || !m->is_object()) return {};
  const auto* content = m->get_object().if_contains("content");
  return content ? message_text(*content) : std::string();
}

class UpstreamStream : public ChatStream {
 public:
  UpstreamStream(const OpenAiClientOptions& options, std::string body)
      : body_(std::move(body)), transfer_(options, "/chat/completions", &body_, true), base_(options.base_url) {}

  core::Result<std::optional<ChatChunk>> next(const CancelCheck& cancel) override {
    while (true) {
      if (!pending_.empty()) {
        ChatChunk c = std::move(pending_.front());
        pending_.pop_front();
        return std::optional<ChatChunk>(std::move(c));
      }
      if (done_) return std::optional<ChatChunk>();
      if (transfer_.finished()) {
        if (transfer_.status() >= 400 || transfer_.status() < 200) return transfer_.http_error();
        return upstream_error("upstream " + base_ + " ended its event stream before [DONE]");
      }
      std::vector<SseEvent> events;
      if (auto st = transfer_.pump(cancel, events); !st) return st.error();
      for (auto& e : events) {
        if (done_) break;
        if (auto st = take(e); !st) return st.error();
      }
    }
  }

 private:
  core::Status take(const SseEvent& e) {
    if (e.data == "[DONE]") {
      done_ = true;
      return {};
    }
    boost::system::error_code ec;
    json::value v = json::parse(e.data, ec);
    if (ec || !v.is_object()) {
      return upstream_error("upstream " + base_ + " sent a malformed stream event (not a JSON object)");
    }
    json::object& o = v.get_object();
    if (o.contains("error")) {
      return upstream_error("upstream " + base_ + " failed mid-stream: " + upstream_message(json::serialize(o)));
    }
    ChatChunk c;
    c.content = first_choice_text(o, "delta", c.finish_reason);
    c.usage = parse_usage(o.if_contains("usage"));
    c.raw = std::move(o);
    pending_.push_back(std::move(c));
    return {};
  }

  std::string body_;
  Transfer transfer_;
  std::string base_;
  std::deque<ChatChunk> pending_;
  bool done_ = false;
};

json::object upstream_body(const ChatRequest& request, bool stream) {
  json::object body = request.body;
  body["model"] = request.model;
  body["stream"] = stream;
  if (!stream) body.erase("stream_options");
  return body;
}

}  // namespace

std::optional<Usage> parse_usage(const json::value* v) {
  if (!v || !v->is_object()) return std::nullopt;
  const auto& o = v->get_object();
  auto num = [&](const char* k) -> int64_t {
    const auto* x = o.if_contains(k);
    if (!x) return 0;
    if (x->is_int64()) return x->get_int64();
    if (x->is_uint64()) return static_cast<int64_t>(x->get_uint64());
    if (x->is_double()) return static_cast<int64_t>(x->get_double());
    return 0;
  };
  Usage u;
  u.prompt_tokens = num("prompt_tokens");
  u.completion_tokens = num("completion_tokens");
  u.total_tokens = num("total_tokens");
  if (u.total_tokens == 0) u.total_tokens = u.prompt_tokens + u.completion_tokens;
  return u;
}

OpenAiClient::OpenAiClient(OpenAiClientOptions options) : options_(std::move(options)) { global_init(); }

core::Result<std::vector<ModelInfo>> OpenAiClient::list_models(const CancelCheck& cancel) {
  auto o = exchange(options_, "/models", nullptr, cancel, Clock::now() + options_.read_timeout);
  if (!o) return o.error();
  const auto* data = o->if_contains("data");
  if (!data || !data->is_array()) return upstream_error("upstream " + options_.base_url + " /models has no data array");
  std::vector<ModelInfo> out;
  for (const auto& m : data->get_array()) {
    if (!m.is_object()) continue;
    const auto& mo = m.get_object();
    const auto* id = mo.if_contains("id");
    if (!id || !id->is_string()) continue;
    ModelInfo info;
    info.id = std::string(id->get_string());
    if (const auto* by = mo.if_contains("owned_by"); by && by->is_string()) info.owned_by = std::string(by->get_string());
    if (const auto* c = mo.if_contains("created"); c && c->is_int64()) info.created = c->get_int64();
    out.push_back(std::move(info));
  }
  return out;
}

core::Result<ChatResult> OpenAiClient::chat(const ChatRequest& request, const CancelCheck& cancel) {
  const std::string body = json::serialize(upstream_body(request, false));
  auto o = exchange(options_, "/chat/completions", &body, cancel);
  if (!o) return o.error();
  ChatResult r;
  std::optional<std::string> finish;
  r.content = first_choice_text(*o, "message", finish);
  if (finish) r.finish_reason = *finish;
  if (auto u = parse_usage(o->if_contains("usage"))) r.usage = *u;
  r.raw = std::move(*o);
  return r;
}

core::Result<std::unique_ptr<ChatStream>> OpenAiClient::stream(const ChatRequest& request, const CancelCheck& cancel) {
  auto s = std::make_unique<UpstreamStream>(options_, json::serialize(upstream_body(request, true)));
  // Wait for the first chunk so that a failing upstream is reported before the caller commits to
  // a 200 event stream; the chunk stays queued for the caller.
  auto first = s->next(cancel);
  if (!first) return first.error();
  struct Replay : ChatStream {
    std::unique_ptr<ChatStream> inner;
    std::optional<std::optional<ChatChunk>> head;
    core::Result<std::optional<ChatChunk>> next(const CancelCheck& c) override {
      if (head) {
        auto h = std::move(*head);
        head.reset();
        return h;
      }
      return inner->next(c);
    }
  };
  auto r = std::make_unique<Replay>();
  r->inner = std::move(s);
  r->head = std::move(*first);
  return std::unique_ptr<ChatStream>(std::move(r));
}

core::Result<EmbeddingResult> OpenAiClient::embed(const std::string& model, const std::vector<std::string>& inputs,
                                                  const CancelCheck& cancel) {
  json::array input;
  for (const auto& s : inputs) input.emplace_back(s);
  json::object req{{"model", model}, {"input", std::move(input)}, {"encoding_format", "float"}};
  const std::string body = json::serialize(req);
  auto o = exchange(options_, "/embeddings", &body, cancel);
  if (!o) return o.error();
  const auto* data = o->if_contains("data");
  if (!data || !data->is_array() || data->get_array().size() != inputs.size()) {
    return upstream_error("upstream " + options_.base_url + " /embeddings answered without one vector per input");
  }
  EmbeddingResult r;
  r.vectors.resize(inputs.size());
  size_t pos = 0;
  for (const auto& item : data->get_array()) {
    size_t index = pos++;
    if (!item.is_object()) return upstream_error("upstream /embeddings data item is not an object");
    const auto& io = item.get_object();
    if (const auto* ix = io.if_contains("index"); ix && ix->is_int64()) index = static_cast<size_t>(ix->get_int64());
    const auto* emb = io.if_contains("embedding");
    if (index >= inputs.size() || !emb || !emb->is_array()) {
      return upstream_error("upstream /embeddings data item has no float embedding");
    }
    auto& vec = r.vectors[index];
    for (const auto& x : emb->get_array()) {
      if (!x.is_number()) return upstream_error("upstream /embeddings embedding holds a non-number");
      vec.push_back(static_cast<float>(x.to_number<double>()));
    }
  }
  r.model = model;
  if (const auto* m = o->if_contains("model"); m && m->is_string()) r.model = std::string(m->get_string());
  if (auto u = parse_usage(o->if_contains("usage"))) r.usage = *u;
  return r;
}

// ---- llm.h helpers ----

core::Status stream_chat(LlmProvider& provider, const ChatRequest& request, const CancelCheck& cancel,
                         const std::function<bool(const ChatChunk&)>& on_chunk) {
  auto s = provider.stream(request, cancel);
  if (!s) return s.error();
  while (true) {
    auto c = (*s)->next(cancel);
    if (!c) return c.error();
    if (!*c) return {};
    if (!on_chunk(**c)) return {};
  }
}

std::string message_text(const json::value& content) {
  if (content.is_string()) return std::string(content.get_string());
  std::string out;
  if (content.is_array()) {
    for (const auto& part : content.get_array()) {
      if (!part.is_object()) continue;
      const auto* t = part.get_object().if_contains("text");
      if (t && t->is_string()) {
        if (!out.empty()) out.push_back('\n');
        out.append(t->get_string());
      }
    }
  }
  return out;
}

}  // namespace docent::engines
