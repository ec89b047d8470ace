// The authentication cache (services/auth_cache.h): hits, its size bound, invalidation by key and
// by account, stale inserts refused, concurrent use; and, over a real SQLite database, every
// writer that changes what a credential resolves to taking effect on the very next call, in this
// process and from another connection (the CLI beside a server).

#include "core/config.h"
#include "core/id.h"
#include "services/accounts.h"
#include "services/auth.h"
#include "services/auth_cache.h"
#include "services/devices.h"
#include "services/keys.h"
#include "services/quota.h"
#include "services/secrets.h"
#include "store/database.h"

#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <thread>
#include <vector>

namespace docent::services {
namespace {

Principal principal(const std::string& account, const std::string& key, Role role = Role::User) {
  return Principal{account, role, "free", key, key.empty()};
}

TEST(AuthCache, HitAfterInsert) {
  AuthCache cache(nullptr);
  EXPECT_FALSE(cache.find("d1"));
  cache.insert("d1", principal("a1", "k1", Role::Admin), cache.epoch());
  auto hit = cache.find("d1");
  ASSERT_TRUE(hit);
  EXPECT_EQ(hit->account_id, "a1");
  EXPECT_EQ(hit->key_id, "k1");
  EXPECT_TRUE(hit->is_admin());
  EXPECT_FALSE(cache.find("d2"));
  EXPECT_EQ(cache.stats().hits, 1u);
  EXPECT_EQ(cache.stats().misses, 2u);
}

TEST(AuthCache, SizeStaysWithinItsBound) {
  AuthCache cache(nullptr, AuthCacheOptions{.capacity = 64, .shards = 4});
  ASSERT_EQ(cache.capacity(), 64u);
  for (int i = 0; i < 5000; ++i) {
    cache.insert("digest-" + std::to_string(i), principal("a" + std::to_string(i), "k" + std::to_string(i)),
                 cache.epoch());
    if (i % 3 == 0) cache.find("digest-0");  // a hot entry keeps its second chance
  }
  EXPECT_LE(cache.size(), 64u);
  EXPECT_GT(cache.size(), 0u);
  EXPECT_TRUE(cache.find("digest-4999"));  // the newest is there
  EXPECT_TRUE(cache.find("digest-0"));     // and the one hit all along
  EXPECT_FALSE(cache.find("digest-1"));    // an old one never hit is gone
}

TEST(AuthCache, InvalidateKeyDropsThatKeyOnly) {
  AuthCache cache(nullptr);
  cache.insert("d1", principal("a1", "k1"), cache.epoch());
  cache.insert("d2", principal("a1", "k2"), cache.epoch());
  cache.insert("d3", principal("a2", "k3"), cache.epoch());
  cache.invalidate_key("k1");
  EXPECT_FALSE(cache.find("d1"));
  EXPECT_TRUE(cache.find("d2"));
  EXPECT_TRUE(cache.find("d3"));
}

TEST(AuthCache, InvalidateAccountDropsItsKeysAndDevices) {
  AuthCache cache(nullptr);
  cache.insert("d1", principal("a1", "k1"), cache.epoch());
  cache.insert("d2", principal("a1", ""), cache.epoch());  // a device of a1
  cache.insert("d3", principal("a2", "k3"), cache.epoch());
  cache.invalidate_account("a1");
  EXPECT_FALSE(cache.find("d1"));
  EXPECT_FALSE(cache.find("d2"));
  EXPECT_TRUE(cache.find("d3"));
  cache.clear();
  EXPECT_FALSE(cache.find("d3"));
  EXPECT_EQ(cache.size(), 0u);
}

TEST(AuthCache, InsertReadBeforeAnInvalidationIsRefused) {
  AuthCache cache(nullptr);
  const uint64_t before = cache.epoch();  // a request starts reading the database
  cache.invalidate_key("k1");             // a revoke commits and invalidates meanwhile
  cache.insert("d1", principal("a1", "k1"), before);
  EXPECT_FALSE(cache.find("d1"));
  cache.insert("d1", principal("a1", "k1"), cache.epoch());
  EXPECT_TRUE(cache.find("d1"));
}

TEST(AuthCache, ConcurrentLookupsInsertsAndInvalidations) {
  AuthCache cache(nullptr, AuthCacheOptions{.capacity = 256, .shards = 8});
  std::atomic<bool> stop{false};
  std::atomic<uint64_t> found{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; !stop.load(); ++i) {
        const std::string d = "d" + std::to_string((i * 7 + t) % 500);
        if (auto p = cache.find(d)) {
          if (p->account_id.empty()) ADD_FAILURE() << "torn entry";
          found.fetch_add(1);
        } else {
          cache.insert(d, principal("a" + std::to_string(i % 5), "k" + d), cache.epoch());
        }
      }
    });
  }
  for (int i = 0; i < 200; ++i) cache.invalidate_account("a" + std::to_string(i % 5));
  stop = true;
  for (auto& th : threads) th.join();
  EXPECT_LE(cache.size(), cache.capacity());
  cache.invalidate_account("a3");
  for (int i = 0; i < 500; ++i) {
    auto p = cache.find("d" + std::to_string(i));
    if (p) EXPECT_NE(p->account_id, "a3");
  }
}

