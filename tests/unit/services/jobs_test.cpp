// The job queue against a real SQLite database in a temporary folder, with an injected clock:
// handlers run and succeed, progress is stored and delivered, failures retry with backoff and
// then fail, permanent errors do not retry, cancel, stop with a deadline, restart after a dead
// process, and the metrics.

#include "services/jobs.h"

#include "core/id.h"
#include "core/metrics.h"
#include "store/accounts.h"
#include "store/database.h"
#include "store/jobs.h"

#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <mutex>
#include <thread>

namespace docent::services {
namespace {

using namespace std::chrono_literals;
using SysClock = std::chrono::system_clock;
namespace json = boost::json;

// A wall clock that only moves when the test says so.
class FakeClock {
 public:
  SysClock::time_point now() const { return SysClock::time_point(std::chrono::milliseconds(ms_.load())); }
  void advance(std::chrono::milliseconds d) { ms_ += d.count(); }

 private:
  std::atomic<int64_t> ms_{1'700'000'000'000};
};

// Polls `done` until it holds or ten real seconds pass.
template <typename F>
bool eventually(F done) {
  const auto until = std::chrono::steady_clock::now() + 10s;
  while (std::chrono::steady_clock::now() < until) {
    if (done()) return true;
    std::this_thread::sleep_for(2ms);
  }
  return done();
}

// A one-shot gate a handler can wait on.
class Gate {
 public:
  void open() {
    {
      std::lock_guard lock(mu_);
      open_ = true;
    }
    cv_.notify_all();
  }
  void wait() {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [&] { return open_; });
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool open_ = false;  // GUARDED_BY(mu_)
};

class JobQueueTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / ("docent-jobs-" + core::random_hex(8));
    std::filesystem::create_directories(dir_);
    db_ = std::move(store::open_sqlite(dir_ / "t.db").value());
  }
  void TearDown() override {
    queues_.clear();
    db_.reset();
    std::filesystem::remove_all(dir_);
  }

  JobQueueOptions options() {
    JobQueueOptions o;
    o.now = [this] { return clock_.now(); };
    o.random = [] { return 0.5; };  // jitter factor 0.75
    o.idle_poll_min = 2ms;
    o.idle_poll_max = 20ms;
    o.heartbeat = 10ms;
    return o;
  }
  JobQueue& make_queue(JobQueueOptions o) {
    queues_.push_back(std::make_unique<JobQueue>(*db_, metrics_, std::move(o)));
    return *queues_.back();
  }
  JobQueue& make_queue() { return make_queue(options()); }

  Job job(JobQueue& q, const std::string& id) {
    auto j = q.get(id);
    EXPECT_TRUE(j.ok()) << (j.ok() ? "" : j.error().message);
    return j.ok() ? *j : Job{};
  }
  bool reaches(JobQueue& q, const std::string& id, JobStatus status) {
    return eventually([&] { return job(q, id).status == status; });
  }

  std::filesystem::path dir_;
  std::unique_ptr<store::Database> db_;
  core::MetricsRegistry metrics_;
  FakeClock clock_;
  std::vector<std::unique_ptr<JobQueue>> queues_;  // destroyed before the database
};

TEST(JobRetryDelay, DoublesFromTheBaseUpToTheCapWithJitter) {
  EXPECT_EQ(retry_delay(1, 2s, 5min, 0.0), 1000ms);
  EXPECT_EQ(retry_delay(1, 2s, 5min, 0.5), 1500ms);
  EXPECT_EQ(retry_delay(2, 2s, 5min, 0.5), 3000ms);
  EXPECT_EQ(retry_delay(3, 2s, 5min, 0.0), 4000ms);
  EXPECT_LE(retry_delay(1, 2s, 5min, 0.999999), 2000ms);
  EXPECT_EQ(retry_delay(9, 2s, 5min, 0.0), 150s);  // 2 s * 2^8 = 512 s, capped at 300 s
  EXPECT_EQ(retry_delay(1000, 2s, 5min, 0.0), 150s);
  EXPECT_TRUE(is_permanent_job_error(core::Code::InvalidFormat));
  EXPECT_TRUE(is_permanent_job_error(core::Code::InvalidInput));
  EXPECT_FALSE(is_permanent_job_error(core::Code::Internal));
}

