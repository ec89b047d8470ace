#include "services/jobs.h"

#include "core/id.h"
#include "core/log.h"
#include "core/thread_annotations.h"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <algorithm>
#include <cmath>
#include <exception>

namespace docent::services {

namespace detail {

// One job a worker of this process is running. Flags are set by other threads (heartbeat,
// cancel, stop) and read by the handler's.
struct RunningJob {
  store::JobRecord record;
  boost::json::value payload;
  boost::json::value result;                  // written by the handler's thread only
  std::atomic<bool> cancelled{false};         // what JobContext::cancelled() reports: any reason below
  std::atomic<bool> cancel_requested{false};  // someone cancelled the job
  std::atomic<bool> shutting_down{false};     // stop() passed its deadline
  std::atomic<bool> lease_lost{false};        // another worker holds the job now
  std::atomic<bool> settling{false};          // the handler returned; its outcome is being stored
};

}  // namespace detail

namespace {

using SysClock = std::chrono::system_clock;
using detail::RunningJob;

const std::vector<double> kDurationBuckets{0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600};

double os_random() {
  uint64_t x = 0;
  core::random_bytes(&x, sizeof x);
  return static_cast<double>(x >> 11) * 0x1.0p-53;
}

boost::json::value parse_stored(const std::optional<std::string>& text) {
  if (!text) return nullptr;
  boost::system::error_code ec;
  boost::json::value v = boost::json::parse(*text, ec);
  return ec ? boost::json::value(nullptr) : v;
}

Job to_job(const store::JobRecord& r) {
  Job j;
  j.id = r.id;
  j.account_id = r.account_id;
  j.kind = r.kind;
  j.payload = parse_stored(r.payload);
  j.status = r.status;
  j.priority = r.priority;
  j.attempts = r.attempts;
  j.max_attempts = r.max_attempts;
  j.cancel_requested = r.cancel_requested;
  j.progress = parse_stored(r.progress);
  j.result = parse_stored(r.result);
  j.error = r.error.value_or("");
  j.run_after = r.run_after;
  j.created_at = r.created_at;
  j.updated_at = r.updated_at;
  j.started_at = r.started_at;
  j.finished_at = r.finished_at;
  return j;
}

}  // namespace

std::chrono::milliseconds retry_delay(int64_t attempt, std::chrono::milliseconds base, std::chrono::milliseconds cap,
                                      double unit_random) {
  const double exponent = static_cast<double>(std::clamp<int64_t>(attempt, 1, 62) - 1);
  const double full = std::min(static_cast<double>(cap.count()),
                               static_cast<double>(base.count()) * std::exp2(exponent));
  const double r = std::clamp(unit_random, 0.0, 1.0);
  return std::chrono::milliseconds(static_cast<int64_t>(full * (0.5 + 0.5 * r)));
}

bool is_permanent_job_error(core::Code code) {
  return code == core::Code::InvalidFormat || code == core::Code::InvalidInput;
}

// ---- JobContext ----

const std::string& JobContext::id() const { return run_->record.id; }
const std::string& JobContext::kind() const { return run_->record.kind; }
const std::optional<std::string>& JobContext::account_id() const { return run_->record.account_id; }
const boost::json::value& JobContext::payload() const { return run_->payload; }
int64_t JobContext::attempt() const { return run_->record.attempts; }
int64_t JobContext::max_attempts() const { return run_->record.max_attempts; }
void JobContext::progress(boost::json::value progress) { queue_.report_progress(*run_, std::move(progress)); }
void JobContext::set_result(boost::json::value result) { run_->result = std::move(result); }
bool JobContext::cancelled() const { return run_->cancelled.load(); }

// ---- JobQueue ----

// The queue-depth gauge reads the database at scrape time; the registry may outlive the queue,
// so the callback holds this and finds db null once the queue is gone.
struct JobQueue::DepthProbe {
  core::Mutex mu;
  store::Database* db GUARDED_BY(mu) = nullptr;
};

JobQueue::JobQueue(store::Database& db, core::MetricsRegistry& metrics, JobQueueOptions options)
    : db_(db),
      options_(std::move(options)),
      owner_("jq-" + core::random_hex(8)),
      running_gauge_(metrics.gauge("docent_jobs_running", "Job handlers running in this process").with({})),
      outcomes_(
          metrics.counter("docent_jobs_total", "Job attempts finished, by kind and outcome", {"kind", "outcome"})),
      durations_(metrics.histogram("docent_job_duration_seconds", "Time a job attempt's handler ran", {"kind"},
                                   kDurationBuckets)),
      depth_probe_(std::make_shared<DepthProbe>()) {
  if (!options_.now) options_.now = [] { return SysClock::now(); };
  if (!options_.random) options_.random = os_random;
  if (options_.heartbeat.count() <= 0) options_.heartbeat = std::max(options_.lease / 3, std::chrono::milliseconds(1));
  if (options_.idle_poll_min.count() <= 0) options_.idle_poll_min = std::chrono::milliseconds(1);
  options_.idle_poll_max = std::max(options_.idle_poll_max, options_.idle_poll_min);

  depth_probe_->db = &db_;
  metrics.gauge_callback("docent_jobs_queue_depth", "Jobs queued in the database, waiting for a worker",
                         [probe = depth_probe_]() -> double {
                           core::MutexLock lock(probe->mu);
                           if (probe->db == nullptr) return 0;
                           int64_t n = 0;
                           core::Status s = probe->db->read([&](store::Tx& tx) -> core::Status {
                             auto count = store::jobs::count_with_status(tx, JobStatus::Queued);
                             if (!count) return count.error();
                             n = *count;
                             return {};
                           });
                           return s ? static_cast<double>(n) : 0.0;
                         });
}

JobQueue::~JobQueue() {
  stop(std::chrono::steady_clock::now());
  core::MutexLock lock(depth_probe_->mu);
  depth_probe_->db = nullptr;
}

core::Result<std::string> JobQueue::enqueue(std::string_view kind, std::string_view account_id,
                                            const boost::json::value& payload, const EnqueueOptions& options) {
  std::optional<std::string> id;
  core::Status s = db_.write([&](store::Tx& tx) -> core::Status {
    auto queued = enqueue(tx, kind, account_id, payload, options);
    if (!queued) return queued.error();
    id = std::move(*queued);
    return {};
  });
  if (!s) return s.error();
  wake();
  return *id;
}

core::Result<std::string> JobQueue::enqueue(store::Tx& tx, std::string_view kind, std::string_view account_id,
                                            const boost::json::value& payload, const EnqueueOptions& options) {
  if (kind.empty()) return core::Error(core::Code::InvalidInput, "a job needs a kind", "kind");
  if (options.max_attempts < 1) {
    return core::Error(core::Code::InvalidInput, "max_attempts must be at least 1", "max_attempts");
  }
  const SysClock::time_point t = now();
  store::JobRecord rec;
  rec.id = core::new_id();
  if (!account_id.empty()) rec.account_id = std::string(account_id);
  rec.kind = std::string(kind);
  rec.payload = boost::json::serialize(payload);
  rec.priority = options.priority;
  rec.max_attempts = options.max_attempts;
  rec.run_after = store::jobs::timestamp(options.run_after.value_or(t));
  rec.dedupe_key = options.dedupe_key;
  rec.created_at = rec.updated_at = store::jobs::timestamp(t);

  if (rec.dedupe_key) {
    auto existing = store::jobs::active_by_dedupe_key(tx, rec.kind, *rec.dedupe_key);
    if (!existing) return existing.error();
    if (*existing) return (*existing)->id;
  }
  if (auto st = store::jobs::insert(tx, rec); !st) return st.error();
  core::log::debug("job queued", {{"job_id", rec.id}, {"kind", kind}});
  return rec.id;
}

void JobQueue::register_handler(const std::string& kind, JobHandler handler) {
  {
    core::MutexLock lock(mu_);
    handlers_[kind] = std::move(handler);
    ++wake_generation_;
  }
  wake_cv_.notify_all();
}

core::Status JobQueue::start(int workers) {
  if (workers < 1) return core::Error(core::Code::InvalidInput, "a job queue needs at least one worker", "workers");
  core::MutexLock life(lifecycle_mu_);
  {
    core::MutexLock lock(mu_);
    if (started_) return core::Error(core::Code::Conflict, "the job queue was already started");
    started_ = true;
  }
  if (options_.reclaim_orphans_on_start) {
    int64_t reclaimed = 0;
    core::Status s = db_.write([&](store::Tx& tx) -> core::Status {
      auto n = store::jobs::requeue_orphans(tx, owner_, now());
      if (!n) return n.error();
      reclaimed = *n;
      return {};
    });
    if (!s) {
      // Not fatal: those jobs come back anyway once their leases expire.
      core::log::warn("jobs: reclaiming orphaned jobs failed", {{"error", s.error().message}});
    } else if (reclaimed > 0) {
      core::log::info("jobs: reclaimed jobs left running by a previous process", {{"count", reclaimed}});
    }
  }
  for (int i = 0; i < workers; ++i) workers_.emplace_back([this] { worker_loop(); });
  heartbeat_ = std::thread([this] { heartbeat_loop(); });
  core::log::info("jobs: started", {{"workers", workers}, {"owner", owner_}});
  return {};
}

bool JobQueue::stop(std::chrono::steady_clock::time_point deadline) {
  core::MutexLock life(lifecycle_mu_);
  bool clean = true;
  {
    core::MutexLock lock(mu_);
    if (!started_ || (stopping_ && workers_.empty())) return true;
    stopping_ = true;
    wake_cv_.notify_all();
    finished_cv_.wait_until(lock, deadline, [&]() REQUIRES(mu_) { return running_.empty(); });
    clean = running_.empty();
    for (auto& [id, run] : running_) {
      run->shutting_down = true;
      run->cancelled = true;
    }
    if (!clean)
      core::log::warn("jobs: stop deadline passed; asking running handlers to stop", {{"running", running_.size()}});
  }
  for (auto& w : workers_) w.join();
  workers_.clear();
  {
    core::MutexLock lock(mu_);
    heartbeat_stop_ = true;
  }
  heartbeat_cv_.notify_all();
  if (heartbeat_.joinable()) heartbeat_.join();
  return clean;
}

void JobQueue::wake() {
  {
    core::MutexLock lock(mu_);
    ++wake_generation_;
  }
  wake_cv_.notify_all();
}

void JobQueue::worker_loop() {
  std::chrono::milliseconds idle = options_.idle_poll_min;
  for (;;) {
    uint64_t generation = 0;
    std::vector<std::string> kinds;
    {
      core::MutexLock lock(mu_);
      if (stopping_) return;
      generation = wake_generation_;
      for (const auto& [kind, handler] : handlers_) kinds.push_back(kind);
    }

    std::optional<store::JobRecord> claimed;
    if (!kinds.empty()) {
      core::Status s = db_.write([&](store::Tx& tx) -> core::Status {
        auto job = store::jobs::claim_next(tx, owner_, kinds, now(), options_.lease);
        if (!job) return job.error();
        claimed = std::move(*job);
        return {};
      });
      if (!s) core::log::warn("jobs: claim failed", {{"error", s.error().message}});
    }
    if (claimed) {
      idle = options_.idle_poll_min;
      run(std::move(*claimed));
      continue;
    }

    core::MutexLock lock(mu_);
    const bool woken = wake_cv_.wait_for(lock, idle,
                                         [&]() REQUIRES(mu_) { return stopping_ || wake_generation_ != generation; });
    idle = woken ? options_.idle_poll_min : std::min(idle * 2, options_.idle_poll_max);
  }
}

void JobQueue::run(store::JobRecord record) {
  auto run = std::make_shared<RunningJob>();
  const std::string id = record.id;
  const std::string kind = record.kind;
  const int64_t attempt = record.attempts;
  boost::system::error_code ec;
  run->payload = boost::json::parse(record.payload, ec);
  run->record = std::move(record);  // before the heartbeat can see it in running_
  JobHandler handler;
  bool hand_back = false;
  {
    core::MutexLock lock(mu_);
    if (auto it = handlers_.find(kind); it != handlers_.end()) handler = it->second;
    // The previous attempt may have been settled by another worker of ours that is still
    // telling subscribers; wait for it, so each job's events arrive in order.
    finished_cv_.wait(lock, [&]() REQUIRES(mu_) {
      auto it = running_.find(id);
      return it == running_.end() || !it->second->settling;
    });
    // Claimed just as stop() began: give it back untouched rather than start work we would
    // have to interrupt.
    hand_back = stopping_ || !handler;
    if (!hand_back) running_[id] = run;
  }
  if (hand_back) {
    core::Status s = db_.write([&](store::Tx& tx) { return store::jobs::release(tx, id, owner_, now()); });
    if (!s) core::log::warn("jobs: handing back a job failed", {{"job_id", id}, {"error", s.error().message}});
    return;
  }

  running_gauge_.inc();
  publish(JobEvent{id, JobStatus::Running, attempt, nullptr, nullptr, ""});

  const auto started = std::chrono::steady_clock::now();
  core::Status outcome;
  if (ec) {
    outcome = core::Error(core::Code::InvalidFormat, "the job's payload is not JSON");
  } else {
    JobContext ctx(*this, run);
    try {
      outcome = handler(ctx);
    } catch (const std::exception& e) {
      outcome = core::Error(core::Code::Internal, std::string("the job handler threw: ") + e.what());
    } catch (...) {
      outcome = core::Error(core::Code::Internal, "the job handler threw");
    }
  }
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  durations_.with({kind}).observe(seconds);

  running_gauge_.dec();
  run->settling = true;
  const std::string_view label = settle(*run, outcome);
  outcomes_.with({kind, std::string(label)}).inc();

  {
    core::MutexLock lock(mu_);
    // Another worker may have taken the job over after this one lost its lease.
    if (auto it = running_.find(id); it != running_.end() && it->second == run) running_.erase(it);
  }
  finished_cv_.notify_all();
}

std::string_view JobQueue::settle(RunningJob& run, const core::Status& outcome) {
  const std::string& id = run.record.id;
  const std::string& kind = run.record.kind;
  const int64_t attempt = run.record.attempts;
  const SysClock::time_point t = now();
  JobEvent event{id, JobStatus::Running, attempt, nullptr, nullptr, ""};
  // job.completed / job.failed for jobs of an account, in the transaction that finishes the job.
  auto announce = [&](store::Tx& tx, std::string_view type, const boost::json::value& detail) -> core::Status {
    if (!run.record.account_id) return {};
    boost::json::object data{{"job_id", id}, {"kind", kind}, {"attempts", attempt}};
    data[type == events::kJobCompleted ? "result" : "error"] = detail;
    return emit_event(events_, tx, *run.record.account_id, type, data);
  };
  std::string_view label;
  core::Status stored;
  if (run.lease_lost) {
    core::log::warn("jobs: lease lost while running; outcome dropped", {{"job_id", id}, {"kind", kind}});
    return "lost";
  }
  if (outcome.ok()) {
    label = "succeeded";
    event.status = JobStatus::Succeeded;
    event.result = run.result;
    const std::string result = boost::json::serialize(run.result);
    stored = db_.write([&](store::Tx& tx) -> core::Status {
      if (auto s = store::jobs::complete(tx, id, owner_, result, t); !s) return s;
      return announce(tx, events::kJobCompleted, run.result);
    });
  } else if (run.cancel_requested) {
    label = "cancelled";
    event.status = JobStatus::Cancelled;
    stored = db_.write([&](store::Tx& tx) { return store::jobs::mark_cancelled(tx, id, owner_, t); });
  } else if (run.shutting_down) {
    label = "released";
    event.status = JobStatus::Queued;
    stored = db_.write([&](store::Tx& tx) { return store::jobs::release(tx, id, owner_, t); });
  } else {
    const core::Error& err = outcome.error();
    event.error = err.message;
    std::optional<SysClock::time_point> retry_at;
    if (is_permanent_job_error(err.code) || attempt >= run.record.max_attempts) {
      label = "failed";
      event.status = JobStatus::Failed;
    } else {
      label = "retried";
      event.status = JobStatus::Queued;
      retry_at = t + retry_delay(attempt, options_.retry_base, options_.retry_cap, options_.random());
    }
    stored = db_.write([&](store::Tx& tx) -> core::Status {
      if (auto s = store::jobs::fail(tx, id, owner_, err.message, retry_at, t); !s) return s;
      return retry_at ? core::Status() : announce(tx, events::kJobFailed, boost::json::value(err.message));
    });
  }

  if (!stored) {
    // The lease is gone (Conflict) or the database refused: the row stays as it is until its
    // lease expires or another worker holds it; nobody is told of an outcome that was not stored.
    core::log::warn("jobs: storing an attempt's outcome failed",
                    {{"job_id", id}, {"kind", kind}, {"outcome", label}, {"error", stored.error().message}});
    return label;
  }
  if (label == "failed" || label == "retried") {
    core::log::warn("jobs: attempt failed",
                    {{"job_id", id}, {"kind", kind}, {"attempt", attempt}, {"outcome", label}, {"error", event.error}});
  } else {
    core::log::info("jobs: attempt ended", {{"job_id", id}, {"kind", kind}, {"attempt", attempt}, {"outcome", label}});
  }
  publish(event);
  return label;
}

void JobQueue::report_progress(RunningJob& run, boost::json::value progress) {
  const std::string& id = run.record.id;
  const std::string text = boost::json::serialize(progress);
  const SysClock::time_point t = now();
  core::Status s = db_.write([&](store::Tx& tx) { return store::jobs::set_progress(tx, id, owner_, text, t); });
  if (!s) {
    if (s.error().code == core::Code::Conflict) {
      run.lease_lost = true;
      run.cancelled = true;
    }
    core::log::warn("jobs: storing progress failed", {{"job_id", id}, {"error", s.error().message}});
  }
  publish(JobEvent{id, JobStatus::Running, run.record.attempts, std::move(progress), nullptr, ""});
}

void JobQueue::heartbeat_loop() {
  for (;;) {
    std::vector<std::shared_ptr<RunningJob>> held;
    {
      core::MutexLock lock(mu_);
      heartbeat_cv_.wait_for(lock, options_.heartbeat, [&]() REQUIRES(mu_) { return heartbeat_stop_; });
      if (heartbeat_stop_) return;
      for (const auto& [id, run] : running_) held.push_back(run);
    }
    if (held.empty()) continue;
    const SysClock::time_point t = now();
    core::Status s = db_.write([&](store::Tx& tx) -> core::Status {
      for (const auto& run : held) {
        auto lease = store::jobs::extend_lease(tx, run->record.id, owner_, t, options_.lease);
        if (!lease) {
          if (lease.error().code != core::Code::Conflict) return lease.error();
          run->lease_lost = true;
          run->cancelled = true;
        } else if (lease->cancel_requested) {
          run->cancel_requested = true;
          run->cancelled = true;
        }
      }
      return {};
    });
    if (!s) core::log::warn("jobs: heartbeat failed", {{"error", s.error().message}});
  }
}

void JobQueue::publish(const JobEvent& event) {
  std::vector<std::shared_ptr<const JobListener>> targets;
  {
    core::MutexLock lock(listeners_mu_);
    for (const auto& [sub, entry] : listeners_) {
      if (entry.first == event.job_id) targets.push_back(entry.second);
    }
  }
  for (const auto& listener : targets) {
    try {
      (*listener)(event);
    } catch (const std::exception& e) {
      core::log::warn("jobs: a listener threw", {{"job_id", event.job_id}, {"error", e.what()}});
    } catch (...) {
      core::log::warn("jobs: a listener threw", {{"job_id", event.job_id}});
    }
  }
}

core::Result<Job> JobQueue::get(std::string_view id) {
  std::optional<store::JobRecord> rec;
  core::Status s = db_.read([&](store::Tx& tx) -> core::Status {
    auto r = store::jobs::by_id(tx, id);
    if (!r) return r.error();
    rec = std::move(*r);
    return {};
  });
  if (!s) return s.error();
  if (!rec) return core::Error(core::Code::NotFound, "job not found");
  return to_job(*rec);
}

core::Result<std::vector<Job>> JobQueue::list(const JobListQuery& query) {
  std::vector<store::JobRecord> recs;
  core::Status s = db_.read([&](store::Tx& tx) -> core::Status {
    auto r = store::jobs::list(tx, query);
    if (!r) return r.error();
    recs = std::move(*r);
    return {};
  });
  if (!s) return s.error();
  std::vector<Job> out;
  out.reserve(recs.size());
  for (const auto& r : recs) out.push_back(to_job(r));
  return out;
}

core::Result<Job> JobQueue::cancel(std::string_view id) {
  std::optional<JobStatus> before;
  std::optional<store::JobRecord> after;
  core::Status s = db_.write([&](store::Tx& tx) -> core::Status {
    auto current = store::jobs::by_id(tx, id);
    if (!current) return current.error();
    if (!*current) return core::Error(core::Code::NotFound, "job not found");
    before = (*current)->status;
    if (before == JobStatus::Succeeded || before == JobStatus::Failed) {
      return core::Error(core::Code::Conflict, "the job already " + std::string(store::job_status_name(*before)));
    }
    auto r = store::jobs::cancel(tx, id, now());
    if (!r) return r.error();
    after = std::move(*r);
    return {};
  });
  if (!s) return s.error();

  if (after->status == JobStatus::Running) {
    core::MutexLock lock(mu_);
    if (auto it = running_.find(after->id); it != running_.end()) {
      it->second->cancel_requested = true;
      it->second->cancelled = true;
    }
  } else if (before == JobStatus::Queued && after->status == JobStatus::Cancelled) {
    publish(JobEvent{after->id, JobStatus::Cancelled, after->attempts, parse_stored(after->progress), nullptr, ""});
  }
  return to_job(*after);
}

uint64_t JobQueue::subscribe(std::string_view job_id, JobListener listener) {
  core::MutexLock lock(listeners_mu_);
  const uint64_t sub = next_subscription_++;
  listeners_.emplace(sub,
                     std::make_pair(std::string(job_id), std::make_shared<const JobListener>(std::move(listener))));
  return sub;
}

void JobQueue::unsubscribe(uint64_t subscription) {
  core::MutexLock lock(listeners_mu_);
  listeners_.erase(subscription);
}

}  // namespace docent::services
