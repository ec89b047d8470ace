#include "app/serve.h"

#include "api/native/errors.h"
#include "api/native/system.h"
#include "app/data_folder_lock.h"
#include "app/payload_encryption.h"
#include "app/rate_limits.h"
#include "app/routes.h"
#include "app/runtime.h"
#include "core/log.h"
#include "core/metrics.h"
#include "http/router.h"
#include "http/server.h"

#include <sys/stat.h>
#include <unistd.h>

#include <iostream>
#include <sstream>

namespace docent::app {

namespace {

std::filesystem::path executable_dir() {
  std::error_code ec;
  auto exe = std::filesystem::read_symlink("/proc/self/exe", ec);
  return ec ? std::filesystem::current_path() : exe.parent_path();
}

// The web UI folder: configured, or next to the binary (installed), or the source tree's web/.
std::filesystem::path find_web_dir(const std::string& configured) {
  if (!configured.empty()) return configured;
  auto exe = executable_dir();
  for (const auto& candidate : {exe / "web", exe.parent_path() / "web", exe.parent_path() / "share/docent/web"}) {
    std::error_code ec;
    if (std::filesystem::is_regular_file(candidate / "index.html", ec)) return candidate;
  }
  return {};
}

std::vector<std::string> split_list(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream in(s);
  std::string item;
  while (std::getline(in, item, ',')) {
    auto b = item.find_first_not_of(' ');
    auto e = item.find_last_not_of(' ');
    if (b != std::string::npos) out.push_back(item.substr(b, e - b + 1));
  }
  return out;
}

services::Credentials credentials_of(const http::Request& req) {
  services::Credentials c;
  if (auto v = req.headers.get("Authorization")) c.authorization = std::string(*v);
  if (auto v = req.headers.get("X-API-Key")) c.api_key = std::string(*v);
  for (auto name : services::kDeviceIdHeaders) {
    if (auto v = req.headers.get(name); v && !c.device_id) c.device_id = std::string(*v);
  }
  return c;
}

core::Status prepare_data_dir(const std::filesystem::path& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir / "tmp", ec);
  if (ec) return core::Error(core::Code::Internal, "cannot create data folder " + dir.string() + ": " + ec.message());
  ::chmod(dir.c_str(), 0700);
  // Spooled uploads from a previous run that died are garbage now.
  for (const auto& entry : std::filesystem::directory_iterator(dir / "tmp", ec)) {
    std::filesystem::remove_all(entry.path(), ec);
  }
  return {};
}

}  // namespace

