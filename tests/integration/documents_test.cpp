// Document artifacts against the real binary, on the chatbot face (/api/documents, the seed's
// shapes and error envelope) and the native face (/v1/documents, OpenAI's list and error shapes):
// versions, lists with filters and search, every validation error, other accounts' ids, indexing
// as knowledge (search cites the current version only) and the document.* webhook events.

#include "support/http_client.h"
#include "support/server_process.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <atomic>
#include <mutex>
#include <set>
#include <thread>

namespace docent::testing {
namespace {

namespace json = boost::json;

// A webhook receiver on loopback: answers 200 to every request and keeps the bodies.
class Receiver {
 public:
  Receiver() {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    ::setsockopt(fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a);
    ::listen(fd_, 16);
    socklen_t len = sizeof a;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
    thread_ = std::thread([this] { loop(); });
  }
  ~Receiver() {
    stop_ = true;
    thread_.join();
    ::close(fd_);
  }
  Receiver(const Receiver&) = delete;
  Receiver& operator=(const Receiver&) = delete;
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_) + "/hook"; }
  std::vector<std::string> bodies() {
    std::lock_guard<std::mutex> lock(mu_);
    return bodies_;
  }
  // The first body whose event is `event` and whose data.document_id is `id`, waiting for it.
  std::optional<json::object> wait_event(const std::string& event, const std::string& id) {
    for (int i = 0; i < 1200; ++i) {
      for (const auto& b : bodies()) {
        auto v = json::parse(b).as_object();
        if (v.at("event") == event.c_str() && v.at("data").at("document_id") == id.c_str()) return v;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return std::nullopt;
  }

 private:
  void loop() {
    while (!stop_) {
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, 100) <= 0) continue;
      int c = ::accept(fd_, nullptr, nullptr);
      if (c < 0) continue;
      std::string data;
      char buf[8192];
      size_t header_end = std::string::npos, need = 0;
      for (;;) {
        pollfd q{c, POLLIN, 0};
        if (::poll(&q, 1, 5000) <= 0) break;
        ssize_t n = ::recv(c, buf, sizeof buf, 0);
        if (n <= 0) break;
        data.append(buf, static_cast<size_t>(n));
        if (header_end == std::string::npos && (header_end = data.find("\r\n\r\n")) != std::string::npos) {
          std::string head = data.substr(0, header_end);
          for (char& ch : head) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
          auto at = head.find("content-length:");
          if (at != std::string::npos) need = std::stoul(head.substr(at + 15));
        }
        if (header_end != std::string::npos && data.size() >= header_end + 4 + need) break;
      }
      if (header_end != std::string::npos) {
        std::lock_guard<std::mutex> lock(mu_);
        bodies_.push_back(data.substr(header_end + 4, need));
      }
      const std::string reply = "HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
      (void)::send(c, reply.data(), reply.size(), MSG_NOSIGNAL);
      ::close(c);
    }
  }

  int fd_ = -1;
  uint16_t port_ = 0;
  std::atomic<bool> stop_{false};
  std::thread thread_;
  std::mutex mu_;
  std::vector<std::string> bodies_;
};

class DocumentsTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    ServerOptions o;
    o.env = {{"DOCENT_WEBHOOKS_ALLOW_PRIVATE", "true"}, {"DOCENT_WEBHOOKS_ALLOW_HTTP", "true"}};
    server_ = new ServerProcess(o);
  }
  static void TearDownTestSuite() {
    delete server_;
    server_ = nullptr;
  }
  // A fresh user account's key, so lists and totals hold only what the test made.
  std::string new_user(const std::string& login) { return create_user_key(client, server_->admin_key(), login); }
  HttpResponse put_json(const std::string& target, const std::string& body, const std::string& key) {
    return client.request("PUT", target, body,
                          {{"Authorization", "Bearer " + key}, {"Content-Type", "application/json"}});
  }
  HttpResponse patch_json(const std::string& target, const std::string& body, const std::string& key) {
    return client.request("PATCH", target, body,
                          {{"Authorization", "Bearer " + key}, {"Content-Type", "application/json"}});
  }
  HttpResponse del(const std::string& target, const std::string& key) {
    return client.request("DELETE", target, {}, bearer(key));
  }
  json::object create(const std::string& key, const std::string& title, const std::string& content,
                      const std::string& type = "markdown") {
    json::object body{{"title", title}, {"content", content}, {"type", type}};
    auto res = client.post_json("/api/documents", json::serialize(body), bearer(key));
    EXPECT_EQ(res.status, 201) << res.body;
    return res.status == 201 ? res.json().as_object() : json::object{};
  }
  // The chatbot envelope's code, or "" when the body is not that envelope.
  static std::string chatbot_code(const HttpResponse& res) {
    auto v = json::parse(res.body);
    if (!v.is_object() || !v.as_object().contains("error")) return "";
    return str(v.at("error").at("code"));
  }
  static ServerProcess* server_;
  HttpClient client{server_->port()};
};
ServerProcess* DocumentsTest::server_ = nullptr;

