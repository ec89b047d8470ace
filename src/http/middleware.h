#pragma once
// The middleware chain. Each middleware sees the request (with its matched route, if any) and
// calls `next` to continue, or answers by itself. The chain runs where the route's handler runs:
// on the worker pool, or inline on the network thread for routes marked run_inline.

#include "http/message.h"

#include <any>
#include <functional>
#include <string>
#include <vector>

namespace docent::http {

using Next = std::function<Response(Request&)>;
using Middleware = std::function<Response(Request&, const Next&)>;

// Composes middlewares (outermost first) around a final handler into one handler.
Handler chain(const std::vector<Middleware>& middlewares, Handler last);

// Renders an error with the matched route's face renderer, or `fallback` when there is none.
Response render_error(const Request& req, const core::Error& error, const ErrorRenderer& fallback);

// Takes a sane client X-Request-Id (1..128 of [A-Za-z0-9._-]) or makes one, stores it in
// req.request_id and echoes it in the response's X-Request-Id.
Middleware request_id();

// Adds Server-Timing (app;dur=milliseconds) to every response.
Middleware timing();

// One structured log line per request: id, method, path, route, status, bytes, milliseconds.
Middleware access_log();

// CORS: answers preflight OPTIONS requests with 204 and adds Access-Control-Allow-Origin to
// responses when the Origin is allowed. `origins` is a list, or "*" for any origin.
Middleware cors(std::vector<std::string> origins);

// Authentication hook: for every route that is not public, asks `authenticate` for the caller's
// principal and stores it in req.principal, or answers with the route face's error (401/403).
// A request that arrives with req.principal set (ServerOptions::prepare_inline found it in a
// cache) is not asked again.
using Authenticator = std::function<core::Result<std::any>(const Request&)>;
Middleware authentication(Authenticator authenticate, ErrorRenderer fallback);

}  // namespace docent::http
