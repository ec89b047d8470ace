// Webhooks end to end against the real binary: a receiver on loopback started by the test (the
// operator setting webhooks.allow_private lets docent call it), every event type caused through
// the API and checked with a reference Standard Webhooks verifier written here from the spec
// (OpenSSL's HMAC, not docent's code), retries with one webhook-id, disabling, SSRF refusals at
// registration, and kill -9 between the change and its delivery.

#include "support/business_docs.h"
#include "support/extraction_support.h"
#include "support/http_client.h"
#include "support/pdf_writer.h"
#include "support/server_process.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <atomic>
#include <csignal>
#include <functional>
#include <map>
#include <mutex>
#include <set>
#include <thread>

namespace docent::testing {
namespace {

namespace json = boost::json;

struct Received {
  std::map<std::string, std::string> headers;  // names lowercased
  std::string body;
};

// A tiny HTTP/1.1 receiver: one request per connection; `answer(n)` (n = 1 for the first request)
// gives the status to send, or 0 to never answer (the connection is held until the test ends).
class Receiver {
 public:
  explicit Receiver(std::function<int(int)> answer = [](int) { return 200; }) : answer_(std::move(answer)) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    ::setsockopt(fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a);
    ::listen(fd_, 64);
    socklen_t len = sizeof a;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
    thread_ = std::thread([this] { loop(); });
  }
  ~Receiver() {
    stop_ = true;
    thread_.join();
    for (int c : held_) ::close(c);
    ::close(fd_);
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_) + "/hook"; }
  std::vector<Received> received() {
    std::lock_guard<std::mutex> lock(mu_);
    return got_;
  }
  size_t count() {
    std::lock_guard<std::mutex> lock(mu_);
    return got_.size();
  }
  // Waits (generously) until `pred` holds for what arrived.
  bool wait_for(const std::function<bool(const std::vector<Received>&)>& pred, int seconds = 60) {
    for (int i = 0; i < seconds * 20; ++i) {
      if (pred(received())) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return false;
  }

 private:
  void loop() {
    while (!stop_) {
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, 100) <= 0) continue;
      int c = ::accept(fd_, nullptr, nullptr);
      if (c < 0) continue;
      Received r;
      std::string data;
      char buf[8192];
      size_t header_end = std::string::npos;
      size_t need = 0;
      for (;;) {
        pollfd q{c, POLLIN, 0};
        if (::poll(&q, 1, 5000) <= 0) break;
        ssize_t n = ::recv(c, buf, sizeof buf, 0);
        if (n <= 0) break;
        data.append(buf, static_cast<size_t>(n));
        if (header_end == std::string::npos && (header_end = data.find("\r\n\r\n")) != std::string::npos) {
          size_t pos = data.find("\r\n") + 2;
          while (pos < header_end) {
            size_t eol = data.find("\r\n", pos);
            std::string line = data.substr(pos, eol - pos);
            size_t colon = line.find(':');
            std::string name = line.substr(0, colon);
            for (char& ch : name) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
            std::string value = line.substr(colon + 1);
            while (!value.empty() && value.front() == ' ') value.erase(0, 1);
            r.headers[name] = value;
            pos = eol + 2;
          }
          need = r.headers.count("content-length") ? std::stoul(r.headers["content-length"]) : 0;
        }
        if (header_end != std::string::npos && data.size() >= header_end + 4 + need) break;
      }
      if (header_end != std::string::npos) r.body = data.substr(header_end + 4, need);
      int n;
      {
        std::lock_guard<std::mutex> lock(mu_);
        got_.push_back(std::move(r));
        n = static_cast<int>(got_.size());
      }
      const int status = answer_(n);
      if (status == 0) {
        held_.push_back(c);  // never answered
        continue;
      }
      std::string reply = "HTTP/1.1 " + std::to_string(status) + " X\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
      (void)::send(c, reply.data(), reply.size(), MSG_NOSIGNAL);
      ::close(c);
    }
  }

  std::function<int(int)> answer_;
  int fd_ = -1;
  uint16_t port_ = 0;
  std::atomic<bool> stop_{false};
  std::thread thread_;
  std::vector<int> held_;
  std::mutex mu_;
  std::vector<Received> got_;
};