int serve(const core::Config& config) {
  const std::filesystem::path data_dir = config.data.dir;
  auto owner = DataFolderLock::acquire(data_dir, "docent serve");  // first: nothing touches a folder in use
  if (!owner) {
    core::log::error("cannot start", {{"error", owner.error().message}});
    std::cerr << "docent: " << owner.error().message << std::endl;
    return 1;
  }
  if (auto st = prepare_data_dir(data_dir); !st) {
    core::log::error(st.error().message);
    return 1;
  }
  auto runtime = open_runtime(config);
  if (!runtime) {
    core::log::error("cannot start", {{"error", runtime.error().message}});
    std::cerr << "docent: " << runtime.error().message << std::endl;
    return 1;
  }
  Runtime& rt = **runtime;
  auto admin_key = bootstrap_admin(rt);
  if (!admin_key) {
    std::cerr << "docent: cannot create the first admin account: " << admin_key.error().message << std::endl;
    return 1;
  }
  if (*admin_key) {
    std::cout << "docent: first start: created admin account 'admin'. Its API key, shown only this once:\n"
              << "  admin key: " << **admin_key << std::endl;
  }

  core::MetricsRegistry& metrics = rt.metrics;
  http::Router router;

  api::native::SystemDeps system;
  system.version = DOCENT_VERSION;
  system.metrics = &metrics;
  system.json_max_depth = config.server.json_max_depth;
  system.checks.push_back({"data_dir",
                           [data_dir] {
    if (::access(data_dir.c_str(), W_OK) != 0)
      return core::Status(core::Error(core::Code::ServiceUnavailable, "data folder is not writable"));
    return core::Status();
                           }});
  system.checks.push_back({"database", [db = rt.db.get()] { return db->check(); }});
  // Not required: while the index opens, searches answer from the full text (and say so).
  system.checks.push_back({"vector_index", [index = rt.index.get()] { return index->health(); }, false});
  auto web = find_web_dir(config.server.web_dir);
  if (web.empty()) core::log::warn("web UI folder not found; the UI is not served", {{"setting", "server.web_dir"}});
  register_routes(router, rt.context(), std::move(system), web);

  auto rates = services::configured_rates(config.limits);
  if (!rates) {
    std::cerr << "docent: " << rates.error().message << std::endl;
    return 1;
  }
  // One process owns a SQLite folder, so counters in memory are exact; several replicas on one
  // database share them through it (limits.store = database).
  services::RateLimiter limiter(std::move(*rates), config.limits.store == "database"
                                                       ? services::database_rate_counters(*rt.db)
                                                       : services::memory_rate_counters());
  // Seen payload-encryption envelopes (by MAC), counted where the limits are: in the database,
  // every process on it refuses a replay; in memory, this one.
  auto replay_cache = config.limits.store == "database" ? services::database_rate_counters(*rt.db)
                                                        : services::memory_rate_counters();

  http::ServerOptions opts;
  opts.host = config.server.host;
  opts.port = static_cast<uint16_t>(config.server.port);
  opts.threads = config.server.threads;
  opts.workers = config.server.workers;
  opts.max_header_bytes = config.server.max_header_bytes;
  opts.max_body_bytes = config.server.max_body_bytes;
  opts.max_upload_bytes = config.server.max_upload_bytes;
  opts.request_timeout = config.server.request_timeout;
  opts.idle_timeout = config.server.idle_timeout;
  opts.shutdown_grace = config.server.shutdown_grace;
  opts.sse_heartbeat = config.server.sse_heartbeat;
  opts.max_streams = static_cast<size_t>(config.server.max_streams);
  opts.spool_dir = data_dir / "tmp";
  opts.default_error_renderer = api::native::render_error;
  // A warm route (RouteOptions::inline_when) stays on the network thread when nothing in the chain
  // would wait there: its caller is in the authentication cache (and the cache is fresh), the rate
  // counters are in memory, and no payload encryption is asked for (its keys and replay record
  // are work the pool should do).
  opts.prepare_inline = [&rt, memory_counters = config.limits.store != "database"](http::Request& req) {
    if (!memory_counters) return false;
    if (asks_for_encryption(req)) return false;
    auto p = rt.auth->cached(credentials_of(req));
    if (!p) return false;
    req.principal = std::move(*p);
    return true;
  };

  std::vector<http::Middleware> middleware{
      http::request_id(),
      http::access_log(),
      http::timing(),
      http::cors(split_list(config.server.cors_origins)),
      http::authentication(
          [&rt](const http::Request& req) -> core::Result<std::any> {
            auto p = rt.auth->authenticate(credentials_of(req));
            if (!p) return p.error();
            return std::any(std::move(*p));
          },
          api::native::render_error),
      // After authentication (it needs the principal; the address-limited routes are public, so
      // nothing is checked before them), before every handler: a refusal does no work.
      rate_limits(limiter, router, api::native::render_error),
      // After the limits (a refused request costs no decryption), before every handler: a
      // handler sees the plaintext and never knows it was encrypted.
      payload_encryption(*replay_cache, {.window = config.security.encryption_window}, api::native::render_error),
  };

  http::Server server(opts, router, std::move(middleware), metrics);
  if (auto st = server.listen(); !st) {
    core::log::error(st.error().message);
    std::cerr << "docent: " << st.error().message << std::endl;
    return 1;
  }
  if (auto st = start_background_work(rt); !st) {
    std::cerr << "docent: cannot start background work: " << st.error().message << std::endl;
    return 1;
  }
  std::cout << "docent " << DOCENT_VERSION << " listening on http://" << config.server.host << ":" << server.port()
            << std::endl;
  owner->note("listening on http://" + config.server.host + ":" + std::to_string(server.port()));
  core::log::info("listening", {{"host", config.server.host},
                                {"port", static_cast<int64_t>(server.port())},
                                {"data", data_dir.string()}});
  server.run();
  stop_background_work(rt, std::chrono::steady_clock::now() + config.server.shutdown_grace);
  core::log::info("stopped");
  return 0;
}

}  // namespace docent::app
