#pragma once
// Media job rows (migration 0020): the public id, type and owner of a job on the durable queue
// (store/jobs.h), and the blobs it holds. docs/MEDIA.md describes the life of a media job.

#include "store/database.h"

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace docent::store {

struct MediaJobRecord {
  std::string id;      // public: "img_...", "voice_...", "conv_...", "tts_..."
  std::string job_id;  // the jobs row it fronts
  std::string account_id;
  std::string type;  // the seed's result type: "image_analysis", "voice_conversation", ...
  std::optional<std::string> session_id;
  std::optional<std::string> input_sha256, result_sha256;
  std::string created_at;
};

namespace media_jobs {

// Inserts the row; its job must exist already (same transaction). Code::Conflict for a taken id.
core::Status insert(Tx& tx, const MediaJobRecord& record);

core::Result<std::optional<MediaJobRecord>> by_id(Tx& tx, std::string_view id);
core::Result<std::optional<MediaJobRecord>> by_job_id(Tx& tx, std::string_view job_id);

// Records the blob holding a job's result bytes.
core::Status set_result_blob(Tx& tx, std::string_view id, std::string_view sha256);

// Media jobs whose job finished (succeeded, failed or cancelled) before `finished_before` (the
// jobs table's text form of a time), oldest first, at most `limit`.
core::Result<std::vector<MediaJobRecord>> finished_before(Tx& tx, std::string_view finished_before, int64_t limit);

// Deletes the job behind a media job (the media row goes with it).
core::Status remove_with_job(Tx& tx, const MediaJobRecord& record);

// How many media jobs hold `sha256` as their input or result.
core::Result<int64_t> count_sha(Tx& tx, std::string_view sha256);

}  // namespace media_jobs
}  // namespace docent::store
