// Errors on paths no route matches take the envelope of the face that owns the path: the longest
// whole-segment prefix a face registered.

#include "http/router.h"

#include <gtest/gtest.h>

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

}  // namespace
}  // namespace docent::http
