#include "engines/openai_client.h"

#include "core/thread_annotations.h"
#include "engines/curl_reactor.h"
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

constexpr size_t kMaxBody = 64 * 1024 * 1024;  // a non-streamed answer or model list
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

bool retryable_code(CURLcode code) {
  switch (code) {
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY:
    case CURLE_COULDNT_CONNECT:
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_GOT_NOTHING: return true;
    default: return false;
  }
}

// The curl easy handle of one request to the upstream, set up the same way for every kind of
// transfer; the owner supplies the write callback and receives the headers' bytes count.
class EasyRequest {
 public:
  EasyRequest(const OpenAiClientOptions& options, const std::string& path, const std::string* body, bool sse)
      : options(options), url_(options.base_url), body_(body ? *body : std::string()) {
    global_init();
    while (!url_.empty() && url_.back() == '/') url_.pop_back();
    url_ += path;
    easy = curl_easy_init();
    if (!options.api_key.empty())
      headers_ = curl_slist_append(headers_, ("Authorization: Bearer " + options.api_key).c_str());
    headers_ = curl_slist_append(headers_, "Content-Type: application/json");
    headers_ = curl_slist_append(headers_, sse ? "Accept: text/event-stream" : "Accept: application/json");
    headers_ = curl_slist_append(headers_, "Expect:");
    curl_easy_setopt(easy, CURLOPT_URL, url_.c_str());
    curl_easy_setopt(easy, CURLOPT_HTTPHEADER, headers_);
    curl_easy_setopt(easy, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(easy, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(easy, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(options.connect_timeout.count() * 1000));
    curl_easy_setopt(easy, CURLOPT_ERRORBUFFER, errbuf_);
    curl_easy_setopt(easy, CURLOPT_OPENSOCKETFUNCTION, &EasyRequest::on_open_socket);
    curl_easy_setopt(easy, CURLOPT_OPENSOCKETDATA, this);
    curl_easy_setopt(easy, CURLOPT_USERAGENT, "docent/" DOCENT_VERSION);
    if (sse) curl_easy_setopt(easy, CURLOPT_BUFFERSIZE, 8192L);  // events are small; thousands of streams share memory
    if (body) {
      curl_easy_setopt(easy, CURLOPT_POST, 1L);
      curl_easy_setopt(easy, CURLOPT_POSTFIELDS, body_.c_str());
      curl_easy_setopt(easy, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body_.size()));
    }
  }
  ~EasyRequest() {
    if (easy) curl_easy_cleanup(easy);
    curl_slist_free_all(headers_);
  }
  EasyRequest(const EasyRequest&) = delete;
  EasyRequest& operator=(const EasyRequest&) = delete;

  // The UpstreamError for a transfer that ended with `code` (not CURLE_OK) after `received`
  // bytes, when no callback of ours caused it.
  core::Error failure(CURLcode code, size_t received) const {
    if (refused_private_) {
      return upstream_error("upstream " + options.base_url +
                            " resolves to a private or loopback address; set llm.allow_private=true to allow it");
    }
    std::string detail = errbuf_[0] ? std::string(errbuf_) : std::string(curl_easy_strerror(code));
    if (code == CURLE_OPERATION_TIMEDOUT && received == 0) {
      detail = "could not connect within " + std::to_string(options.connect_timeout.count()) + "s";
    }
    return upstream_error("upstream " + options.base_url + " failed: " + detail);
  }
  bool retryable(CURLcode code, size_t received, int attempts) const {
    return !refused_private_ && retryable_code(code) && received == 0 && attempts < options.retries;
  }
  // Clears what an attempt left behind, before a retry.
  void reset() { errbuf_[0] = '\0'; }

  const OpenAiClientOptions options;
  CURL* easy = nullptr;

 private:
  static curl_socket_t on_open_socket(void* self_ptr, curlsocktype, curl_sockaddr* address) {
    auto* self = static_cast<EasyRequest*>(self_ptr);
    if (!self->options.allow_private && is_private_address(&address->addr)) {
      self->refused_private_ = true;
      return CURL_SOCKET_BAD;
    }
    return ::socket(address->family, address->socktype, address->protocol);
  }

  std::string url_;
  std::string body_;
  curl_slist* headers_ = nullptr;
  char errbuf_[CURL_ERROR_SIZE] = {};
  bool refused_private_ = false;
};

// The UpstreamError for a finished exchange that answered `status` (not 2xx) with `body`.
core::Error http_error(const OpenAiClientOptions& options, long status, const std::string& body) {
  core::Error e = upstream_error("upstream " + options.base_url + " answered HTTP " + std::to_string(status) + ": " +
                                 upstream_message(body));
  e.details["upstream_status"] = status;
  return e;
}

// One whole (not streamed) HTTP exchange with the upstream, driven step by step through a curl
// multi handle of its own so that the calling thread can check for cancellation between steps.
class Transfer {
 public:
  Transfer(const OpenAiClientOptions& options, const std::string& path, const std::string* body)
      : request_(options, path, body, false), multi_(curl_multi_init()) {
    curl_easy_setopt(request_.easy, CURLOPT_WRITEFUNCTION, &Transfer::on_write);
    curl_easy_setopt(request_.easy, CURLOPT_WRITEDATA, this);
    curl_easy_setopt(request_.easy, CURLOPT_HEADERFUNCTION, &Transfer::on_header);
    curl_easy_setopt(request_.easy, CURLOPT_HEADERDATA, this);
    curl_easy_setopt(request_.easy, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(request_.easy, CURLOPT_XFERINFOFUNCTION, &Transfer::on_progress);
    curl_easy_setopt(request_.easy, CURLOPT_XFERINFODATA, this);
    start();
  }
  ~Transfer() {
    curl_multi_remove_handle(multi_, request_.easy);
    curl_multi_cleanup(multi_);
  }
  Transfer(const Transfer&) = delete;
  Transfer& operator=(const Transfer&) = delete;

  // Drives the transfer until it finished or failed.
  core::Status run(const CancelCheck& cancel) {
    cancel_ = &cancel;
    struct Reset {
      const CancelCheck** p;
      ~Reset() { *p = nullptr; }
    } reset{&cancel_};
    const auto& options = request_.options;
    while (!finished_) {
      if (cancel && cancel()) return cancelled_error();
      int running = 0;
      curl_multi_perform(multi_, &running);
      if (auto st = collect(); !st) return st;
      if (finished_) break;
      if (Clock::now() - last_activity_ > options.read_timeout) {
        return upstream_error("upstream " + options.base_url + " sent nothing for " +
                              std::to_string(options.read_timeout.count()) + "s (" + options.read_timeout_setting +
                              ")");
      }
      curl_multi_poll(multi_, nullptr, 0, static_cast<int>(kPollInterval.count()), nullptr);
    }
    return {};
  }

  long status() const { return status_; }
  const std::string& body() const { return response_; }

 private:
  void start() {
    last_activity_ = Clock::now();
    received_ = 0;
    curl_multi_add_handle(multi_, request_.easy);
  }

  // Looks for the transfer's completion message; retries a connection failure when allowed.
  core::Status collect() {
    int left = 0;
    while (CURLMsg* msg = curl_multi_info_read(multi_, &left)) {
      if (msg->msg != CURLMSG_DONE) continue;
      const CURLcode code = msg->data.result;
      if (code == CURLE_OK) {
        curl_easy_getinfo(request_.easy, CURLINFO_RESPONSE_CODE, &status_);
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
      if (request_.retryable(code, received_, attempts_)) {
        ++attempts_;
        curl_multi_remove_handle(multi_, request_.easy);
        request_.reset();
        auto until = Clock::now() + std::chrono::milliseconds(200 * attempts_);
        while (Clock::now() < until) {
          if (cancel_ && *cancel_ && (*cancel_)()) return cancelled_error();
          std::this_thread::sleep_for(std::chrono::milliseconds(20));
        }
        start();
        return {};
      }
      finished_ = true;
      return request_.failure(code, received_);
    }
    return {};
  }

  static size_t on_header(char*, size_t size, size_t n, void* self_ptr) {
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
    if (self->response_.size() + len > kMaxBody) {
      self->failure_ = upstream_error("upstream " + self->request_.options.base_url + " answer is larger than 64 MiB");
      return 0;
    }
    self->response_.append(data, len);
    return len;
  }

  static int on_progress(void* self_ptr, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
    auto* self = static_cast<Transfer*>(self_ptr);
    return (self->cancel_ && *self->cancel_ && (*self->cancel_)()) ? 1 : 0;
  }

  EasyRequest request_;
  CURLM* multi_ = nullptr;
  const CancelCheck* cancel_ = nullptr;  // set while run() runs

  long status_ = 0;
  bool finished_ = false;
  int attempts_ = 0;
  size_t received_ = 0;
  Clock::time_point last_activity_;
  std::string response_;
  std::optional<core::Error> failure_;
};

// Runs a transfer to its end and returns the parsed JSON object of a 2xx answer.
// `deadline` bounds the whole exchange (model lists: an upstream trickling bytes forever must not
// hold a request); generation is bounded by the read timeout only.
core::Result<json::object> exchange(const OpenAiClientOptions& options, const std::string& path,
                                    const std::string* body, const CancelCheck& cancel,
                                    std::optional<Clock::time_point> deadline = {}) {
  Transfer t(options, path, body);
  CancelCheck bounded = cancel;
  if (deadline) {
    bounded = [&cancel, d = *deadline] { return Clock::now() > d || (cancel && cancel()); };
  }
  if (auto st = t.run(bounded); !st) {
    if (deadline && Clock::now() > *deadline) {
      return upstream_error("upstream " + options.base_url + " did not finish " + path + " within " +
                            std::to_string(options.read_timeout.count()) + "s (" + options.read_timeout_setting + ")");
    }
    return st.error();
  }
  if (t.status() >= 400 || t.status() < 200) return http_error(options, t.status(), t.body());
  boost::system::error_code ec;
  json::value v = json::parse(t.body(), ec);
  if (ec || !v.is_object()) {
    return upstream_error("upstream " + options.base_url + " answered " + path +
                          " with a body that is not a JSON object");
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

// A streamed chat completion on the shared CurlReactor. Everything below runs on the reactor
// thread except the constructor, cancel() and resume(), which post to it. The reactor holds the
// stream while its transfer runs; the caller holds it through ChatStreamControl.
class AsyncStream final : public ChatStreamControl, public std::enable_shared_from_this<AsyncStream> {
 public:
  AsyncStream(const OpenAiClientOptions& options, const std::string& body, StreamCallbacks callbacks)
      : reactor_(CurlReactor::shared()),
        request_(options, "/chat/completions", &body, true),
        callbacks_(std::move(callbacks)) {
    curl_easy_setopt(request_.easy, CURLOPT_WRITEFUNCTION, &AsyncStream::on_write);
    curl_easy_setopt(request_.easy, CURLOPT_WRITEDATA, this);
    curl_easy_setopt(request_.easy, CURLOPT_HEADERFUNCTION, &AsyncStream::on_header);
    curl_easy_setopt(request_.easy, CURLOPT_HEADERDATA, this);
  }

  void start() {
    reactor_.post([self = shared_from_this()] { self->begin(); });
  }
  void cancel() override {
    reactor_.post([self = shared_from_this()] { self->end(cancelled_error()); });
  }
  void resume() override {
    reactor_.post([self = shared_from_this()] {
      if (!self->paused_ || self->ended_) return;
      self->paused_ = false;
      self->last_activity_ = Clock::now();  // the wait was the client's, not the upstream's
      self->deliver();                      // what was parsed before the pause goes first
      if (self->paused_ || self->ended_) return;
      if (self->transfer_done_) return self->end_of_transfer();
      self->reactor_.unpause(self->request_.easy);
    });
  }

 private:
  const OpenAiClientOptions& options() const { return request_.options; }

  void begin() {
    if (ended_) return;
    last_activity_ = Clock::now();
    reactor_.add(request_.easy, [self = shared_from_this()](CURLcode code) { self->finished(code); });
    if (!watching_) watch(options().read_timeout);
  }

  // The read timeout: one timer a period, not one reset per chunk.
  void watch(Clock::duration in) {
    watching_ = true;
    std::weak_ptr<AsyncStream> weak = shared_from_this();
    reactor_.after(std::chrono::ceil<std::chrono::milliseconds>(in), [weak] {
      auto self = weak.lock();
      if (!self || self->ended_) return;
      const auto quiet = Clock::now() - self->last_activity_;
      if (self->paused_ || quiet < self->options().read_timeout) {
        self->watch(self->paused_ ? self->options().read_timeout : self->options().read_timeout - quiet);
        return;
      }
      self->end(upstream_error("upstream " + self->options().base_url + " sent nothing for " +
                               std::to_string(self->options().read_timeout.count()) + "s (" +
                               self->options().read_timeout_setting + ")"));
    });
  }

  void finished(CURLcode code) {
    if (ended_) return;
    if (code == CURLE_OK) {
      curl_easy_getinfo(request_.easy, CURLINFO_RESPONSE_CODE, &status_);
      if (status_ != 200) {
        if (status_ >= 400 || status_ < 200) return end(http_error(options(), status_, error_body_));
        return end(upstream_error("upstream " + options().base_url + " answered HTTP " + std::to_string(status_) +
                                  " without an event stream"));
      }
      parser_.finish(events_);
      transfer_done_ = true;
      deliver();
      if (!paused_) end_of_transfer();
      return;
    }
    if (failure_) return end(*failure_);
    if (request_.retryable(code, received_, attempts_)) {
      ++attempts_;
      request_.reset();
      reactor_.after(std::chrono::milliseconds(200 * attempts_), [self = shared_from_this()] { self->begin(); });
      return;
    }
    end(request_.failure(code, received_));
  }

  // The whole event stream was received and delivered without a [DONE].
  void end_of_transfer() {
    end(upstream_error("upstream " + options().base_url + " ended its event stream before [DONE]"));
  }

  // Hands the parsed events on, in order, until the stream ends or the receiver pauses it (the
  // rest then wait in events_ for resume()).
  void deliver() {
    size_t i = 0;
    for (; i < events_.size() && !ended_ && !paused_; ++i) {
      const SseEvent& e = events_[i];
      if (e.data == "[DONE]") {
        end({});
        break;
      }
      boost::system::error_code ec;
      json::value v = json::parse(e.data, ec);
      if (ec || !v.is_object()) {
        end(upstream_error("upstream " + options().base_url + " sent a malformed stream event (not a JSON object)"));
        break;
      }
      json::object& o = v.get_object();
      if (o.contains("error")) {
        end(upstream_error("upstream " + options().base_url +
                           " failed mid-stream: " + upstream_message(json::serialize(o))));
        break;
      }
      ChatChunk c;
      c.content = first_choice_text(o, "delta", c.finish_reason);
      c.usage = parse_usage(o.if_contains("usage"));
      c.raw = std::move(o);
      switch (callbacks_.on_chunk(std::move(c))) {
        case Flow::Continue: break;
        case Flow::Pause: paused_ = true; break;
        case Flow::Stop: end(cancelled_error()); break;
      }
    }
    if (ended_) {
      events_.clear();
    } else {
      events_.erase(events_.begin(), events_.begin() + static_cast<std::ptrdiff_t>(i));
    }
  }

  // Ends the stream once: the transfer is stopped (posted: this may run inside a curl callback)
  // and on_end gets the status; the callbacks, and whatever they hold, are released.
  void end(core::Status status) {
    if (ended_) return;
    ended_ = true;
    reactor_.post([self = shared_from_this()] { self->reactor_.remove(self->request_.easy); });
    StreamCallbacks callbacks = std::move(callbacks_);
    callbacks_ = {};
    callbacks.on_end(std::move(status));
  }

  static size_t on_header(char*, size_t size, size_t n, void* self_ptr) {
    auto* self = static_cast<AsyncStream*>(self_ptr);
    self->received_ += size * n;
    self->last_activity_ = Clock::now();
    return size * n;
  }

  static size_t on_write(char* data, size_t size, size_t n, void* self_ptr) {
    auto* self = static_cast<AsyncStream*>(self_ptr);
    const size_t len = size * n;
    if (self->ended_) return 0;                      // aborts the transfer
    if (self->paused_) return CURL_WRITEFUNC_PAUSE;  // curl keeps the bytes until unpause
    self->received_ += len;
    self->last_activity_ = Clock::now();
    if (self->status_ == 0) curl_easy_getinfo(self->request_.easy, CURLINFO_RESPONSE_CODE, &self->status_);
    if (self->status_ != 200) {
      if (self->error_body_.size() < kMaxErrorBody) self->error_body_.append(data, std::min(len, kMaxErrorBody));
      return len;
    }
    if (auto st = self->parser_.feed(std::string_view(data, len), self->events_); !st) {
      self->failure_ = st.error();
      return 0;
    }
    self->deliver();
    return len;
  }

  static constexpr size_t kMaxErrorBody = 64 * 1024;

  CurlReactor& reactor_;
  EasyRequest request_;
  StreamCallbacks callbacks_;
  long status_ = 0;
  size_t received_ = 0;
  int attempts_ = 0;
  bool paused_ = false;
  bool ended_ = false;
  bool watching_ = false;
  bool transfer_done_ = false;  // curl finished; events_ may still wait for a resume()
  Clock::time_point last_activity_;
  std::string error_body_;
  SseParser parser_;
  std::vector<SseEvent> events_;  // parsed, not yet delivered
  std::optional<core::Error> failure_;
};

// The pull form (ChatStream) over an AsyncStream, for callers that consume a stream on a thread
// of their own: chunks wait in a queue; a full queue pauses the upstream until it drains.
class BlockingStream final : public ChatStream {
 public:
  static constexpr size_t kPauseAt = 256;
  static constexpr size_t kResumeAt = 64;

  BlockingStream(const OpenAiClientOptions& options, const std::string& body) : state_(std::make_shared<State>()) {
    StreamCallbacks callbacks;
    callbacks.on_chunk = [state = state_](ChatChunk&& c) {
      core::MutexLock lock(state->mu);
      state->queue.push_back(std::move(c));
      state->cv.notify_one();
      if (state->queue.size() < kPauseAt) return Flow::Continue;
      state->paused = true;
      return Flow::Pause;
    };
    callbacks.on_end = [state = state_](core::Status st) {
      core::MutexLock lock(state->mu);
      state->end = std::move(st);
      state->cv.notify_one();
    };
    auto stream = std::shared_ptr<AsyncStream>(new AsyncStream(options, body, std::move(callbacks)));
    stream->start();
    control_ = std::move(stream);
  }
  ~BlockingStream() override { control_->cancel(); }

  // Waits until a chunk is queued or the stream ended (its error, when it failed before any).
  core::Status wait_first(const CancelCheck& cancel) {
    core::MutexLock lock(state_->mu);
    while (state_->queue.empty() && !state_->end) {
      if (cancel && cancel()) return cancelled_error();
      state_->cv.wait_for(lock, kPollInterval);
    }
    if (state_->queue.empty() && !*state_->end) return state_->end->error();
    return {};
  }

  core::Result<std::optional<ChatChunk>> next(const CancelCheck& cancel) override {
    core::MutexLock lock(state_->mu);
    while (true) {
      if (!state_->queue.empty()) {
        ChatChunk c = std::move(state_->queue.front());
        state_->queue.pop_front();
        if (state_->paused && state_->queue.size() <= kResumeAt) {
          state_->paused = false;
          lock.unlock();
          control_->resume();
        }
        return std::optional<ChatChunk>(std::move(c));
      }
      if (state_->end) {
        if (!*state_->end) return state_->end->error();
        return std::optional<ChatChunk>();
      }
      if (cancel && cancel()) return cancelled_error();
      state_->cv.wait_for(lock, kPollInterval);
    }
  }

 private:
  struct State {
    core::Mutex mu;
    core::CondVar cv;
    std::deque<ChatChunk> queue GUARDED_BY(mu);
    std::optional<core::Status> end GUARDED_BY(mu);
    bool paused GUARDED_BY(mu) = false;
  };
  std::shared_ptr<State> state_;
  std::shared_ptr<ChatStreamControl> control_;
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
    if (const auto* by = mo.if_contains("owned_by"); by && by->is_string())
      info.owned_by = std::string(by->get_string());
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
  auto s = std::make_unique<BlockingStream>(options_, json::serialize(upstream_body(request, true)));
  // Wait for the first chunk so that a failing upstream is reported before the caller commits to
  // a 200 event stream; the chunk stays queued for the caller.
  if (auto st = s->wait_first(cancel); !st) return st.error();
  return std::unique_ptr<ChatStream>(std::move(s));
}

std::shared_ptr<ChatStreamControl> OpenAiClient::stream_async(const ChatRequest& request, StreamCallbacks callbacks) {
  auto s = std::shared_ptr<AsyncStream>(
      new AsyncStream(options_, json::serialize(upstream_body(request, true)), std::move(callbacks)));
  s->start();
  return s;
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

}  // namespace docent::engines
