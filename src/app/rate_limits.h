#pragma once
// The rate-limit middleware: which policies limit each route (decided once, from the route table,
// at start), who a request is counted against, and how each face is told (docs/FACES.md, "Rate
// limits"). It runs after authentication and before the handler, so a refused request does no
// work and costs no quota.

#include "http/middleware.h"
#include "http/router.h"
#include "services/rate_limiter.h"

#include <string>
#include <unordered_map>
#include <vector>

namespace docent::app {

// Whom a route's requests are counted against.
enum class LimitSubject {
  Key,      // the API key (a device: its account); the seeds' "per API key"
  Account,  // the account (the chatbot seed's "users", by tier)
  Address,  // the client address: routes that create identities or check secrets, before any exist
};

struct RouteLimits {
  std::vector<std::string> policies;  // charged in this order, all or none
  bool by_tier = false;               // the chatbot face: the policy is chatbot_<account tier>
  LimitSubject subject = LimitSubject::Key;
  bool openai_headers = false;  // the native face also sends OpenAI's x-ratelimit-*-requests
};

// Every limited route of the router with its policies (routes absent from the map are not limited).
std::unordered_map<const http::Route*, RouteLimits> route_limits(const http::Router& router);

// The middleware. `limiter` and `router` must outlive it. When the counters fail (the database is
// unavailable) the request is admitted and a warning logged: limits protect the service, they
// must not be what takes it down.
http::Middleware rate_limits(services::RateLimiter& limiter, const http::Router& router, http::ErrorRenderer fallback);

}  // namespace docent::app
