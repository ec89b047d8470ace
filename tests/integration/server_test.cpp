// The real binary on loopback: health, metrics, echo, routing errors and every kind of bad
// input the HTTP layer must turn into a clean 4xx without falling over.

#include "support/http_client.h"
#include "support/server_process.h"

#include <gtest/gtest.h>

#include <signal.h>
#include <sys/wait.h>

#include <regex>

namespace docent::testing {
namespace {

namespace json = boost::json;

class ServerTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { server_ = new ServerProcess(); }
  static void TearDownTestSuite() {
    delete server_;
    server_ = nullptr;
  }
  void TearDown() override {
    // Whatever a test sent, the server must still be up and answering.
    HttpClient probe(server_->port());
    EXPECT_EQ(probe.get("/health").status, 200) << server_->stderr_text();
  }
  static ServerProcess* server_;
  HttpClient client{server_->port()};
};
ServerProcess* ServerTest::server_ = nullptr;

TEST_F(ServerTest, HealthReportsOkWithVersion) {
  auto res = client.get("/health");
  ASSERT_EQ(res.status, 200);
  EXPECT_EQ(res.header("content-type"), "application/json");
  auto body = res.json().as_object();
  EXPECT_EQ(body.at("status"), "ok");
  EXPECT_EQ(body.at("version"), DOCENT_VERSION);
  EXPECT_EQ(body.at("checks").at("data_dir"), "ok");
}

TEST_F(ServerTest, NexusHealthUsesItsEnvelope) {
  auto res = client.get("/v1/health");
  ASSERT_EQ(res.status, 200);
  auto body = res.json().as_object();
  EXPECT_EQ(body.at("success"), true);
  EXPECT_EQ(body.at("status"), "healthy");
  EXPECT_TRUE(std::regex_match(std::string(body.at("timestamp").as_string()),
                               std::regex(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ)")));
}

TEST_F(ServerTest, HeadIsServedByGetWithoutBody) {
  auto res = client.request("HEAD", "/health");
  EXPECT_EQ(res.status, 200);
  EXPECT_TRUE(res.body.empty());
  EXPECT_NE(res.header("content-length"), "0");
}

TEST_F(ServerTest, EchoRoundTripsJson) {
  auto res = client.post_json("/v1/echo", R"({"message":"héllo","n":[1,2.5,true,null,{"x":"y"}]})");
  ASSERT_EQ(res.status, 200);
  EXPECT_EQ(res.json(), json::parse(R"({"message":"héllo","n":[1,2.5,true,null,{"x":"y"}]})"));
}

TEST_F(ServerTest, MalformedJsonIs400InNativeShape) {
  auto res = client.post_json("/v1/echo", R"({"message": )");
  ASSERT_EQ(res.status, 400);
  auto err = res.json().at("error").as_object();
  EXPECT_EQ(err.at("code"), "INVALID_JSON");
  EXPECT_EQ(err.at("type"), "invalid_request_error");
  EXPECT_FALSE(err.at("message").as_string().empty());
}

TEST_F(ServerTest, EmptyAndTooDeepJsonAre400) {
  EXPECT_EQ(client.post_json("/v1/echo", "").status, 400);
  std::string deep(200, '[');
  deep += std::string(200, ']');
  auto res = client.post_json("/v1/echo", deep);
  ASSERT_EQ(res.status, 400);
  EXPECT_NE(std::string(res.json().at("error").at("message").as_string()).find("deeper"), std::string::npos);
}

TEST_F(ServerTest, UnknownRouteIs404AndWrongMethodIs405) {
  auto nf = client.get("/no/such/route");
  EXPECT_EQ(nf.status, 404);
  EXPECT_EQ(nf.json().at("error").at("code"), "NOT_FOUND");
  auto na = client.request("DELETE", "/health");
  EXPECT_EQ(na.status, 405);
  EXPECT_EQ(na.header("allow"), "GET");
}

TEST_F(ServerTest, RequestIdIsEchoedOrMade) {
  auto given = client.get("/health", {{"X-Request-Id", "trace-abc.123"}});
  EXPECT_EQ(given.header("x-request-id"), "trace-abc.123");
  auto made = client.get("/health", {{"X-Request-Id", "bad id with spaces"}});
  EXPECT_TRUE(std::regex_match(made.header("x-request-id"),
                               std::regex("[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}")));
  EXPECT_NE(made.header("server-timing").find("app;dur="), std::string::npos);
}

TEST_F(ServerTest, CorsPreflightAndSimpleRequests) {
  auto pre = client.request("OPTIONS", "/v1/echo", {},
                            {{"Origin", "http://app.example"},
                             {"Access-Control-Request-Method", "POST"},
                             {"Access-Control-Request-Headers", "content-type, authorization"}});
  EXPECT_EQ(pre.status, 204);
  EXPECT_EQ(pre.header("access-control-allow-origin"), "*");
  EXPECT_NE(pre.header("access-control-allow-methods").find("POST"), std::string::npos);
  auto simple = client.get("/health", {{"Origin", "http://app.example"}});
  EXPECT_EQ(simple.header("access-control-allow-origin"), "*");
}

TEST_F(ServerTest, KeepAliveServesPipelinedRequests) {
  std::string two =
      "GET /health HTTP/1.1\r\nHost: x\r\n\r\nGET /v1/health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
  std::string out = client.raw(two);
  size_t first = out.find("HTTP/1.1 200");
  ASSERT_NE(first, std::string::npos) << out;
  EXPECT_NE(out.find("HTTP/1.1 200", first + 1), std::string::npos) << out;
  EXPECT_NE(out.find("\"healthy\""), std::string::npos);
}

TEST_F(ServerTest, MalformedRequestLineIs400WithJsonBody) {
  std::string out = client.raw("THIS IS NOT HTTP\r\n\r\n");
  EXPECT_EQ(HttpClient::status_of(out), 400) << out;
  EXPECT_NE(out.find("\"code\":\"BAD_REQUEST\""), std::string::npos) << out;
}

TEST_F(ServerTest, BadTargetIs400) {
  EXPECT_EQ(HttpClient::status_of(client.raw("GET /health%zz HTTP/1.1\r\nHost: x\r\n\r\n")), 400);
  EXPECT_EQ(HttpClient::status_of(client.raw("GET http://elsewhere/ HTTP/1.1\r\nHost: x\r\n\r\n")), 400);
}

TEST_F(ServerTest, OversizedHeadersAre431) {
  std::string req = "GET /health HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(40 * 1024, 'a') + "\r\n\r\n";
  std::string out = client.raw(req);
  EXPECT_EQ(HttpClient::status_of(out), 431) << out.substr(0, 200);
  EXPECT_NE(out.find("HEADERS_TOO_LARGE"), std::string::npos);
}

TEST_F(ServerTest, DeclaredOversizedBodyIs413BeforeUpload) {
  // 10 GB declared, nothing sent: the answer must come at once, from the headers alone.
  std::string out = client.raw_until(
      "POST /v1/echo HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 10000000000\r\n\r\n",
      "\r\n\r\n");
  client.close_raw();
  EXPECT_EQ(HttpClient::status_of(out), 413) << out;
}

TEST_F(ServerTest, StreamedOversizedBodyIs413) {
  std::string big = "[\"" + std::string(200 * 1024, 'x') + "\"]";
  auto res = client.post_json("/v1/echo", big);
  EXPECT_EQ(res.status, 413);
  EXPECT_EQ(res.json().at("error").at("code"), "PAYLOAD_TOO_LARGE");
  // Chunked, no Content-Length: the limit still holds.
  std::string chunk(48 * 1024, 'y');
  char size_hex[16];
  std::snprintf(size_hex, sizeof size_hex, "%zx", chunk.size());
  std::string req = "POST /v1/echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n";
  for (int i = 0; i < 3; ++i) req += std::string(size_hex) + "\r\n" + chunk + "\r\n";
  req += "0\r\n\r\n";
  EXPECT_EQ(HttpClient::status_of(client.raw(req)), 413);
}

TEST_F(ServerTest, TruncatedBodyDoesNotHangTheServer) {
  std::string out = client.raw("POST /v1/echo HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{\"a\":",
                               std::chrono::milliseconds(300));
  EXPECT_EQ(out, "");  // still waiting for the body; the client gives up and the server moves on
}

TEST_F(ServerTest, MetricsCountRequestsByRouteAndStatus) {
  ServerProcess fresh;
  HttpClient c(fresh.port());
  c.get("/health");
  c.get("/health");
  c.get("/missing");
  auto res = c.get("/metrics");
  ASSERT_EQ(res.status, 200);
  EXPECT_NE(res.header("content-type").find("text/plain"), std::string::npos);
  EXPECT_NE(res.body.find(R"(docent_http_requests_total{route="/health",method="GET",status="200"} 2)"),
            std::string::npos)
      << res.body;
  EXPECT_NE(res.body.find(R"(docent_http_requests_total{route="unmatched",method="GET",status="404"} 1)"),
            std::string::npos);
  EXPECT_NE(res.body.find(R"(docent_http_request_duration_seconds_count{route="/health"} 2)"), std::string::npos);
  EXPECT_NE(res.body.find("docent_http_requests_in_flight 1"), std::string::npos);  // this request
  EXPECT_NE(res.body.find("docent_http_sse_streams_open 0"), std::string::npos);
}

TEST_F(ServerTest, WebUiIsServedAndPathsCannotEscape) {
  auto index = client.get("/");
  ASSERT_EQ(index.status, 200);
  EXPECT_NE(index.header("content-type").find("text/html"), std::string::npos);
  EXPECT_NE(index.body.find("docent"), std::string::npos);
  EXPECT_EQ(client.get("/ui/index.html").status, 200);
  EXPECT_EQ(client.get("/ui/../../../../etc/passwd").status, 404);
  EXPECT_EQ(client.get("/ui/%2e%2e/%2e%2e/etc/passwd").status, 404);
  EXPECT_EQ(client.get("/ui/.hidden").status, 404);
}

TEST(ServerLifecycle, SigtermShutsDownCleanly) {
  ServerProcess server;
  HttpClient c(server.port());
  ASSERT_EQ(c.get("/health").status, 200);
  int status = server.stop(SIGTERM);
  ASSERT_NE(status, -1) << "did not exit within the deadline";
  EXPECT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0);
}

TEST(ServerLifecycle, BusyPortIsAClearError) {
  ServerProcess first;
  TempDir other;  // a data folder of its own: the same one would be refused for its lock first
  auto r = run_docent({"serve", "--host", "127.0.0.1", "--port", std::to_string(first.port()), "--data",
                       (other.path() / "d").string()});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("cannot listen"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace docent::testing