std::string b64(const unsigned char* bytes, size_t n) {
  std::string out(4 * ((n + 2) / 3) + 1, '\0');
  int len = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), bytes, static_cast<int>(n));
  out.resize(static_cast<size_t>(len));
  return out;
}

std::string unb64(const std::string& text) {
  std::string out(text.size(), '\0');
  int len = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                            reinterpret_cast<const unsigned char*>(text.data()), static_cast<int>(text.size()));
  if (len < 0) return {};
  size_t pad = 0;
  while (pad < text.size() && text[text.size() - 1 - pad] == '=') ++pad;
  out.resize(static_cast<size_t>(len) - pad);
  return out;
}

// The Standard Webhooks verifier: the key is base64 after "whsec_"; the signature header holds
// space-separated "v1,<base64 HMAC-SHA256(key, id.timestamp.body)>" entries.
bool verify(const std::string& secret, const Received& r) {
  const std::string key = secret.rfind("whsec_", 0) == 0 ? unb64(secret.substr(6)) : secret;
  auto h = [&](const char* n) { return r.headers.count(n) ? r.headers.at(n) : std::string(); };
  const std::string content = h("webhook-id") + "." + h("webhook-timestamp") + "." + r.body;
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int mac_len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()), reinterpret_cast<const unsigned char*>(content.data()),
       content.size(), mac, &mac_len);
  const std::string expected = "v1," + b64(mac, mac_len);
  const std::string header = h("webhook-signature");
  size_t pos = 0;
  while (pos <= header.size()) {
    size_t sp = header.find(' ', pos);
    if (header.substr(pos, sp == std::string::npos ? std::string::npos : sp - pos) == expected) return true;
    if (sp == std::string::npos) break;
    pos = sp + 1;
  }
  return false;
}

std::string event_of(const Received& r) { return str(json::parse(r.body).at("event")); }

ServerOptions loopback_options(std::map<std::string, std::string> extra = {}) {
  ServerOptions o;
  o.env = {{"DOCENT_WEBHOOKS_ALLOW_PRIVATE", "true"},
           {"DOCENT_WEBHOOKS_ALLOW_HTTP", "true"},
           {"DOCENT_WEBHOOKS_RETRY_SCHEDULE", "1s,1s"}};
  for (auto& [k, v] : extra) o.env[k] = v;
  return o;
}

struct Hook {
  std::string id;
  std::string secret;
};

Hook register_hook(HttpClient& client, const std::string& key, const std::string& url,
                   const std::string& events = R"(["*"])") {
  auto res = client.post_json("/v1/webhooks", R"({"url":")" + url + R"(","events":)" + events + "}", bearer(key));
  EXPECT_EQ(res.status, 201) << res.body;
  if (res.status != 201) return {};
  auto o = res.json().as_object();
  return {str(o.at("id")), str(o.at("secret"))};
}

HttpResponse upload(HttpClient& client, const std::string& key, const std::string& name, const std::string& bytes) {
  return client.request("POST", "/api/files/upload",
                        multipart_body("wh0", {{"file", name, "application/octet-stream", bytes}}),
                        {{"Authorization", "Bearer " + key}, {"Content-Type", "multipart/form-data; boundary=wh0"}});
}

json::object get_hook(HttpClient& client, const std::string& key, const std::string& id) {
  auto res = client.get("/v1/webhooks/" + id, bearer(key));
  EXPECT_EQ(res.status, 200) << res.body;
  return res.status == 200 ? res.json().as_object() : json::object{};
}

