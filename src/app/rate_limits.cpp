#include "app/rate_limits.h"

#include "api/chatbot/errors.h"
#include "api/native/errors.h"
#include "api/nexus/errors.h"
#include "api/spherechat/errors.h"
#include "core/log.h"
#include "services/principal.h"

#include <fmt/format.h>

#include <any>

namespace docent::app {

namespace {

using http::Method;

bool under(std::string_view pattern, std::string_view prefix) {
  return pattern == prefix || (pattern.starts_with(prefix) && pattern[prefix.size()] == '/');
}

// The nexus seed's table: /api/process/text, /image, /voice and /api/sessions, then a global limit
// over every nexus route. image-with-text counts as image; voice-conversation and text-to-speech
// as voice.
std::vector<std::string> nexus_policies(std::string_view pattern) {
  std::vector<std::string> p;
  if (pattern == "/api/process/text" || pattern == "/v1/process/text") p.emplace_back("nexus_text");
  if (pattern.starts_with("/api/process/image")) p.emplace_back("nexus_image");
  if (pattern.starts_with("/api/process/voice") || pattern == "/api/process/text-to-speech") {
    p.emplace_back("nexus_voice");
  }
  if (under(pattern, "/api/sessions")) p.emplace_back("nexus_sessions");
  p.emplace_back("nexus_global");
  return p;
}

int64_t ceil_seconds(std::chrono::microseconds us) { return (us.count() + 999'999) / 1'000'000; }

// OpenAI's x-ratelimit-reset-requests: a duration such as "20ms", "1s", "6m0s", "1h0m0s".
std::string openai_duration(std::chrono::microseconds us) {
  if (us < std::chrono::seconds(1)) return fmt::format("{}ms", (us.count() + 999) / 1000);
  const int64_t s = ceil_seconds(us);
  if (s < 60) return fmt::format("{}s", s);
  if (s < 3600) return fmt::format("{}m{}s", s / 60, s % 60);
  return fmt::format("{}h{}m{}s", s / 3600, (s % 3600) / 60, s % 60);
}

// Every response of a limited route carries these, so they are appended (the handler never sets
// them; Headers::set would scan for each) and formatted without temporary streams.
void set_headers(http::Response& res, const services::LimitDecision& d, const RouteLimits& limits, int64_t now_us) {
  const services::PolicyOutcome& c = *d.closest();
  const std::string limit = std::to_string(c.rate.count), remaining = std::to_string(c.state.remaining);
  res.headers.add("X-RateLimit-Limit", limit);
  res.headers.add("X-RateLimit-Remaining", remaining);
  res.headers.add("X-RateLimit-Reset",
                  std::to_string(ceil_seconds(std::chrono::microseconds(now_us) + c.state.reset_after)));
  // draft-ietf-httpapi-ratelimit-headers: every policy of the route, q = quota, w = window
  // seconds; r = remaining, t = seconds until the quota is whole again (until one request is
  // admitted, when none is).
  fmt::memory_buffer policy, state;
  for (const services::PolicyOutcome& o : d.outcomes) {
    const char* sep = policy.size() ? ", " : "";
    fmt::format_to(std::back_inserter(policy), "{}\"{}\";q={};w={}", sep, o.policy, o.rate.count,
                   o.rate.period.count() / 1000);
    const auto t = o.state.admitted ? o.state.reset_after : o.state.retry_after;
    fmt::format_to(std::back_inserter(state), "{}\"{}\";r={};t={}", sep, o.policy, o.state.remaining, ceil_seconds(t));
  }
  res.headers.add("RateLimit-Policy", fmt::to_string(policy));
  res.headers.add("RateLimit", fmt::to_string(state));
  if (limits.openai_headers) {
    res.headers.add("x-ratelimit-limit-requests", limit);
    res.headers.add("x-ratelimit-remaining-requests", remaining);
    res.headers.add("x-ratelimit-reset-requests",
                    openai_duration(c.state.admitted ? c.state.reset_after : c.state.retry_after));
  }
}

}  // namespace

std::unordered_map<const http::Route*, RouteLimits> route_limits(const http::Router& router) {
  std::unordered_map<const http::Route*, RouteLimits> out;
  for (const http::Route* r : router.routes()) {
    const http::ErrorRenderer* face = r->render_error;
    RouteLimits l;
    if (r->options.is_public) {
      // Nothing identifies the caller yet: these create identities or check secrets.
      if (r->method == Method::Post && r->pattern == "/auth/register-device") {
        l.policies = {"register_device"};
      } else if (r->method == Method::Post && r->pattern == "/v1/auth/login") {
        l.policies = {"login"};
        l.openai_headers = true;
      } else {
        continue;  // health, metrics, the web UI: probes and static files
      }
      l.subject = LimitSubject::Address;
    } else if (face == &api::spherechat::error_renderer()) {
      // "PDF processing": the four extractions; fetching a workbook made is not processing.
      // "Generation API": starting a generation; polling it and fetching what it made are not.
      if (r->method != Method::Post) continue;
      if (r->pattern.starts_with("/api/pdf/")) {
        l.policies = {"spherechat_pdf"};
      } else if (r->pattern.starts_with("/api/generate/")) {
        l.policies = {"spherechat_generation"};
      } else {
        continue;
      }
    } else if (face == &api::nexus::error_renderer()) {
      l.policies = nexus_policies(r->pattern);
    } else if (face == &api::chatbot::error_renderer()) {
      l.by_tier = true;
      l.subject = LimitSubject::Account;
    } else if (face == &api::native::error_renderer()) {
      l.policies = {"native_default"};
      l.openai_headers = true;
    } else {
      continue;  // chatpdf and sherpa: no seed limits (plans' quotas apply)
    }
    out.emplace(r, std::move(l));
  }
  return out;
}

http::Middleware rate_limits(services::RateLimiter& limiter, const http::Router& router, http::ErrorRenderer fallback) {
  return [&limiter, table = route_limits(router), fallback = std::move(fallback)](http::Request& req,
                                                                                  const http::Next& next) {
    auto found = req.route ? table.find(req.route) : table.end();
    if (found == table.end()) return next(req);
    const RouteLimits& limits = found->second;
    const auto* p = std::any_cast<services::Principal>(&req.principal);

    std::string subject;
    if (!p || limits.subject == LimitSubject::Address) {
      subject = "address:" + req.remote_address;
    } else if (limits.subject == LimitSubject::Key && !p->key_id.empty()) {
      subject = "key:" + p->key_id;
    } else {
      subject = "account:" + p->account_id;
    }
    std::vector<std::string> tiered;
    if (limits.by_tier) tiered.push_back("chatbot_" + (p ? p->tier : std::string("standard")));
    const std::vector<std::string>& policies = limits.by_tier ? tiered : limits.policies;

    const int64_t now = limiter.now_us();
    auto decision = limiter.check(subject, policies, p ? &p->rate_limits : nullptr);
    if (!decision) {
      core::log::warn("rate limit counters unavailable; request admitted",
                      {{"error", decision.error().message}, {"route", req.route->pattern}});
      return next(req);
    }
    if (decision->outcomes.empty()) return next(req);
    if (!decision->admitted) {
      const services::PolicyOutcome& c = *decision->closest();
      const int64_t retry = std::max<int64_t>(1, ceil_seconds(c.state.retry_after));
      core::Error e(core::Code::RateLimited, "Rate limit exceeded");
      e.details["limit"] = core::describe_rate(c.rate);
      e.details["retry_after"] = retry;
      http::Response res = http::render_error(req, e, fallback);
      res.headers.set("Retry-After", std::to_string(retry));
      set_headers(res, *decision, limits, now);
      return res;
    }
    http::Response res = next(req);
    set_headers(res, *decision, limits, now);
    return res;
  };
}

}  // namespace docent::app
