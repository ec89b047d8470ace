// Request framing on raw sockets, in-process: the ways two parsers could disagree about where a
// request ends (RFC 9112 §6.1, §6.3) are refused and the connection closed, so nothing after them
// is ever served; and a declared body above its route's limit is refused before it is sent.

#include "http/server.h"
#include "http/wire.h"

#include "support/http_client.h"
#include "support/server_process.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

namespace docent::http {
namespace {

using docent::testing::HttpClient;
using namespace std::chrono_literals;

class FramingServer {
 public:
  explicit FramingServer(ServerOptions opts = {}) {
    router_.add(Method::Get, "/health", [this](Request&) {
      ++health_;
      return Response::text(200, "ok");
    });
    router_.add(Method::Post, "/echo", [](Request& req) { return Response::text(200, "got:" + req.body); });
    router_.add(Method::Post, "/upload",
                [](Request& req) { return Response::text(200, req.form ? "form" : "no form"); }, {.multipart = true});
    router_.add(Method::Post, "/file-json",
                [](Request& req) { return Response::text(200, std::to_string(req.body.size())); },
                {.file_in_json = true});
    opts.host = "127.0.0.1";
    opts.port = 0;
    opts.threads = 2;
    opts.workers = 2;
    opts.spool_dir = spool_.path();
    server_ = std::make_unique<Server>(opts, router_, std::vector<Middleware>{}, metrics_);
    if (auto st = server_->listen(); !st) throw std::runtime_error(st.error().message);
    thread_ = std::thread([this] { server_->run(false); });
  }
  ~FramingServer() {
    server_->stop();
    thread_.join();
  }
  uint16_t port() const { return server_->port(); }
  int health_answered() const { return health_; }

