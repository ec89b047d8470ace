// Errors on paths no route matches take the envelope of the face that owns the path: the longest
// whole-segment prefix a face registered.

#include "http/router.h"
#include "http/server.h"

#include "support/http_client.h"
#include "support/server_process.h"

#include <gtest/gtest.h>

#include <thread>

namespace docent::http {
namespace {

Response ok(Request&) { return Response::text(200, "ok"); }

TEST(Router, AnUnmatchedPathTakesTheFaceOfItsLongestWholeSegmentPrefix) {
  const ErrorRenderer shared_api = [](const Request&, const core::Error&) { return Response::text(404, "api"); };
  const ErrorRenderer pdf = [](const Request&, const core::Error&) { return Response::text(404, "pdf"); };
  Router r;
  r.add_error_prefix("/api", &shared_api);
  r.add_error_prefix("/api/pdf", &pdf);
  EXPECT_EQ(r.error_renderer_for("/api/pdf"), &pdf);
  EXPECT_EQ(r.error_renderer_for("/api/pdf/nope/deeper"), &pdf);
  EXPECT_EQ(r.error_renderer_for("/api/pdfs"), &shared_api);  // not a whole segment of /api/pdf
  EXPECT_EQ(r.error_renderer_for("/api/other"), &shared_api);
  EXPECT_EQ(r.error_renderer_for("/api/pdf/"), &pdf);
  EXPECT_EQ(r.error_renderer_for("/v1/models"), nullptr);
  EXPECT_EQ(r.error_renderer_for("/"), nullptr);
  EXPECT_EQ(r.error_renderer_for(""), nullptr);
  EXPECT_THROW(r.add_error_prefix("/api", &pdf), std::invalid_argument);
  EXPECT_THROW(r.add_error_prefix("api", &pdf), std::invalid_argument);
  EXPECT_THROW(r.add_error_prefix("/api/", &pdf), std::invalid_argument);
}

TEST(Router, AMethodNotAllowedNamesARouteOfThePathForItsFace) {
  const ErrorRenderer face = [](const Request&, const core::Error&) { return Response::text(405, "face"); };
  Router r;
  r.add(Method::Post, "/api/files/upload", ok, {}, &face);
  auto m = r.match(Method::Get, "/api/files/upload");
  ASSERT_EQ(m.kind, RouteMatch::Kind::MethodNotAllowed);
  ASSERT_NE(m.path_route, nullptr);
  EXPECT_EQ(m.path_route->render_error, &face);
}

TEST(HttpServer, NotFoundAndMethodNotAllowedOutsideAnyRouteTakeTheFaceOwningThePath) {
  const ErrorRenderer face = [](const Request&, const core::Error& e) {
    return Response::text(e.status(), "face:" + std::string(core::code_name(e.code)));
  };
  Router r;
  r.add(Method::Post, "/face/upload", ok, {}, &face);
  r.add(Method::Get, "/other", ok);
  r.add_error_prefix("/face", &face);
  docent::testing::TempDir dir;
  ServerOptions opts;
  opts.host = "127.0.0.1";
  opts.port = 0;
  opts.threads = 1;
  opts.workers = 2;
  opts.spool_dir = dir.path();
  core::MetricsRegistry metrics;
  Server server(opts, r, {}, metrics);
  ASSERT_TRUE(server.listen().ok());
  std::thread t([&] { server.run(false); });
  docent::testing::HttpClient c(server.port());
  EXPECT_EQ(c.get("/face/missing/deeper").body, "face:NOT_FOUND");
  EXPECT_EQ(c.get("/face/upload").body, "face:METHOD_NOT_ALLOWED");
  EXPECT_NE(c.get("/elsewhere").body.find("\"error\""), std::string::npos);  // the default renderer
  EXPECT_NE(c.request("POST", "/other").body.find("\"error\""), std::string::npos);
  server.stop();
  t.join();
}

}  // namespace
}  // namespace docent::http
