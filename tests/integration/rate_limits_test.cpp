// Rate limits (issue 18) against the real binary, once with the counters in the process and once
// in the database (limits.store), with small limits so that every test runs in seconds: each
// face's policies and 429 envelope, the headers on every response of a limited route, an
// account's tier and an admin's overrides, the per-address throttles, and 50 racing clients.

#include "support/http_client.h"
#include "support/server_process.h"

#include <gtest/gtest.h>

#include <atomic>
#include <barrier>
#include <thread>

namespace docent::testing {
namespace {

namespace json = boost::json;

class RateLimitsTest : public ::testing::TestWithParam<std::string> {
 protected:
  void start(std::vector<std::string> settings) {
    ServerOptions o;
    settings.push_back("limits.store=" + GetParam());
    for (const auto& s : settings) {
      o.args.push_back("--set");
      o.args.push_back(s);
    }
    server_ = std::make_unique<ServerProcess>(o);
    client_ = std::make_unique<HttpClient>(server_->port());
  }
  HttpClient& c() { return *client_; }
  Headers admin() const { return bearer(server_->admin_key()); }
  HttpResponse patch(const std::string& path, const std::string& body, Headers who) {
    who.emplace_back("Content-Type", "application/json");
    return c().request("PATCH", path, body, who);
  }
  std::string account_id(const std::string& key) {
    return str(c().get("/v1/accounts/me", bearer(key)).json().at("id"));
  }