TEST_F(JobQueueTest, JobHandlerRunsAndSucceeds) {
  JobQueue& q = make_queue();
  std::atomic<int> calls{0};
  q.register_handler("echo", [&](JobContext& ctx) -> core::Status {
    ++calls;
    EXPECT_EQ(ctx.kind(), "echo");
    EXPECT_EQ(ctx.attempt(), 1);
    EXPECT_FALSE(ctx.account_id().has_value());
    EXPECT_FALSE(ctx.cancelled());
    ctx.set_result({{"echo", ctx.payload().at("text")}});
    return {};
  });
  ASSERT_TRUE(q.start(2).ok());
  EXPECT_EQ(q.start(1).error().code, core::Code::Conflict);

  auto id = q.enqueue("echo", "", {{"text", "hello"}});
  ASSERT_TRUE(id.ok());
  ASSERT_TRUE(reaches(q, *id, JobStatus::Succeeded));
  Job j = job(q, *id);
  EXPECT_EQ(j.result, (json::value{{"echo", "hello"}}));
  EXPECT_EQ(j.payload, (json::value{{"text", "hello"}}));
  EXPECT_EQ(j.attempts, 1);
  EXPECT_TRUE(j.error.empty());
  EXPECT_TRUE(j.finished_at.has_value());
  EXPECT_EQ(calls.load(), 1);
  EXPECT_TRUE(q.stop(std::chrono::steady_clock::now() + 1s));
}

TEST_F(JobQueueTest, JobEnqueueWakesAnIdleWorkerAtOnce) {
  JobQueueOptions o = options();
  o.idle_poll_min = o.idle_poll_max = 1h;  // only a wake-up can make it look again
  JobQueue& q = make_queue(o);
  q.register_handler("echo", [](JobContext&) { return core::Status(); });
  ASSERT_TRUE(q.start(1).ok());
  std::this_thread::sleep_for(20ms);  // let the worker find nothing and go idle
  auto id = q.enqueue("echo", "", json::object{});
  ASSERT_TRUE(id.ok());
  EXPECT_TRUE(reaches(q, *id, JobStatus::Succeeded));
}

TEST_F(JobQueueTest, JobEnqueueValidatesAndDedupes) {
  JobQueue& q = make_queue();
  EXPECT_EQ(q.enqueue("", "", nullptr).error().code, core::Code::InvalidInput);
  EXPECT_EQ(q.enqueue("echo", "", nullptr, {.max_attempts = 0}).error().code, core::Code::InvalidInput);
  auto a = q.enqueue("ingest", "", {{"file", 1}}, {.dedupe_key = "file-1"});
  auto b = q.enqueue("ingest", "", {{"file", 1}}, {.dedupe_key = "file-1"});
  auto c = q.enqueue("ingest", "", {{"file", 2}}, {.dedupe_key = "file-2"});
  ASSERT_TRUE(a.ok() && b.ok() && c.ok());
  EXPECT_EQ(*a, *b);
  EXPECT_NE(*a, *c);
  EXPECT_EQ(q.get("missing").error().code, core::Code::NotFound);
}

