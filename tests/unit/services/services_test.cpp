// Services against a real SQLite database in a temporary folder: quota accounting, plan
// changes, the last-admin rules, device registration and authentication precedence.

#include "core/config.h"
#include "core/id.h"
#include "services/accounts.h"
#include "services/auth.h"
#include "services/devices.h"
#include "services/keys.h"
#include "services/quota.h"
#include "services/secrets.h"
#include "store/database.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <thread>

namespace docent::services {
namespace {

class ServicesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / ("docent-services-" + core::random_hex(8));
    std::filesystem::create_directories(dir_);
    db_ = std::move(store::open_sqlite(dir_ / "t.db").value());
    config_.plans["tiny"] =
        core::PlanConfig{.file_per_day = 2, .question_per_day = 2, .question_per_month = 3, .self_service = true};
    secrets_ = std::make_unique<Secrets>(std::string(32, 'k'));
    accounts_ = std::make_unique<AccountService>(*db_, config_, core::crypto::PasswordParams{1, 1024, 1});
    keys_ = std::make_unique<KeyService>(*db_, *secrets_);
    devices_ = std::make_unique<DeviceService>(*db_, *secrets_, config_);
    quota_ = std::make_unique<QuotaService>(*db_, config_, *accounts_);
    ASSERT_TRUE(quota_->sync_config_plans().ok());  // as the runtime does at start
    auth_ = std::make_unique<Authenticator>(*keys_, *devices_);
  }
  void TearDown() override {
    db_.reset();
    std::filesystem::remove_all(dir_);
  }

  Account make(const std::string& login, const std::string& role = "user", const std::string& plan = "unlimited") {
    AccountInput in;
    in.login = login;
    in.password = "password-" + login;
    in.role = role;
    in.plan = plan;
    return accounts_->create_unchecked(in).value();
  }
  Principal as(const Account& a) const { return Principal{a.id, a.role, a.plan, "", false}; }

  std::filesystem::path dir_;
  core::Config config_;
  std::unique_ptr<store::Database> db_;
  std::unique_ptr<Secrets> secrets_;
  std::unique_ptr<AccountService> accounts_;
  std::unique_ptr<KeyService> keys_;
  std::unique_ptr<DeviceService> devices_;
  std::unique_ptr<QuotaService> quota_;
  std::unique_ptr<Authenticator> auth_;
};

TEST_F(ServicesTest, QuotaChecksAgainstDailyAndMonthlyLimits) {
  Account a = make("quota-user", "user", "tiny");
  Principal p = as(a);
  EXPECT_TRUE(quota_->check(p, Metric::Question, 2).ok());
  ASSERT_TRUE(quota_->record(a.id, Metric::Question, 2).ok());
  auto over = quota_->check(p, Metric::Question);
  ASSERT_FALSE(over.ok());
  EXPECT_EQ(over.error().code, core::Code::QuotaExceeded);
  EXPECT_EQ(over.error().status(), 429);
  auto view = quota_->quota(p).value();
  EXPECT_EQ(view.used.questions_today, 2);
  EXPECT_EQ(view.used.questions_month, 2);
  EXPECT_EQ(view.remaining_questions(), 1);
  EXPECT_EQ(view.remaining_pages(), -1);  // unlimited
  EXPECT_TRUE(quota_->check(p, Metric::Page, 1000000).ok());
}

TEST_F(ServicesTest, CountersAreExactUnderConcurrency) {
  Account a = make("busy");
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 25; ++i) ASSERT_TRUE(quota_->record(a.id, Metric::File).ok());
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(quota_->quota(as(a)).value().used.files_month, 100);
}

TEST_F(ServicesTest, UpgradeOnlyToSelfServicePlansAndOnlyWhenAllowed) {
  Account a = make("upgrader", "user", "free");
  EXPECT_EQ(quota_->upgrade(as(a), "unlimited").error().code, core::Code::InvalidInput);
  auto up = quota_->upgrade(as(a), "plus");
  ASSERT_TRUE(up.ok()) << up.error().message;
  EXPECT_EQ(up->plan, "plus");
  EXPECT_EQ(up->role, Role::User) << "upgrading must not elevate the account";
  config_.accounts.self_upgrade = false;
  EXPECT_EQ(quota_->upgrade(as(a), "base").error().code, core::Code::PermissionDenied);
}