  std::unique_ptr<ServerProcess> server_;
  std::unique_ptr<HttpClient> client_;
};

// Every response of a limited route carries the seeds' three headers and the IETF pair.
void expect_limit_headers(const HttpResponse& r, int64_t limit, const std::string& policy) {
  EXPECT_EQ(r.header("x-ratelimit-limit"), std::to_string(limit)) << r.status << " " << r.body;
  ASSERT_FALSE(r.header("x-ratelimit-remaining").empty());
  const int64_t reset = std::stoll(r.header("x-ratelimit-reset"));
  EXPECT_GE(reset, static_cast<int64_t>(std::time(nullptr)));  // Unix seconds, not a delay
  EXPECT_LE(reset, static_cast<int64_t>(std::time(nullptr)) + 24 * 3600);
  EXPECT_NE(r.header("ratelimit-policy").find("\"" + policy + "\";q="), std::string::npos)
      << r.header("ratelimit-policy");
  EXPECT_NE(r.header("ratelimit").find("\"" + policy + "\";r="), std::string::npos) << r.header("ratelimit");
}

int64_t retry_after(const HttpResponse& r) {
  EXPECT_EQ(r.status, 429) << r.body;
  const std::string v = r.header("retry-after");
  EXPECT_FALSE(v.empty());
  return v.empty() ? 0 : std::stoll(v);
}

TEST_P(RateLimitsTest, NexusRoutesAndGlobalLimit) {
  start({"limits.nexus_sessions=2/min", "limits.nexus_text=3/min", "limits.nexus_global=5/hour"});
  const Headers key = {{"X-API-Key", server_->admin_key()}};
  for (int i = 0; i < 2; ++i) {
    auto r = c().post_json("/api/sessions", "{}", key);
    EXPECT_EQ(r.status, 200) << r.body;
    expect_limit_headers(r, 2, "nexus_sessions");
    EXPECT_EQ(r.header("x-ratelimit-remaining"), std::to_string(1 - i));
    EXPECT_NE(r.header("ratelimit-policy").find("\"nexus_global\";q=5;w=3600"), std::string::npos);
  }
  auto refused = c().post_json("/api/sessions", "{}", key);
  EXPECT_GT(retry_after(refused), 0);
  EXPECT_LE(retry_after(refused), 60);
  expect_limit_headers(refused, 2, "nexus_sessions");
  EXPECT_EQ(refused.header("x-ratelimit-remaining"), "0");
  // The seed's body, word for word.
  auto body = refused.json().as_object();
  EXPECT_EQ(body.at("success"), false);
  EXPECT_EQ(body.at("error"), "Rate limit exceeded");
  EXPECT_EQ(body.at("error_code"), "RATE_LIMIT_EXCEEDED");
  EXPECT_EQ(body.at("details").at("limit"), "2 requests per minute");
  EXPECT_EQ(body.at("details").at("retry_after").as_int64(), retry_after(refused));

  // Text questions: an answer streamed over SSE carries the headers in its head...
  auto streamed = c().post_json("/api/process/text", R"({"message":"Hello"})", key);
  EXPECT_EQ(streamed.status, 200) << streamed.body;
  EXPECT_NE(streamed.header("content-type").find("text/event-stream"), std::string::npos);
  expect_limit_headers(streamed, 3, "nexus_text");
  EXPECT_EQ(streamed.header("x-ratelimit-remaining"), "2");
  // ...and a 400 is a response of a limited route like any other, and counts.
  int admitted = 1;
  for (int i = 0; i < 3; ++i) {
    auto r = c().post_json("/api/process/text", "{}", key);
    if (r.status != 429) {
      ++admitted;
      EXPECT_EQ(r.status, 400) << r.body;
      expect_limit_headers(r, 3, "nexus_text");
    }
  }
  EXPECT_EQ(admitted, 3);
  // 2 sessions + 3 questions: the global 5/hour is spent (the refused ones cost nothing), and it
  // covers the other nexus routes too.
  auto global = c().get("/api/sessions", key);
  EXPECT_GT(retry_after(global), 60);
  EXPECT_EQ(global.json().at("details").at("limit"), "5 requests per hour");
  expect_limit_headers(global, 5, "nexus_global");
  // Health is for probes: never limited.
  auto health = c().get("/v1/health");
  EXPECT_EQ(health.status, 200);
  EXPECT_TRUE(health.header("x-ratelimit-limit").empty());
  // Another key has counters of its own.
  const std::string other = create_user_key(c(), server_->admin_key(), "nexus-other");
  EXPECT_EQ(c().post_json("/api/sessions", "{}", {{"X-API-Key", other}}).status, 200);
}

TEST_P(RateLimitsTest, ChatbotTiersSetByAnAdmin) {
  start({"limits.chatbot_standard=2/min", "limits.chatbot_premium=4/min"});
  const std::string key = create_user_key(c(), server_->admin_key(), "tiered");
  const std::string id = account_id(key);
  auto count_admitted = [&](int n, int64_t limit, const std::string& policy) {
    int ok = 0;
    for (int i = 0; i < n; ++i) {
      auto r = c().get("/api/chat/no-such-chat/history", bearer(key));
      expect_limit_headers(r, limit, policy);
      if (r.status == 429) {
        EXPECT_GT(retry_after(r), 0);
        EXPECT_EQ(r.json().at("error").at("code"), "RATE_LIMITED");
        EXPECT_TRUE(r.json().at("error").as_object().contains("message"));
      } else {
        EXPECT_EQ(r.status, 404) << r.body;
        EXPECT_EQ(r.json().at("error").at("code"), "RESOURCE_NOT_FOUND");
        ++ok;
      }
    }
    return ok;
  };
  EXPECT_EQ(count_admitted(3, 2, "chatbot_standard"), 2);

  // Only an admin sets a tier, and only to a tier that exists.
  EXPECT_EQ(patch("/v1/accounts/" + id, R"({"tier":"premium"})", bearer(key)).status, 403);
  EXPECT_EQ(patch("/v1/accounts/" + id, R"({"tier":"gold"})", admin()).status, 400);
  auto up = patch("/v1/accounts/" + id, R"({"tier":"premium"})", admin());
  ASSERT_EQ(up.status, 200) << up.body;
  EXPECT_EQ(up.json().at("tier"), "premium");
  EXPECT_EQ(c().get("/v1/accounts/" + id, admin()).json().at("tier"), "premium");
  // At once (the cached principal was dropped): the premium limit, on a counter of its own.
  EXPECT_EQ(count_admitted(5, 4, "chatbot_premium"), 4);
}

TEST_P(RateLimitsTest, AdminOverridesPerAccount) {
  start({});
  const std::string key = create_user_key(c(), server_->admin_key(), "overridden");
  const std::string id = account_id(key);
  // native /v1 is unlimited unless configured: no headers.
  auto free = c().get("/v1/models", bearer(key));
  EXPECT_EQ(free.status, 200);
  EXPECT_TRUE(free.header("x-ratelimit-limit").empty());

  EXPECT_EQ(patch("/v1/accounts/" + id, R"({"rate_limits":{"native_default":"2/min"}})", bearer(key)).status, 403);
  EXPECT_EQ(patch("/v1/accounts/" + id, R"({"rate_limits":{"no_such_policy":"2/min"}})", admin()).status, 400);
  EXPECT_EQ(patch("/v1/accounts/" + id, R"({"rate_limits":{"native_default":"lots"}})", admin()).status, 400);
  EXPECT_EQ(patch("/v1/accounts/" + id, R"({"rate_limits":{"native_default":2}})", admin()).status, 400);
  auto set = patch("/v1/accounts/" + id, R"({"rate_limits":{"native_default":"2/min","nexus_text":"1/hour"}})",
                   admin());
  ASSERT_EQ(set.status, 200) << set.body;
  EXPECT_EQ(set.json().at("rate_limits"), (json::object{{"native_default", "2/min"}, {"nexus_text", "1/hour"}}));

  for (int i = 0; i < 2; ++i) {
    auto r = c().get("/v1/models", bearer(key));
    EXPECT_EQ(r.status, 200) << r.body;
    expect_limit_headers(r, 2, "native_default");
    EXPECT_EQ(r.header("x-ratelimit-limit-requests"), "2");  // OpenAI's names too
    EXPECT_EQ(r.header("x-ratelimit-remaining-requests"), std::to_string(1 - i));
    EXPECT_FALSE(r.header("x-ratelimit-reset-requests").empty());
  }
  auto refused = c().get("/v1/models", bearer(key));
  EXPECT_GT(retry_after(refused), 0);
  // OpenAI's refusal, as its SDKs read it.
  auto err = refused.json().at("error").as_object();
  EXPECT_EQ(err.at("type"), "requests");
  EXPECT_EQ(err.at("code"), "rate_limit_exceeded");
  EXPECT_TRUE(err.at("param").is_null());
  // The admin is not the overridden account.
  EXPECT_TRUE(c().get("/v1/models", admin()).header("x-ratelimit-limit").empty());

  // null removes the override; the other stays.
  auto cleared = patch("/v1/accounts/" + id, R"({"rate_limits":{"native_default":null}})", admin());
  ASSERT_EQ(cleared.status, 200) << cleared.body;
  EXPECT_EQ(cleared.json().at("rate_limits"), (json::object{{"nexus_text", "1/hour"}}));
  auto again = c().get("/v1/models", bearer(key));
  EXPECT_EQ(again.status, 200);
  EXPECT_TRUE(again.header("x-ratelimit-limit").empty());
  EXPECT_EQ(c().post_json("/api/process/text", "{}", bearer(key)).status, 400);
  EXPECT_EQ(c().post_json("/api/process/text", "{}", bearer(key)).status, 429);
}

TEST_P(RateLimitsTest, SphereChatPdfProcessing) {
  start({"limits.spherechat_pdf=2/min"});
  int ok = 0;
  for (int i = 0; i < 3; ++i) {
    auto r = c().request("POST", "/api/pdf/invoice", multipart_body("b", {{"note", "", "", "x"}}),
                         {{"Authorization", "Bearer " + server_->admin_key()},
                          {"Content-Type", "multipart/form-data; boundary=b"}});
    expect_limit_headers(r, 2, "spherechat_pdf");
    if (r.status == 429) {
      EXPECT_GT(retry_after(r), 0);
      EXPECT_EQ(r.json(),
                (json::object{{"success", false}, {"message", "Too Many Requests"}, {"error", "Rate limit exceeded"}}));
    } else {
      EXPECT_EQ(r.status, 400) << r.body;  // no file: a response of the route all the same
      ++ok;
    }
  }
  EXPECT_EQ(ok, 2);
  // Other PDF types share the key's counter; fetching a workbook is not processing.
  EXPECT_EQ(c().request("POST", "/api/pdf/po", "", admin()).status, 429);
  auto download = c().get("/api/pdf/download/nothing", admin());
  EXPECT_EQ(download.status, 404);
  EXPECT_TRUE(download.header("x-ratelimit-limit").empty());
}

TEST_P(RateLimitsTest, IdentityAndSecretRoutesPerAddress) {
  start({"limits.register_device=3/min", "limits.login=2/min"});
  int ok = 0;
  for (int i = 0; i < 5; ++i) {
    auto r = c().post_json("/auth/register-device", R"({"deviceId":"rate-device-)" + std::to_string(i) + "\"}");
    expect_limit_headers(r, 3, "register_device");
    if (r.status == 429) {
      EXPECT_GT(retry_after(r), 0);
      EXPECT_EQ(r.json().at("success"), false);  // chatpdf's envelope
      EXPECT_TRUE(r.json().at("data").is_null());
    } else {
      EXPECT_EQ(r.status, 200) << r.body;
      ++ok;
    }
  }
  EXPECT_EQ(ok, 3);
  // Wrong passwords: two tries a minute from one address, then 429 before any password is checked.
  const std::string wrong = R"({"login":"admin","password":"not-the-password"})";
  EXPECT_EQ(c().post_json("/v1/auth/login", wrong).status, 401);
  auto second = c().post_json("/v1/auth/login", wrong);
  EXPECT_EQ(second.status, 401);
  expect_limit_headers(second, 2, "login");
  auto third = c().post_json("/v1/auth/login", wrong);
  EXPECT_GT(retry_after(third), 0);
  EXPECT_EQ(third.json().at("error").at("code"), "rate_limit_exceeded");
  // Nothing was checked, so nothing was audited for the refused try.
  auto audit = c().get("/v1/audit?action=auth.login", admin());
  ASSERT_EQ(audit.status, 200) << audit.body;
  EXPECT_EQ(audit.json().at("data").as_array().size(), 2u);
}

TEST_P(RateLimitsTest, AShortWindowRefillsInSeconds) {
  start({"limits.register_device=1/2s"});
  EXPECT_EQ(c().post_json("/auth/register-device", R"({"deviceId":"short-window-1"})").status, 200);
  auto refused = c().post_json("/auth/register-device", R"({"deviceId":"short-window-2"})");
  const int64_t wait = retry_after(refused);
  EXPECT_GE(wait, 1);
  EXPECT_LE(wait, 2);
  std::this_thread::sleep_for(std::chrono::seconds(wait) + std::chrono::milliseconds(100));
  EXPECT_EQ(c().post_json("/auth/register-device", R"({"deviceId":"short-window-2"})").status, 200);
}

TEST_P(RateLimitsTest, FiftyRacingClientsGetExactlyTheLimit) {
  start({"limits.native_default=20/hour"});
  const std::string key = server_->admin_key();
  std::atomic<int> ok{0}, refused{0}, other{0};
  std::barrier go(50);
  std::vector<std::thread> clients;
  for (int i = 0; i < 50; ++i) {
    clients.emplace_back([&] {
      HttpClient mine(server_->port());
      go.arrive_and_wait();
      auto r = mine.get("/v1/models", bearer(key));
      (r.status == 200 ? ok : r.status == 429 ? refused : other)++;
    });
  }
  for (auto& t : clients) t.join();
  EXPECT_EQ(ok.load(), 20);
  EXPECT_EQ(refused.load(), 30);
  EXPECT_EQ(other.load(), 0);
}

INSTANTIATE_TEST_SUITE_P(Stores, RateLimitsTest, ::testing::Values("memory", "database"));

}  // namespace
}  // namespace docent::testing