TEST_F(JobQueueTest, JobProgressIsStoredAndDeliveredToSubscribers) {
  JobQueue& q = make_queue();
  Gate checked;
  q.register_handler("ingest", [&](JobContext& ctx) -> core::Status {
    for (int page = 1; page <= 3; ++page) ctx.progress({{"pages_parsed", page}, {"pages_total", 3}});
    checked.wait();
    return {};
  });

  store::AccountRecord acct;
  acct.id = core::new_id();
  acct.login = "owner";
  acct.plan = "free";
  acct.created_at = acct.updated_at = "2024-01-01T00:00:00Z";
  ASSERT_TRUE(db_->write([&](store::Tx& tx) { return store::accounts::insert(tx, acct); }).ok());
  auto id = q.enqueue("ingest", acct.id, {{"file_id", "f1"}});
  ASSERT_TRUE(id.ok());

  std::mutex mu;
  std::vector<JobEvent> events;  // GUARDED_BY(mu)
  const uint64_t sub = q.subscribe(*id, [&](const JobEvent& e) {
    std::lock_guard lock(mu);
    events.push_back(e);
  });
  std::atomic<int> others{0};
  q.subscribe("another-job", [&](const JobEvent&) { ++others; });
  ASSERT_TRUE(q.start(1).ok());

  // Stored while the handler is still running.
  ASSERT_TRUE(eventually([&] { return job(q, *id).progress == json::value{{"pages_parsed", 3}, {"pages_total", 3}}; }));
  EXPECT_EQ(job(q, *id).status, JobStatus::Running);
  checked.open();
  ASSERT_TRUE(reaches(q, *id, JobStatus::Succeeded));
  ASSERT_TRUE(eventually([&] {
    std::lock_guard lock(mu);
    return !events.empty() && events.back().status == JobStatus::Succeeded;
  }));
  q.unsubscribe(sub);

  std::lock_guard lock(mu);
  ASSERT_EQ(events.size(), 5u);
  EXPECT_EQ(events[0].status, JobStatus::Running);
  EXPECT_TRUE(events[0].progress.is_null());
  for (int i = 1; i <= 3; ++i) {
    EXPECT_EQ(events[i].status, JobStatus::Running);
    EXPECT_EQ(events[i].progress, (json::value{{"pages_parsed", i}, {"pages_total", 3}}));
    EXPECT_EQ(events[i].attempt, 1);
  }
  EXPECT_EQ(events[4].job_id, *id);
  EXPECT_EQ(others.load(), 0);

  JobListQuery query;
  query.account_id = acct.id;
  auto listed = q.list(query);
  ASSERT_TRUE(listed.ok());
  ASSERT_EQ(listed->size(), 1u);
  EXPECT_EQ(listed->front().id, *id);
  EXPECT_EQ(listed->front().account_id, acct.id);
}

TEST_F(JobQueueTest, JobFailingHandlerRetriesWithBackoffThenFails) {
  JobQueue& q = make_queue();
  std::atomic<int> calls{0};
  q.register_handler("flaky", [&](JobContext& ctx) -> core::Status {
    EXPECT_EQ(ctx.attempt(), calls.load() + 1);
    ++calls;
    return core::Error(core::Code::UpstreamError, "disk on fire " + std::to_string(ctx.attempt()));
  });
  std::mutex mu;
  std::vector<JobEvent> events;  // GUARDED_BY(mu)
  auto id = q.enqueue("flaky", "", json::object{}, {.max_attempts = 3});
  ASSERT_TRUE(id.ok());
  q.subscribe(*id, [&](const JobEvent& e) {
    std::lock_guard lock(mu);
    events.push_back(e);
  });
  ASSERT_TRUE(q.start(2).ok());

  // Attempt 1 fails: queued again 2 s * 0.75 later by the injected clock.
  ASSERT_TRUE(eventually([&] { return job(q, *id).attempts == 1 && job(q, *id).status == JobStatus::Queued; }));
  Job j = job(q, *id);
  EXPECT_EQ(j.error, "disk on fire 1");
  EXPECT_EQ(j.run_after, store::jobs::timestamp(clock_.now() + 1500ms));

  clock_.advance(1499ms);
  q.wake();
  std::this_thread::sleep_for(50ms);
  EXPECT_EQ(calls.load(), 1) << "ran before its run_after";

  // Attempt 2 fails: the delay doubles.
  clock_.advance(1ms);
  q.wake();
  ASSERT_TRUE(eventually([&] { return job(q, *id).attempts == 2 && job(q, *id).status == JobStatus::Queued; }));
  EXPECT_EQ(job(q, *id).run_after, store::jobs::timestamp(clock_.now() + 3000ms));

  // Attempt 3 is the last: failed for good with its message.
  clock_.advance(3000ms);
  q.wake();
  ASSERT_TRUE(reaches(q, *id, JobStatus::Failed));
  j = job(q, *id);
  EXPECT_EQ(j.attempts, 3);
  EXPECT_EQ(j.error, "disk on fire 3");
  EXPECT_EQ(calls.load(), 3);

  ASSERT_TRUE(eventually([&] {
    std::lock_guard lock(mu);
    return !events.empty() && events.back().status == JobStatus::Failed;
  }));
  std::lock_guard lock(mu);
  EXPECT_EQ(events.back().error, "disk on fire 3");
  int requeues = 0;
  for (const auto& e : events) requeues += e.status == JobStatus::Queued ? 1 : 0;
  EXPECT_EQ(requeues, 2);
}

