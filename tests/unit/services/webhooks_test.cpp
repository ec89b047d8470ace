// Webhook signing against a Standard Webhooks test vector, the secret and schedule parsers, the URL
// rule at registration, the address check at delivery, and the outbox and lease discipline of the
// deliveries table (two claimers never both get a delivery; an expired lease is claimed again).

#include "core/crypto.h"
#include "core/id.h"
#include "core/time.h"
#include "engines/outbound_url.h"
#include "engines/webhook_client.h"
#include "services/webhooks.h"
#include "store/accounts.h"
#include "store/database.h"
#include "store/jobs.h"
#include "store/webhooks.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <gtest/gtest.h>

#include <filesystem>

namespace docent::services {
namespace {

namespace json = boost::json;
using namespace std::chrono_literals;

TEST(WebhookSignature, MatchesTheStandardWebhooksTestVector) {
  // The vector the Standard Webhooks reference libraries test with.
  auto key = webhook_signing_key("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw");
  ASSERT_TRUE(key);
  EXPECT_EQ(webhook_signature(*key, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, R"({"test": 2432232314})"),
            "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
  // Any change to id, timestamp or body changes it.
  EXPECT_NE(webhook_signature(*key, "msg_p5jXN8AQM9LWM0D4loKWxJeK", 1614265330, R"({"test": 2432232314})"),
            "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
  EXPECT_NE(webhook_signature(*key, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265331, R"({"test": 2432232314})"),
            "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
}

TEST(WebhookSignature, APlainSecretIsItsOwnKey) {
  EXPECT_EQ(webhook_signing_key("your_webhook_secret"), std::optional<std::string>("your_webhook_secret"));
  EXPECT_FALSE(webhook_signing_key("whsec_not base64!"));
  EXPECT_EQ(webhook_signature("k", "id", 1, "b"),
            "v1," + core::crypto::base64_encode(core::crypto::hmac_sha256("k", "id.1.b")));
}

TEST(WebhookRetrySchedule, ParsesDurationsAndRefusesNonsense) {
  auto s = parse_retry_schedule("5s, 5m,2h");
  ASSERT_TRUE(s);
  EXPECT_EQ(*s, (std::vector<std::chrono::milliseconds>{5s, 5min, 2h}));
  EXPECT_FALSE(parse_retry_schedule(""));
  EXPECT_FALSE(parse_retry_schedule("5s,,5m"));
  EXPECT_FALSE(parse_retry_schedule("soon"));
  EXPECT_FALSE(parse_retry_schedule("0s"));
  // The default spans about three days.
  auto d = WebhookOptions::default_retry_schedule();
  std::chrono::milliseconds total{0};
  for (auto x : d) total += x;
  EXPECT_GT(total, 60h);
  EXPECT_LT(total, 80h);
}

TEST(WebhookUrl, RegistrationRefusesPrivateTargetsAndPlainHttp) {
  const engines::WebhookUrlRules strict{};
  for (const char* url :
       {"https://127.0.0.1/", "https://localhost/x", "https://a.localhost/x", "https://10.0.0.8/",
        "https://172.16.0.1/", "https://192.168.0.1/", "https://169.254.169.254/latest", "https://[::1]/",
        "https://[fd00::5]/", "https://[fe80::1]/", "https://0.0.0.0/", "https://[::ffff:127.0.0.1]/",
        "http://example.com/", "https://u:p@example.com/", "file:///etc/passwd", "https:///nohost", ""}) {
    EXPECT_FALSE(engines::check_webhook_url(url, strict)) << url;
  }
  EXPECT_TRUE(engines::check_webhook_url("https://93.184.215.14/hook", strict));
  EXPECT_TRUE(engines::check_webhook_url("http://127.0.0.1:9/hook", {.allow_http = true, .allow_private = true}));
  EXPECT_FALSE(engines::check_webhook_url("http://127.0.0.1:9/hook", {.allow_http = true, .allow_private = false}));
}

TEST(WebhookUrl, DeliveryRefusesAPrivateAddressWhateverTheUrlSaid) {
  // The delivery check runs on the address curl connects to: a loopback receiver is refused
  // without allow_private, even though nothing checked the URL first (the rebinding case).
  engines::WebhookRequest r;
  r.url = "http://127.0.0.1:9/hook";
  r.body = "{}";
  r.timeout = 2000ms;
  auto refused = engines::post_webhook(r);
  EXPECT_TRUE(refused.refused_private) << refused.error;
  EXPECT_FALSE(refused.status);
  r.allow_private = true;
  auto allowed = engines::post_webhook(r);  // port 9 on loopback: connection refused, but attempted
  EXPECT_FALSE(allowed.refused_private);
  sockaddr_in v4{};
  v4.sin_family = AF_INET;
  inet_pton(AF_INET, "169.254.169.254", &v4.sin_addr);
  EXPECT_TRUE(engines::is_private_address(reinterpret_cast<sockaddr*>(&v4)));
}

class WebhookStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / ("docent-webhooks-" + core::random_hex(8));
    std::filesystem::create_directories(dir_);
    db_ = std::move(store::open_sqlite(dir_ / "t.db").value());
    secrets_ = std::make_unique<Secrets>(std::string(32, 'k'));
    ASSERT_TRUE(db_->write([&](store::Tx& tx) {
      store::AccountRecord a;
      a.id = core::new_id();
      a.login = "owner";
      a.plan = "unlimited";
      a.created_at = a.updated_at = core::rfc3339_now();
      account_ = a.id;
      return store::accounts::insert(tx, a);
    }));
    WebhookOptions o;
    o.workers = 0;
    o.allow_http = o.allow_private = true;
    service_ = std::make_unique<WebhookService>(*db_, *secrets_, o);
    actor_.account_id = account_;
  }
  void TearDown() override {
    service_.reset();
    db_.reset();
    std::filesystem::remove_all(dir_);
  }

  std::filesystem::path dir_;
  std::unique_ptr<store::Database> db_;
  std::unique_ptr<Secrets> secrets_;
  std::unique_ptr<WebhookService> service_;
  std::string account_;
  Principal actor_;
};

TEST_F(WebhookStoreTest, EmitWritesNothingWithoutASubscriberAndRollsBackWithTheChange) {
  auto count = [&] {
    int64_t n = -1;
    EXPECT_TRUE(db_->write([&](store::Tx& tx) -> core::Status {
      auto c = store::webhooks::claim_due(tx, "probe", std::chrono::system_clock::now(), 1ms);
      if (!c) return c.error();
      n = *c ? 1 : 0;
      return {};
    }));
    return n;
  };
  ASSERT_TRUE(db_->write([&](store::Tx& tx) { return service_->emit(tx, account_, events::kFileUploaded, {}); }));
  EXPECT_EQ(count(), 0);

  auto created = service_->create(actor_, {"http://127.0.0.1:9/h", {"file.uploaded"}, std::nullopt, ""});
  ASSERT_TRUE(created) << created.error().message;
  // Another type: not subscribed, nothing written.
  ASSERT_TRUE(db_->write([&](store::Tx& tx) { return service_->emit(tx, account_, events::kChatMessage, {}); }));
  EXPECT_EQ(count(), 0);
  // A rolled-back change takes its event with it.
  EXPECT_FALSE(db_->write([&](store::Tx& tx) -> core::Status {
    if (auto s = service_->emit(tx, account_, events::kFileUploaded, json::object{{"file_id", "f"}}); !s) return s;
    return core::Error(core::Code::Internal, "the change failed");
  }));
  EXPECT_EQ(count(), 0);
  ASSERT_TRUE(db_->write([&](store::Tx& tx) { return service_->emit(tx, account_, events::kFileUploaded, {}); }));
  EXPECT_EQ(count(), 1);
}

TEST_F(WebhookStoreTest, ALeaseIsHeldUntilItExpiresThenClaimedAgain) {
  ASSERT_TRUE(service_->create(actor_, {"http://127.0.0.1:9/h", {"*"}, std::string("a-secret-123"), ""}));
  ASSERT_TRUE(db_->write([&](store::Tx& tx) { return service_->emit(tx, account_, events::kJobCompleted, {}); }));
  const auto t0 = std::chrono::system_clock::now();
  auto claim = [&](const std::string& owner, std::chrono::system_clock::time_point at) {
    std::optional<store::ClaimedDelivery> got;
    EXPECT_TRUE(db_->write([&](store::Tx& tx) -> core::Status {
      auto c = store::webhooks::claim_due(tx, owner, at, 30s);
      if (!c) return c.error();
      got = std::move(*c);
      return {};
    }));
    return got;
  };
  auto a = claim("worker-a", t0);
  ASSERT_TRUE(a);
  EXPECT_EQ(a->delivery.attempts, 1);
  EXPECT_NE(a->secret_sealed.find("a-secret-123"), 0u);  // sealed, not plain
  EXPECT_EQ(secrets_->open(a->secret_sealed).value(), "a-secret-123");
  EXPECT_FALSE(claim("worker-b", t0 + 10s));  // held by a
  auto b = claim("worker-b", t0 + 31s);       // a's lease expired: a died
  ASSERT_TRUE(b);
  EXPECT_EQ(b->delivery.event_id, a->delivery.event_id);
  EXPECT_EQ(b->delivery.attempts, 2);
  // a's late outcome is refused: b holds it now.
  store::WebhookAttemptRecord attempt{a->delivery.id, 1, store::jobs::timestamp(t0), 200, 5, "succeeded", {}};
  auto late = db_->write([&](store::Tx& tx) {
    return store::webhooks::settle(tx, a->delivery.id, "worker-a", attempt, true, std::nullopt, t0 + 32s);
  });
  EXPECT_EQ(late.error().code, core::Code::Conflict);
  attempt.attempt = 2;
  EXPECT_TRUE(db_->write([&](store::Tx& tx) {
    return store::webhooks::settle(tx, b->delivery.id, "worker-b", attempt, true, std::nullopt, t0 + 33s);
  }));
  EXPECT_FALSE(claim("worker-c", t0 + 100s));  // delivered: never again
}

}  // namespace
}  // namespace docent::services
