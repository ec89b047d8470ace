#pragma once
// The job queue that ingestion, extraction, transcription and webhooks run on (DESIGN.md §3):
// durable in the database's jobs table (store/jobs.h), worked by a pool of threads in this
// process, and by the pools of other replicas sharing the database.
//
//   JobQueue queue(db, metrics);
//   queue.register_handler("ingest", [&](JobContext& job) -> core::Status {
//     for (int page = 1; page <= pages; ++page) {
//       if (job.cancelled()) return core::Error(core::Code::ServiceUnavailable, "cancelled");
//       ...
//       job.progress({{"pages_parsed", page}, {"pages_total", pages}});
//     }
//     job.set_result({{"chunks", n}});
//     return {};
//   });
//   queue.start(2);
//   auto id = queue.enqueue("ingest", account_id, {{"file_id", file_id}});
//   ...
//   queue.stop(std::chrono::steady_clock::now() + std::chrono::seconds(10));
//
// Attempts. A worker claims a job with a lease (default 60 s) that a heartbeat extends while the
// handler runs. A handler error schedules a retry after an exponential, jittered delay (retry_delay)
// until the job has used max_attempts; then it is failed with the last error's message. Errors
// with Code::InvalidFormat or Code::InvalidInput are the input's fault and fail the job at once.
//
// Crashes. A job whose worker died stays `running` until its lease expires; then any worker claims
// it again (the lost attempt counts). A single-node install need not wait that long: only one
// process uses its data folder, so at start every job still `running` under another owner id was
// left by a previous run of this same install and is requeued at once (reclaim_orphans_on_start;
// owner ids are random per JobQueue). With several replicas sharing one database that guess is
// wrong — the other owners are alive — so replicas must turn the option off and rely on leases.
//
// Clocks. Leases, backoff and run_after use the injected clock (JobQueueOptions::now), so tests
// move time instead of waiting. Only idle polling and the heartbeat wait on real time, on
// condition variables that enqueue(), wake() and stop() interrupt.

#include "core/error.h"
#include "services/events.h"
#include "core/metrics.h"
#include "core/thread_annotations.h"
#include "store/database.h"
#include "store/jobs.h"

#include <boost/json/value.hpp>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace docent::services {

using JobStatus = store::JobStatus;
using JobListQuery = store::jobs::ListQuery;

// A job as callers see it: the row with its JSON parsed.
struct Job {
  std::string id;
  std::optional<std::string> account_id;  // nullopt for system jobs
  std::string kind;
  boost::json::value payload;
  JobStatus status = JobStatus::Queued;
  int64_t priority = 0;
  int64_t attempts = 0;
  int64_t max_attempts = 3;
  bool cancel_requested = false;
  boost::json::value progress;  // null until the handler reports some
  boost::json::value result;    // null until it succeeds (and when it sets none)
  std::string error;            // the last failed attempt's message; empty when none
  std::string run_after, created_at, updated_at;
  std::optional<std::string> started_at, finished_at;
};

// What a subscriber hears about a job: it started an attempt (running), reported progress
// (running, with progress), was queued for a retry (queued, with the error), or finished
// (succeeded with result, failed with error, cancelled). A job's events arrive in order. Only
// events from this process's workers are delivered; another replica's progress is seen by
// reading the job.
struct JobEvent {
  std::string job_id;
  JobStatus status = JobStatus::Queued;
  int64_t attempt = 0;
  boost::json::value progress;
  boost::json::value result;
  std::string error;
};
using JobListener = std::function<void(const JobEvent&)>;

struct EnqueueOptions {
  int64_t priority = 0;  // higher runs first
  int64_t max_attempts = 3;
  // When set and a queued or running job of the same kind has the same key, enqueue returns that
  // job's id instead of adding another (include the account in the key when it matters).
  std::optional<std::string> dedupe_key;
  // Not before this time (default: now).
  std::optional<std::chrono::system_clock::time_point> run_after;
};

