#pragma once
// Media jobs (docs/MEDIA.md): image analysis, speech recognition, speech synthesis and voice
// conversations, all asynchronous as the nexus seed describes — a request is answered at once
// with a job id ("img_...", "voice_...", "conv_...", "tts_...") that GET /api/status/{job_id}
// and GET /v1/jobs/{job_id} report on. Each kind of media work registers a MediaKind; the work
// runs on the durable job queue (services/jobs.h), so it survives restarts, retries transient
// failures and is shared by replicas.
//
//   MediaJobs media(db, blobs, jobs, quota, {.retention = 24h});
//   media.register_kind({.name = "media.image", .prefix = "img_", .type = "image_analysis",
//                        .timeout = 120s, .run = [&](MediaJobContext& job) { ...; return Status{}; }});
//   auto view = media.submit(principal, "media.image", {.input = upload_path, .params = {...}});
//   auto now = media.get(principal, view->id);
//
// Progress is a percentage and a stage name that the kind's handler reports as it goes
// (MediaJobContext::stage); the result is any JSON the handler sets. A job's input upload and
// any result bytes it stores live in the blob store, and go when the retention sweep deletes the
// finished job (sweep_expired) and nothing else uses them.

#include "core/error.h"
#include "services/jobs.h"
#include "services/principal.h"
#include "services/quota.h"
#include "store/blob_store.h"
#include "store/database.h"
#include "store/media_jobs.h"

#include <boost/json/value.hpp>

#include <chrono>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace docent::services {

class MediaJobContext;

// One kind of media work.
struct MediaKind {
  std::string name;                   // the job queue's kind, e.g. "media.image"
  std::string prefix;                 // of its public ids, e.g. "img_"
  std::string type;                   // the seed's `type`, e.g. "image_analysis"
  std::chrono::seconds timeout{120};  // the handler's bound (its isolated decoders get this much)
  int max_attempts = 2;               // transient failures are retried; bad input fails at once
  std::function<core::Status(MediaJobContext&)> run;
};

// A media job as the faces show it.
struct MediaJobView {
  std::string id;      // public id
  std::string job_id;  // the queue's job
  std::string type;
  std::string account_id;
  std::optional<std::string> session_id;
  JobStatus job_status = JobStatus::Queued;
  // The seed's status: "queued", "processing", "completed" or "error".
  std::string status;
  int progress = 0;   // 0..100
  std::string stage;  // the handler's last stage ("decode", "analyse", ...); empty before it runs
  std::string created_at;
  std::optional<std::string> completed_at;  // when it finished (completed or error)
  boost::json::value result;                // null until completed
  std::string error;                        // set when status is "error"
};

struct MediaSubmission {
  std::optional<std::filesystem::path> input;  // an upload to keep in the blob store for the job
  boost::json::object params;                  // what the handler needs (question, language, ...)
  std::optional<std::string> session_id;
};

struct MediaOptions {
  std::chrono::seconds retention{std::chrono::hours(24)};  // finished jobs kept this long; 0: forever
};

class MediaJobs {
 public:
  // All must outlive this. `quota` counts each submission as one Metric::Media.
  MediaJobs(store::Database& db, store::BlobStore& blobs, JobQueue& jobs, QuotaService& quota, MediaOptions options);
  MediaJobs(const MediaJobs&) = delete;
  MediaJobs& operator=(const MediaJobs&) = delete;

  // Adds a kind and registers its handler with the queue. Call before the queue starts; a kind
  // registered twice replaces the first.
  void register_kind(MediaKind kind);
  bool has_kind(std::string_view name) const;

  // Stores the input, then adds the job and its media row in one transaction (checking and
  // counting the caller's media quota). Returns the queued job. InvalidInput for an unknown kind.
  core::Result<MediaJobView> submit(const Principal& actor, std::string_view kind, MediaSubmission submission);

  // The job with this public id; Code::NotFound (field job_id) for none, or one `actor` may not see.
  // A completed result's "audio_base64": null is filled with the job's result bytes (base64).
  core::Result<MediaJobView> get(const Principal& actor, std::string_view id);

  // Deletes media jobs that finished more than `retention` before `now`, with the blobs nothing
  // else refers to. Returns how many were deleted. Safe to run from several processes.
  core::Result<int64_t> sweep_expired(std::chrono::system_clock::time_point now);

 private:
  core::Status run(const MediaKind& kind, JobContext& job);
  void collect_blob(const std::string& sha256);

  store::Database& db_;
  store::BlobStore& blobs_;
  JobQueue& jobs_;
  QuotaService& quota_;
  MediaOptions options_;
  std::map<std::string, MediaKind, std::less<>> kinds_;  // written before the queue starts only
};

// What a media handler gets while it runs (valid during the call).
class MediaJobContext {
 public:
  const store::MediaJobRecord& media() const { return media_; }
  const boost::json::object& params() const { return params_; }
  // The input upload, when the job has one.
  const std::optional<std::filesystem::path>& input() const { return input_; }
  std::chrono::seconds timeout() const { return timeout_; }
  int64_t attempt() const { return job_.attempt(); }

  // Reports progress: the stage now under way and the percentage done (0..100, never lowered).
  void stage(std::string_view name, int percent);
  // The job's result (stored when the handler returns success).
  void set_result(boost::json::value result);
  // Keeps bytes of the result (e.g. audio) in the blob store, referenced by the job so they last
  // as long as it does; returns their sha256. A result that holds "audio_base64": null is shown
  // with these bytes there (MediaJobs::get), so the job's row stays small.
  core::Result<std::string> store_result_bytes(std::string_view bytes);
  // True when the handler should stop (cancelled, shutting down, lease lost).
  bool cancelled() const { return job_.cancelled(); }

 private:
  friend class MediaJobs;
  MediaJobContext(JobContext& job, store::MediaJobRecord media, boost::json::object params,
                  std::optional<std::filesystem::path> input, std::chrono::seconds timeout, store::Database& db,
                  store::BlobStore& blobs)
      : job_(job),
        media_(std::move(media)),
        params_(std::move(params)),
        input_(std::move(input)),
        timeout_(timeout),
        db_(db),
        blobs_(blobs) {}

  JobContext& job_;
  store::MediaJobRecord media_;
  boost::json::object params_;
  std::optional<std::filesystem::path> input_;
  std::chrono::seconds timeout_;
  store::Database& db_;
  store::BlobStore& blobs_;
  int percent_ = 0;
};

// The seed's status word for a queue status: queued, processing, completed, error.
std::string_view media_status_name(JobStatus status);

}  // namespace docent::services
