#include "http/router.h"

#include <gtest/gtest.h>

namespace docent::http {
namespace {

Handler named(std::string name) {
  return [name](Request&) { return Response::text(200, name); };
}

std::string call(const RouteMatch& m) {
  Request req;
  return m.route ? m.route->handler(req).body : "";
}

TEST(Router, SeedPathsWithLiteralsAndParametersBothRoute) {
  Router r;
  r.add(Method::Get, "/api/files/read/{guid}", named("read"));
  r.add(Method::Get, "/api/files/{file_id}/status", named("status"));
  auto read = r.match(Method::Get, "/api/files/read/abc");
  ASSERT_EQ(read.kind, RouteMatch::Kind::Found);
  EXPECT_EQ(call(read), "read");
  EXPECT_EQ(read.params, (std::vector<std::pair<std::string, std::string>>{{"guid", "abc"}}));
  auto status = r.match(Method::Get, "/api/files/f-1/status");
  ASSERT_EQ(status.kind, RouteMatch::Kind::Found);
  EXPECT_EQ(call(status), "status");
  EXPECT_EQ(status.params[0].second, "f-1");
  // "read" as a file id still reaches the status route through backtracking.
  auto tricky = r.match(Method::Get, "/api/files/read/status");
  EXPECT_EQ(call(tricky), "read");
}

TEST(Router, LiteralWinsOverParameterRegardlessOfOrder) {
  Router r;
  r.add(Method::Get, "/api/sessions/{id}", named("param"));
  r.add(Method::Get, "/api/sessions/latest", named("literal"));
  EXPECT_EQ(call(r.match(Method::Get, "/api/sessions/latest")), "literal");
  EXPECT_EQ(call(r.match(Method::Get, "/api/sessions/other")), "param");
}

TEST(Router, BacktracksWhenTheLiteralBranchDeadEnds) {
  Router r;
  r.add(Method::Get, "/a/b/c", named("abc"));
  r.add(Method::Get, "/a/{x}/d", named("axd"));
  auto m = r.match(Method::Get, "/a/b/d");
  ASSERT_EQ(m.kind, RouteMatch::Kind::Found);
  EXPECT_EQ(call(m), "axd");
  EXPECT_EQ(m.params[0].second, "b");
}

TEST(Router, MethodNotAllowedListsAllowedMethods) {
  Router r;
  r.add(Method::Get, "/things/{id}", named("get"));
  r.add(Method::Delete, "/things/{id}", named("delete"));
  auto m = r.match(Method::Post, "/things/1");
  EXPECT_EQ(m.kind, RouteMatch::Kind::MethodNotAllowed);
  EXPECT_EQ(m.allowed.size(), 2u);
  EXPECT_EQ(r.match(Method::Get, "/nothing").kind, RouteMatch::Kind::NotFound);
}

TEST(Router, MethodIsMatchedAcrossBranches) {
  // POST only on the literal, GET only on the parameter: GET /a/literal must find the parameter.
  Router r;
  r.add(Method::Post, "/a/literal", named("post"));
  r.add(Method::Get, "/a/{id}", named("get"));
  EXPECT_EQ(call(r.match(Method::Get, "/a/literal")), "get");
  EXPECT_EQ(call(r.match(Method::Post, "/a/literal")), "post");
}

TEST(Router, HeadFallsBackToGet) {
  Router r;
  r.add(Method::Get, "/health", named("health"));
  EXPECT_EQ(call(r.match(Method::Head, "/health")), "health");
}

TEST(Router, WildcardTakesTheRest) {
  Router r;
  r.add(Method::Get, "/ui/{path...}", named("ui"));
  r.add(Method::Get, "/ui/special", named("special"));
  auto m = r.match(Method::Get, "/ui/css/site.css");
  ASSERT_EQ(m.kind, RouteMatch::Kind::Found);
  EXPECT_EQ(m.params[0], (std::pair<std::string, std::string>{"path", "css/site.css"}));
  EXPECT_EQ(call(r.match(Method::Get, "/ui/special")), "special");
  EXPECT_EQ(r.match(Method::Get, "/ui/").params[0].second, "");
}

TEST(Router, RootAndTrailingSlashesAreDistinct) {
  Router r;
  r.add(Method::Get, "/", named("root"));
  r.add(Method::Get, "/x", named("x"));
  EXPECT_EQ(call(r.match(Method::Get, "/")), "root");
  EXPECT_EQ(call(r.match(Method::Get, "/x")), "x");
  EXPECT_EQ(r.match(Method::Get, "/x/").kind, RouteMatch::Kind::NotFound);
}

TEST(Router, EmptySegmentNeverMatchesAParameter) {
  Router r;
  r.add(Method::Get, "/files/{id}", named("file"));
  EXPECT_EQ(r.match(Method::Get, "/files/").kind, RouteMatch::Kind::NotFound);
}

TEST(Router, TableBugsFailAtStart) {
  Router r;
  r.add(Method::Get, "/a/{id}", named("a"));
  EXPECT_THROW(r.add(Method::Get, "/a/{id}", named("dup")), std::invalid_argument);
  EXPECT_THROW(r.add(Method::Get, "/a/{other}/x", named("conflict")), std::invalid_argument);
  EXPECT_THROW(r.add(Method::Get, "no-slash", named("bad")), std::invalid_argument);
  EXPECT_THROW(r.add(Method::Get, "/w/{rest...}/more", named("bad")), std::invalid_argument);
  EXPECT_THROW(r.add(Method::Get, "/x{y}", named("bad")), std::invalid_argument);
  EXPECT_NO_THROW(r.add(Method::Post, "/a/{id}", named("post")));
}

TEST(Router, RoutesAreListedInOrder) {
  Router r;
  r.add(Method::Get, "/one", named("1"), {.is_public = true});
  r.add(Method::Post, "/two", named("2"));
  auto all = r.routes();
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[0]->pattern, "/one");
  EXPECT_TRUE(all[0]->options.is_public);
  EXPECT_EQ(all[1]->method, Method::Post);
}

}  // namespace
}  // namespace docent::http