TEST_F(DocumentsTest, ChatbotCreateGetUpdateVersionsAndDeleteInTheSeedsShape) {
  const std::string key = new_user("doc-crud");
  auto doc = create(key, "My Document", "# Document Title\n\nThis is the document content.");
  ASSERT_FALSE(doc.empty());
  std::set<std::string> keys;
  for (const auto& kv : doc) keys.insert(std::string(kv.key()));
  EXPECT_EQ(keys, (std::set<std::string>{"id", "title", "content", "type", "version", "created_at", "updated_at"}));
  const std::string id = str(doc.at("id"));
  EXPECT_EQ(id.rfind("doc_", 0), 0u);
  EXPECT_EQ(doc.at("title"), "My Document");
  EXPECT_EQ(doc.at("content"), "# Document Title\n\nThis is the document content.");
  EXPECT_EQ(doc.at("type"), "markdown");
  EXPECT_EQ(doc.at("version"), 1);
  EXPECT_EQ(doc.at("created_at"), doc.at("updated_at"));

  auto got = client.get("/api/documents/" + id, bearer(key));
  ASSERT_EQ(got.status, 200) << got.body;
  EXPECT_EQ(got.json().as_object(), doc);

  // The seed's update: content and title, version + 1, created_at kept.
  auto upd = put_json(
      "/api/documents/" + id,
      R"({"content": "# Updated Document Title\n\nThis is the updated content.", "title": "Updated Document"})", key);
  ASSERT_EQ(upd.status, 200) << upd.body;
  auto v2 = upd.json().as_object();
  EXPECT_EQ(v2.at("id"), id.c_str());
  EXPECT_EQ(v2.at("version"), 2);
  EXPECT_EQ(v2.at("title"), "Updated Document");
  EXPECT_EQ(v2.at("content"), "# Updated Document Title\n\nThis is the updated content.");
  EXPECT_EQ(v2.at("type"), "markdown");
  EXPECT_EQ(v2.at("created_at"), doc.at("created_at"));
  EXPECT_GE(str(v2.at("updated_at")), str(doc.at("updated_at")));
  // Only the type changes: still a new version.
  auto v3 = put_json("/api/documents/" + id, R"({"type": "text"})", key);
  ASSERT_EQ(v3.status, 200) << v3.body;
  EXPECT_EQ(v3.json().at("version"), 3);
  EXPECT_EQ(v3.json().at("type"), "text");
  EXPECT_EQ(v3.json().at("title"), "Updated Document");
  EXPECT_EQ(client.get("/api/documents/" + id, bearer(key)).json().at("version"), 3);

  // Every version is kept.
  auto versions = client.get("/api/documents/" + id + "/versions", bearer(key));
  ASSERT_EQ(versions.status, 200) << versions.body;
  auto list = versions.json().as_object();
  EXPECT_EQ(list.at("document_id"), id.c_str());
  EXPECT_EQ(list.at("total"), 3);
  ASSERT_EQ(list.at("versions").as_array().size(), 3u);
  EXPECT_EQ(list.at("versions").as_array()[0].at("version"), 1);
  EXPECT_EQ(list.at("versions").as_array()[0].at("title"), "My Document");
  EXPECT_EQ(list.at("versions").as_array()[2].at("type"), "text");
  auto first = client.get("/api/documents/" + id + "/versions/1", bearer(key));
  ASSERT_EQ(first.status, 200) << first.body;
  EXPECT_EQ(first.json().at("content"), "# Document Title\n\nThis is the document content.");
  EXPECT_EQ(first.json().at("title"), "My Document");
  EXPECT_EQ(first.json().at("version"), 1);
  auto second = client.get("/api/documents/" + id + "/versions/2", bearer(key));
  EXPECT_EQ(second.json().at("content"), "# Updated Document Title\n\nThis is the updated content.");
  for (const char* missing : {"4", "0", "-1", "two", "1x"}) {
    auto res = client.get("/api/documents/" + id + "/versions/" + missing, bearer(key));
    EXPECT_EQ(res.status, 404) << missing << " " << res.body;
    EXPECT_EQ(chatbot_code(res), "RESOURCE_NOT_FOUND") << res.body;
  }

  auto gone = del("/api/documents/" + id, key);
  ASSERT_EQ(gone.status, 200) << gone.body;
  EXPECT_EQ(gone.json().at("deleted"), true);
  for (const std::string& path :
       {"/api/documents/" + id, "/api/documents/" + id + "/versions", "/api/documents/" + id + "/versions/1"}) {
    auto res = client.get(path, bearer(key));
    EXPECT_EQ(res.status, 404) << path;
    EXPECT_EQ(chatbot_code(res), "RESOURCE_NOT_FOUND") << res.body;
  }
  EXPECT_EQ(del("/api/documents/" + id, key).status, 404);
  EXPECT_EQ(put_json("/api/documents/" + id, R"({"title":"x"})", key).status, 404);
  EXPECT_EQ(client.get("/api/documents", bearer(key)).json().at("total"), 0);
}

TEST_F(DocumentsTest, ListFiltersPaginatesAndSearchesTitleAndContent) {
  const std::string key = new_user("doc-list");
  std::vector<std::string> ids;
  ids.push_back(str(create(key, "Gardening notes", "Tomatoes need staking in July.", "markdown").at("id")));
  ids.push_back(str(create(key, "Parser", "int main() { return fly(); }", "code").at("id")));
  ids.push_back(str(create(key, "Birds", "The pelican dives for fish.", "markdown").at("id")));
  ids.push_back(str(create(key, "Config", R"({"pelican": true})", "json").at("id")));
  ids.push_back(str(create(key, "Pelican handbook", "Large waterbirds.", "markdown").at("id")));

  auto all = client.get("/api/documents", bearer(key));
  ASSERT_EQ(all.status, 200) << all.body;
  auto body = all.json().as_object();
  EXPECT_EQ(body.at("total"), 5);
  EXPECT_EQ(body.at("limit"), 20);
  EXPECT_EQ(body.at("offset"), 0);
  auto docs = body.at("documents").as_array();
  ASSERT_EQ(docs.size(), 5u);
  EXPECT_EQ(docs[0].at("id"), ids[4].c_str());  // most recently updated first
  EXPECT_EQ(docs[4].at("id"), ids[0].c_str());

  auto md = client.get("/api/documents?type=markdown&limit=10&offset=0", bearer(key)).json().as_object();
  EXPECT_EQ(md.at("total"), 3);
  for (const auto& d : md.at("documents").as_array()) EXPECT_EQ(d.at("type"), "markdown");

  // Pages of two: 2, 2, 1, then none; the total is the same on each.
  std::set<std::string> seen;
  for (int offset : {0, 2, 4, 6}) {
    auto page = client.get("/api/documents?limit=2&offset=" + std::to_string(offset), bearer(key)).json().as_object();
    EXPECT_EQ(page.at("total"), 5);
    const size_t expected = offset < 4 ? 2 : offset == 4 ? 1 : 0;
    EXPECT_EQ(page.at("documents").as_array().size(), expected) << offset;
    for (const auto& d : page.at("documents").as_array()) seen.insert(str(d.at("id")));
  }
  EXPECT_EQ(seen.size(), 5u);

  // Search: title or content, every word, combined with the type filter.
  auto pelican = client.get("/api/documents?search=pelican", bearer(key)).json().as_object();
  EXPECT_EQ(pelican.at("total"), 3) << pelican;  // Birds, Config, Pelican handbook
  auto in_title = client.get("/api/documents?search=handbook", bearer(key)).json().as_object();
  ASSERT_EQ(in_title.at("total"), 1);
  EXPECT_EQ(in_title.at("documents").as_array()[0].at("id"), ids[4].c_str());
  auto both = client.get("/api/documents?search=pelican%20fish", bearer(key)).json().as_object();
  ASSERT_EQ(both.at("total"), 1);
  EXPECT_EQ(both.at("documents").as_array()[0].at("id"), ids[2].c_str());
  auto typed = client.get("/api/documents?search=pelican&type=json", bearer(key)).json().as_object();
  ASSERT_EQ(typed.at("total"), 1);
  EXPECT_EQ(typed.at("documents").as_array()[0].at("id"), ids[3].c_str());
  EXPECT_EQ(client.get("/api/documents?search=albatross", bearer(key)).json().at("total"), 0);
  // Query syntax in the search text is only text.
  for (const char* hostile : {"%22pelican", "pelican*%20OR%20NOT", "(((", "title%3Apelican", "%25", "NEAR(a%20b)"}) {
    auto res = client.get(std::string("/api/documents?search=") + hostile, bearer(key));
    EXPECT_EQ(res.status, 200) << hostile << " " << res.body;
  }
  // An update moves a document to the front and its new words become searchable.
  ASSERT_EQ(put_json("/api/documents/" + ids[0], R"({"content":"Albatross sightings."})", key).status, 200);
  auto after = client.get("/api/documents", bearer(key)).json().as_object();
  EXPECT_EQ(after.at("documents").as_array()[0].at("id"), ids[0].c_str());
  EXPECT_EQ(client.get("/api/documents?search=albatross", bearer(key)).json().at("total"), 1);
  EXPECT_EQ(client.get("/api/documents?search=tomatoes", bearer(key)).json().at("total"), 0);

  for (const char* bad : {"limit=0", "limit=101", "limit=ten", "offset=-1", "offset=x", "type=pdf", "type=MARKDOWN"}) {
    auto res = client.get(std::string("/api/documents?") + bad, bearer(key));
    EXPECT_EQ(res.status, 400) << bad << " " << res.body;
    EXPECT_EQ(chatbot_code(res), "INVALID_REQUEST") << res.body;
  }
  EXPECT_EQ(client.get("/api/documents?limit=100", bearer(key)).status, 200);
}

TEST_F(DocumentsTest, EveryValidationErrorIsAClearFourHundred) {
  const std::string key = new_user("doc-errors");
  struct Case {
    std::string body;
    int status;
    std::string field;  // details.field, or the missing field
  };
  const std::vector<Case> cases = {
      {R"({"title":"a","content":"b","type":"pdf"})", 400, "type"},
      {R"({"title":"a","content":"b","type":""})", 400, "type"},
      {R"({"content":"b","type":"text"})", 400, "title"},
      {R"({"title":"a","type":"text"})", 400, "content"},
      {R"({"title":"","content":"b"})", 400, "title"},
      {R"({"title":"a","content":""})", 400, "content"},
      {R"({"title":7,"content":"b"})", 400, "title"},
      {R"({"title":"a","content":["b"]})", 400, "content"},
      {R"({"title":"a","content":"b","type":3})", 400, "type"},
      {R"({"title":"a\u0001b","content":"b"})", 400, "title"},
      {R"({"title":")" + std::string(501, 't') + R"(","content":"b"})", 400, "title"},
  };
  for (const auto& c : cases) {
    auto res = client.post_json("/api/documents", c.body, bearer(key));
    EXPECT_EQ(res.status, c.status) << c.body.substr(0, 80) << " " << res.body;
    EXPECT_EQ(chatbot_code(res), "INVALID_REQUEST") << res.body;
    auto details = json::parse(res.body).at("error").as_object();
    ASSERT_TRUE(details.contains("details")) << res.body;
    const auto& d = details.at("details").as_object();
    const bool names_field = (d.contains("field") && d.at("field") == c.field.c_str()) ||
                             (d.contains("missing_fields") && d.at("missing_fields").as_array().size() == 1 &&
                              d.at("missing_fields").as_array()[0] == c.field.c_str());
    EXPECT_TRUE(names_field) << c.body.substr(0, 80) << " " << res.body;
  }
  for (const char* malformed : {"{", "not json", R"({"title":"a",})", "[]", "\"text\"", ""}) {
    auto res = client.post_json("/api/documents", malformed, bearer(key));
    EXPECT_EQ(res.status, 400) << malformed << " " << res.body;
    EXPECT_EQ(chatbot_code(res), "INVALID_REQUEST") << res.body;
  }
  // Content past 1 MiB is refused (413) in the face's envelope; exactly 1 MiB is accepted.
  const size_t mib = 1024 * 1024;
  auto big = client.post_json("/api/documents", R"({"title":"big","content":")" + std::string(mib + 1, 'x') + "\"}",
                              bearer(key));
  EXPECT_EQ(big.status, 413) << big.body.substr(0, 200);
  EXPECT_FALSE(chatbot_code(big).empty()) << big.body.substr(0, 200);
  auto fits = client.post_json("/api/documents", R"({"title":"fits","content":")" + std::string(mib, 'x') + "\"}",
                               bearer(key));
  EXPECT_EQ(fits.status, 201) << fits.body.substr(0, 200);
  // Nothing of the refused ones was stored.
  EXPECT_EQ(client.get("/api/documents", bearer(key)).json().at("total"), 1);

  // Updates: nothing to change, wrong types, bad type, too big, malformed.
  const std::string id = str(create(key, "Target", "Original.").at("id"));
  for (const std::string& bad :
       {std::string("{}"), std::string(R"({"title":5})"), std::string(R"({"content":null,"type":"yaml"})"),
        std::string(R"({"content":""})"), std::string("{"), std::string("[1]"),
        R"({"content":")" + std::string(mib + 1, 'y') + "\"}"}) {
    auto res = put_json("/api/documents/" + id, bad, key);
    EXPECT_TRUE(res.status == 400 || res.status == 413) << bad.substr(0, 60) << " " << res.status << " " << res.body;
    EXPECT_FALSE(chatbot_code(res).empty()) << res.body.substr(0, 200);
  }
  auto unchanged = client.get("/api/documents/" + id, bearer(key)).json().as_object();
  EXPECT_EQ(unchanged.at("version"), 1);
  EXPECT_EQ(unchanged.at("content"), "Original.");
  // Without credentials: the chatbot envelope's 401.
  auto anonymous = client.post_json("/api/documents", R"({"title":"a","content":"b"})");
  EXPECT_EQ(anonymous.status, 401);
  EXPECT_EQ(chatbot_code(anonymous), "INVALID_API_KEY") << anonymous.body;
}

