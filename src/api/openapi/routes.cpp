#include "api/openapi/routes.h"

#include "api/native/errors.h"
#include "api/openapi/postman.h"
#include "api/spherechat/errors.h"
#include "core/crypto.h"
#include "core/log.h"

#include <memory>

namespace docent::api::openapi {

namespace json = boost::json;

namespace {

// A body built once, with its validator.
struct Published {
  std::string body;
  std::string content_type;
  std::string etag;
};

Published publish(std::string body, std::string content_type) {
  std::string etag = "\"" + core::crypto::sha256_hex(body).substr(0, 32) + "\"";
  return {std::move(body), std::move(content_type), std::move(etag)};
}

// True when If-None-Match names `etag` (or is *).
bool not_modified(const http::Request& req, const std::string& etag) {
  std::string_view inm = req.header("If-None-Match");
  if (inm.empty()) return false;
  if (inm == "*") return true;
  size_t at = 0;
  while (at < inm.size()) {
    size_t comma = inm.find(',', at);
    std::string_view one = inm.substr(at, comma == std::string_view::npos ? std::string_view::npos : comma - at);
    while (!one.empty() && one.front() == ' ') one.remove_prefix(1);
    while (!one.empty() && one.back() == ' ') one.remove_suffix(1);
    if (one.starts_with("W/")) one.remove_prefix(2);
    if (one == etag) return true;
    if (comma == std::string_view::npos) break;
    at = comma + 1;
  }
  return false;
}

http::Handler serve(std::shared_ptr<const Published> what) {
  return [what](http::Request& req) {
    http::Response res;
    if (not_modified(req, what->etag)) {
      res.status = 304;
    } else {
      res = http::Response::text(200, what->body, what->content_type);
    }
    res.headers.set("ETag", what->etag);
    res.headers.set("Cache-Control", "no-cache");
    return res;
  };
}

// Filled in after every route is registered; the handlers hold it from the start.
struct Bodies {
  std::shared_ptr<Published> document = std::make_shared<Published>();
  std::shared_ptr<Published> postman = std::make_shared<Published>();
  std::shared_ptr<Published> page = std::make_shared<Published>();
};

}  // namespace

std::vector<RouteInfo> route_infos(const http::Router& router) {
  std::vector<RouteInfo> out;
  for (const http::Route* r : router.routes()) {
    out.push_back({std::string(http::method_name(r->method)), r->pattern, r->options.is_public});
  }
  return out;
}

void register_openapi_routes(http::Router& router) {
  Bodies bodies;
  const http::RouteOptions options{.is_public = true, .run_inline = true};
  router.add(http::Method::Get, "/openapi.json", serve(bodies.document), options, &native::error_renderer());
  router.add(http::Method::Get, "/docs", serve(bodies.page), options, &native::error_renderer());
  router.add(http::Method::Get, "/swagger/v1/swagger.json", serve(bodies.document), options,
             &spherechat::error_renderer());
  router.add(http::Method::Get, "/api/postman-collection.json", serve(bodies.postman), options,
             &spherechat::error_renderer());

  Assembly assembly = assemble(route_infos(router));
  for (const auto& e : assembly.errors) core::log::warn("openapi: " + e);
  for (const auto& r : assembly.undocumented) core::log::warn("openapi: route " + r + " is not documented");
  // Stale operations are left out without a word: a server without the web UI folder has no
  // "/" route, and its document rightly has none. `docent openapi --check` names them.
  *bodies.document = publish(json::serialize(assembly.document), "application/json");
  *bodies.postman = publish(json::serialize(postman_collection(assembly.document)), "application/json");
  *bodies.page = publish(std::string(embedded_source("openapi/docs.html")), "text/html; charset=utf-8");
}

}  // namespace docent::api::openapi
