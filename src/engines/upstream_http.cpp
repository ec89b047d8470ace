#include "engines/upstream_http.h"

#include "core/json.h"
#include "engines/outbound_url.h"

#include <sys/socket.h>

#include <algorithm>
#include <cctype>

namespace docent::engines {

namespace {

using core::Code;
using core::Error;

constexpr size_t kMaxErrorBody = 64 * 1024;

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
  const std::function<bool()>* stop = nullptr;
  const std::function<bool(std::string_view)>* on_bytes = nullptr;
  CURL* easy = nullptr;
  long status = 0;
  std::string body;
  size_t limit = 0;
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
    t->body.append(ptr, limit - t->body.size());  // an error body is cut, not refused
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

}  // namespace

std::string upstream_error_message(const std::string& body) {
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

UpstreamCall::UpstreamCall(const UpstreamHttpOptions& options, std::string_view method, std::string_view path)
    : options_(options), url_(join_url(options.base_url, path)) {
  global_init();
  easy_ = curl_easy_init();
  if (easy_ == nullptr) return;
  curl_easy_setopt(easy_, CURLOPT_URL, url_.c_str());
  if (method == "POST") curl_easy_setopt(easy_, CURLOPT_POST, 1L);
  headers_ = curl_slist_append(headers_, "Expect:");
  if (!options.api_key.empty())
    headers_ = curl_slist_append(headers_, ("Authorization: Bearer " + options.api_key).c_str());
}

UpstreamCall::~UpstreamCall() {
  if (mime_ != nullptr) curl_mime_free(mime_);
  if (headers_ != nullptr) curl_slist_free_all(headers_);
  if (easy_ != nullptr) curl_easy_cleanup(easy_);
}

void UpstreamCall::header(const std::string& line) { headers_ = curl_slist_append(headers_, line.c_str()); }

void UpstreamCall::json_body(std::string payload) {
  payload_ = std::move(payload);
  header("Content-Type: application/json");
  if (easy_ == nullptr) return;
  curl_easy_setopt(easy_, CURLOPT_POSTFIELDS, payload_.c_str());
  curl_easy_setopt(easy_, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(payload_.size()));
}

curl_mime* UpstreamCall::mime() {
  if (mime_ == nullptr && easy_ != nullptr) {
    mime_ = curl_mime_init(easy_);
    curl_easy_setopt(easy_, CURLOPT_MIMEPOST, mime_);
  }
  return mime_;
}

core::Result<UpstreamReply> UpstreamCall::run(const std::function<bool()>& stop,
                                              const std::function<bool(std::string_view)>* on_bytes) {
  if (easy_ == nullptr) return Error(Code::Internal, "cannot start an HTTP transfer");
  const std::string who = "the " + options_.what + " (" + options_.setting + ")";
  Transfer t;
  t.allow_private = options_.allow_private;
  t.stop = &stop;
  t.on_bytes = on_bytes;
  t.easy = easy_;
  t.limit = options_.max_body;
  char errbuf[CURL_ERROR_SIZE] = {};
  curl_easy_setopt(easy_, CURLOPT_HTTPHEADER, headers_);
  curl_easy_setopt(easy_, CURLOPT_CONNECTTIMEOUT, static_cast<long>(options_.connect_timeout.count()));
  // No total timeout (a long answer streams for a while): a transfer slower than 1 byte/s for
  // read_timeout is abandoned instead.
  curl_easy_setopt(easy_, CURLOPT_LOW_SPEED_LIMIT, 1L);
  curl_easy_setopt(easy_, CURLOPT_LOW_SPEED_TIME, static_cast<long>(options_.read_timeout.count()));
  curl_easy_setopt(easy_, CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(easy_, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(easy_, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(easy_, CURLOPT_ERRORBUFFER, errbuf);
  curl_easy_setopt(easy_, CURLOPT_WRITEFUNCTION, on_write);
  curl_easy_setopt(easy_, CURLOPT_WRITEDATA, &t);
  curl_easy_setopt(easy_, CURLOPT_OPENSOCKETFUNCTION, on_open_socket);
  curl_easy_setopt(easy_, CURLOPT_OPENSOCKETDATA, &t);
  curl_easy_setopt(easy_, CURLOPT_XFERINFOFUNCTION, on_progress);
  curl_easy_setopt(easy_, CURLOPT_XFERINFODATA, &t);
  curl_easy_setopt(easy_, CURLOPT_NOPROGRESS, 0L);
  const CURLcode code = curl_easy_perform(easy_);
  if (t.status == 0) curl_easy_getinfo(easy_, CURLINFO_RESPONSE_CODE, &t.status);
  if (code == CURLE_ABORTED_BY_CALLBACK || t.consumer_stopped) return Error(Code::ProcessingError, "cancelled");
  if (t.too_large) {
    return Error(Code::UpstreamError, who + " answered more than " + std::to_string(options_.max_body) + " bytes");
  }
  if (code != CURLE_OK) {
    if (t.refused)
      return Error(Code::UpstreamError, who + " resolves to a private address and private upstreams are refused");
    const std::string why = errbuf[0] != 0 ? errbuf : curl_easy_strerror(code);
    return Error(Code::UpstreamError, who + " could not be reached: " + why);
  }
  if (t.status == 404) return Error(Code::ServiceUnavailable, who + " does not offer this route");
  if (t.status < 200 || t.status >= 300) {
    return Error(Code::UpstreamError,
                 who + " answered " + std::to_string(t.status) + ": " + upstream_error_message(t.body));
  }
  UpstreamReply reply;
  reply.status = t.status;
  reply.body = std::move(t.body);
  const char* type = nullptr;
  curl_easy_getinfo(easy_, CURLINFO_CONTENT_TYPE, &type);
  if (type != nullptr) {
    std::string_view v(type);
    v = v.substr(0, v.find(';'));
    while (!v.empty() && v.back() == ' ') v.remove_suffix(1);
    for (char c : v) reply.content_type += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return reply;
}

}  // namespace docent::engines
