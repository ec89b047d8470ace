#pragma once
// docent's own request and response types. Handlers, middleware and faces see only these; the
// HTTP library (Beast) stays inside the server's .cpp files.

#include "core/error.h"
#include "http/headers.h"
#include "http/multipart.h"

#include <boost/json/fwd.hpp>

#include <any>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace docent::http {

enum class Method { Get, Head, Post, Put, Patch, Delete, Options, Other };

std::string_view method_name(Method m);
Method parse_method(std::string_view s);

struct Route;
struct Response;

struct Request {
  Method method = Method::Get;
  std::string target;                                       // as received: path and query, still percent-encoded
  std::string path;                                         // percent-decoded path, without the query
  std::vector<std::pair<std::string, std::string>> query;   // decoded, in order
  std::vector<std::pair<std::string, std::string>> params;  // path parameters from the route
  Headers headers;
  std::string body;                     // every body that is not multipart/form-data
  std::unique_ptr<MultipartForm> form;  // multipart/form-data bodies, parsed and spooled
  std::string remote_address;
  std::string request_id;
  const Route* route = nullptr;  // the matched route, or null
  std::any principal;            // set by the authentication hook
  std::chrono::steady_clock::time_point received_at = std::chrono::steady_clock::now();

  // The first query parameter with this name.
  std::optional<std::string_view> query_param(std::string_view name) const;
  // A path parameter; empty if the route has none by that name.
  std::string_view param(std::string_view name) const;
  std::string_view header(std::string_view name) const { return headers.get(name).value_or(""); }
};

// One Server-Sent Events stream. Handlers write events from a worker thread; the connection's
// coroutine sends each one as it comes, with heartbeat comments in between. Thread-safe.
class SseSink {
 public:
  virtual ~SseSink() = default;
  // Sends one event. Returns false once the client has gone away (stop producing then).
  // Blocks the calling worker thread while too many events wait to be written (backpressure).
  virtual bool send(std::string_view data, std::string_view event = {}, std::string_view id = {}) = 0;
  // Sends a comment line (": text"), ignored by clients.
  virtual bool comment(std::string_view text) = 0;
  // Sends bytes as they are, with no event framing: the body of a Response::byte_stream (audio
  // as it is encoded). Returns and blocks as send() does.
  virtual bool send_bytes(std::string_view bytes) = 0;
  // True once the client disconnected or the server is shutting down.
  virtual bool cancelled() const = 0;
  // For a stream made with Response::stream_on_first_event, before its first event: answers the
  // request with `response` instead (a JSON error found while starting), and the stream ends.
  // False once the stream has started (then report the error as an event).
  virtual bool reject(Response response) = 0;

  // ---- for producers that go on after their function returns (an upstream model's stream on
  // the shared reactor thread, not a thread of its own) ----
  // Keeps the stream open after the producer function returns: it ends when the last copy of
  // the returned handle is gone. Call it from the producer function.
  virtual std::shared_ptr<SseSink> hold() = 0;
  enum class Offered {
    Queued,  // written soon
    Full,    // queued, but the client reads slower than events come: produce no more until the
             // when_drained() callback runs
    Closed,  // the client has gone away or the server is stopping; nothing was queued
  };
  // Queues one event without ever blocking (send() blocks when the queue is full).
  virtual Offered offer(std::string_view data, std::string_view event = {}, std::string_view id = {}) = 0;
  // Runs `fn` once the queue has been taken for writing (at once when it is not full, or the
  // stream has been cancelled). It may run on an I/O thread: it must not block.
  virtual void when_drained(std::function<void()> fn) = 0;
  // Runs `fn` once, when the stream is cancelled (at once if it already is), on the thread that
  // cancels it: it must not block.
  virtual void on_cancel(std::function<void()> fn) = 0;
};

// Formats one SSE event: optional "event:" and "id:" lines, one "data:" line per line of data,
// and the blank line that ends it.
std::string format_sse_event(std::string_view data, std::string_view event = {}, std::string_view id = {});

struct Response {
  int status = 200;
  Headers headers;
  std::string body;
  std::filesystem::path file;  // when set, the body is this file's contents (sent streamed)
  // When set, the response is an SSE stream: status 200 and `text/event-stream` are sent first,
  // then this runs on a worker thread, writing events until it returns.
  std::function<void(SseSink&)> sse;
  // With `sse`: the status line and headers wait for the producer's first event (or its
  // rejection, or a heartbeat interval of silence), so that the producer can still answer
  // with an error response. The producer runs on its own thread from the start.
  bool sse_head_on_first_event = false;
  // With `sse`: a plain chunked body of the producer's send_bytes() (no heartbeat comments).
  bool raw_stream = false;

  static Response json(int status, const boost::json::value& body);
  static Response json(int status, std::string serialized);
  static Response text(int status, std::string body, std::string content_type = "text/plain; charset=utf-8");
  static Response stream(std::function<void(SseSink&)> producer);
  // A stream whose producer may still reject it (SseSink::reject) before its first event.
  static Response stream_on_first_event(std::function<void(SseSink&)> producer);
  static Response send_file(std::filesystem::path path, std::string content_type);
  // A chunked body of `content_type` written by `producer` with SseSink::send_bytes as it is
  // made; like stream_on_first_event, the head waits for the first bytes, so the producer may
  // still reject() the request with an error response.
  static Response byte_stream(std::string content_type, std::function<void(SseSink&)> producer);
};

using Handler = std::function<Response(Request&)>;

// Renders an error in the shape of the face that owns the route (each seed has its own).
using ErrorRenderer = std::function<Response(const Request&, const core::Error&)>;

// A route's body limit is known before any byte of the body is read: a declared Content-Length
// above it is answered 413 at once. multipart/form-data bodies of a multipart route may be
// ServerOptions::max_upload_bytes plus upload_overhead_bytes; a file_in_json route's body twice
// max_upload_bytes (a file in Base16) plus the overhead; any other body max_body_bytes, or the
// server's default.
struct RouteOptions {
  bool is_public = false;     // no authentication needed
  bool run_inline = false;    // cheap and non-blocking: run on the network thread, skip the pool
  size_t max_body_bytes = 0;  // 0 = the server's default limit
  bool multipart = false;     // accepts multipart/form-data uploads (spooled to disk)
  bool file_in_json = false;  // the JSON body carries a file's bytes as text (plain, Base16, Base32)
  // Cheap when things are warm: when set and it answers true, and ServerOptions::prepare_inline
  // says the middleware chain will not wait either, the request is handled on the network thread
  // (as run_inline routes are) instead of hopping to the worker pool and back. It is asked on the
  // network thread, so it must not block: say whether the handler would (a cold cache), not warm it.
  std::function<bool()> inline_when;
};

struct Route {
  Method method = Method::Get;
  std::string pattern;  // e.g. "/api/files/{file_id}/status"; also the metrics label
  Handler handler;
  RouteOptions options;
  const ErrorRenderer* render_error = nullptr;  // the owning face's renderer; null = default
};

}  // namespace docent::http