struct JobQueueOptions {
  std::chrono::milliseconds lease{std::chrono::seconds(60)};
  std::chrono::milliseconds heartbeat{0};  // how often leases are extended; 0: lease / 3
  std::chrono::milliseconds idle_poll_min{std::chrono::milliseconds(100)};  // idle polling backs off
  std::chrono::milliseconds idle_poll_max{std::chrono::seconds(5)};         // from min to max
  std::chrono::milliseconds retry_base{std::chrono::seconds(2)};
  std::chrono::milliseconds retry_cap{std::chrono::minutes(5)};
  bool reclaim_orphans_on_start = true;  // single node: see the top of this file; off for replicas
  // The world, for tests: the wall clock, and a uniform random number in [0, 1) for jitter.
  std::function<std::chrono::system_clock::time_point()> now;  // default: system_clock::now
  std::function<double()> random;                              // default: the OS CSPRNG
};

// The delay before retrying after failed attempt number `attempt` (1 for the first):
// d = min(cap, base * 2^(attempt - 1)), jittered to d * (0.5 + 0.5 * unit_random) so that
// workers failing together do not retry together. unit_random is in [0, 1).
std::chrono::milliseconds retry_delay(int64_t attempt, std::chrono::milliseconds base, std::chrono::milliseconds cap,
                                      double unit_random);

// Whether a handler error fails its job without retrying (the input is wrong, not the moment).
bool is_permanent_job_error(core::Code code);

class JobQueue;

namespace detail {
struct RunningJob;
}  // namespace detail

// What a handler gets: the job it runs and a way to report on it. Valid during the handler call.
class JobContext {
 public:
  const std::string& id() const;
  const std::string& kind() const;
  const std::optional<std::string>& account_id() const;
  const boost::json::value& payload() const;
  int64_t attempt() const;  // 1 on the first run, 2 on the first retry, ...
  int64_t max_attempts() const;

  // Records progress (any JSON, e.g. {"pages_parsed":3,"pages_total":10}) in the job row and
  // tells this job's subscribers. Thread-safe. A failure to store it is logged, not returned: if
  // the lease turns out lost, cancelled() becomes true.
  void progress(boost::json::value progress);
  // The job's result, stored when the handler returns success. Call from the handler's thread.
  void set_result(boost::json::value result);

  // True once the handler should stop as soon as it can: the job was cancelled, the queue is
  // shutting down past its deadline, or this worker lost the job's lease. What the handler then
  // returns is kept only if it is success; otherwise the job is cancelled or handed back.
  bool cancelled() const;

 private:
  friend class JobQueue;
  JobContext(JobQueue& queue, std::shared_ptr<detail::RunningJob> run) : queue_(queue), run_(std::move(run)) {}

  JobQueue& queue_;
  std::shared_ptr<detail::RunningJob> run_;
};

using JobHandler = std::function<core::Status(JobContext&)>;

class JobQueue {
 public:
  // Where webhook events go (services/events.h); none: no events.
  void set_events(EventSink* events) { events_ = events; }
  // Registers the queue's metrics on `metrics`: docent_jobs_queue_depth (queued jobs in the
  // database, read at scrape time), docent_jobs_running (handlers running in this process),
  // docent_jobs_total{kind,outcome} (outcome: succeeded, failed, retried, cancelled, released,
  // lost) and docent_job_duration_seconds{kind} (one observation per attempt).
  // `db` and `metrics` must outlive the queue.
  JobQueue(store::Database& db, core::MetricsRegistry& metrics, JobQueueOptions options = {});
  // Stops at once if still running (see stop).
  ~JobQueue();
  JobQueue(const JobQueue&) = delete;
  JobQueue& operator=(const JobQueue&) = delete;

  // Adds a queued job and wakes an idle worker of this process. `account_id` empty: a system
  // job. Returns the job's id (an existing job's with a matching dedupe_key). InvalidInput for
  // an empty kind or max_attempts < 1.
  core::Result<std::string> enqueue(std::string_view kind, std::string_view account_id,
                                    const boost::json::value& payload, const EnqueueOptions& options = {});
  // The same inside the caller's write transaction, so the job exists exactly when the change
  // that needs it commits (a file row and its ingest job; a crash in between leaves neither).
  // Nothing wakes a worker: after the transaction commits call wake(), or the job waits for the
  // next idle poll (at most idle_poll_max). An error leaves the transaction to the caller, who
  // should roll it back by returning the error.
  core::Result<std::string> enqueue(store::Tx& tx, std::string_view kind, std::string_view account_id,
                                    const boost::json::value& payload, const EnqueueOptions& options = {});

  // The handler for a kind; replaces an earlier one. Workers claim only kinds with a handler, so
  // replicas may each serve a subset. Thread-safe; may be called after start.
  void register_handler(const std::string& kind, JobHandler handler);