TEST_F(DocumentsTest, NativeFaceServesTheSameRowsInOpenAIShapes) {
  const std::string key = new_user("doc-native");
  auto created = client.post_json("/v1/documents", R"({"title":"Runbook","content":"Restart the pump.","type":"text"})",
                                  bearer(key));
  ASSERT_EQ(created.status, 201) << created.body;
  auto doc = created.json().as_object();
  EXPECT_EQ(doc.at("object"), "document");
  EXPECT_EQ(doc.at("version"), 1);
  EXPECT_TRUE(doc.at("file_id").is_string());
  const std::string id = str(doc.at("id"));
  // The chatbot face reads the same row.
  EXPECT_EQ(client.get("/api/documents/" + id, bearer(key)).json().at("title"), "Runbook");

  auto patched = patch_json("/v1/documents/" + id, R"({"content":"Restart the pump, then the valve."})", key);
  ASSERT_EQ(patched.status, 200) << patched.body;
  EXPECT_EQ(patched.json().at("version"), 2);
  EXPECT_EQ(patched.json().at("title"), "Runbook");
  auto put = put_json("/v1/documents/" + id, R"({"title":"Runbook v3"})", key);
  ASSERT_EQ(put.status, 200) << put.body;
  EXPECT_EQ(put.json().at("version"), 3);

  auto list = client.get("/v1/documents?type=text", bearer(key));
  ASSERT_EQ(list.status, 200) << list.body;
  auto l = list.json().as_object();
  EXPECT_EQ(l.at("object"), "list");
  EXPECT_EQ(l.at("total"), 1);
  EXPECT_EQ(l.at("has_more"), false);
  ASSERT_EQ(l.at("data").as_array().size(), 1u);
  EXPECT_EQ(l.at("data").as_array()[0].at("id"), id.c_str());
  EXPECT_EQ(client.get("/v1/documents?type=code", bearer(key)).json().at("total"), 0);

  auto versions = client.get("/v1/documents/" + id + "/versions", bearer(key));
  ASSERT_EQ(versions.status, 200) << versions.body;
  auto v = versions.json().as_object();
  EXPECT_EQ(v.at("object"), "list");
  ASSERT_EQ(v.at("data").as_array().size(), 3u);
  EXPECT_EQ(v.at("data").as_array()[1].at("object"), "document.version");
  EXPECT_EQ(v.at("data").as_array()[1].at("version"), 2);
  auto second = client.get("/v1/documents/" + id + "/versions/2", bearer(key));
  ASSERT_EQ(second.status, 200) << second.body;
  EXPECT_EQ(second.json().at("content"), "Restart the pump, then the valve.");
  EXPECT_EQ(second.json().at("title"), "Runbook");

  // OpenAI's error envelope.
  auto bad = client.post_json("/v1/documents", R"({"title":"x","content":"y","type":"docx"})", bearer(key));
  ASSERT_EQ(bad.status, 400) << bad.body;
  auto e = bad.json().at("error").as_object();
  EXPECT_TRUE(e.contains("message"));
  EXPECT_EQ(e.at("type"), "invalid_request_error");
  EXPECT_EQ(e.at("param"), "type");
  auto malformed = client.post_json("/v1/documents", "{\"title\":", bearer(key));
  EXPECT_EQ(malformed.status, 400);
  EXPECT_TRUE(malformed.json().at("error").as_object().contains("message"));
  auto missing = client.get("/v1/documents/doc_nope", bearer(key));
  EXPECT_EQ(missing.status, 404);
  EXPECT_TRUE(missing.json().at("error").as_object().contains("message"));
  EXPECT_EQ(client.get("/v1/documents/" + id + "/versions/9", bearer(key)).status, 404);

  auto gone = del("/v1/documents/" + id, key);
  ASSERT_EQ(gone.status, 200) << gone.body;
  EXPECT_EQ(gone.json().at("object"), "document.deleted");
  EXPECT_EQ(gone.json().at("deleted"), true);
  EXPECT_EQ(client.get("/api/documents/" + id, bearer(key)).status, 404);
  // Its knowledge file went with it.
  EXPECT_EQ(client.get("/v1/files/" + str(doc.at("file_id")), bearer(key)).status, 404);
}