TEST(WebhooksTest, EveryEventTypeArrivesSignedInTheSeedsShape) {
  Receiver receiver;
  ServerProcess server(loopback_options());
  HttpClient client(server.port());
  const std::string key = create_user_key(client, server.admin_key(), "hooked");
  const Hook hook = register_hook(client, key, receiver.url());
  ASSERT_FALSE(hook.id.empty());
  ASSERT_EQ(hook.secret.rfind("whsec_", 0), 0u) << hook.secret;
  // The secret is shown once: never in a read.
  auto again = client.get("/v1/webhooks/" + hook.id, bearer(key));
  EXPECT_EQ(again.body.find(hook.secret.substr(6)), std::string::npos);

  // file.uploaded, file.processed, job.completed
  auto up = upload(client, key, "notes.txt", "Webhook notes: the first line of a small text file.\n");
  ASSERT_EQ(up.status, 200) << up.body;
  // knowledge.added (and its file's events)
  auto kn = client.post_json("/api/knowledge", R"({"title":"Hooks","content":"Knowledge entry about hooks."})",
                             bearer(key));
  ASSERT_EQ(kn.status, 201) << kn.body;
  // file.failed, job.failed: a broken PDF
  auto bad = upload(client, key, "broken.pdf",
                    "%PDF-1.7\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<<>>\n%%EOF\n");
  ASSERT_EQ(bad.status, 200) << bad.body;
  // chat.message, chat.completed
  auto chat = client.post_json("/api/chat", R"({"message":"What do the webhook notes say?","stream":false})",
                               bearer(key));
  ASSERT_EQ(chat.status, 200) << chat.body;
  // extraction.completed
  TempDir dir;
  auto truth = business_docs::write_document(dir.path() / "eway.pdf", {.kind = "ewaybill", .items = 2, .seed = 77});
  ASSERT_TRUE(truth);
  auto ex = client.request("POST", "/v1/extractions",
                           multipart_body("nn", {{"kind", "", "", "ewaybill"},
                                                 {"file", "eway.pdf", "", read_file(dir.path() / "eway.pdf")}}),
                           {{"Authorization", "Bearer " + key}, {"Content-Type", "multipart/form-data; boundary=nn"}});
  ASSERT_EQ(ex.status, 200) << ex.body;

  const std::set<std::string> wanted = {"file.uploaded",   "file.processed", "job.completed",
                                        "knowledge.added", "file.failed",    "job.failed",
                                        "chat.message",    "chat.completed", "extraction.completed"};
  std::set<std::string> seen;
  ASSERT_TRUE(receiver.wait_for([&](const std::vector<Received>& got) {
    seen.clear();
    for (const auto& r : got) seen.insert(event_of(r));
    return std::includes(seen.begin(), seen.end(), wanted.begin(), wanted.end());
  })) << "seen "
      << seen.size() << " of " << wanted.size() << " event types";

  std::set<std::string> ids;
  for (const auto& r : receiver.received()) {
    EXPECT_TRUE(verify(hook.secret, r)) << r.body;
    EXPECT_EQ(r.headers.at("content-type"), "application/json");
    auto body = json::parse(r.body).as_object();
    EXPECT_TRUE(body.at("timestamp").is_string());
    EXPECT_TRUE(body.at("data").is_object()) << r.body;
    EXPECT_EQ(str(body.at("id")), r.headers.at("webhook-id"));
    EXPECT_TRUE(ids.insert(r.headers.at("webhook-id")).second) << "delivered twice: " << r.body;
    const int64_t ts = std::stoll(r.headers.at("webhook-timestamp"));
    EXPECT_NEAR(static_cast<double>(ts), static_cast<double>(std::time(nullptr)), 300.0);
    // A signature under another secret is refused by the same verifier.
    EXPECT_FALSE(verify("whsec_" + std::string("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"), r));
  }
  for (const auto& r : receiver.received()) {
    if (event_of(r) == "chat.message") {
      auto data = json::parse(r.body).at("data").as_object();
      for (const char* k : {"chat_id", "message_id", "user_id", "content", "role"}) EXPECT_TRUE(data.contains(k)) << k;
      EXPECT_EQ(data.at("role"), "user");
    }
  }

  // The delivery log says so.
  auto log = client.get("/v1/webhooks/" + hook.id + "/deliveries?limit=100", bearer(key));
  ASSERT_EQ(log.status, 200) << log.body;
  auto data = log.json().at("data").as_array();
  ASSERT_GE(data.size(), wanted.size());
  bool any_succeeded = false;
  for (const auto& d : data) {
    if (d.at("status") == "succeeded") {
      any_succeeded = true;
      EXPECT_EQ(d.at("response_code"), 200);
      EXPECT_EQ(d.at("attempt"), 1);
      EXPECT_TRUE(d.at("duration_ms").is_int64());
    }
  }
  EXPECT_TRUE(any_succeeded) << log.body;
}