// --- over a real database -----------------------------------------------------------------

class AuthCacheDbTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / ("docent-auth-cache-" + core::random_hex(8));
    std::filesystem::create_directories(dir_);
    db_ = std::move(store::open_sqlite(dir_ / "t.db").value());
    secrets_ = std::make_unique<Secrets>(std::string(32, 'k'));
    cache_ = std::make_unique<AuthCache>(db_.get());
    accounts_ = std::make_unique<AccountService>(*db_, config_, core::crypto::PasswordParams{1, 1024, 1});
    accounts_->set_auth_cache(cache_.get());
    keys_ = std::make_unique<KeyService>(*db_, *secrets_);
    keys_->set_auth_cache(cache_.get());
    devices_ = std::make_unique<DeviceService>(*db_, *secrets_, config_);
    auth_ = std::make_unique<Authenticator>(*keys_, *devices_, cache_.get());
  }
  void TearDown() override {
    auth_.reset();
    cache_.reset();
    db_.reset();
    std::filesystem::remove_all(dir_);
  }

  Account make(const std::string& login, const std::string& role = "user") {
    AccountInput in;
    in.login = login;
    in.password = "password-" + login;
    in.role = role;
    return accounts_->create_unchecked(in).value();
  }
  core::Result<Principal> by_key(const std::string& key) {
    Credentials c;
    c.api_key = key;
    return auth_->authenticate(c);
  }
  static Principal as(const Account& a) { return Principal{a.id, a.role, a.plan, "", false}; }

  std::filesystem::path dir_;
  core::Config config_;
  std::unique_ptr<store::Database> db_;
  std::unique_ptr<Secrets> secrets_;
  std::unique_ptr<AuthCache> cache_;
  std::unique_ptr<AccountService> accounts_;
  std::unique_ptr<KeyService> keys_;
  std::unique_ptr<DeviceService> devices_;
  std::unique_ptr<Authenticator> auth_;
};

TEST_F(AuthCacheDbTest, SecondCallIsAnsweredFromTheCache) {
  auto admin = make("root", "admin");
  auto key = keys_->create_unchecked(admin.id, "k").value();
  ASSERT_TRUE(by_key(key.plain));
  const auto misses = cache_->stats().misses;
  auto again = by_key(key.plain);
  ASSERT_TRUE(again);
  EXPECT_EQ(again->account_id, admin.id);
  EXPECT_EQ(again->key_id, key.key.id);
  EXPECT_TRUE(again->is_admin());
  EXPECT_EQ(cache_->stats().misses, misses);
  EXPECT_GE(cache_->stats().hits, 1u);
  // A refused key is never cached: one created later works at once.
  EXPECT_FALSE(by_key("dk_not_a_real_key_at_all"));
  EXPECT_EQ(cache_->size(), 1u);
}

TEST_F(AuthCacheDbTest, RevokeRotateDeleteAndRoleChangeShowAtOnce) {
  auto admin = make("root", "admin");
  auto user = make("user", "admin");
  auto k1 = keys_->create_unchecked(user.id, "one").value();
  auto k2 = keys_->create_unchecked(user.id, "two").value();
  ASSERT_TRUE(by_key(k1.plain));
  ASSERT_TRUE(by_key(k2.plain));

  ASSERT_TRUE(keys_->revoke(as(admin), k1.key.id));
  auto refused = by_key(k1.plain);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, core::Code::Unauthenticated);
  EXPECT_TRUE(by_key(k2.plain));  // the other key is untouched

  auto rotated = keys_->rotate(as(admin), k2.key.id).value();
  EXPECT_FALSE(by_key(k2.plain));
  auto fresh = by_key(rotated.plain);
  ASSERT_TRUE(fresh);
  EXPECT_TRUE(fresh->is_admin());

  AccountInput demote;
  demote.role = "user";
  ASSERT_TRUE(accounts_->update(as(admin), user.id, demote));
  auto demoted = by_key(rotated.plain);
  ASSERT_TRUE(demoted);
  EXPECT_FALSE(demoted->is_admin());

  ASSERT_TRUE(accounts_->remove(as(admin), user.id));
  EXPECT_FALSE(by_key(rotated.plain));
}