TEST_F(JobQueueTest, JobPermanentErrorsAndThrowingHandlers) {
  JobQueue& q = make_queue();
  q.register_handler("parse",
                     [](JobContext&) -> core::Status { return core::Error(core::Code::InvalidFormat, "not a PDF"); });
  q.register_handler("validate", [](JobContext&) -> core::Status {
    return core::Error(core::Code::InvalidInput, "bad page range");
  });
  q.register_handler("throws", [](JobContext&) -> core::Status { throw std::runtime_error("oops"); });
  auto parse = q.enqueue("parse", "", json::object{});
  auto validate = q.enqueue("validate", "", json::object{});
  auto throws = q.enqueue("throws", "", json::object{}, {.max_attempts = 1});
  ASSERT_TRUE(parse.ok() && validate.ok() && throws.ok());
  ASSERT_TRUE(q.start(1).ok());

  ASSERT_TRUE(reaches(q, *parse, JobStatus::Failed));
  EXPECT_EQ(job(q, *parse).attempts, 1);
  EXPECT_EQ(job(q, *parse).error, "not a PDF");
  ASSERT_TRUE(reaches(q, *validate, JobStatus::Failed));
  EXPECT_EQ(job(q, *validate).attempts, 1);
  ASSERT_TRUE(reaches(q, *throws, JobStatus::Failed));
  EXPECT_NE(job(q, *throws).error.find("oops"), std::string::npos);
}

TEST_F(JobQueueTest, JobCancelQueuedRunningAndFinished) {
  JobQueue& q = make_queue();
  std::atomic<bool> saw_cancel{false};
  std::atomic<bool> started{false};
  q.register_handler("long", [&](JobContext& ctx) -> core::Status {
    started = true;
    while (!ctx.cancelled()) std::this_thread::sleep_for(1ms);
    saw_cancel = true;
    return core::Error(core::Code::ServiceUnavailable, "cancelled");
  });
  q.register_handler("quick", [](JobContext&) { return core::Status(); });

  auto queued = q.enqueue("long", "", json::object{}, {.priority = -1});
  ASSERT_TRUE(queued.ok());
  std::atomic<int> cancelled_events{0};
  q.subscribe(*queued, [&](const JobEvent& e) { cancelled_events += e.status == JobStatus::Cancelled ? 1 : 0; });
  auto c = q.cancel(*queued);
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->status, JobStatus::Cancelled);
  EXPECT_EQ(cancelled_events.load(), 1);
  EXPECT_TRUE(q.cancel(*queued).ok()) << "cancelling twice is a no-op";
  EXPECT_EQ(cancelled_events.load(), 1);

  auto running = q.enqueue("long", "", json::object{});
  ASSERT_TRUE(running.ok());
  ASSERT_TRUE(q.start(1).ok());
  ASSERT_TRUE(eventually([&] { return started.load(); }));
  auto r = q.cancel(*running);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status, JobStatus::Running);
  EXPECT_TRUE(r->cancel_requested);
  ASSERT_TRUE(reaches(q, *running, JobStatus::Cancelled));
  EXPECT_TRUE(saw_cancel.load());
  EXPECT_EQ(job(q, *queued).attempts, 0) << "never ran";

  auto done = q.enqueue("quick", "", json::object{});
  ASSERT_TRUE(done.ok());
  ASSERT_TRUE(reaches(q, *done, JobStatus::Succeeded));
  EXPECT_EQ(q.cancel(*done).error().code, core::Code::Conflict);
  EXPECT_EQ(q.cancel("missing").error().code, core::Code::NotFound);
}

TEST_F(JobQueueTest, JobCancelFromAnotherProcessReachesTheHandlerAtItsHeartbeat) {
  JobQueue& q = make_queue();
  std::atomic<bool> started{false};
  q.register_handler("long", [&](JobContext& ctx) -> core::Status {
    started = true;
    while (!ctx.cancelled()) std::this_thread::sleep_for(1ms);
    return core::Error(core::Code::ServiceUnavailable, "stopped");
  });
  auto id = q.enqueue("long", "", json::object{});
  ASSERT_TRUE(id.ok());
  ASSERT_TRUE(q.start(1).ok());
  ASSERT_TRUE(eventually([&] { return started.load(); }));
  // Another replica's API cancels it: only the row changes.
  ASSERT_TRUE(db_->write([&](store::Tx& tx) -> core::Status {
                   auto r = store::jobs::cancel(tx, *id, clock_.now());
                   return r ? core::Status() : core::Status(r.error());
                 })
                  .ok());
  EXPECT_TRUE(reaches(q, *id, JobStatus::Cancelled));
}

