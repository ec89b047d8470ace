// Downloads name the file by its base name only (RFC 6266, filename* for non-ASCII names), and
// every response the server writes, whatever its kind, tells browsers not to sniff its type.

#include "http/download.h"
#include "http/server.h"

#include "support/http_client.h"
#include "support/server_process.h"

#include <gtest/gtest.h>

#include <fstream>
#include <thread>

namespace docent::http {
namespace {

using docent::testing::HttpClient;
using namespace std::chrono_literals;

TEST(Download, ContentDispositionCarriesTheBaseNameOnly) {
  EXPECT_EQ(attachment_disposition("../../etc/passwd"), "attachment; filename=\"passwd\"");
  EXPECT_EQ(attachment_disposition("..\\..\\windows\\win.ini"), "attachment; filename=\"win.ini\"");
  EXPECT_EQ(attachment_disposition("/abs/report.pdf"), "attachment; filename=\"report.pdf\"");
  EXPECT_EQ(attachment_disposition("dir/.."), "attachment; filename=\"download\"");
  EXPECT_EQ(attachment_disposition(""), "attachment; filename=\"download\"");
  EXPECT_EQ(attachment_disposition("plain name.txt"), "attachment; filename=\"plain name.txt\"");
}

TEST(Download, NonAsciiNamesGetAnRfc6266FilenameStarBesideAnAsciiFallback) {
  EXPECT_EQ(attachment_disposition("Jürgen €.pdf"),
            "attachment; filename=\"J_rgen _.pdf\"; filename*=UTF-8''J%C3%BCrgen%20%E2%82%AC.pdf");
  EXPECT_EQ(attachment_disposition("x/日本.txt"),
            "attachment; filename=\"__.txt\"; filename*=UTF-8''%E6%97%A5%E6%9C%AC.txt");
}

TEST(Download, QuotesControlsAndPercentCannotBreakOutOfTheHeaderValue) {
  const std::string v = attachment_disposition("a\"; filename=evil.html\r\n%41.txt");
  EXPECT_EQ(v.find('\r'), std::string::npos);
  EXPECT_EQ(v.find('\n'), std::string::npos);
  EXPECT_EQ(v.rfind("attachment; filename=\"a_; filename=evil.html___41.txt\"; filename*=UTF-8''", 0), 0u) << v;
  EXPECT_NE(v.find("a%22%3B%20filename%3Devil.html%0D%0A%2541.txt"), std::string::npos) << v;
}

TEST(Download, UploadedHtmlIsAnAttachmentInASandbox) {
  Response res = attachment("/tmp/x.html", "text/html", "page.html");
  EXPECT_EQ(res.headers.get("Content-Type"), "text/html");
  EXPECT_EQ(res.headers.get("Content-Disposition"), "attachment; filename=\"page.html\"");
  EXPECT_NE(std::string(res.headers.get("Content-Security-Policy").value_or("")).find("sandbox"), std::string::npos);
}

TEST(HttpServer, EveryKindOfResponseSaysNosniff) {
  docent::testing::TempDir dir;
  const auto file = dir.path() / "f.svg";
  std::ofstream(file) << "<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>";
  Router r;
  r.add(Method::Get, "/plain", [](Request&) { return Response::text(200, "hi"); });
  r.add(Method::Get, "/file", [&](Request&) { return attachment(file, "image/svg+xml", "f.svg"); });
  r.add(Method::Get, "/events", [](Request&) { return Response::stream([](SseSink& s) { s.send("x"); }); });
  r.add(Method::Post, "/small", [](Request&) { return Response::text(200, "never"); }, {.max_body_bytes = 10});
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

  HttpClient c(server.port());
  for (const char* target : {"/plain", "/file", "/events", "/nowhere"}) {
    auto res = c.get(target);
    EXPECT_EQ(res.header("x-content-type-options"), "nosniff") << target << " " << res.status;
  }
  EXPECT_EQ(c.get("/file").header("content-disposition"), "attachment; filename=\"f.svg\"");
  // Errors the server answers before any handler runs: a refused body, a malformed request.
  std::string too_big = c.raw("POST /small HTTP/1.1\r\nHost: x\r\nContent-Length: 99\r\n\r\n");
  EXPECT_EQ(HttpClient::status_of(too_big), 413);
  EXPECT_NE(too_big.find("X-Content-Type-Options: nosniff"), std::string::npos) << too_big;
  std::string malformed = c.raw("GET / HTTP/1.1\r\nBad Header\r\n\r\n");
  EXPECT_EQ(HttpClient::status_of(malformed), 400);
  EXPECT_NE(malformed.find("X-Content-Type-Options: nosniff"), std::string::npos) << malformed;

  server.stop();
  t.join();
}

}  // namespace
}  // namespace docent::http
