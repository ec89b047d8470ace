-- Media jobs (docs/MEDIA.md): the public face of a job on the durable queue (0003_jobs.sql) for
-- image analysis, speech recognition, speech synthesis and voice conversations. The row gives the
-- job the id clients see, with the nexus seed's prefix (img_, voice_, conv_, tts_), its result
-- type, the account that owns it and the blobs it holds (the upload, and a result's bytes when
-- they are large, e.g. audio). Deleting the job deletes this row; the retention sweep deletes
-- finished jobs older than media.retention and then the blobs nothing else uses.

CREATE TABLE media_jobs (
  id            TEXT PRIMARY KEY,                                          -- "img_" + 24 hex digits
  job_id        TEXT NOT NULL UNIQUE REFERENCES jobs (id) ON DELETE CASCADE,
  account_id    TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
  type          TEXT NOT NULL,                                             -- "image_analysis", ...
  session_id    TEXT,                                                      -- the caller's session, if any
  input_sha256  TEXT,                                                      -- the upload in the blob store
  result_sha256 TEXT,                                                      -- result bytes in the blob store
  created_at    TEXT NOT NULL
) STRICT;

CREATE INDEX media_jobs_account ON media_jobs (account_id, created_at);
CREATE INDEX media_jobs_input ON media_jobs (input_sha256) WHERE input_sha256 IS NOT NULL;
CREATE INDEX media_jobs_result ON media_jobs (result_sha256) WHERE result_sha256 IS NOT NULL;
-- The retention sweep looks for finished jobs by their finish time.
CREATE INDEX jobs_finished ON jobs (finished_at) WHERE finished_at IS NOT NULL;
