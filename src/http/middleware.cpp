#include "http/middleware.h"

#include "core/id.h"
#include "core/log.h"

#include <fmt/compile.h>
#include <fmt/format.h>

#include <algorithm>
#include <chrono>

namespace docent::http {

Handler chain(const std::vector<Middleware>& middlewares, Handler last) {
  Handler next = std::move(last);
  for (auto it = middlewares.rbegin(); it != middlewares.rend(); ++it) {
    next = [mw = *it, inner = std::move(next)](Request& req) { return mw(req, inner); };
  }
  return next;
}

Response render_error(const Request& req, const core::Error& error, const ErrorRenderer& fallback) {
  if (req.route && req.route->render_error && *req.route->render_error) return (*req.route->render_error)(req, error);
  return fallback(req, error);
}

namespace {

bool sane_request_id(std::string_view id) {
  if (id.empty() || id.size() > 128) return false;
  return std::all_of(id.begin(), id.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
           c == '.';
  });
}

}  // namespace

Middleware request_id() {
  return [](Request& req, const Next& next) {
    auto given = req.headers.get("X-Request-Id");
    req.request_id = (given && sane_request_id(*given)) ? std::string(*given) : core::new_id();
    Response res = next(req);
    res.headers.set("X-Request-Id", req.request_id);
    return res;
  };
}

Middleware timing() {
  return [](Request& req, const Next& next) {
    auto start = std::chrono::steady_clock::now();
    Response res = next(req);
    double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
    res.headers.set("Server-Timing", fmt::format(FMT_COMPILE("app;dur={:.3f}"), ms));
    return res;
  };
}

Middleware access_log() {
  return [](Request& req, const Next& next) {
    Response res = next(req);
    if (core::log::enabled(core::log::Level::Info)) {
      double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - req.received_at).count();
      core::log::info("request", {{"id", req.request_id},
                                  {"method", method_name(req.method)},
                                  {"path", req.path},
                                  {"route", req.route ? std::string_view(req.route->pattern) : std::string_view("-")},
                                  {"status", static_cast<int64_t>(res.status)},
                                  {"bytes", static_cast<int64_t>(res.body.size())},
                                  {"ms", ms},
                                  {"stream", static_cast<bool>(res.sse)}});
    }
    return res;
  };
}

Middleware cors(std::vector<std::string> origins) {
  bool any = std::find(origins.begin(), origins.end(), "*") != origins.end();
  return [origins = std::move(origins), any](Request& req, const Next& next) {
    auto origin = req.headers.get("Origin");
    bool allowed = origin && (any || std::find(origins.begin(), origins.end(), *origin) != origins.end());
    if (req.method == Method::Options && origin && req.headers.has("Access-Control-Request-Method")) {
      Response res;
      res.status = allowed ? 204 : 403;
      if (allowed) {
        res.headers.set("Access-Control-Allow-Origin", any ? "*" : std::string(*origin));
        res.headers.set("Access-Control-Allow-Methods", "GET, POST, PUT, PATCH, DELETE, OPTIONS");
        auto asked = req.headers.get("Access-Control-Request-Headers");
        res.headers.set("Access-Control-Allow-Headers",
                        asked ? std::string(*asked) : "Authorization, Content-Type, X-API-Key, Device-Id");
        res.headers.set("Access-Control-Max-Age", "600");
        if (!any) res.headers.set("Vary", "Origin");
      }
      return res;
    }
    Response res = next(req);
    if (allowed) {
      res.headers.set("Access-Control-Allow-Origin", any ? "*" : std::string(*origin));
      // Browsers hide other response headers from scripts; the rate-limit ones are meant to be read.
      res.headers.set("Access-Control-Expose-Headers",
                      "X-Request-Id, Content-Disposition, Retry-After, X-RateLimit-Limit, X-RateLimit-Remaining, "
                      "X-RateLimit-Reset, RateLimit, RateLimit-Policy");
      if (!any) res.headers.set("Vary", "Origin");
    }
    return res;
  };
}

Middleware authentication(Authenticator authenticate, ErrorRenderer fallback) {
  return [authenticate = std::move(authenticate), fallback = std::move(fallback)](Request& req, const Next& next) {
    if (!req.route || req.route->options.is_public) return next(req);
    // Found already, from a cache, by ServerOptions::prepare_inline on the network thread.
    if (req.principal.has_value()) return next(req);
    auto principal = authenticate(req);
    if (!principal) return render_error(req, principal.error(), fallback);
    req.principal = std::move(principal).value();
    return next(req);
  };
}

}  // namespace docent::http
