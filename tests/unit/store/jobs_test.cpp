// The jobs repository against a real SQLite database: claim order, run_after, lease expiry and
// reclaiming, the worker-side transitions guarded by the lease, cancel, orphans, listing, and
// concurrent claimers never sharing a job.

#include "store/jobs.h"

#include "core/id.h"
#include "store/accounts.h"
#include "store/database.h"
#include "unit/store/temp_dir.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <map>
#include <mutex>
#include <set>
#include <thread>

namespace docent::store {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::system_clock;

class JobsStoreTest : public ::testing::Test {
 protected:
  void SetUp() override { db_ = std::move(open_sqlite(dir_ / "t.db").value()); }

  // A queued job created at t0_ + `age_ms` (ids sort by creation, so later calls are younger).
  std::string add(const std::string& kind, int64_t priority = 0, Clock::time_point run_after = {},
                  std::optional<std::string> account = std::nullopt, std::optional<std::string> dedupe = {}) {
    JobRecord j;
    j.id = core::new_id();
    j.kind = kind;
    j.payload = R"({"n":1})";
    j.priority = priority;
    j.max_attempts = 3;
    j.account_id = std::move(account);
    j.dedupe_key = std::move(dedupe);
    j.run_after = jobs::timestamp(run_after == Clock::time_point{} ? t0_ : run_after);
    j.created_at = j.updated_at = jobs::timestamp(t0_);
    EXPECT_TRUE(db_->write([&](Tx& tx) { return jobs::insert(tx, j); }).ok());
    return j.id;
  }

  std::optional<JobRecord> claim(const std::string& owner, Clock::time_point now, std::vector<std::string> kinds = {},
                                 std::chrono::milliseconds lease = 60s) {
    std::optional<JobRecord> out;
    core::Status s = db_->write([&](Tx& tx) -> core::Status {
      auto r = jobs::claim_next(tx, owner, kinds, now, lease);
      if (!r) return r.error();
      out = std::move(*r);
      return {};
    });
    EXPECT_TRUE(s.ok()) << (s.ok() ? "" : s.error().message);
    return out;
  }

  JobRecord get(const std::string& id) {
    std::optional<JobRecord> out;
    EXPECT_TRUE(db_->read([&](Tx& tx) -> core::Status {
                     auto r = jobs::by_id(tx, id);
                     if (!r) return r.error();
                     out = std::move(*r);
                     return {};
                   })
                    .ok());
    EXPECT_TRUE(out.has_value());
    return out.value_or(JobRecord{});
  }

  std::string make_account() {
    AccountRecord a;
    a.id = core::new_id();
    a.login = "user-" + a.id;
    a.plan = "free";
    a.created_at = a.updated_at = "2024-01-01T00:00:00Z";
    EXPECT_TRUE(db_->write([&](Tx& tx) { return accounts::insert(tx, a); }).ok());
    return a.id;
  }

