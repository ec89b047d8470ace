// libFuzzer harness for the HTTP request path without sockets: raw bytes -> Beast's parser ->
// our Request (target decoding, headers) -> the router -> the multipart parser when the body is
// multipart/form-data. Any crash, sanitizer report or uncaught exception is a finding.

#include "http/multipart.h"
#include "http/router.h"
#include "http/wire.h"

#include <unistd.h>

#include <cstdint>
#include <filesystem>
#include <string>

namespace {

using namespace docent::http;

const Router& router() {
  static Router* r = [] {
    auto* router = new Router();  // lives for the whole fuzzing process
    auto ok = [](Request&) { return Response::text(200, "ok"); };
    router->add(Method::Get, "/health", ok);
    router->add(Method::Get, "/api/files/read/{guid}", ok);
    router->add(Method::Get, "/api/files/{file_id}/status", ok);
    router->add(Method::Post, "/api/files/uploadfile", ok, {.multipart = true});
    router->add(Method::Get, "/ui/{path...}", ok);
    router->add(Method::Delete, "/api/sessions/{id}", ok);
    return router;
  }();
  return *r;
}

const std::filesystem::path& spool() {
  static std::filesystem::path p = [] {
    auto dir = std::filesystem::temp_directory_path() / ("docent-fuzz-http-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir);
    return dir;
  }();
  return p;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view raw(reinterpret_cast<const char*>(data), size);
  auto req = parse_request_bytes(raw, WireLimits{.max_header_bytes = 4096, .max_body_bytes = 64 * 1024});
  if (!req.ok()) return 0;
  RouteMatch m = router().match(req->method, req->path);
  if (m.kind == RouteMatch::Kind::Found && m.route->options.multipart) {
    if (auto boundary = multipart_boundary(req->header("Content-Type"))) {
      MultipartLimits limits{.max_parts = 8,
                             .max_part_header_bytes = 1024,
                             .max_field_bytes = 4096,
                             .max_file_bytes = 16 * 1024,
                             .max_total_bytes = 64 * 1024};
      MultipartParser parser(*boundary, limits, spool());
      // Feed in uneven pieces to exercise boundaries split across reads.
      std::string_view body = req->body;
      size_t step = 1 + (size % 97);
      bool ok = true;
      for (size_t i = 0; ok && i < body.size(); i += step) ok = parser.feed(body.substr(i, step)).ok();
      if (ok && parser.finish().ok()) {
        MultipartForm form = parser.take();
        (void)form.field("name");
      }
    }
  }
  return 0;
}
