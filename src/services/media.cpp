#include "services/media.h"

#include "core/crypto.h"
#include "core/id.h"
#include "core/log.h"
#include "core/time.h"
#include "store/extractions.h"
#include "store/jobs.h"
#include "store/knowledge.h"

#include <boost/json.hpp>

#include <algorithm>

namespace docent::services {

namespace json = boost::json;
using core::Code;
using core::Error;

namespace {

Error job_not_found() { return Error(Code::NotFound, "Job not found", "job_id"); }

MediaJobView view_of(const store::MediaJobRecord& m, const Job& job) {
  MediaJobView v;
  v.id = m.id;
  v.job_id = m.job_id;
  v.type = m.type;
  v.account_id = m.account_id;
  v.session_id = m.session_id;
  v.job_status = job.status;
  v.status = std::string(media_status_name(job.status));
  v.created_at = m.created_at;
  if (job.progress.is_object()) {
    const auto& p = job.progress.as_object();
    if (const auto* pct = p.if_contains("percent"); pct && pct->is_int64())
      v.progress = static_cast<int>(pct->as_int64());
    if (const auto* st = p.if_contains("stage"); st && st->is_string()) v.stage = std::string(st->as_string());
  }
  if (job.status == JobStatus::Succeeded) {
    v.progress = 100;
    v.result = job.result;
  } else if (job.status == JobStatus::Failed || job.status == JobStatus::Cancelled) {
    v.progress = 0;  // the seed's error shape
    v.error = job.status == JobStatus::Cancelled ? "cancelled" : job.error;
  }
  if (is_terminal(job.status) && job.finished_at) v.completed_at = job.finished_at;
  return v;
}

}  // namespace

std::string_view media_status_name(JobStatus status) {
  switch (status) {
    case JobStatus::Queued: return "queued";
    case JobStatus::Running: return "processing";
    case JobStatus::Succeeded: return "completed";
    case JobStatus::Failed:
    case JobStatus::Cancelled: return "error";
  }
  return "error";
}

MediaJobs::MediaJobs(store::Database& db, store::BlobStore& blobs, JobQueue& jobs, QuotaService& quota,
                     MediaOptions options)
    : db_(db), blobs_(blobs), jobs_(jobs), quota_(quota), options_(options) {}

void MediaJobs::register_kind(MediaKind kind) {
  const std::string name = kind.name;
  kinds_[name] = std::move(kind);
  const MediaKind* k = &kinds_[name];
  jobs_.register_handler(name, [this, k](JobContext& job) { return run(*k, job); });
}

bool MediaJobs::has_kind(std::string_view name) const { return kinds_.find(name) != kinds_.end(); }

core::Result<MediaJobView> MediaJobs::submit(const Principal& actor, std::string_view kind_name,
                                             MediaSubmission submission) {
  auto it = kinds_.find(kind_name);
  if (it == kinds_.end()) return Error(Code::InvalidInput, "unknown media job kind " + std::string(kind_name));
  const MediaKind& kind = it->second;
  if (auto st = quota_.check(actor, Metric::Media); !st) return st.error();

  store::MediaJobRecord m;
  m.id = kind.prefix + core::random_hex(12);
  m.account_id = actor.account_id;
  m.type = kind.type;
  m.session_id = submission.session_id;
  m.created_at = core::rfc3339_now();
  if (submission.input) {
    auto blob = blobs_.put_file(*submission.input);
    if (!blob) return blob.error();
    m.input_sha256 = blob->sha256;
  }
  json::object payload{{"media_id", m.id}, {"params", std::move(submission.params)}};
  EnqueueOptions eo;
  eo.max_attempts = std::max(1, kind.max_attempts);
  auto st = db_.write([&](store::Tx& tx) -> core::Status {
    if (auto q = quota_.check(tx, actor, Metric::Media); !q) return q;
    auto id = jobs_.enqueue(tx, kind.name, actor.account_id, payload, eo);
    if (!id) return id.error();
    m.job_id = *id;
    if (auto s = store::media_jobs::insert(tx, m); !s) return s;
    return quota_.record(tx, actor.account_id, Metric::Media);
  });
  if (!st) {
    if (m.input_sha256) collect_blob(*m.input_sha256);
    return st.error();
  }
  jobs_.wake();
  Job queued;
  queued.id = m.job_id;
  queued.status = JobStatus::Queued;
  return view_of(m, queued);
}

core::Result<MediaJobView> MediaJobs::get(const Principal& actor, std::string_view id) {
  std::optional<store::MediaJobRecord> m;
  auto st = db_.read([&](store::Tx& tx) -> core::Status {
    auto r = store::media_jobs::by_id(tx, id);
    if (!r) return r.error();
    m = std::move(*r);
    return {};
  });
  if (!st) return st.error();
  if (!m || !actor.may_access(m->account_id)) return job_not_found();
  auto job = jobs_.get(m->job_id);
  if (!job) return job.error().code == Code::NotFound ? job_not_found() : job.error();
  MediaJobView view = view_of(*m, *job);
  // Audio results are kept in the blob store, not in the job's row: the result names the place
  // with "audio_base64": null, filled here.
  if (auto* result = view.result.if_object(); result != nullptr && m->result_sha256 && view.status == "completed") {
    if (auto* audio = result->if_contains("audio_base64"); audio != nullptr && audio->is_null()) {
      auto bytes = blobs_.read(*m->result_sha256);
      if (!bytes) return bytes.error();
      *audio = core::crypto::base64_encode(*bytes);
    }
  }
  return view;
}

core::Status MediaJobs::run(const MediaKind& kind, JobContext& job) {
  const auto& payload = job.payload();
  const auto* obj = payload.if_object();
  const auto* media_id = obj ? obj->if_contains("media_id") : nullptr;
  if (media_id == nullptr || !media_id->is_string()) return Error(Code::InvalidInput, "media job without a media_id");
  std::optional<store::MediaJobRecord> m;
  auto st = db_.read([&](store::Tx& tx) -> core::Status {
    auto r = store::media_jobs::by_id(tx, media_id->as_string());
    if (!r) return r.error();
    m = std::move(*r);
    return {};
  });
  if (!st) return st;
  if (!m) return {};  // deleted before it ran
  std::optional<std::filesystem::path> input;
  if (m->input_sha256) {
    input = blobs_.path_of(*m->input_sha256);
    if (!input) return Error(Code::InvalidFormat, "the upload is missing from the blob store");
  }
  json::object params;
  if (const auto* p = obj->if_contains("params"); p && p->is_object()) params = p->as_object();
  MediaJobContext ctx(job, *m, std::move(params), std::move(input), kind.timeout, db_, blobs_);
  return kind.run(ctx);
}

void MediaJobs::collect_blob(const std::string& sha256) {
  int64_t users = 1;
  auto st = db_.read([&](store::Tx& tx) -> core::Status {
    auto files = store::files::count_sha(tx, sha256);
    if (!files) return files.error();
    auto extracted = store::extractions::count_sha(tx, sha256);
    if (!extracted) return extracted.error();
    auto media = store::media_jobs::count_sha(tx, sha256);
    if (!media) return media.error();
    users = *files + *extracted + *media;
    return {};
  });
  if (st && users == 0) {
    if (auto removed = blobs_.remove(sha256); !removed && removed.error().code != Code::NotFound) {
      core::log::warn("media blob not removed", {{"sha256", sha256}, {"error", removed.error().message}});
    }
  }
}

core::Result<int64_t> MediaJobs::sweep_expired(std::chrono::system_clock::time_point now) {
  if (options_.retention.count() <= 0) return int64_t{0};
  const std::string cutoff = store::jobs::timestamp(now - options_.retention);
  int64_t deleted = 0;
  while (true) {
    std::vector<store::MediaJobRecord> batch;
    auto st = db_.write([&](store::Tx& tx) -> core::Status {
      auto rows = store::media_jobs::finished_before(tx, cutoff, 200);
      if (!rows) return rows.error();
      batch = std::move(*rows);
      for (const auto& m : batch) {
        if (auto s = store::media_jobs::remove_with_job(tx, m); !s) return s;
      }
      return {};
    });
    if (!st) return st.error();
    deleted += static_cast<int64_t>(batch.size());
    for (const auto& m : batch) {
      if (m.input_sha256) collect_blob(*m.input_sha256);
      if (m.result_sha256) collect_blob(*m.result_sha256);
    }
    if (batch.size() < 200) break;
  }
  return deleted;
}

void MediaJobContext::stage(std::string_view name, int percent) {
  percent_ = std::max(percent_, std::clamp(percent, 0, 100));
  job_.progress(json::object{{"percent", percent_}, {"stage", name}});
}

void MediaJobContext::set_result(json::value result) { job_.set_result(std::move(result)); }

core::Result<std::string> MediaJobContext::store_result_bytes(std::string_view bytes) {
  auto blob = blobs_.put(bytes);
  if (!blob) return blob.error();
  auto st = db_.write([&](store::Tx& tx) { return store::media_jobs::set_result_blob(tx, media_.id, blob->sha256); });
  if (!st) return st.error();
  media_.result_sha256 = blob->sha256;
  return blob->sha256;
}

}  // namespace docent::services