TEST_F(JobQueueTest, JobHeartbeatExtendsTheLeaseWhileTheHandlerRuns) {
  JobQueue& q = make_queue();
  Gate release;
  std::atomic<bool> started{false};
  q.register_handler("slow", [&](JobContext&) -> core::Status {
    started = true;
    release.wait();
    return {};
  });
  auto id = q.enqueue("slow", "", json::object{});
  ASSERT_TRUE(id.ok());
  ASSERT_TRUE(q.start(1).ok());
  ASSERT_TRUE(eventually([&] { return started.load(); }));

  // Far past the first lease; the heartbeat keeps it, so a thief finds nothing to claim.
  clock_.advance(5min);
  const std::string renewed = store::jobs::timestamp(clock_.now() + 60s);
  ASSERT_TRUE(eventually([&] {
    return db_
        ->read([&](store::Tx& tx) -> core::Status {
          auto r = store::jobs::by_id(tx, *id);
          if (!r || !*r || (*r)->lease_expires_at != renewed) return core::Error(core::Code::NotReady, "");
          return {};
        })
        .ok();
  }));
  std::optional<store::JobRecord> stolen;
  ASSERT_TRUE(db_->write([&](store::Tx& tx) -> core::Status {
                   auto r = store::jobs::claim_next(tx, "thief", {}, clock_.now(), 60s);
                   if (!r) return r.error();
                   stolen = std::move(*r);
                   return {};
                 })
                  .ok());
  EXPECT_FALSE(stolen.has_value());
  release.open();
  EXPECT_TRUE(reaches(q, *id, JobStatus::Succeeded));
}

TEST_F(JobQueueTest, JobStopWaitsUntilTheDeadlineThenHandsBackUnfinishedJobs) {
  JobQueue& q = make_queue();
  std::atomic<int> started{0};
  Gate finish_quick;
  q.register_handler("quick", [&](JobContext&) -> core::Status {
    ++started;
    finish_quick.wait();
    return {};
  });
  q.register_handler("stubborn", [&](JobContext& ctx) -> core::Status {
    ++started;
    while (!ctx.cancelled()) std::this_thread::sleep_for(1ms);
    return core::Error(core::Code::ServiceUnavailable, "shutting down");
  });
  auto quick = q.enqueue("quick", "", json::object{});
  auto stubborn = q.enqueue("stubborn", "", json::object{});
  ASSERT_TRUE(quick.ok() && stubborn.ok());
  ASSERT_TRUE(q.start(2).ok());
  ASSERT_TRUE(eventually([&] { return started.load() == 2; }));

  std::thread opener([&] {
    std::this_thread::sleep_for(20ms);
    finish_quick.open();
  });
  const auto began = std::chrono::steady_clock::now();
  EXPECT_FALSE(q.stop(began + 200ms)) << "the stubborn handler outlived the deadline";
  EXPECT_GE(std::chrono::steady_clock::now() - began, 200ms);
  opener.join();
  EXPECT_TRUE(q.stop(std::chrono::steady_clock::now())) << "idempotent";

  EXPECT_EQ(job(q, *quick).status, JobStatus::Succeeded) << "finished within the deadline";
  Job back = job(q, *stubborn);
  EXPECT_EQ(back.status, JobStatus::Queued) << "handed back for the next process";
  EXPECT_EQ(back.attempts, 0) << "the interrupted attempt is not counted";
  auto late = q.enqueue("quick", "", json::object{});
  ASSERT_TRUE(late.ok());
  std::this_thread::sleep_for(30ms);
  EXPECT_EQ(job(q, *late).status, JobStatus::Queued) << "a stopped queue claims nothing";

  // The next process finishes it.
  JobQueue& next = make_queue();
  next.register_handler("stubborn", [](JobContext& ctx) -> core::Status {
    ctx.set_result("done");
    return {};
  });
  ASSERT_TRUE(next.start(1).ok());
  ASSERT_TRUE(reaches(next, *stubborn, JobStatus::Succeeded));
  EXPECT_EQ(job(next, *stubborn).attempts, 1);
}

