#include "api/native/system.h"

#include "api/native/errors.h"
#include "api/nexus/errors.h"
#include "core/json.h"
#include "core/time.h"

#include <boost/json.hpp>

#include <memory>

namespace docent::api::native {

namespace json = boost::json;

namespace {

// Runs every check; the overall status is "ok" only when all pass.
json::object health_body(const SystemDeps& deps, bool& healthy) {
  healthy = true;
  json::object checks;
  for (const auto& c : deps.checks) {
    core::Status st = c.check();
    if (!st) healthy = false;
    checks[c.name] = st ? json::value("ok") : json::value(st.error().message);
  }
  auto uptime = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now() - deps.started);
  return json::object{
      {"status", healthy ? "ok" : "degraded"},
      {"version", deps.version},
      {"uptime_seconds", uptime.count()},
      {"checks", std::move(checks)},
  };
}

}  // namespace

void register_system_routes(http::Router& router, SystemDeps deps_in) {
  auto deps = std::make_shared<const SystemDeps>(std::move(deps_in));
  const http::RouteOptions cheap{.is_public = true, .run_inline = true};

  // The checks may touch storage, so health runs on the worker pool.
  router.add(http::Method::Get, "/health", [deps](http::Request&) {
    bool healthy = false;
    json::object body = health_body(*deps, healthy);
    return http::Response::json(healthy ? 200 : 503, body);
  }, {.is_public = true}, &error_renderer());

  // Quantum Nexus: GET {base}/v1/health, answered in its success envelope.
  router.add(http::Method::Get, "/v1/health", [deps](http::Request&) {
    bool healthy = false;
    json::object data = health_body(*deps, healthy);
    json::object body{
        {"success", healthy},
        {"status", healthy ? "healthy" : "degraded"},
        {"data", std::move(data)},
        {"message", healthy ? "Service is healthy" : "Service is degraded"},
        {"timestamp", core::rfc3339_now()},
    };
    return http::Response::json(healthy ? 200 : 503, body);
  }, {.is_public = true}, &nexus::error_renderer());

  router.add(http::Method::Get, "/metrics", [deps](http::Request&) {
    return http::Response::text(200, deps->metrics->render(), "text/plain; version=0.0.4; charset=utf-8");
  }, cheap, &error_renderer());

  // Parses the JSON body and answers it re-serialized: the smallest route that exercises the
  // whole JSON request path (benchmarks, load balancer probes that POST).
  router.add(http::Method::Post, "/v1/echo", [deps](http::Request& req) {
    auto body = core::parse_json(req.body, deps->json_max_depth);
    if (!body) return render_error(req, body.error());
    return http::Response::json(200, *body);
  }, {.is_public = true, .run_inline = true, .max_body_bytes = 64 * 1024}, &error_renderer());
}

}  // namespace docent::api::native