  // Starts `workers` worker threads and the heartbeat. Before the first claim, requeues jobs left
  // running by a previous process when reclaim_orphans_on_start. Conflict when called twice;
  // InvalidInput for workers < 1.
  core::Status start(int workers);

  // Stops claiming and lets running handlers finish until `deadline`; then sets cancelled() on
  // those still running and waits for them to return — handlers must check cancelled(). A
  // handler that then returns an error hands its job back (queued again, the attempt not counted,
  // so another replica or the next start runs it at once). Should the process die instead, its
  // jobs stay `running` until their leases expire and are claimed again then (or at the next
  // start, with reclaim_orphans_on_start). Returns true when every handler finished before the
  // deadline. Idempotent; a queue that never started returns true at once.
  bool stop(std::chrono::steady_clock::time_point deadline);

  // Wakes idle workers to look for work now (e.g. after the injected clock moved).
  void wake();

  // NotFound when there is no such job. Access control is the caller's: check account_id.
  core::Result<Job> get(std::string_view id);
  core::Result<std::vector<Job>> list(const JobListQuery& query);

  // Cancels a queued job at once, or asks a running one to stop (in this process at once, in
  // another at its next heartbeat); returns the job as it now is. Cancelling a cancelled job is
  // a no-op; NotFound for no job, Conflict for one that already succeeded or failed.
  core::Result<Job> cancel(std::string_view id);

  // Calls `listener` with every event about `job_id` from this process until unsubscribed; it
  // runs on the thread that caused the event (a worker, or cancel's caller), must be quick, and
  // may itself unsubscribe. Returns a subscription id.
  uint64_t subscribe(std::string_view job_id, JobListener listener);
  // After this returns no new delivery starts, but one already under way on another thread may
  // still finish: a listener must keep what it captures alive (e.g. by shared_ptr).
  void unsubscribe(uint64_t subscription);

  // This queue's lease owner id ("jq-" and 16 random hex digits), new for every JobQueue.
  const std::string& owner_id() const { return owner_; }

 private:
  friend class JobContext;
  struct DepthProbe;

  void worker_loop();
  void heartbeat_loop();
  void run(store::JobRecord record);
  // Stores how an attempt ended, tells subscribers, and returns the outcome label for metrics.
  std::string_view settle(detail::RunningJob& run, const core::Status& outcome);
  void report_progress(detail::RunningJob& run, boost::json::value progress);
  void publish(const JobEvent& event);
  std::chrono::system_clock::time_point now() const { return options_.now(); }

  store::Database& db_;
  JobQueueOptions options_;
  const std::string owner_;

  core::Gauge& running_gauge_;
  core::Family<core::Counter>& outcomes_;
  core::Family<core::Histogram>& durations_;
  std::shared_ptr<DepthProbe> depth_probe_;  // shared with the metrics callback, which may outlive us

  core::Mutex mu_;
  std::map<std::string, JobHandler> handlers_ GUARDED_BY(mu_);
  std::map<std::string, std::shared_ptr<detail::RunningJob>> running_ GUARDED_BY(mu_);
  uint64_t wake_generation_ GUARDED_BY(mu_) = 0;  // bumped to wake idle workers
  bool started_ GUARDED_BY(mu_) = false;
  bool stopping_ GUARDED_BY(mu_) = false;  // no more claims
  bool heartbeat_stop_ GUARDED_BY(mu_) = false;
  core::CondVar wake_cv_;       // with mu_: idle workers wait for work or stop
  core::CondVar finished_cv_;   // with mu_: a running_ entry left (stop, run wait on it)
  core::CondVar heartbeat_cv_;  // with mu_: the heartbeat waits for its period or stop

  core::Mutex lifecycle_mu_;  // serialises start and stop
  std::vector<std::thread> workers_ GUARDED_BY(lifecycle_mu_);
  std::thread heartbeat_ GUARDED_BY(lifecycle_mu_);

  core::Mutex listeners_mu_;
  std::map<uint64_t, std::pair<std::string, std::shared_ptr<const JobListener>>> listeners_ GUARDED_BY(listeners_mu_);
  uint64_t next_subscription_ GUARDED_BY(listeners_mu_) = 1;
  EventSink* events_ = nullptr;
};

}  // namespace docent::services