TEST_F(DocumentsTest, AnotherAccountsDocumentIsNotFoundOnBothFaces) {
  const std::string owner = new_user("doc-owner");
  const std::string other = new_user("doc-other");
  const std::string id = str(create(owner, "Private", "Owner's secret plans.").at("id"));
  for (const char* base : {"/api/documents/", "/v1/documents/"}) {
    for (const char* suffix : {"", "/versions", "/versions/1"}) {
      auto res = client.get(base + id + suffix, bearer(other));
      EXPECT_EQ(res.status, 404) << base << suffix << " " << res.body;
      EXPECT_EQ(res.body.find("secret plans"), std::string::npos);
    }
    EXPECT_EQ(put_json(base + id, R"({"content":"Overwritten."})", other).status, 404) << base;
    EXPECT_EQ(del(base + id, other).status, 404) << base;
  }
  EXPECT_EQ(patch_json("/v1/documents/" + id, R"({"content":"Overwritten."})", other).status, 404);
  auto missing = client.get("/api/documents/doc_missing", bearer(other));
  auto foreign = client.get("/api/documents/" + id, bearer(other));
  EXPECT_EQ(json::parse(missing.body).at("error").at("code"), json::parse(foreign.body).at("error").at("code"));
  EXPECT_EQ(client.get("/api/documents", bearer(other)).json().at("total"), 0);
  EXPECT_EQ(client.get("/api/documents?search=secret", bearer(other)).json().at("total"), 0);
  // The owner's document is untouched.
  auto mine = client.get("/api/documents/" + id, bearer(owner)).json().as_object();
  EXPECT_EQ(mine.at("version"), 1);
  EXPECT_EQ(mine.at("content"), "Owner's secret plans.");
}