TEST_F(AuthCacheDbTest, OwnWritesKeepOtherEntries) {
  auto admin = make("root", "admin");
  auto a = keys_->create_unchecked(admin.id, "a").value();
  auto b = keys_->create_unchecked(admin.id, "b").value();
  ASSERT_TRUE(by_key(a.plain));
  ASSERT_TRUE(by_key(b.plain));
  const auto clears = cache_->stats().clears;
  ASSERT_TRUE(keys_->revoke_unchecked(a.key.id));
  EXPECT_FALSE(by_key(a.plain));
  const auto misses = cache_->stats().misses;
  EXPECT_TRUE(by_key(b.plain));
  EXPECT_EQ(cache_->stats().misses, misses);  // b is still cached: our own change cleared nothing else
  EXPECT_EQ(cache_->stats().clears, clears);
}

TEST_F(AuthCacheDbTest, ARevokeFromAnotherConnectionShowsOnTheNextCall) {
  auto admin = make("root", "admin");
  auto key = keys_->create_unchecked(admin.id, "k").value();
  auto other = keys_->create_unchecked(admin.id, "other").value();
  ASSERT_TRUE(by_key(key.plain));
  ASSERT_TRUE(by_key(key.plain));  // now from the cache

  // What `docent keys revoke` does beside a server: its own database handle and services.
  {
    auto cli_db = std::move(store::open_sqlite(dir_ / "t.db").value());
    KeyService cli_keys(*cli_db, *secrets_);
    ASSERT_TRUE(cli_keys.revoke_unchecked(key.key.id));
  }
  auto refused = by_key(key.plain);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, core::Code::Unauthenticated);
  EXPECT_TRUE(by_key(other.plain));
}

// Authenticator::cached (what a network thread asks): the cached principal only while the cache is
// known to be current; anything it cannot tell without waiting is nullopt, left to authenticate().
TEST_F(AuthCacheDbTest, CachedAnswersOnlyFromAFreshCache) {
  auto admin = make("root", "admin");
  auto key = keys_->create_unchecked(admin.id, "k").value();
  Credentials c;
  c.api_key = key.plain;
  EXPECT_FALSE(auth_->cached(c)) << "never resolved: not in the cache";
  ASSERT_TRUE(by_key(key.plain));
  auto hit = auth_->cached(c);
  ASSERT_TRUE(hit);
  EXPECT_EQ(hit->key_id, key.key.id);
  Credentials bearer;
  bearer.authorization = "Bearer " + key.plain;
  EXPECT_TRUE(auth_->cached(bearer));

  // Another process commits (here the key's revocation): the entry is still there, but the cache
  // cannot know it is current without reading the generation, so it does not answer.
  {
    auto cli_db = std::move(store::open_sqlite(dir_ / "t.db").value());
    KeyService cli_keys(*cli_db, *secrets_);
    ASSERT_TRUE(cli_keys.revoke_unchecked(key.key.id));
  }
  EXPECT_FALSE(auth_->cached(c));
  EXPECT_FALSE(by_key(key.plain));  // authenticate() refreshes and refuses
  EXPECT_FALSE(auth_->cached(c));

  Credentials none;
  EXPECT_FALSE(auth_->cached(none));
  Credentials malformed;
  malformed.authorization = "Basic abc";
  EXPECT_FALSE(auth_->cached(malformed));
}

TEST_F(AuthCacheDbTest, UnrelatedWritesDoNotClearTheCache) {
  auto admin = make("root", "admin");
  auto key = keys_->create_unchecked(admin.id, "k").value();
  ASSERT_TRUE(by_key(key.plain));
  const auto clears = cache_->stats().clears;
  QuotaService quota(*db_, config_, *accounts_);
  ASSERT_TRUE(quota.record(admin.id, Metric::Question));  // commits, so the change counter moves
  const auto misses = cache_->stats().misses;
  ASSERT_TRUE(by_key(key.plain));
  EXPECT_EQ(cache_->stats().misses, misses);
  EXPECT_EQ(cache_->stats().clears, clears);
}

TEST_F(AuthCacheDbTest, DevicesAreCachedAndDroppedWithTheirAccount) {
  auto admin = make("root", "admin");
  auto dev = devices_->register_device("device-123").value();
  Credentials c;
  c.device_id = "device-123";
  ASSERT_TRUE(auth_->authenticate(c));
  auto cached = auth_->authenticate(c);
  ASSERT_TRUE(cached);
  EXPECT_TRUE(cached->via_device);
  EXPECT_EQ(cached->account_id, dev.account.id);
  ASSERT_TRUE(accounts_->remove(as(admin), dev.account.id));
  auto refused = auth_->authenticate(c);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, core::Code::Unauthenticated);
}

}  // namespace
}  // namespace docent::services