  testing::TempDir dir_;
  std::unique_ptr<Database> db_;
  const Clock::time_point t0_ = Clock::time_point(std::chrono::seconds(1'700'000'000));
};

TEST_F(JobsStoreTest, JobStatusNamesRoundTrip) {
  for (JobStatus s :
       {JobStatus::Queued, JobStatus::Running, JobStatus::Succeeded, JobStatus::Failed, JobStatus::Cancelled}) {
    EXPECT_EQ(parse_job_status(job_status_name(s)), s);
  }
  EXPECT_FALSE(parse_job_status("done").has_value());
  EXPECT_EQ(jobs::timestamp(Clock::time_point(std::chrono::milliseconds(1'700'000'000'123))),
            "2023-11-14T22:13:20.123Z");
}

TEST_F(JobsStoreTest, JobClaimOrderIsPriorityThenAge) {
  const std::string low_old = add("ingest", 0);
  const std::string high_young = add("ingest", 5);
  const std::string low_young = add("ingest", 0);
  const std::string high_younger = add("ingest", 5);

  std::vector<std::string> order;
  while (auto j = claim("w1", t0_)) order.push_back(j->id);
  EXPECT_EQ(order, (std::vector<std::string>{high_young, high_younger, low_old, low_young}));
}

TEST_F(JobsStoreTest, JobClaimMarksRunningWithLeaseAndAttempt) {
  const std::string id = add("ingest");
  auto j = claim("w1", t0_ + 1s, {}, 30s);
  ASSERT_TRUE(j.has_value());
  EXPECT_EQ(j->id, id);
  EXPECT_EQ(j->status, JobStatus::Running);
  EXPECT_EQ(j->attempts, 1);
  EXPECT_EQ(j->lease_owner, "w1");
  EXPECT_EQ(j->lease_expires_at, jobs::timestamp(t0_ + 31s));
  EXPECT_EQ(j->started_at, jobs::timestamp(t0_ + 1s));
  EXPECT_EQ(j->payload, R"({"n":1})");
  EXPECT_FALSE(claim("w2", t0_ + 2s).has_value()) << "a leased job is not claimed again";
}

TEST_F(JobsStoreTest, JobClaimRespectsRunAfterAndKinds) {
  const std::string later = add("ingest", 9, t0_ + 10s);
  const std::string other = add("webhook", 0);
  EXPECT_FALSE(claim("w1", t0_, {"ingest"}).has_value()) << "run_after is in the future";
  auto j = claim("w1", t0_, {"ingest", "webhook"});
  ASSERT_TRUE(j.has_value());
  EXPECT_EQ(j->id, other);
  EXPECT_FALSE(claim("w1", t0_ + 9999ms).has_value());
  auto k = claim("w1", t0_ + 10s);
  ASSERT_TRUE(k.has_value());
  EXPECT_EQ(k->id, later);
}

TEST_F(JobsStoreTest, JobExpiredLeaseIsReclaimedAndOldOwnerLosesIt) {
  const std::string id = add("ingest");
  ASSERT_TRUE(claim("dead", t0_, {}, 10s).has_value());
  EXPECT_FALSE(claim("w2", t0_ + 9s).has_value());
  auto j = claim("w2", t0_ + 10s, {}, 10s);
  ASSERT_TRUE(j.has_value());
  EXPECT_EQ(j->id, id);
  EXPECT_EQ(j->lease_owner, "w2");
  EXPECT_EQ(j->attempts, 2);

  // The old owner wakes up: every lease-guarded change is refused.
  auto late = [&](auto fn) {
    core::Status s = db_->write(fn);
    return s.ok() ? core::Code::Internal : s.error().code;
  };
  EXPECT_EQ(late([&](Tx& tx) { return jobs::complete(tx, id, "dead", "{}", t0_ + 11s); }), core::Code::Conflict);
  EXPECT_EQ(late([&](Tx& tx) { return jobs::set_progress(tx, id, "dead", "{}", t0_ + 11s); }), core::Code::Conflict);
  EXPECT_EQ(late([&](Tx& tx) { return jobs::fail(tx, id, "dead", "x", std::nullopt, t0_ + 11s); }),
            core::Code::Conflict);
  EXPECT_EQ(late([&](Tx& tx) -> core::Status {
              auto r = jobs::extend_lease(tx, id, "dead", t0_ + 11s, 10s);
              return r ? core::Status() : core::Status(r.error());
            }),
            core::Code::Conflict);
  EXPECT_EQ(get(id).lease_owner, "w2");
}

TEST_F(JobsStoreTest, JobExtendLeaseKeepsItAndReportsCancel) {
  const std::string id = add("ingest");
  ASSERT_TRUE(claim("w1", t0_, {}, 10s).has_value());
  ASSERT_TRUE(db_->write([&](Tx& tx) -> core::Status {
                   auto r = jobs::extend_lease(tx, id, "w1", t0_ + 8s, 10s);
                   if (!r) return r.error();
                   EXPECT_FALSE(r->cancel_requested);
                   return {};
                 })
                  .ok());
  EXPECT_FALSE(claim("w2", t0_ + 12s).has_value()) << "the extended lease runs to t0+18s";
  EXPECT_EQ(get(id).lease_expires_at, jobs::timestamp(t0_ + 18s));

  ASSERT_TRUE(db_->write([&](Tx& tx) -> core::Status {
                   auto r = jobs::cancel(tx, id, t0_ + 13s);
                   if (!r) return r.error();
                   EXPECT_EQ(r->status, JobStatus::Running);
                   EXPECT_TRUE(r->cancel_requested);
                   return {};
                 })
                  .ok());
  ASSERT_TRUE(db_->write([&](Tx& tx) -> core::Status {
                   auto r = jobs::extend_lease(tx, id, "w1", t0_ + 14s, 10s);
                   if (!r) return r.error();
                   EXPECT_TRUE(r->cancel_requested);
                   return jobs::mark_cancelled(tx, id, "w1", t0_ + 15s);
                 })
                  .ok());
  JobRecord j = get(id);
  EXPECT_EQ(j.status, JobStatus::Cancelled);
  EXPECT_FALSE(j.lease_owner.has_value());
  EXPECT_EQ(j.finished_at, jobs::timestamp(t0_ + 15s));
}

TEST_F(JobsStoreTest, JobProgressCompleteFailRetryAndRelease) {
  const std::string id = add("ingest");
  ASSERT_TRUE(claim("w1", t0_).has_value());
  ASSERT_TRUE(db_->write(
                     [&](Tx& tx) {
    return jobs::set_progress(tx, id, "w1", R"({"pages_parsed":3,"pages_total":10})", t0_ + 1s);
  }).ok());
  EXPECT_EQ(get(id).progress, R"({"pages_parsed":3,"pages_total":10})");

  // A failure with a retry time queues it again, runnable from then on.
  ASSERT_TRUE(db_->write([&](Tx& tx) { return jobs::fail(tx, id, "w1", "boom", t0_ + 5s, t0_ + 2s); }).ok());
  JobRecord j = get(id);
  EXPECT_EQ(j.status, JobStatus::Queued);
  EXPECT_EQ(j.error, "boom");
  EXPECT_EQ(j.run_after, jobs::timestamp(t0_ + 5s));
  EXPECT_FALSE(j.lease_owner.has_value());
  EXPECT_FALSE(claim("w1", t0_ + 4s).has_value());
  ASSERT_TRUE(claim("w1", t0_ + 5s).has_value());

  // Released (shutdown): queued at once, the attempt not counted.
  ASSERT_TRUE(db_->write([&](Tx& tx) { return jobs::release(tx, id, "w1", t0_ + 6s); }).ok());
  j = get(id);
  EXPECT_EQ(j.status, JobStatus::Queued);
  EXPECT_EQ(j.attempts, 1);
  auto again = claim("w1", t0_ + 6s);
  ASSERT_TRUE(again.has_value());
  EXPECT_EQ(again->attempts, 2);
  EXPECT_EQ(again->started_at, jobs::timestamp(t0_)) << "started_at is the first claim";

  ASSERT_TRUE(db_->write([&](Tx& tx) { return jobs::complete(tx, id, "w1", R"({"chunks":7})", t0_ + 7s); }).ok());
  j = get(id);
  EXPECT_EQ(j.status, JobStatus::Succeeded);
  EXPECT_EQ(j.result, R"({"chunks":7})");
  EXPECT_FALSE(j.error.has_value());
  EXPECT_EQ(j.finished_at, jobs::timestamp(t0_ + 7s));

  const std::string other = add("ingest");
  ASSERT_TRUE(claim("w1", t0_ + 8s).has_value());
  ASSERT_TRUE(db_->write([&](Tx& tx) { return jobs::fail(tx, other, "w1", "bad file", std::nullopt, t0_ + 9s); }).ok());
  j = get(other);
  EXPECT_EQ(j.status, JobStatus::Failed);
  EXPECT_EQ(j.error, "bad file");
  EXPECT_FALSE(claim("w1", t0_ + 1h).has_value());
}

TEST_F(JobsStoreTest, JobAbandonedAfterLastAttemptIsFailedNotRerun) {
  const std::string id = add("ingest");
  for (int i = 0; i < 3; ++i) {
    auto j = claim("crasher-" + std::to_string(i), t0_ + std::chrono::seconds(20 * i), {}, 10s);
    ASSERT_TRUE(j.has_value()) << i;
    EXPECT_EQ(j->attempts, i + 1);
  }
  EXPECT_FALSE(claim("w", t0_ + 1h).has_value());
  JobRecord j = get(id);
  EXPECT_EQ(j.status, JobStatus::Failed);
  EXPECT_NE(j.error.value_or("").find("abandoned"), std::string::npos);
}

TEST_F(JobsStoreTest, JobCancelQueuedRunningAndFinished) {
  const std::string queued = add("ingest", 0);
  ASSERT_TRUE(db_->write([&](Tx& tx) -> core::Status {
                   auto r = jobs::cancel(tx, queued, t0_);
                   if (!r) return r.error();
                   EXPECT_EQ(r->status, JobStatus::Cancelled);
                   return {};
                 })
                  .ok());
  EXPECT_FALSE(claim("w", t0_).has_value());
  core::Status missing = db_->write([&](Tx& tx) -> core::Status {
    auto r = jobs::cancel(tx, "nope", t0_);
    return r ? core::Status() : core::Status(r.error());
  });
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code, core::Code::NotFound);
}

TEST_F(JobsStoreTest, JobRequeueOrphansTakesOtherOwnersRunningJobs) {
  const std::string mine = add("ingest", 2);
  const std::string orphan = add("ingest", 1);
  const std::string cancelled = add("ingest", 0);
  ASSERT_TRUE(claim("live", t0_).has_value());
  ASSERT_TRUE(claim("dead", t0_).has_value());
  ASSERT_TRUE(claim("dead", t0_).has_value());
  ASSERT_TRUE(db_->write([&](Tx& tx) -> core::Status {
                   auto r = jobs::cancel(tx, cancelled, t0_);
                   return r ? core::Status() : core::Status(r.error());
                 })
                  .ok());
  int64_t n = 0;
  ASSERT_TRUE(db_->write([&](Tx& tx) -> core::Status {
                   auto r = jobs::requeue_orphans(tx, "live", t0_ + 1s);
                   if (!r) return r.error();
                   n = *r;
                   return {};
                 })
                  .ok());
  EXPECT_EQ(n, 2);
  EXPECT_EQ(get(mine).status, JobStatus::Running);
  EXPECT_EQ(get(orphan).status, JobStatus::Queued);
  EXPECT_EQ(get(orphan).attempts, 1);
  EXPECT_EQ(get(cancelled).status, JobStatus::Cancelled) << "a cancel asked before the crash is honoured";
  auto j = claim("live", t0_ + 1s);
  ASSERT_TRUE(j.has_value());
  EXPECT_EQ(j->id, orphan);
}

TEST_F(JobsStoreTest, JobDedupeKeyAllowsOneActiveJob) {
  const std::string first = add("ingest", 0, {}, std::nullopt, "file-1");
  JobRecord dup;
  dup.id = core::new_id();
  dup.kind = "ingest";
  dup.dedupe_key = "file-1";
  dup.run_after = dup.created_at = dup.updated_at = jobs::timestamp(t0_);
  core::Status s = db_->write([&](Tx& tx) { return jobs::insert(tx, dup); });
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, core::Code::Conflict);
  ASSERT_TRUE(db_->read([&](Tx& tx) -> core::Status {
                   auto r = jobs::active_by_dedupe_key(tx, "ingest", "file-1");
                   if (!r) return r.error();
                   EXPECT_TRUE(r->has_value() && (*r)->id == first);
                   return {};
                 })
                  .ok());
  // Once the first is finished, the key is free again.
  ASSERT_TRUE(claim("w", t0_).has_value());
  ASSERT_TRUE(db_->write([&](Tx& tx) { return jobs::complete(tx, first, "w", "null", t0_); }).ok());
  EXPECT_TRUE(db_->write([&](Tx& tx) { return jobs::insert(tx, dup); }).ok());
}

TEST_F(JobsStoreTest, JobListByAccountWithStatusAndKeysetPages) {
  const std::string a = make_account();
  const std::string b = make_account();
  std::vector<std::string> mine;
  for (int i = 0; i < 5; ++i) mine.push_back(add("ingest", 0, {}, a));
  add("ingest", 0, {}, b);
  add("ingest", 0, {});

  jobs::ListQuery q;
  q.account_id = a;
  q.limit = 2;
  std::vector<std::string> seen;
  for (;;) {
    std::vector<JobRecord> page;
    ASSERT_TRUE(db_->read([&](Tx& tx) -> core::Status {
                     auto r = jobs::list(tx, q);
                     if (!r) return r.error();
                     page = std::move(*r);
                     return {};
                   })
                    .ok());
    if (page.empty()) break;
    for (const auto& j : page) seen.push_back(j.id);
    q.before_id = page.back().id;
  }
  std::vector<std::string> newest_first(mine.rbegin(), mine.rend());
  EXPECT_EQ(seen, newest_first);

  ASSERT_TRUE(claim("w", t0_).has_value());  // the oldest of a's
  q = {};
  q.account_id = a;
  q.status = JobStatus::Running;
  ASSERT_TRUE(db_->read([&](Tx& tx) -> core::Status {
                   auto r = jobs::list(tx, q);
                   if (!r) return r.error();
                   EXPECT_EQ(r->size(), 1u);
                   if (!r->empty()) {
                     EXPECT_EQ(r->front().id, mine.front());
                   }
                   auto counts = jobs::count_by_status(tx);
                   if (!counts) return counts.error();
                   EXPECT_EQ((*counts)[JobStatus::Queued], 6);
                   EXPECT_EQ((*counts)[JobStatus::Running], 1);
                   auto queued = jobs::count_with_status(tx, JobStatus::Queued);
                   if (!queued) return queued.error();
                   EXPECT_EQ(*queued, 6);
                   return {};
                 })
                  .ok());
}

TEST_F(JobsStoreTest, JobAccountDeletionCascades) {
  const std::string a = make_account();
  const std::string id = add("ingest", 0, {}, a);
  ASSERT_TRUE(db_->write([&](Tx& tx) { return tx.exec("DELETE FROM accounts WHERE id = ?", {a}); }).ok());
  ASSERT_TRUE(db_->read([&](Tx& tx) -> core::Status {
                   auto r = jobs::by_id(tx, id);
                   if (!r) return r.error();
                   EXPECT_FALSE(r->has_value());
                   return {};
                 })
                  .ok());
}

TEST_F(JobsStoreTest, JobConcurrentClaimersNeverShareAJob) {
  constexpr int kJobs = 200;
  constexpr int kThreads = 4;
  std::set<std::string> all;
  for (int i = 0; i < kJobs; ++i) all.insert(add(i % 2 == 0 ? "ingest" : "webhook", i % 3));

  std::mutex mu;
  std::map<std::string, int> claimed;  // GUARDED_BY(mu)
  std::atomic<int> errors{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      const std::string owner = "w" + std::to_string(t);
      for (;;) {
        std::optional<JobRecord> j;
        core::Status s = db_->write([&](Tx& tx) -> core::Status {
          auto r = jobs::claim_next(tx, owner, {}, t0_, 60s);
          if (!r) return r.error();
          j = std::move(*r);
          return {};
        });
        if (!s) {
          ++errors;
          continue;
        }
        if (!j) return;
        {
          std::lock_guard lock(mu);
          ++claimed[j->id];
        }
        if (!db_->write([&](Tx& tx) { return jobs::complete(tx, j->id, owner, "null", t0_); }).ok()) ++errors;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(errors.load(), 0);
  ASSERT_EQ(claimed.size(), static_cast<size_t>(kJobs));
  for (const auto& [id, n] : claimed) {
    EXPECT_EQ(n, 1) << id;
    EXPECT_TRUE(all.count(id));
  }
}

}  // namespace
}  // namespace docent::store
