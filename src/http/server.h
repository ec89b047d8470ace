#pragma once
// The asynchronous HTTP/1.1 server: Boost.Beast + Asio with C++20 coroutines on N network
// threads, one coroutine per connection, handlers on a separate worker pool so that no handler
// ever blocks a network thread. Each SSE producer starts on a thread of its own, so long streams
// (a model's answer may take minutes) never hold the worker pool that ordinary requests need; a
// producer may also hand its stream to asynchronous code and return (SseSink::hold). Keep-alive,
// streamed bodies with limits, multipart spooling, SSE, metrics and graceful shutdown. Beast
// never leaks out of server.cpp.

#include "core/error.h"
#include "core/metrics.h"
#include "http/message.h"
#include "http/middleware.h"
#include "http/router.h"

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

namespace docent::http {

struct ServerOptions {
  std::string host = "127.0.0.1";
  uint16_t port = 8080;                        // 0 = pick a free port; see Server::port()
  int threads = 0;                             // network threads; 0 = hardware concurrency
  int workers = 0;                             // handler pool threads; 0 = max(8, 4 * cores)
  size_t max_header_bytes = 16 * 1024;         // request line + headers (431 beyond)
  size_t max_body_bytes = 1024 * 1024;         // default body limit (413 beyond); routes may raise it
  size_t max_upload_bytes = 20 * 1024 * 1024;  // an upload's file (see RouteOptions for its body)
  size_t upload_overhead_bytes = 1024 * 1024;  // an upload body's room beside the file: fields, part heads
  std::chrono::seconds request_timeout{30};    // for reading one request once it started
  std::chrono::seconds idle_timeout{75};       // keep-alive connection with no request
  std::chrono::seconds shutdown_grace{10};     // in-flight work gets this long on stop()
  std::chrono::seconds sse_heartbeat{15};      // comment line when a stream is quiet
  size_t max_streams = 4096;                   // SSE streams open at once (503 beyond)
  std::filesystem::path spool_dir;             // multipart file parts; default: temp dir
  MultipartLimits multipart;                   // max_file_bytes and max_total_bytes follow the above
  ErrorRenderer default_error_renderer;        // for errors outside any face's routes
  // For routes with RouteOptions::inline_when: asked on the network thread, after the route's own
  // predicate agreed, whether the middleware chain can run there without waiting. It may resolve
  // what it cheaply can into the request (req.principal from a cache: the authentication hook
  // then takes it as found). False, or unset: the request goes to the worker pool as usual.
  std::function<bool(Request&)> prepare_inline;
};

class Server {
 public:
  Server(ServerOptions options, const Router& router, std::vector<Middleware> middleware,
         core::MetricsRegistry& metrics);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Binds and listens. Errors: Code::ServiceUnavailable naming the address when it cannot bind.
  core::Status listen();
  // The port actually bound (after listen()).
  uint16_t port() const;

  // Serves until stop() is called or SIGINT/SIGTERM arrives (when handle_signals is true), then
  // shuts down gracefully: stops accepting, lets in-flight requests finish and cancels streams,
  // within shutdown_grace. Returns when every network and worker thread has stopped.
  // Stream producers' threads belong to the server: the destructor joins any still running, so
  // a producer must return once its sink is cancelled (no thread outlives the server).
  void run(bool handle_signals = true);

  // Begins graceful shutdown. Thread-safe; safe to call more than once.
  void stop();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace docent::http
