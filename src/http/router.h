#pragma once
// Route table: method + path pattern -> handler. Patterns are split on '/'; a segment is a
// literal ("files"), a parameter ("{file_id}") or, last only, a wildcard ("{path...}") that takes
// the rest of the path. Literal segments win over parameters, and parameters over wildcards, at
// every depth, with backtracking: "/api/files/read/{guid}" and "/api/files/{file_id}/status" both
// route. HEAD falls back to GET.

#include "http/message.h"

#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace docent::http {

struct RouteMatch {
  enum class Kind { Found, NotFound, MethodNotAllowed };
  Kind kind = Kind::NotFound;
  const Route* route = nullptr;
  std::vector<std::pair<std::string, std::string>> params;
  std::vector<Method> allowed;        // for MethodNotAllowed: the methods the path does accept
  const Route* path_route = nullptr;  // for MethodNotAllowed: one of the routes at the path (its face)
};

class Router {
 public:
  Router();
  ~Router();
  Router(const Router&) = delete;
  Router& operator=(const Router&) = delete;

  // Adds a route. Throws std::invalid_argument for a malformed pattern or a duplicate
  // (method, pattern) — a route table bug must fail at start, not at request time.
  const Route& add(Method method, std::string_view pattern, Handler handler, RouteOptions options = {},
                   const ErrorRenderer* render_error = nullptr);

  RouteMatch match(Method method, std::string_view path) const;

  // Names the face whose envelope errors take on paths under `prefix` that no route matches (a
  // 404, or an error the server answers before it knows the route). `prefix` is whole segments
  // ("/api/pdf" covers "/api/pdf" and "/api/pdf/x", not "/api/pdfs"); the longest one wins.
  // `renderer` must outlive the router. Throws std::invalid_argument for a malformed or repeated prefix.
  void add_error_prefix(std::string_view prefix, const ErrorRenderer* renderer);
  // The renderer of the longest prefix covering `path`, or null when none does.
  const ErrorRenderer* error_renderer_for(std::string_view path) const;

  // Every route, in the order added (for docs and the authorization matrix test).
  std::vector<const Route*> routes() const;

 private:
  struct Node;
  std::unique_ptr<Node> root_;
  std::vector<std::unique_ptr<Route>> routes_;
  std::map<std::string, const ErrorRenderer*, std::less<>> error_prefixes_;
};

}  // namespace docent::http
