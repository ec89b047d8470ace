#include "api/native/system.h"

#include "api/native/errors.h"
#include "api/nexus/errors.h"
#include "core/json.h"
#include "core/thread_annotations.h"
#include "core/time.h"

#include <boost/json.hpp>

#include <memory>
#include <thread>

namespace docent::api::native {

namespace json = boost::json;

namespace {

// Runs the readiness checks on its own thread every couple of seconds, so that /health answers
// from the last result at once, on the network thread, however slow a check is.
class HealthMonitor {
 public:
  HealthMonitor(std::vector<HealthCheck> checks, std::chrono::milliseconds interval)
      : checks_(std::move(checks)), interval_(interval) {
    refresh();
    if (!checks_.empty()) thread_ = std::thread([this] { loop(); });
  }
  ~HealthMonitor() {
    {
      core::MutexLock lock(mu_);
      stop_ = true;
    }
    cv_.notify_all();
    if (thread_.joinable()) thread_.join();
  }

  // Whether every required check passed, whether every check did, and each check's result.
  struct Snapshot {
    bool healthy = true, ready = true;
    json::object checks;
  };
  Snapshot snapshot() const {
    core::MutexLock lock(mu_);
    return {healthy_, ready_, checks_json_};
  }

 private:
  void loop() {
    core::MutexLock lock(mu_);
    // Until every check passes (the vector index opening) the results are refreshed more often.
    while (!cv_.wait_for(lock, ready_ ? interval_ : std::min(interval_, std::chrono::milliseconds(200)),
                         [&]() REQUIRES(mu_) { return stop_; })) {
      lock.unlock();
      refresh();
      lock.lock();
    }
  }

  void refresh() {
    bool healthy = true, ready = true;
    json::object results;
    for (const auto& c : checks_) {
      core::Status st = c.check();
      if (!st && c.required) healthy = false;
      if (!st) ready = false;
      results[c.name] = st ? json::value("ok") : json::value(st.error().message);
    }
    core::MutexLock lock(mu_);
    healthy_ = healthy;
    ready_ = ready;
    checks_json_ = std::move(results);
  }

  const std::vector<HealthCheck> checks_;
  const std::chrono::milliseconds interval_;
  mutable core::Mutex mu_;
  core::CondVar cv_;
  bool stop_ GUARDED_BY(mu_) = false;
  bool healthy_ GUARDED_BY(mu_) = true;
  bool ready_ GUARDED_BY(mu_) = true;
  json::object checks_json_ GUARDED_BY(mu_);
  std::thread thread_;
};

struct SystemState {
  explicit SystemState(SystemDeps d) : deps(std::move(d)), monitor(deps.checks, std::chrono::milliseconds(2000)) {}
  SystemDeps deps;
  HealthMonitor monitor;

  // /health is what load balancers hammer: its body is built at most once a second.
  struct CachedBody {
    int64_t second = -1;
    bool healthy = true;
    std::string body;
  };
  mutable core::Mutex cache_mu;
  mutable CachedBody cached GUARDED_BY(cache_mu);
};

json::object health_body(const SystemState& state, bool& healthy) {
  auto snap = state.monitor.snapshot();
  healthy = snap.healthy;
  auto uptime = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now() - state.deps.started);
  return json::object{
      {"status", healthy ? "ok" : "degraded"}, {"ready", snap.ready},
      {"version", state.deps.version},         {"uptime_seconds", uptime.count()},
      {"checks", std::move(snap.checks)},
  };
}

}  // namespace

void register_system_routes(http::Router& router, SystemDeps deps_in) {
  auto state = std::make_shared<const SystemState>(std::move(deps_in));
  const SystemDeps* deps = &state->deps;
  const http::RouteOptions cheap{.is_public = true, .run_inline = true};

  // Answers from the monitor's last result: cheap enough for the network thread.
  router.add(
      http::Method::Get, "/health",
      [state](http::Request&) {
    const int64_t second = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now() -
                                                                            state->deps.started)
                               .count();
    core::MutexLock lock(state->cache_mu);
    auto& c = state->cached;
    if (c.second != second) {
      bool healthy = false;
      c.body = json::serialize(health_body(*state, healthy));
      c.healthy = healthy;
      c.second = second;
    }
    return http::Response::json(c.healthy ? 200 : 503, std::string(c.body));
      },
      cheap, &error_renderer());

  // Quantum Nexus: GET {base}/v1/health, answered in its success envelope.
  router.add(
      http::Method::Get, "/v1/health",
      [state](http::Request&) {
    bool healthy = false;
    json::object data = health_body(*state, healthy);
    json::object body{
        {"success", healthy},
        {"status", healthy ? "healthy" : "degraded"},
        {"data", std::move(data)},
        {"message", healthy ? "Service is healthy" : "Service is degraded"},
        {"timestamp", core::rfc3339_now()},
    };
    return http::Response::json(healthy ? 200 : 503, body);
      },
      cheap, &nexus::error_renderer());

  router.add(
      http::Method::Get, "/metrics",
      [state, deps](http::Request&) {
    return http::Response::text(200, deps->metrics->render(), "text/plain; version=0.0.4; charset=utf-8");
      },
      cheap, &error_renderer());

  // Parses the JSON body and answers it re-serialized: the smallest route that exercises the
  // whole JSON request path (benchmarks, load balancer probes that POST).
  router.add(
      http::Method::Post, "/v1/echo",
      [state, deps](http::Request& req) {
    auto body = core::parse_json(req.body, deps->json_max_depth);
    if (!body) return render_error(req, body.error());
    return http::Response::json(200, *body);
      },
      {.is_public = true, .run_inline = true, .max_body_bytes = 64 * 1024}, &error_renderer());
}

}  // namespace docent::api::native
