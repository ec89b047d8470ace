// The limiter's arithmetic and its two counter stores, run through the same tests with a clock
// the test moves (no sleeping, no timed assertions).
#include "services/rate_limiter.h"

#include "core/id.h"
#include "store/database.h"

#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <thread>

namespace docent::services {
namespace {

constexpr int64_t kSecond = 1'000'000;

class RateLimiterTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    if (GetParam() == "database") {
      dir_ = std::filesystem::temp_directory_path() / ("docent-rate-limiter-" + core::random_hex(8));
      std::filesystem::create_directories(dir_);
      db_ = std::move(store::open_sqlite(dir_ / "t.db").value());
    }
  }
  void TearDown() override {
    limiter_.reset();
    db_.reset();
    if (!dir_.empty()) std::filesystem::remove_all(dir_);
  }

  RateLimiter& limiter(std::map<std::string, core::Rate, std::less<>> rates) {
    auto counters = db_ ? database_rate_counters(*db_) : memory_rate_counters();
    limiter_ = std::make_unique<RateLimiter>(std::move(rates), std::move(counters), [this] { return now_.load(); });
    return *limiter_;
  }

  // Checks `policies` for `subject` `n` times; returns how many were admitted.
  int admitted(RateLimiter& l, std::string_view subject, const std::vector<std::string>& policies, int n) {
    int ok = 0;
    for (int i = 0; i < n; ++i) {
      auto d = l.check(subject, policies);
      EXPECT_TRUE(d.ok()) << d.error().message;
      if (d.ok() && d->admitted) ++ok;
    }
    return ok;
  }

