#pragma once
// System routes of the native face: /health, /metrics and the /v1/echo diagnostic, plus the
// nexus face's /v1/health (its own envelope).

#include "core/metrics.h"
#include "http/router.h"

#include <chrono>
#include <functional>
#include <string>
#include <vector>

namespace docent::api::native {

// A named readiness check (the database answers, the blob folder is writable, ...). A failing
// required check makes /health answer 503 "degraded"; a failing check that is not required (the
// vector index still rebuilding: searches are full text meanwhile) leaves it 200 "ok" and sets
// "ready" false. Either way "checks" shows its message.
struct HealthCheck {
  std::string name;
  std::function<core::Status()> check;
  bool required = true;
};

struct SystemDeps {
  std::string version;
  std::chrono::steady_clock::time_point started = std::chrono::steady_clock::now();
  core::MetricsRegistry* metrics = nullptr;
  int json_max_depth = 64;
  std::vector<HealthCheck> checks;
};

void register_system_routes(http::Router& router, SystemDeps deps);

}  // namespace docent::api::native