// The search of a document's knowledge file: waits (the search's own wait) until it is indexed.
HttpResponse search_in(HttpClient& client, const std::string& key, const std::string& query,
                       const std::string& file_id) {
  json::object body{{"query", query}, {"mode", "text"}, {"wait_seconds", 60}};
  if (!file_id.empty()) body["file_ids"] = json::array{json::value(file_id)};
  return client.post_json("/v1/search", json::serialize(body), bearer(key));
}

TEST_F(DocumentsTest, SearchCitesTheCurrentVersionAndForgetsTheOldOne) {
  const std::string key = new_user("doc-search");
  auto created = client.post_json(
      "/v1/documents",
      json::serialize(json::object{
          {"title", "Field notes"},
          {"content", "# Field notes\n\n## Quokka habits\n\nThe quokka juggles seventeen marmalade jars at dawn.\n"},
          {"type", "markdown"}}),
      bearer(key));
  ASSERT_EQ(created.status, 201) << created.body;
  const std::string id = str(created.json().at("id"));
  const std::string v1_file = str(created.json().at("file_id"));

  auto found = search_in(client, key, "quokka marmalade", v1_file);
  ASSERT_EQ(found.status, 200) << found.body;
  auto hits = found.json().at("data").as_array();
  ASSERT_FALSE(hits.empty()) << found.body;
  EXPECT_EQ(hits[0].at("file_id"), v1_file.c_str());
  EXPECT_EQ(hits[0].at("filename"), "Field notes (v1).md");
  EXPECT_EQ(hits[0].at("section"), "Field notes > Quokka habits");
  EXPECT_NE(str(hits[0].at("text")).find("seventeen marmalade jars"), std::string::npos);
  // The chatbot face's knowledge search finds it too, without naming the file.
  auto kb = client.post_json("/api/knowledge/search", R"({"query":"quokka marmalade","type":"text"})", bearer(key));
  ASSERT_EQ(kb.status, 200) << kb.body;
  ASSERT_FALSE(kb.json().at("results").as_array().empty()) << kb.body;
  EXPECT_EQ(kb.json().at("results").as_array()[0].at("source").at("filename"), "Field notes (v1).md");

  auto updated = put_json(
      "/v1/documents/" + id,
      R"({"content":"# Field notes\n\n## Narwhal habits\n\nThe narwhal composes symphonies for lighthouse keepers.\n"})",
      key);
  ASSERT_EQ(updated.status, 200) << updated.body;
  const std::string v2_file = str(updated.json().at("file_id"));
  EXPECT_NE(v2_file, v1_file);
  auto now = search_in(client, key, "narwhal symphonies", v2_file);
  ASSERT_EQ(now.status, 200) << now.body;
  auto new_hits = now.json().at("data").as_array();
  ASSERT_FALSE(new_hits.empty()) << now.body;
  EXPECT_EQ(new_hits[0].at("filename"), "Field notes (v2).md");
  EXPECT_EQ(new_hits[0].at("section"), "Field notes > Narwhal habits");
  // The old version's words are no longer found anywhere, by any mode.
  for (const char* mode : {"text", "hybrid"}) {
    auto old = client.post_json("/v1/search", std::string(R"({"query":"quokka marmalade","mode":")") + mode + "\"}",
                                bearer(key));
    ASSERT_EQ(old.status, 200) << old.body;
    const auto old_hits = old.json();  // kept: the loop reads into it
    for (const auto& h : old_hits.at("data").as_array()) {
      EXPECT_EQ(str(h.at("text")).find("quokka"), std::string::npos) << mode << " " << old.body;
      EXPECT_NE(h.at("file_id"), v1_file.c_str());
    }
  }
  EXPECT_EQ(client.get("/v1/files/" + v1_file, bearer(key)).status, 404);
  // Another account's search never finds it.
  const std::string other = new_user("doc-search-other");
  auto theirs = client.post_json("/v1/search", R"({"query":"narwhal symphonies","mode":"text"})", bearer(other));
  ASSERT_EQ(theirs.status, 200);
  EXPECT_TRUE(theirs.json().at("data").as_array().empty()) << theirs.body;
}