TEST_F(JobQueueTest, JobLeftRunningByADeadProcessIsReclaimedOnStart) {
  JobQueue& before = make_queue();
  auto id = before.enqueue("ingest", "", {{"file_id", "f9"}});
  ASSERT_TRUE(id.ok());
  // The dead process: it claimed the job and never finished it; its lease has 60 s left.
  ASSERT_TRUE(db_->write([&](store::Tx& tx) -> core::Status {
                   auto r = store::jobs::claim_next(tx, "jq-dead", {}, clock_.now(), 60s);
                   if (!r) return r.error();
                   EXPECT_TRUE(r->has_value());
                   return {};
                 })
                  .ok());

  JobQueue& q = make_queue();
  ASSERT_NE(q.owner_id(), "jq-dead");
  std::atomic<int64_t> attempt{0};
  q.register_handler("ingest", [&](JobContext& ctx) -> core::Status {
    attempt = ctx.attempt();
    return {};
  });
  ASSERT_TRUE(q.start(1).ok());  // no clock movement: reclaimed because its owner is not live
  ASSERT_TRUE(reaches(q, *id, JobStatus::Succeeded));
  EXPECT_EQ(attempt.load(), 2);
}

TEST_F(JobQueueTest, JobLeftRunningIsReclaimedAfterItsLeaseWhenOrphanReclaimIsOff) {
  JobQueue& before = make_queue();
  auto id = before.enqueue("ingest", "", json::object{});
  ASSERT_TRUE(id.ok());
  ASSERT_TRUE(db_->write([&](store::Tx& tx) -> core::Status {
                   auto r = store::jobs::claim_next(tx, "other-replica", {}, clock_.now(), 60s);
                   return r ? core::Status() : core::Status(r.error());
                 })
                  .ok());

  JobQueueOptions o = options();
  o.reclaim_orphans_on_start = false;  // several replicas: the other owner may be alive
  JobQueue& q = make_queue(o);
  q.register_handler("ingest", [](JobContext&) { return core::Status(); });
  ASSERT_TRUE(q.start(1).ok());
  std::this_thread::sleep_for(50ms);
  EXPECT_EQ(job(q, *id).status, JobStatus::Running) << "the other replica's lease still holds";
  clock_.advance(60s);
  q.wake();
  ASSERT_TRUE(reaches(q, *id, JobStatus::Succeeded));
  EXPECT_EQ(job(q, *id).attempts, 2);
}

TEST_F(JobQueueTest, JobMetricsAreRendered) {
  JobQueue& q = make_queue();
  q.register_handler("ok", [](JobContext&) { return core::Status(); });
  q.register_handler("bad", [](JobContext&) -> core::Status { return core::Error(core::Code::InvalidFormat, "no"); });
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(q.enqueue("ok", "", json::object{}).ok());
  ASSERT_TRUE(q.enqueue("later", "", json::object{}).ok());  // no handler: stays queued
  auto bad = q.enqueue("bad", "", json::object{});
  ASSERT_TRUE(bad.ok());

  std::string text = metrics_.render();
  EXPECT_NE(text.find("docent_jobs_queue_depth 5\n"), std::string::npos) << text;

  ASSERT_TRUE(q.start(2).ok());
  ASSERT_TRUE(reaches(q, *bad, JobStatus::Failed));
  ASSERT_TRUE(eventually([&] { return metrics_.render().find("docent_jobs_queue_depth 1\n") != std::string::npos; }));
  ASSERT_TRUE(eventually([&] {
    return metrics_.render().find("docent_jobs_total{kind=\"ok\",outcome=\"succeeded\"} 3\n") != std::string::npos;
  }));
  ASSERT_TRUE(eventually([&] {
    return metrics_.render().find("docent_jobs_total{kind=\"bad\",outcome=\"failed\"} 1\n") != std::string::npos;
  }));
  text = metrics_.render();
  EXPECT_NE(text.find("docent_job_duration_seconds_count{kind=\"ok\"} 3\n"), std::string::npos) << text;
  EXPECT_NE(text.find("# TYPE docent_job_duration_seconds histogram"), std::string::npos) << text;
  EXPECT_NE(text.find("docent_jobs_running 0\n"), std::string::npos) << text;
  q.stop(std::chrono::steady_clock::now() + 1s);
  queues_.clear();
  // The registry outlives the queue: the depth gauge no longer reads the database.
  EXPECT_NE(metrics_.render().find("docent_jobs_queue_depth 0\n"), std::string::npos);
}

}  // namespace
}  // namespace docent::services
