// What an attacker tried at the HTTP level, against the real binary: smuggling a request behind
// ambiguous framing, a huge declared upload, download names that climb folders, uploaded HTML,
// and 404/405 answers that ignored the face whose paths they are under (issue 16, items 2, 3, 8).

#include "support/http_client.h"
#include "support/server_process.h"

#include <gtest/gtest.h>

namespace docent::testing {
namespace {

namespace json = boost::json;
using namespace std::chrono_literals;

class HttpHardening : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { server_ = new ServerProcess(); }
  static void TearDownTestSuite() {
    delete server_;
    server_ = nullptr;
  }
  std::string key() const { return server_->admin_key(); }

  HttpResponse upload(const std::string& filename, const std::string& bytes) {
    auto body = multipart_body("hh", {{"purpose", "", "", "assistants"}, {"file", filename, "text/plain", bytes}});
    return client.request("POST", "/v1/files", body,
                          {{"Authorization", "Bearer " + key()}, {"Content-Type", "multipart/form-data; boundary=hh"}});
  }

  static ServerProcess* server_;
  HttpClient client{server_->port()};
};
ServerProcess* HttpHardening::server_ = nullptr;

size_t responses_in(const std::string& raw) {
  size_t n = 0;
  for (size_t at = raw.find("HTTP/1.1 "); at != std::string::npos; at = raw.find("HTTP/1.1 ", at + 1)) ++n;
  return n;
}

TEST_F(HttpHardening, TransferEncodingChunkedIdentityIsRefusedAndTheConnectionClosed) {
  const std::string hidden = "GET /health HTTP/1.1\r\nHost: x\r\n\r\n";
  auto start = std::chrono::steady_clock::now();
  std::string out = client.raw(
      "POST /v1/echo HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
      "Transfer-Encoding: chunked, identity\r\n\r\n22\r\n" +
          hidden + "\r\n0\r\n\r\n",
      5000ms);
  EXPECT_LT(std::chrono::steady_clock::now() - start, 4000ms) << "the connection was left open";
  EXPECT_EQ(HttpClient::status_of(out), 400) << out;
  EXPECT_EQ(responses_in(out), 1u) << out;
}

TEST_F(HttpHardening, XchunkedWithContentLengthIsRefusedAndTheHiddenHealthCheckNeverServed) {
  const std::string body = "0\r\n\r\nGET /health HTTP/1.1\r\nHost: x\r\n\r\n";
  auto start = std::chrono::steady_clock::now();
  std::string out = client.raw(
      "POST /v1/echo HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
      "Transfer-Encoding: xchunked\r\nContent-Length: 5\r\n\r\n" +
          body,
      5000ms);
  EXPECT_LT(std::chrono::steady_clock::now() - start, 4000ms) << "the connection was left open";
  EXPECT_EQ(HttpClient::status_of(out), 400) << out;
  EXPECT_EQ(responses_in(out), 1u) << out;
  EXPECT_EQ(out.find("\"status\""), std::string::npos) << "the health check behind the body was answered: " << out;
}

TEST_F(HttpHardening, DeclaredUploadAboveTheLimitIs413InTheFacesEnvelopeBeforeTheBodyIsSent) {
  // server.max_upload_bytes is 20 MiB: 30 MiB declared, not one byte of it sent.
  const std::string thirty_mib = std::to_string(30 * 1024 * 1024);
  struct Case {
    std::string target, content_type;
    std::function<bool(const json::object&)> envelope;
  };
  const Case cases[] = {
      {"/api/pdf/invoice", "multipart/form-data; boundary=x",
       [](const json::object& b) { return b.at("success") == false && b.at("message") == "Payload Too Large"; }},
      {"/upload/register-file", "multipart/form-data; boundary=x",
       [](const json::object& b) { return b.at("success") == false && b.contains("data"); }},
      {"/v1/files", "multipart/form-data; boundary=x",
       [](const json::object& b) { return b.at("error").as_object().contains("type"); }},
      {"/api/files/uploadfile", "multipart/form-data; boundary=x",
       [](const json::object& b) { return b.at("error").is_string() && b.contains("code"); }},
      // A file inside JSON (Base16 at most doubles it): 30 MiB would be refused only above 64 MiB before.
      {"/api/files/create", "application/json",
       [](const json::object& b) { return b.at("error").is_string() && b.contains("code"); }},
  };
  for (const auto& k : cases) {
    const std::string declared = k.target == "/api/files/create" ? std::to_string(50 * 1024 * 1024) : thirty_mib;
    auto start = std::chrono::steady_clock::now();
    const std::string head = "POST " + k.target + " HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + key() +
                             "\r\nContent-Type: " + k.content_type + "\r\nContent-Length: " + declared + "\r\n\r\n";
    std::string out = client.raw(head, 5000ms);
    EXPECT_LT(std::chrono::steady_clock::now() - start, 2000ms) << k.target << ": the server waited for the body";
    ASSERT_EQ(HttpClient::status_of(out), 413) << k.target << "\n" << out;
    auto body = json::parse(out.substr(out.find("\r\n\r\n") + 4)).as_object();
    EXPECT_TRUE(k.envelope(body)) << k.target << ": " << json::serialize(body);
  }
}

TEST_F(HttpHardening, NotFoundUnderAFacesPathsAnswersInThatFacesEnvelope) {
  auto body_of = [&](const std::string& target) {
    auto res = client.get(target, bearer(key()));
    EXPECT_EQ(res.status, 404) << target << " " << res.body;
    return res.json().as_object();
  };
  auto spherechat = body_of("/api/pdf/nothing-here");
  EXPECT_EQ(spherechat.at("success"), false);
  EXPECT_EQ(spherechat.at("message"), "Not Found");
  auto nexus = body_of("/api/sessions/a/b/c");
  EXPECT_EQ(nexus.at("success"), false);
  EXPECT_TRUE(nexus.contains("error_code") && nexus.contains("timestamp")) << json::serialize(nexus);
  auto sherpa = body_of("/api/folders/nothing");
  EXPECT_TRUE(sherpa.at("error").is_string()) << json::serialize(sherpa);
  EXPECT_EQ(sherpa.at("code"), "NOT_FOUND");
  auto chatbot = body_of("/api/knowledge/a/b");
  EXPECT_EQ(chatbot.at("error").at("code"), "RESOURCE_NOT_FOUND") << json::serialize(chatbot);
  auto chatpdf = body_of("/user/nothing");
  EXPECT_EQ(chatpdf.at("success"), false);
  EXPECT_TRUE(chatpdf.at("data").is_null());
  auto native = body_of("/v1/nothing");
  EXPECT_EQ(native.at("error").at("type"), "not_found_error") << json::serialize(native);
  auto unknown_api = body_of("/api/unknown");  // under no face: OpenAI's shape, the default
  EXPECT_TRUE(unknown_api.at("error").as_object().contains("type"));
}

TEST_F(HttpHardening, MethodNotAllowedAnswersInTheEnvelopeOfTheFaceOwningThePath) {
  auto spherechat = client.get("/api/pdf/invoice", bearer(key()));
  EXPECT_EQ(spherechat.status, 405);
  EXPECT_EQ(spherechat.header("allow"), "POST");
  EXPECT_EQ(spherechat.json().at("message"), "Method Not Allowed") << spherechat.body;
  // /api/files/upload is chatbot's though other /api/files paths are sherpa's.
  auto chatbot = client.get("/api/files/upload", bearer(key()));
  EXPECT_EQ(chatbot.status, 405);
  EXPECT_EQ(chatbot.json().at("error").at("code"), "INVALID_REQUEST") << chatbot.body;
  auto chatpdf = client.request("DELETE", "/user/quota", "", bearer(key()));
  EXPECT_EQ(chatpdf.status, 405);
  EXPECT_EQ(chatpdf.json().at("success"), false) << chatpdf.body;
  auto nexus = client.request("PUT", "/api/sessions", "", bearer(key()));
  EXPECT_EQ(nexus.status, 405);
  EXPECT_TRUE(nexus.json().as_object().contains("error_code")) << nexus.body;
}

TEST_F(HttpHardening, DownloadsNameTheBaseNameOnlyWithFilenameStarForNonAscii) {
  auto climbing = upload("../../etc/passwd", "root:x:0:0\n");
  ASSERT_EQ(climbing.status, 200) << climbing.body;
  const std::string id = str(climbing.json().at("id"));
  auto content = client.get("/v1/files/" + id + "/content", bearer(key()));
  ASSERT_EQ(content.status, 200) << content.body;
  EXPECT_EQ(content.header("content-disposition"), "attachment; filename=\"passwd\"");
  EXPECT_EQ(content.header("x-content-type-options"), "nosniff");
  auto sherpa = client.get("/api/files/download/" + id, bearer(key()));
  ASSERT_EQ(sherpa.status, 200) << sherpa.body;
  EXPECT_EQ(sherpa.header("content-disposition"), "attachment; filename=\"passwd\"");

  auto accented = upload("Zoë.txt", "hello\n");
  ASSERT_EQ(accented.status, 200) << accented.body;
  auto named = client.get("/v1/files/" + str(accented.json().at("id")) + "/content", bearer(key()));
  EXPECT_EQ(named.header("content-disposition"), "attachment; filename=\"Zo_.txt\"; filename*=UTF-8''Zo%C3%AB.txt");
}

TEST_F(HttpHardening, UploadedHtmlAndSvgAreServedAsSandboxedAttachments) {
  for (const std::string name : {"page.html", "image.svg"}) {
    auto up = upload(name, "<html><script>alert(document.cookie)</script></html>");
    ASSERT_EQ(up.status, 200) << up.body;
    auto res = client.get("/v1/files/" + str(up.json().at("id")) + "/content", bearer(key()));
    ASSERT_EQ(res.status, 200) << res.body;
    EXPECT_EQ(res.header("content-disposition").rfind("attachment;", 0), 0u) << name;
    EXPECT_EQ(res.header("x-content-type-options"), "nosniff") << name;
    EXPECT_NE(res.header("content-security-policy").find("sandbox"), std::string::npos) << name;
  }
}

TEST_F(HttpHardening, EveryResponseSaysNosniff) {
  for (const std::string target : {"/health", "/v1/models", "/nowhere", "/api/pdf/none"}) {
    auto res = client.get(target, bearer(key()));
    EXPECT_EQ(res.header("x-content-type-options"), "nosniff") << target << " " << res.status;
  }
  EXPECT_EQ(client.get("/v1/models").header("x-content-type-options"), "nosniff");  // a 401
}

}  // namespace
}  // namespace docent::testing