TEST_F(ServicesTest, TheLastAdminCannotBeDeletedOrDemoted) {
  Account admin = make("root", "admin");
  EXPECT_EQ(accounts_->remove(as(admin), admin.id).error().code, core::Code::Conflict);
  AccountInput demote;
  demote.role = "user";
  EXPECT_EQ(accounts_->update(as(admin), admin.id, demote).error().code, core::Code::Conflict);
  Account second = make("root2", "admin");
  EXPECT_TRUE(accounts_->remove(as(second), admin.id).ok());
}

TEST_F(ServicesTest, DeletedLoginsCanBeReused) {
  Account admin = make("boss", "admin");
  Account a = make("reuse-me");
  ASSERT_TRUE(accounts_->remove(as(admin), a.id).ok());
  Account again = make("reuse-me");
  EXPECT_NE(again.id, a.id);
}

TEST_F(ServicesTest, DevicesRegisterOnceAndAuthenticate) {
  auto first = devices_->register_device("phone-1");
  ASSERT_TRUE(first.ok()) << first.error().message;
  EXPECT_EQ(first->account.plan, "free");
  EXPECT_EQ(first->account.user_type, "ANONYMOUS");
  auto second = devices_->register_device("phone-1");
  EXPECT_EQ(second->account.id, first->account.id);
  auto p = auth_->authenticate(Credentials{.device_id = "phone-1"});
  ASSERT_TRUE(p.ok());
  EXPECT_TRUE(p->via_device);
  EXPECT_EQ(p->account_id, first->account.id);
  EXPECT_EQ(devices_->device_of(first->account.id).value()->device_id, "phone-1");
  EXPECT_FALSE(auth_->authenticate(Credentials{.device_id = "phone-2"}).ok());
}

TEST_F(ServicesTest, ConcurrentRegistrationsOfOneDeviceMakeOneAccount) {
  std::vector<std::string> ids(6);
  std::vector<std::thread> threads;
  for (size_t i = 0; i < ids.size(); ++i) {
    threads.emplace_back([&, i] { ids[i] = devices_->register_device("same-device").value().account.id; });
  }
  for (auto& t : threads) t.join();
  for (const auto& id : ids) EXPECT_EQ(id, ids[0]);
}

TEST_F(ServicesTest, AuthenticationPrecedenceAndMalformedHeaders) {
  Account a = make("keyed");
  auto key = keys_->create_unchecked(a.id, "k").value();
  devices_->register_device("dev-x").value();
  // A valid bearer wins even when a device id is also sent.
  auto p = auth_->authenticate(Credentials{.authorization = "Bearer " + key.plain, .device_id = "dev-x"});
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->account_id, a.id);
  EXPECT_EQ(p->key_id, key.key.id);
  EXPECT_TRUE(auth_->authenticate(Credentials{.authorization = "bearer   " + key.plain + " "}).ok());
  // A bad bearer does not fall back to the device id.
  EXPECT_FALSE(auth_->authenticate(Credentials{.authorization = "Bearer nope", .device_id = "dev-x"}).ok());
  EXPECT_FALSE(auth_->authenticate(Credentials{.authorization = "Token " + key.plain}).ok());
  EXPECT_FALSE(auth_->authenticate(Credentials{}).ok());
  EXPECT_TRUE(auth_->authenticate(Credentials{.api_key = key.plain}).ok());
}

TEST_F(ServicesTest, KeysAreStoredAsDigestAndSealedCopyOnly) {
  Account a = make("stored");
  auto key = keys_->create_unchecked(a.id, "k").value();
  std::string digest, sealed;
  ASSERT_TRUE(db_->read([&](store::Tx& tx) -> core::Status {
                   auto row = tx.query_one("SELECT digest, sealed FROM api_keys WHERE id = ?", {key.key.id});
                   digest = (*row)->get_text(0);
                   sealed = (*row)->get_text(1);
                   return {};
                 })
                  .ok());
  EXPECT_EQ(digest.find(key.plain), std::string::npos);
  EXPECT_EQ(sealed.find(key.plain), std::string::npos);
  EXPECT_EQ(secrets_->open(sealed).value(), key.plain);
  EXPECT_EQ(digest, secrets_->digest("api-key", key.plain));
}

}  // namespace
}  // namespace docent::services
