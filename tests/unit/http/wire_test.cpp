#include "http/wire.h"

#include <gtest/gtest.h>

namespace docent::http {
namespace {

TEST(Wire, TargetIsDecoded) {
  Request req;
  ASSERT_TRUE(parse_target("/api/files/a%20b?x=1&name=J%C3%BCrgen+M&flag&=v&empty=", req).ok());
  EXPECT_EQ(req.path, "/api/files/a b");
  EXPECT_EQ(req.query_param("x"), "1");
  EXPECT_EQ(req.query_param("name"), "Jürgen M");
  EXPECT_EQ(req.query_param("flag"), "");
  EXPECT_EQ(req.query_param("empty"), "");
  EXPECT_FALSE(req.query_param("missing").has_value());
}

TEST(Wire, BadTargetsAreRejected) {
  Request req;
  EXPECT_EQ(parse_target("http://host/x", req).error().code, core::Code::BadRequest);
  EXPECT_FALSE(parse_target("/a%zz", req).ok());
  EXPECT_FALSE(parse_target("/a%4", req).ok());
  EXPECT_FALSE(parse_target("/a?b=%", req).ok());
  EXPECT_FALSE(parse_target("", req).ok());
}

TEST(Wire, PercentDecode) {
  EXPECT_EQ(percent_decode("a%2Fb"), "a/b");
  EXPECT_EQ(percent_decode("a+b"), "a+b");
  EXPECT_EQ(percent_decode("a+b", true), "a b");
  EXPECT_FALSE(percent_decode("%").has_value());
  EXPECT_FALSE(percent_decode("%g0").has_value());
}

TEST(Wire, WholeRequestParses) {
  auto req = parse_request_bytes(
      "POST /v1/echo?q=1 HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 7\r\n\r\n{\"a\":1}",
      {});
  ASSERT_TRUE(req.ok()) << req.error().message;
  EXPECT_EQ(req->method, Method::Post);
  EXPECT_EQ(req->path, "/v1/echo");
  EXPECT_EQ(req->header("content-type"), "application/json");
  EXPECT_EQ(req->body, "{\"a\":1}");
}

TEST(Wire, LimitsAndMalformedInput) {
  WireLimits tight{.max_header_bytes = 64, .max_body_bytes = 4};
  EXPECT_EQ(parse_request_bytes("GET / HTTP/1.1\r\nX: " + std::string(200, 'a') + "\r\n\r\n", tight).error().code,
            core::Code::HeadersTooLarge);
  EXPECT_EQ(parse_request_bytes("POST / HTTP/1.1\r\nContent-Length: 9\r\n\r\n123456789", tight).error().code,
            core::Code::PayloadTooLarge);
  EXPECT_EQ(parse_request_bytes("NOT HTTP\r\n\r\n", {}).error().code, core::Code::BadRequest);
  EXPECT_EQ(parse_request_bytes("POST / HTTP/1.1\r\nContent-Length: 10\r\n\r\nabc", {}).error().code,
            core::Code::BadRequest);
  EXPECT_FALSE(parse_request_bytes("GET / HTTP/1.1\r\nContent-Length: -1\r\n\r\n", {}).ok());
  EXPECT_FALSE(parse_request_bytes("GET / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab", {}).ok());
}

}  // namespace
}  // namespace docent::http

namespace docent::http {
namespace {

// Found by http_request_fuzz: an empty input tripped an assertion in Beast's put_eof.
TEST(Wire, EmptyInputIsBadRequestNotAnAssertion) {
  EXPECT_EQ(parse_request_bytes("", {}).error().code, core::Code::BadRequest);
}

}  // namespace
}  // namespace docent::http
