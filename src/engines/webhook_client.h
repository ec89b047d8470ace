#pragma once
// Outbound webhook calls (docs/WEBHOOKS.md): the URL rule at registration and one signed POST at
// delivery. The outbound rule of DESIGN.md §4 applies twice: check_webhook_url() refuses a URL
// whose host is, or resolves to, a private, loopback, link-local or metadata address; post_webhook()
// checks again every address curl is about to connect to (its open-socket callback), so a name
// that resolved to a public address at registration cannot later be pointed at an internal one
// (DNS rebinding): the connection is pinned to the address that was checked.

#include "core/error.h"

#include <chrono>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace docent::engines {

struct WebhookUrlRules {
  bool allow_http = false;     // webhooks.allow_http: plain http:// URLs too
  bool allow_private = false;  // webhooks.allow_private: private and loopback hosts too
};

// OK when `url` may be registered: an absolute https:// URL (http:// with allow_http), with a
// host, without user:password@, at most 2048 bytes, whose host is not a private or loopback
// literal or "localhost", and none of whose resolved addresses is private (unless allow_private).
// A name that does not resolve now is accepted: it is checked again at every delivery.
// InvalidInput naming "url" otherwise.
core::Status check_webhook_url(std::string_view url, const WebhookUrlRules& rules);

struct WebhookRequest {
  std::string url;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  std::chrono::milliseconds timeout{10000};
  bool allow_private = false;
};

struct WebhookResponse {
  std::optional<long> status;  // the receiver's HTTP status; nullopt when none arrived
  std::chrono::milliseconds duration{0};
  std::string error;             // empty when an HTTP answer arrived
  bool refused_private = false;  // the host resolved to a private address at delivery
};

// POSTs once, following no redirect, within the timeout. Blocking: call it from a worker thread.
WebhookResponse post_webhook(const WebhookRequest& request);

}  // namespace docent::engines
