#pragma once
// Job rows: the durable queue of DESIGN.md §3. Functions take the caller's transaction; run the
// ones that change a job inside Database::write, where the single writer makes each of them
// atomic (claim_next in particular: two claimers never get the same job).
//
// Life of a job:
//   queued --claim_next--> running --complete--> succeeded
//                             |  \--fail(retry_at)--> queued (run_after = retry_at)
//                             |  \--fail(nullopt)---> failed
//                             |  \--mark_cancelled--> cancelled
//                             |  \--release---------> queued (the attempt not counted)
//                             \--lease expires------> claimed again by claim_next
//   queued --cancel--> cancelled;  running --cancel--> running with cancel_requested set
//
// Functions that act for the worker holding a job (extend_lease, set_progress, complete, fail,
// mark_cancelled, release) take its owner id and fail with Code::Conflict when that owner no
// longer holds the job's lease (it expired and another worker claimed it, or it was reclaimed).
//
// Times are passed as time points and stored as RFC 3339 UTC text with milliseconds.

#include "store/database.h"

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace docent::store {

enum class JobStatus { Queued, Running, Succeeded, Failed, Cancelled };

// "queued", "running", "succeeded", "failed", "cancelled".
std::string_view job_status_name(JobStatus status);
// The status for a name above; nullopt for anything else.
std::optional<JobStatus> parse_job_status(std::string_view name);
// Whether a job in this status will not change again.
inline bool is_terminal(JobStatus s) {
  return s == JobStatus::Succeeded || s == JobStatus::Failed || s == JobStatus::Cancelled;
}

struct JobRecord {
  std::string id;
  std::optional<std::string> account_id;  // nullopt for system jobs
  std::string kind;
  std::string payload = "{}";  // JSON text
  JobStatus status = JobStatus::Queued;
  int64_t priority = 0;  // higher runs first
  int64_t attempts = 0;  // claims so far, the running one included
  int64_t max_attempts = 3;
  std::string run_after;                                     // not claimed before this
  std::optional<std::string> lease_owner, lease_expires_at;  // set exactly while running
  bool cancel_requested = false;
  std::optional<std::string> dedupe_key;
  std::optional<std::string> progress, result;  // JSON text
  std::optional<std::string> error;             // the last failed attempt's message
  std::string created_at, updated_at;
  std::optional<std::string> started_at, finished_at;
};

namespace jobs {

// The text form of a time as stored in the jobs table ("2024-01-15T10:30:00.123Z").
std::string timestamp(std::chrono::system_clock::time_point t);

// Inserts a queued job. The caller sets id, kind, payload, priority, max_attempts, run_after,
// created_at and updated_at (and account_id, dedupe_key when wanted); status, attempts, the
// lease, progress, result and error are written as a new job's. Another queued or running job of
// the same kind with the same dedupe_key -> Code::Conflict; an unknown account_id ->
// Code::Internal (foreign key).
core::Status insert(Tx& tx, const JobRecord& job);

// The queued or running job of `kind` with this dedupe key, if there is one.
core::Result<std::optional<JobRecord>> active_by_dedupe_key(Tx& tx, std::string_view kind, std::string_view key);

core::Result<std::optional<JobRecord>> by_id(Tx& tx, std::string_view id);

// Claims the next job for `owner`, or nullopt when none is runnable. Runnable: queued with
// run_after <= now, or running with lease_expires_at <= now (its worker died or lost contact).
// Of those, of one of `kinds` (every kind when `kinds` is empty), the highest priority first,
// then the oldest (by id). The job becomes running, leased to `owner` until now + lease, its
// attempts one higher, started_at set on its first claim, and is returned as it now is.
//
// First, running jobs with an expired lease that have already used all their attempts are
// marked failed ("abandoned: ..."), so a job that kills its worker every time cannot loop.
core::Result<std::optional<JobRecord>> claim_next(Tx& tx, std::string_view owner, const std::vector<std::string>& kinds,
                                                  std::chrono::system_clock::time_point now,
                                                  std::chrono::milliseconds lease);

struct LeaseState {
  bool cancel_requested = false;  // someone asked to cancel the job: the handler should stop
};
// Extends `owner`'s lease on a running job to now + lease.
core::Result<LeaseState> extend_lease(Tx& tx, std::string_view id, std::string_view owner,
                                      std::chrono::system_clock::time_point now, std::chrono::milliseconds lease);

// Records the progress (JSON text) of a running job.
core::Status set_progress(Tx& tx, std::string_view id, std::string_view owner, std::string_view progress_json,
                          std::chrono::system_clock::time_point now);

// The job succeeded with `result_json` (JSON text; "null" for none).
core::Status complete(Tx& tx, std::string_view id, std::string_view owner, std::string_view result_json,
                      std::chrono::system_clock::time_point now);

// The attempt failed with `error`. With retry_at, the job is queued again to run from then on;
// without, it is failed for good.
core::Status fail(Tx& tx, std::string_view id, std::string_view owner, std::string_view error,
                  std::optional<std::chrono::system_clock::time_point> retry_at,
                  std::chrono::system_clock::time_point now);

// The handler stopped because cancellation was requested: the job is cancelled.
core::Status mark_cancelled(Tx& tx, std::string_view id, std::string_view owner,
                            std::chrono::system_clock::time_point now);

// Hands a running job back unfinished (its worker is shutting down): queued again, runnable at
// once, and the interrupted attempt is not counted.
core::Status release(Tx& tx, std::string_view id, std::string_view owner, std::chrono::system_clock::time_point now);

// Cancels a job: a queued one becomes cancelled; a running one gets cancel_requested (its worker
// sees it at its next heartbeat and stops, then marks it cancelled); a finished one is left as
// it is. Returns the job as it now is; Code::NotFound when there is none.
core::Result<JobRecord> cancel(Tx& tx, std::string_view id, std::chrono::system_clock::time_point now);

// Requeues every running job whose lease owner is not `live_owner`, at once, whatever its lease
// says; those that have used all their attempts are failed instead. Only correct when no other
// live process works on this database (a single-node install on startup). Returns how many jobs
// changed.
core::Result<int64_t> requeue_orphans(Tx& tx, std::string_view live_owner, std::chrono::system_clock::time_point now);

struct ListQuery {
  std::optional<std::string> account_id;  // nullopt: every account's jobs (admins)
  std::optional<JobStatus> status;
  std::optional<std::string> kind;
  std::optional<std::string> before_id;  // keyset: jobs older than this id (the last one seen)
  int64_t limit = 50;
};
// Jobs matching the query, newest first.
core::Result<std::vector<JobRecord>> list(Tx& tx, const ListQuery& query);

// How many jobs are in each status (statuses with none are absent).
core::Result<std::map<JobStatus, int64_t>> count_by_status(Tx& tx);
// How many jobs are in one status (an index lookup: cheap enough for a metrics scrape).
core::Result<int64_t> count_with_status(Tx& tx, JobStatus status);

}  // namespace jobs
}  // namespace docent::store
