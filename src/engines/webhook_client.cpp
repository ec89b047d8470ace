#include "engines/webhook_client.h"

#include "engines/outbound_url.h"

#include <curl/curl.h>
#include <netdb.h>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/url/parse.hpp>

#include <cctype>
#include <mutex>

namespace docent::engines {

namespace {

void global_init() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

core::Error bad(std::string why) { return core::Error(core::Code::InvalidInput, "url " + why, "url"); }

struct Transfer {
  bool allow_private = false;
  bool refused = false;
};

curl_socket_t on_open_socket(void* p, curlsocktype, curl_sockaddr* address) {
  auto* t = static_cast<Transfer*>(p);
  if (!t->allow_private && is_private_address(&address->addr)) {
    t->refused = true;
    return CURL_SOCKET_BAD;
  }
  return ::socket(address->family, address->socktype, address->protocol);
}

size_t discard(char*, size_t size, size_t n, void*) { return size * n; }

}  // namespace

core::Status check_webhook_url(std::string_view url, const WebhookUrlRules& rules) {
  if (url.empty()) return core::Error(core::Code::MissingField, "url is required", "url");
  if (url.size() > 2048) return bad("must be at most 2048 bytes");
  auto parsed = boost::urls::parse_uri(url);
  if (!parsed) return bad("is not an absolute URL");
  const std::string scheme = lower(parsed->scheme());
  if (scheme != "https" && !(scheme == "http" && rules.allow_http)) {
    return bad(rules.allow_http ? "must be an http:// or https:// URL"
                                : "must be an https:// URL (the operator may allow http with webhooks.allow_http)");
  }
  if (parsed->has_userinfo()) return bad("must not carry a user name or password");
  std::string host = lower(parsed->encoded_host_address());
  if (host.empty()) return bad("has no host");
  if (rules.allow_private) return {};
  const std::string refusal = "points at a private, loopback or link-local address (" + host +
                              "); the operator may allow that with webhooks.allow_private";
  const bool local_name = host == "localhost" || host.ends_with(".localhost") || host == "metadata.google.internal";
  if (local_name || is_private_ip_literal(host)) return bad(refusal);
  if (host.size() >= 2 && host.front() == '[') host = host.substr(1, host.size() - 2);
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  if (::getaddrinfo(host.c_str(), nullptr, &hints, &found) != 0) return {};  // checked again at delivery
  bool refused = false;
  for (addrinfo* a = found; a; a = a->ai_next) {
    if (is_private_address(a->ai_addr)) refused = true;
  }
  ::freeaddrinfo(found);
  if (refused) return bad(refusal);
  return {};
}

WebhookResponse post_webhook(const WebhookRequest& request) {
  global_init();
  WebhookResponse out;
  const auto started = std::chrono::steady_clock::now();
  CURL* easy = curl_easy_init();
  if (!easy) {
    out.error = "cannot start an HTTP transfer";
    return out;
  }
  Transfer transfer{request.allow_private, false};
  curl_slist* headers = nullptr;
  headers = curl_slist_append(headers, "Content-Type: application/json");
  headers = curl_slist_append(headers, "Expect:");
  for (const auto& [name, value] : request.headers) headers = curl_slist_append(headers, (name + ": " + value).c_str());
  char errbuf[CURL_ERROR_SIZE] = {};
  curl_easy_setopt(easy, CURLOPT_URL, request.url.c_str());
  curl_easy_setopt(easy, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(easy, CURLOPT_POST, 1L);
  curl_easy_setopt(easy, CURLOPT_POSTFIELDS, request.body.c_str());
  curl_easy_setopt(easy, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(request.body.size()));
  curl_easy_setopt(easy, CURLOPT_TIMEOUT_MS, static_cast<long>(request.timeout.count()));
  curl_easy_setopt(easy, CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(easy, CURLOPT_PROXY, "");  // no proxy from the environment: it would bypass the address check
  curl_easy_setopt(easy, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(easy, CURLOPT_USERAGENT, "docent-webhooks/" DOCENT_VERSION);
  curl_easy_setopt(easy, CURLOPT_ERRORBUFFER, errbuf);
  curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, discard);
  curl_easy_setopt(easy, CURLOPT_OPENSOCKETFUNCTION, on_open_socket);
  curl_easy_setopt(easy, CURLOPT_OPENSOCKETDATA, &transfer);
  const CURLcode code = curl_easy_perform(easy);
  long status = 0;
  curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &status);
  curl_easy_cleanup(easy);
  curl_slist_free_all(headers);
  out.duration = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started);
  if (code == CURLE_OK && status > 0) {
    out.status = status;
    return out;
  }
  if (transfer.refused) {
    out.refused_private = true;
    out.error = "the host resolves to a private or loopback address (webhooks.allow_private is off)";
  } else if (code == CURLE_OPERATION_TIMEDOUT) {
    out.error = "no answer within " + std::to_string(request.timeout.count()) + " ms";
  } else {
    out.error = errbuf[0] ? std::string(errbuf) : std::string(curl_easy_strerror(code));
  }
  if (status > 0) out.status = status;
  return out;
}

}  // namespace docent::engines