 private:
  docent::testing::TempDir spool_;
  core::MetricsRegistry metrics_;
  Router router_;
  std::atomic<int> health_{0};
  std::unique_ptr<Server> server_;
  std::thread thread_;
};

size_t count_of(const std::string& haystack, const std::string& needle) {
  size_t n = 0;
  for (size_t at = haystack.find(needle); at != std::string::npos; at = haystack.find(needle, at + 1)) ++n;
  return n;
}

// Sends `bytes` and reads until the server closes; `closed` tells whether it did so in time.
struct RawExchange {
  std::string out;
  bool closed = false;
};
RawExchange exchange(uint16_t port, const std::string& bytes) {
  HttpClient c(port);
  auto start = std::chrono::steady_clock::now();
  RawExchange r;
  r.out = c.raw(bytes, 4000ms);
  r.closed = std::chrono::steady_clock::now() - start < 3500ms;
  return r;
}

const std::string kSmuggled = "GET /health HTTP/1.1\r\nHost: x\r\n\r\n";

TEST(HttpFraming, TransferEncodingChunkedIdentityIsRefusedAndTheConnectionClosed) {
  FramingServer s;
  // Read as "no body", the chunk would be parsed as the next request.
  auto r = exchange(s.port(), "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked, identity\r\n\r\n" +
                                  std::string("22\r\n") + kSmuggled + "\r\n0\r\n\r\n");
  EXPECT_EQ(HttpClient::status_of(r.out), 400) << r.out;
  EXPECT_TRUE(r.closed) << "the connection stayed open";
  EXPECT_EQ(count_of(r.out, "HTTP/1.1 "), 1u) << r.out;
  EXPECT_NE(r.out.find("Connection: close"), std::string::npos) << r.out;
  EXPECT_EQ(s.health_answered(), 0);
}

TEST(HttpFraming, TransferEncodingXchunkedWithContentLengthIsRefusedAndTheSmuggledRequestNeverAnswered) {
  FramingServer s;
  const std::string body = "0\r\n\r\n" + kSmuggled;
  auto r = exchange(s.port(), "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: xchunked\r\nContent-Length: " +
                                  std::to_string(5) + "\r\n\r\n" + body);
  EXPECT_EQ(HttpClient::status_of(r.out), 400) << r.out;
  EXPECT_TRUE(r.closed);
  EXPECT_EQ(count_of(r.out, "HTTP/1.1 "), 1u) << r.out;
  EXPECT_EQ(r.out.find("ok"), std::string::npos) << r.out;
  EXPECT_EQ(s.health_answered(), 0);
}

TEST(HttpFraming, TransferEncodingTogetherWithContentLengthIsRefusedInEitherOrder) {
  FramingServer s;
  for (const std::string& head : {std::string("Transfer-Encoding: chunked\r\nContent-Length: 5\r\n"),
                                  std::string("Content-Length: 5\r\nTransfer-Encoding: chunked\r\n")}) {
    auto r = exchange(s.port(), "POST /echo HTTP/1.1\r\nHost: x\r\n" + head + "\r\n0\r\n\r\n" + kSmuggled);
    EXPECT_EQ(HttpClient::status_of(r.out), 400) << head << r.out;
    EXPECT_TRUE(r.closed) << head;
    EXPECT_EQ(count_of(r.out, "HTTP/1.1 "), 1u) << r.out;
  }
  EXPECT_EQ(s.health_answered(), 0);
}

TEST(HttpFraming, TransferEncodingsOtherThanOneChunkedAreRefused) {
  FramingServer s;
  for (std::string te : {"gzip", "chunked, chunked", "gzip, chunked", "identity", ""}) {
    auto r = exchange(s.port(),
                      "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: " + te + "\r\n\r\n0\r\n\r\n" + kSmuggled);
    EXPECT_EQ(HttpClient::status_of(r.out), 400) << "Transfer-Encoding: " << te << "\n" << r.out;
    EXPECT_TRUE(r.closed) << te;
  }
  EXPECT_EQ(s.health_answered(), 0);
}

TEST(HttpFraming, RepeatedContentLengthIsRefusedEvenWhenTheValuesAgree) {
  FramingServer s;
  for (const std::string& head :
       {std::string("Content-Length: 3\r\nContent-Length: 3\r\n"), std::string("Content-Length: 3, 3\r\n"),
        std::string("Content-Length: 3\r\nContent-Length: 40\r\n")}) {
    auto r = exchange(s.port(), "POST /echo HTTP/1.1\r\nHost: x\r\n" + head + "\r\nabc" + kSmuggled);
    EXPECT_EQ(HttpClient::status_of(r.out), 400) << head << r.out;
    EXPECT_TRUE(r.closed) << head;
    EXPECT_EQ(count_of(r.out, "HTTP/1.1 "), 1u) << r.out;
  }
  EXPECT_EQ(s.health_answered(), 0);
}

TEST(HttpFraming, WellFramedBodiesAndPipelinedRequestsStillWork) {
  FramingServer s;
  HttpClient c(s.port());
  std::string out = c.raw_until(
      "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: Chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n"
      "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\nde" +
          kSmuggled,
      "\r\n\r\nok", 3000ms);
  c.close_raw();
  EXPECT_NE(out.find("got:abc"), std::string::npos) << out;
  EXPECT_NE(out.find("got:de"), std::string::npos) << out;
  EXPECT_EQ(count_of(out, "HTTP/1.1 200"), 3u) << out;
}

TEST(HttpFraming, DeclaredBodyAboveTheRoutesLimitIs413BeforeAnyOfItIsSent) {
  ServerOptions opts;
  opts.max_body_bytes = 1000;
  opts.max_upload_bytes = 10'000;
  opts.upload_overhead_bytes = 500;
  FramingServer s(opts);
  struct Case {
    std::string target, content_type;
    size_t refused, accepted_declared;
  };
  const Case cases[] = {
      {"/echo", "application/json", 1001, 1000},
      {"/upload", "multipart/form-data; boundary=b", 10'501, 10'500},  // the file plus the overhead
      {"/upload", "application/json", 1001, 1000},                     // not a form: a JSON body's limit
      {"/file-json", "application/json", 20'501, 20'500},              // the file in Base16, plus the overhead
  };
  for (const auto& k : cases) {
    auto start = std::chrono::steady_clock::now();
    auto r = exchange(s.port(), "POST " + k.target + " HTTP/1.1\r\nHost: x\r\nContent-Type: " + k.content_type +
                                    "\r\nContent-Length: " + std::to_string(k.refused) + "\r\n\r\n");
    EXPECT_EQ(HttpClient::status_of(r.out), 413) << k.target << " " << k.content_type << "\n" << r.out;
    EXPECT_LT(std::chrono::steady_clock::now() - start, 1000ms) << "the server waited for a body it must refuse";
    EXPECT_TRUE(r.closed);
    // At the limit the server waits for the body instead (the request times out or is answered).
    HttpClient c(s.port());
    std::string partial = c.raw_until("POST " + k.target + " HTTP/1.1\r\nHost: x\r\nContent-Type: " + k.content_type +
                                          "\r\nContent-Length: " + std::to_string(k.accepted_declared) + "\r\n\r\n",
                                      "HTTP/1.1", 300ms);
    c.close_raw();
    EXPECT_EQ(partial.find("413"), std::string::npos) << k.target << " " << partial;
  }
}

TEST(Wire, FramingCheckRefusesAmbiguousBodies) {
  auto framing = [](std::vector<std::pair<std::string, std::string>> fields, unsigned version = 11) {
    Headers h;
    for (auto& [k, v] : fields) h.add(k, v);
    return check_request_framing(h, version);
  };
  EXPECT_TRUE(framing({}).ok());
  EXPECT_TRUE(framing({{"Content-Length", "12"}}).ok());
  EXPECT_TRUE(framing({{"transfer-encoding", " CHUNKED "}}).ok());
  EXPECT_FALSE(framing({{"Transfer-Encoding", "chunked, identity"}}).ok());
  EXPECT_FALSE(framing({{"Transfer-Encoding", "xchunked"}, {"Content-Length", "5"}}).ok());
  EXPECT_FALSE(framing({{"Transfer-Encoding", "chunked"}, {"Content-Length", "5"}}).ok());
  EXPECT_FALSE(framing({{"Transfer-Encoding", "chunked"}, {"Transfer-Encoding", "chunked"}}).ok());
  EXPECT_FALSE(framing({{"Transfer-Encoding", "chunked"}}, 10).ok());
  EXPECT_FALSE(framing({{"Content-Length", "5"}, {"Content-Length", "5"}}).ok());
  EXPECT_FALSE(framing({{"Content-Length", "5, 5"}}).ok());
  EXPECT_FALSE(framing({{"Content-Length", "+5"}}).ok());
  EXPECT_EQ(framing({{"Content-Length", ""}}).error().code, core::Code::BadRequest);
  // The whole-message parser (the fuzzer's) applies the same check.
  EXPECT_FALSE(parse_request_bytes("POST / HTTP/1.1\r\nTransfer-Encoding: chunked, identity\r\n\r\n", {}).ok());
  EXPECT_FALSE(parse_request_bytes("POST / HTTP/1.1\r\nContent-Length: 1, 1\r\n\r\na", {}).ok());
}

}  // namespace
}  // namespace docent::http
