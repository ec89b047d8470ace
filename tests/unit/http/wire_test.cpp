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

// Found by http_request_fuzz: an empty input tripped an assertion in Beast's put_eof.
TEST(Wire, EmptyInputIsBadRequestNotAnAssertion) {
  EXPECT_EQ(parse_request_bytes("", {}).error().code, core::Code::BadRequest);
}

TEST(Wire, ResponseHeadFramesTheBody) {
  Headers h;
  h.add("Content-Type", "application/json");
  h.add("Content-Length", "999");     // the handler's own framing is ignored
  h.add("Connection", "keep-alive");  // so is its connection management
  std::string out;
  write_response_head(out, 200, h, 7, true);
  EXPECT_EQ(out,
            "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nServer: docent\r\nX-Content-Type-Options: nosniff\r\n"
            "Content-Length: 7\r\n\r\n");

  out.clear();
  write_response_head(out, 404, Headers(), 0, false);
  EXPECT_EQ(out,
            "HTTP/1.1 404 Not Found\r\nServer: docent\r\nX-Content-Type-Options: nosniff\r\nContent-Length: 0\r\n"
            "Connection: close\r\n\r\n");
}

TEST(Wire, ResponseHeadHasNoLengthWithoutABody) {
  std::string out;
  write_response_head(out, 204, Headers(), 0, true);
  EXPECT_EQ(out, "HTTP/1.1 204 No Content\r\nServer: docent\r\nX-Content-Type-Options: nosniff\r\n\r\n");
  EXPECT_TRUE(status_has_no_body(304));
  EXPECT_TRUE(status_has_no_body(101));
  EXPECT_FALSE(status_has_no_body(200));
}

TEST(Wire, ResponseHeadValuesCannotInjectHeaders) {
  Headers h;
  h.add("X-Name", "a\r\nSet-Cookie: evil=1");
  h.add("Server", "custom");
  std::string out;
  write_response_head(out, 200, h, 0, true);
  EXPECT_EQ(out.find("\r\nSet-Cookie"), std::string::npos);
  EXPECT_NE(out.find("X-Name: a  Set-Cookie: evil=1\r\n"), std::string::npos);
  EXPECT_NE(out.find("Server: custom\r\n"), std::string::npos);
  EXPECT_EQ(out.find("Server: docent"), std::string::npos);
}

TEST(Wire, ResponseHeadUnknownStatusStillFrames) {
  std::string out;
  write_response_head(out, 42, Headers(), 3, true);
  EXPECT_EQ(out.rfind("HTTP/1.1 500 ", 0), 0u);
}

}  // namespace
}  // namespace docent::http