TEST_F(DocumentsTest, WebhooksHearDocumentCreatedUpdatedAndDeleted) {
  const std::string key = new_user("doc-hooks");
  Receiver receiver;
  auto hook = client.post_json("/api/webhooks",
                               R"({"url":")" + receiver.url() +
                                   R"(","events":["document.created","document.updated","document.deleted"]})",
                               bearer(key));
  ASSERT_EQ(hook.status, 201) << hook.body;
  const std::string id = str(create(key, "Hooked", "First words.").at("id"));
  auto created = receiver.wait_event("document.created", id);
  ASSERT_TRUE(created) << "no document.created";
  EXPECT_EQ(created->at("data").at("title"), "Hooked");
  EXPECT_EQ(created->at("data").at("version"), 1);
  EXPECT_EQ(created->at("data").at("type"), "markdown");
  ASSERT_EQ(put_json("/api/documents/" + id, R"({"content":"Second words."})", key).status, 200);
  auto updated = receiver.wait_event("document.updated", id);
  ASSERT_TRUE(updated) << "no document.updated";
  EXPECT_EQ(updated->at("data").at("version"), 2);
  ASSERT_EQ(del("/api/documents/" + id, key).status, 200);
  auto deleted = receiver.wait_event("document.deleted", id);
  ASSERT_TRUE(deleted) << "no document.deleted";
  // Only the subscribed events came (no file.* for the document's knowledge files).
  for (const auto& b : receiver.bodies()) {
    EXPECT_EQ(str(json::parse(b).at("event")).rfind("document.", 0), 0u) << b;
  }
  // A refused update sends nothing.
  auto bad = client.post_json("/api/documents", R"({"title":"x","content":"y","type":"nope"})", bearer(key));
  EXPECT_EQ(bad.status, 400);
}

}  // namespace
}  // namespace docent::testing