  std::atomic<int64_t> now_{1'800'000'000 * kSecond};
  std::filesystem::path dir_;
  std::unique_ptr<store::Database> db_;
  std::unique_ptr<RateLimiter> limiter_;
};

core::Rate rate(const char* text) { return *core::parse_rate(text); }

TEST_P(RateLimiterTest, AdmitsTheLimitAtOnceThenOnePerInterval) {
  auto& l = limiter({{"p", rate("3/min")}});
  const std::vector<std::string> p = {"p"};
  auto first = l.check("key:a", p);
  ASSERT_TRUE(first.ok());
  ASSERT_EQ(first->outcomes.size(), 1u);
  EXPECT_EQ(first->outcomes[0].state.remaining, 2);
  EXPECT_EQ(first->outcomes[0].state.reset_after, std::chrono::seconds(20));
  EXPECT_EQ(admitted(l, "key:a", p, 4), 2);  // 3 in all, then refused
  auto refused = l.check("key:a", p);
  ASSERT_TRUE(refused.ok());
  EXPECT_FALSE(refused->admitted);
  EXPECT_EQ(refused->outcomes[0].state.retry_after, std::chrono::seconds(20));
  EXPECT_EQ(refused->outcomes[0].state.remaining, 0);
  // Another subject has its own counter.
  EXPECT_EQ(admitted(l, "key:b", p, 5), 3);
  // A third of the minute frees one request; the whole minute all three.
  now_ += 20 * kSecond;
  EXPECT_EQ(admitted(l, "key:a", p, 2), 1);
  now_ += 60 * kSecond;
  EXPECT_EQ(admitted(l, "key:a", p, 5), 3);
}

TEST_P(RateLimiterTest, ACountThatDoesNotDivideThePeriodNeverAdmitsMore) {
  // 7 a second: 142857.14 µs each. Rounded down, the second would admit 7 and then an eighth.
  auto& l = limiter({{"p", rate("7/second")}});
  const std::vector<std::string> p = {"p"};
  auto first = l.check("key:a", p);
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(first->outcomes[0].state.remaining, 6);
  EXPECT_EQ(admitted(l, "key:a", p, 10), 6);
  // A huge count: the remaining figure never exceeds the limit.
  auto& big = limiter({{"p", rate("1000000000/hour")}});
  auto once = big.check("key:z", p);
  ASSERT_TRUE(once.ok());
  EXPECT_LT(once->outcomes[0].state.remaining, 1'000'000'000);
}

TEST_P(RateLimiterTest, ARefusalChargesNoPolicy) {
  auto& l = limiter({{"route", rate("2/min")}, {"global", rate("5/hour")}});
  const std::vector<std::string> both = {"route", "global"};
  EXPECT_EQ(admitted(l, "key:a", both, 6), 2);
  // The route refused four times: the global counter was charged twice only.
  auto d = l.check("key:a", std::vector<std::string>{"global"});
  ASSERT_TRUE(d.ok());
  EXPECT_TRUE(d->admitted);
  EXPECT_EQ(d->outcomes[0].state.remaining, 2);
  // And the other way round: the global policy refusing leaves the route's counter alone.
  now_ += 60 * kSecond;
  EXPECT_EQ(admitted(l, "key:a", {"global"}, 2), 2);  // global: 5 of 5 used
  EXPECT_EQ(admitted(l, "key:a", both, 3), 0);
  auto closest = l.check("key:a", both);
  ASSERT_TRUE(closest.ok());
  EXPECT_FALSE(closest->admitted);
  EXPECT_EQ(closest->closest()->policy, "global");
  EXPECT_TRUE(closest->outcomes[0].state.admitted);
  EXPECT_EQ(closest->outcomes[0].state.remaining, 2);
  EXPECT_EQ(admitted(l, "key:a", {"route"}, 3), 2);  // the four refusals charged the route nothing
}

TEST_P(RateLimiterTest, UnlimitedPoliciesAndOverrides) {
  auto& l = limiter({{"off", core::Rate{}}, {"p", rate("1/hour")}});
  auto d = l.check("key:a", std::vector<std::string>{"off"});
  ASSERT_TRUE(d.ok());
  EXPECT_TRUE(d->admitted);
  EXPECT_TRUE(d->outcomes.empty());
  const std::vector<std::pair<std::string, core::Rate>> more = {{"p", rate("4/hour")}, {"off", rate("1/hour")}};
  EXPECT_EQ(admitted(l, "key:b", {"p"}, 3), 1);
  int ok = 0;
  for (int i = 0; i < 6; ++i) {
    auto r = l.check("key:c", std::vector<std::string>{"p", "off"}, &more);
    ASSERT_TRUE(r.ok());
    ok += r->admitted ? 1 : 0;
  }
  EXPECT_EQ(ok, 1);  // the override made "off" 1/hour
}

TEST_P(RateLimiterTest, RacingThreadsNeverOvershoot) {
  auto& l = limiter({{"p", rate("20/hour")}});
  std::atomic<int> ok{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 50; ++t) {
    threads.emplace_back([&] {
      auto d = l.check("key:shared", std::vector<std::string>{"p"});
      if (d.ok() && d->admitted) ++ok;
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok.load(), 20);
}

TEST_P(RateLimiterTest, ManySubjectsComeAndGo) {
  auto& l = limiter({{"p", rate("1/2s")}});
  for (int i = 0; i < 5000; ++i) {
    if (i > 0 && i % 1000 == 0) now_ += 3 * kSecond;  // older counters are full again: evictable
    ASSERT_TRUE(l.check("address:" + std::to_string(i), std::vector<std::string>{"p"})->admitted);
  }
  // An evicted counter is a full one; a live one still refuses.
  EXPECT_TRUE(l.check("address:1", std::vector<std::string>{"p"})->admitted);
  EXPECT_FALSE(l.check("address:4999", std::vector<std::string>{"p"})->admitted);
}

INSTANTIATE_TEST_SUITE_P(Stores, RateLimiterTest, ::testing::Values("memory", "database"));

// Replicas on one database: two handles (two connection pools, as two processes would have) and
// their own limiters share one counter, and 50 racing threads over both get exactly the limit.
TEST(DatabaseRateCounters, TwoHandlesOnOneDatabaseShareTheCounters) {
  const auto dir = std::filesystem::temp_directory_path() / ("docent-rate-shared-" + core::random_hex(8));
  std::filesystem::create_directories(dir);
  {
    auto a = std::move(store::open_sqlite(dir / "t.db").value());
    auto b = std::move(store::open_sqlite(dir / "t.db").value());
    const std::map<std::string, core::Rate, std::less<>> rates = {{"p", rate("20/hour")}};
    RateLimiter la(rates, database_rate_counters(*a));
    RateLimiter lb(rates, database_rate_counters(*b));
    std::atomic<int> ok{0}, failed{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < 50; ++t) {
      threads.emplace_back([&, t] {
        auto d = (t % 2 ? la : lb).check("key:shared", std::vector<std::string>{"p"});
        if (!d.ok()) {
          ++failed;
        } else if (d->admitted) {
          ++ok;
        }
      });
    }
    for (auto& t : threads) t.join();
    EXPECT_EQ(failed.load(), 0);
    EXPECT_EQ(ok.load(), 20);
  }
  std::filesystem::remove_all(dir);
}

TEST(RatePolicies, ConfiguredRatesAndOverrides) {
  auto rates = configured_rates(core::LimitsConfig{});
  ASSERT_TRUE(rates.ok());
  EXPECT_EQ(rates->size(), kRatePolicies.size());
  EXPECT_EQ(rates->at("spherechat_pdf"), rate("100/hour"));
  EXPECT_EQ(rates->at("nexus_text"), rate("10/min"));
  EXPECT_EQ(rates->at("chatbot_enterprise"), rate("2000/min"));
  EXPECT_TRUE(rates->at("native_default").unlimited());
  core::LimitsConfig bad;
  bad.login = "lots";
  EXPECT_FALSE(configured_rates(bad).ok());
  auto o = parse_rate_overrides(R"({"nexus_text":"2/min","nope":"1/min","login":7,"chatbot_standard":"off"})");
  ASSERT_EQ(o.size(), 2u);
  EXPECT_EQ(o[0], (std::pair<std::string, core::Rate>{"nexus_text", rate("2/min")}));
  EXPECT_EQ(o[1].first, "chatbot_standard");
  EXPECT_TRUE(o[1].second.unlimited());
}

}  // namespace
}  // namespace docent::services