TEST(WebhooksTest, OnlySubscribedEventsAreSentAndOwnershipIsChecked) {
  Receiver receiver;
  ServerProcess server(loopback_options());
  HttpClient client(server.port());
  const std::string alice = create_user_key(client, server.admin_key(), "alice-hooks");
  const std::string bob = create_user_key(client, server.admin_key(), "bob-hooks");
  const Hook hook = register_hook(client, alice, receiver.url(), R"(["knowledge.added"])");
  // Bob sees none of alice's webhooks, in either face's envelope.
  auto other = client.get("/v1/webhooks/" + hook.id, bearer(bob));
  EXPECT_EQ(other.status, 404) << other.body;
  auto other_chatbot = client.request("DELETE", "/api/webhooks/" + hook.id, "", bearer(bob));
  EXPECT_EQ(other_chatbot.status, 404);
  EXPECT_EQ(other_chatbot.json().at("error").at("code"), "RESOURCE_NOT_FOUND") << other_chatbot.body;
  EXPECT_EQ(client.get("/api/webhooks", bearer(bob)).json().at("total"), 0);

  ASSERT_EQ(upload(client, alice, "a.txt", "Only uploaded, not a knowledge entry.\n").status, 200);
  ASSERT_EQ(client.post_json("/api/knowledge", R"({"title":"K","content":"An entry."})", bearer(alice)).status, 201);
  ASSERT_TRUE(receiver.wait_for([](const auto& got) { return !got.empty(); }));
  // Let anything else that might (wrongly) come arrive, then look.
  std::this_thread::sleep_for(std::chrono::seconds(2));
  for (const auto& r : receiver.received()) EXPECT_EQ(event_of(r), "knowledge.added") << r.body;
  EXPECT_EQ(receiver.count(), 1u);

  // Update via the chatbot face, then delete.
  auto put = client.request("PUT", "/api/webhooks/" + hook.id, R"({"events":["file.uploaded","chat.message"]})",
                            {{"Authorization", "Bearer " + alice}, {"Content-Type", "application/json"}});
  ASSERT_EQ(put.status, 200) << put.body;
  EXPECT_EQ(put.json().at("events").as_array().size(), 2u);
  auto del = client.request("DELETE", "/api/webhooks/" + hook.id, "", bearer(alice));
  EXPECT_EQ(del.status, 200) << del.body;
  EXPECT_EQ(client.get("/api/webhooks/" + hook.id, bearer(alice)).status, 404);
}

TEST(WebhooksTest, AReceiverThatFailsTwiceGetsTheSameIdThreeTimes) {
  Receiver receiver([](int n) { return n <= 2 ? 500 : 200; });
  ServerProcess server(loopback_options());
  HttpClient client(server.port());
  const std::string key = create_user_key(client, server.admin_key(), "retry");
  const Hook hook = register_hook(client, key, receiver.url(), R"(["knowledge.added"])");
  ASSERT_EQ(client.post_json("/api/knowledge", R"({"title":"R","content":"Retry me."})", bearer(key)).status, 201);
  ASSERT_TRUE(receiver.wait_for([](const auto& got) { return got.size() >= 3; }));
  auto got = receiver.received();
  EXPECT_EQ(got[0].headers.at("webhook-id"), got[1].headers.at("webhook-id"));
  EXPECT_EQ(got[1].headers.at("webhook-id"), got[2].headers.at("webhook-id"));
  EXPECT_EQ(got[0].body, got[2].body);
  for (const auto& r : got) EXPECT_TRUE(verify(hook.secret, r));

  json::object d;
  for (int i = 0; i < 200; ++i) {
    auto log = client.get("/v1/webhooks/" + hook.id + "/deliveries", bearer(key)).json();
    d = log.at("data").at(0).as_object();
    if (d.at("status") == "succeeded") break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_EQ(d.at("status"), "succeeded");
  EXPECT_EQ(d.at("attempt"), 3);
  auto attempts = d.at("attempts").as_array();
  ASSERT_EQ(attempts.size(), 3u);
  EXPECT_EQ(attempts[0].at("response_code"), 500);
  EXPECT_EQ(attempts[0].at("outcome"), "failed");
  EXPECT_EQ(attempts[2].at("response_code"), 200);
  EXPECT_TRUE(get_hook(client, key, hook.id).at("enabled").as_bool());

  // Redelivery sends it again, with the same id.
  auto re = client.request("POST", "/v1/webhooks/" + hook.id + "/deliveries/" + str(d.at("id")) + "/redeliver", "",
                           bearer(key));
  ASSERT_EQ(re.status, 202) << re.body;
  ASSERT_TRUE(receiver.wait_for([](const auto& got) { return got.size() >= 4; }));
  EXPECT_EQ(receiver.received()[3].headers.at("webhook-id"), got[0].headers.at("webhook-id"));
}

TEST(WebhooksTest, AReceiverThatNeverAnswersIsRetriedThenDisabled) {
  Receiver receiver([](int) { return 0; });
  ServerProcess server(loopback_options({{"DOCENT_WEBHOOKS_TIMEOUT", "1"}, {"DOCENT_WEBHOOKS_MAX_FAILURES", "3"}}));
  HttpClient client(server.port());
  const std::string key = create_user_key(client, server.admin_key(), "silent");
  const Hook hook = register_hook(client, key, receiver.url(), R"(["knowledge.added"])");
  ASSERT_EQ(client.post_json("/api/knowledge", R"({"title":"S","content":"Nobody listens."})", bearer(key)).status,
            201);
  json::object w;
  for (int i = 0; i < 1200; ++i) {
    w = get_hook(client, key, hook.id);
    if (!w.at("enabled").as_bool()) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_FALSE(w.at("enabled").as_bool());
  EXPECT_NE(str(w.at("disabled_reason")).find("failed"), std::string::npos) << json::serialize(w);
  EXPECT_EQ(receiver.count(), 3u);
  auto d = client.get("/v1/webhooks/" + hook.id + "/deliveries", bearer(key)).json().at("data").at(0);
  EXPECT_EQ(d.at("status"), "failed");
  EXPECT_NE(str(d.at("error")).find("no answer"), std::string::npos) << json::serialize(d);

  // Re-enabled, it is called again for new events.
  auto patch = client.request("PATCH", "/v1/webhooks/" + hook.id, R"({"enabled":true})",
                              {{"Authorization", "Bearer " + key}, {"Content-Type", "application/json"}});
  ASSERT_EQ(patch.status, 200) << patch.body;
  EXPECT_EQ(patch.json().at("consecutive_failures"), 0);
}

TEST(WebhooksTest, A410DisablesTheEndpointAtOnce) {
  Receiver receiver([](int) { return 410; });
  ServerProcess server(loopback_options());
  HttpClient client(server.port());
  const std::string key = create_user_key(client, server.admin_key(), "gone");
  const Hook hook = register_hook(client, key, receiver.url(), R"(["*"])");
  auto test = client.request("POST", "/v1/webhooks/" + hook.id + "/test", "", bearer(key));
  ASSERT_EQ(test.status, 202) << test.body;
  json::object w;
  for (int i = 0; i < 600; ++i) {
    w = get_hook(client, key, hook.id);
    if (!w.at("enabled").as_bool()) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_FALSE(w.at("enabled").as_bool());
  EXPECT_NE(str(w.at("disabled_reason")).find("410"), std::string::npos);
  EXPECT_EQ(receiver.count(), 1u);
  EXPECT_EQ(event_of(receiver.received()[0]), "webhook.test");
}

TEST(WebhooksTest, RegistrationRefusesPrivateAndPlainHttpUrlsUnlessAllowed) {
  ServerProcess server;  // the defaults: https only, public addresses only
  HttpClient client(server.port());
  const std::string key = create_user_key(client, server.admin_key(), "ssrf");
  for (const char* url : {"https://127.0.0.1/hook", "https://localhost/hook", "https://10.1.2.3/x",
                          "https://169.254.169.254/latest/meta-data", "https://[::1]/x", "https://[fd00::1]/x",
                          "https://0.0.0.0/x", "https://192.168.1.1/x", "http://example.com/hook",
                          "ftp://example.com/x", "https://user:pw@example.com/x", "not a url"}) {
    auto res = client.post_json("/api/webhooks", std::string(R"({"url":")") + url + R"(","events":["*"]})",
                                bearer(key));
    EXPECT_EQ(res.status, 400) << url << ": " << res.body;
    if (res.status == 400) {
      EXPECT_EQ(res.json().at("error").at("code"), "INVALID_REQUEST") << res.body;
    }
  }
  auto unknown = client.post_json("/api/webhooks", R"({"url":"https://example.com/h","events":["file.exploded"]})",
                                  bearer(key));
  EXPECT_EQ(unknown.status, 400) << unknown.body;
  auto short_secret = client.post_json("/api/webhooks",
                                       R"({"url":"https://example.com/h","events":["*"],"secret":"short"})",
                                       bearer(key));
  EXPECT_EQ(short_secret.status, 400) << short_secret.body;
  auto no_events = client.post_json("/v1/webhooks", R"({"url":"https://example.com/h","events":[]})", bearer(key));
  EXPECT_EQ(no_events.status, 400) << no_events.body;

  // The chatbot seed's example, as written.
  auto seed = client.post_json("/api/webhooks", R"({
  "url": "https://your-app.com/webhook",
  "events": ["chat.message", "document.created", "file.uploaded"],
  "secret": "your_webhook_secret"
})",
                               bearer(key));
  ASSERT_EQ(seed.status, 201) << seed.body;
  EXPECT_EQ(seed.json().at("url"), "https://your-app.com/webhook");
  EXPECT_EQ(seed.json().at("events").as_array().size(), 3u);
  auto listed = client.get("/api/webhooks", bearer(key));
  ASSERT_EQ(listed.status, 200);
  EXPECT_EQ(listed.json().at("total"), 1);
  EXPECT_EQ(listed.body.find("your_webhook_secret"), std::string::npos);
}

TEST(WebhooksTest, AnEventWrittenBeforeAKillNineIsDeliveredOnceAfterTheRestart) {
  Receiver receiver;
  TempDir dir;
  std::string key, hook_id, secret;
  {
    // No delivery workers: the event waits in the outbox when the process dies.
    auto o = loopback_options({{"DOCENT_WEBHOOKS_WORKERS", "0"}});
    o.data_dir = dir.path() / "data";
    ServerProcess first(o);
    HttpClient client(first.port());
    key = create_user_key(client, first.admin_key(), "crash");
    const Hook hook = register_hook(client, key, receiver.url(), R"(["knowledge.added"])");
    hook_id = hook.id;
    secret = hook.secret;
    ASSERT_EQ(client.post_json("/api/knowledge", R"({"title":"C","content":"Survives a crash."})", bearer(key)).status,
              201);
    first.stop(SIGKILL);
  }
  EXPECT_EQ(receiver.count(), 0u);
  auto o = loopback_options();
  o.data_dir = dir.path() / "data";
  ServerProcess second(o);
  ASSERT_TRUE(receiver.wait_for([](const auto& got) { return !got.empty(); }));
  std::this_thread::sleep_for(std::chrono::seconds(2));  // room for a (wrong) second delivery
  ASSERT_EQ(receiver.count(), 1u);
  EXPECT_EQ(event_of(receiver.received()[0]), "knowledge.added");
  EXPECT_TRUE(verify(secret, receiver.received()[0]));
}

}  // namespace
}  // namespace docent::testing
