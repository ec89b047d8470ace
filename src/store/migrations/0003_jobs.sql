-- The durable job queue (DESIGN.md §3): ingestion, extraction, transcription and webhook work.
-- Workers claim a runnable row by taking a lease (lease_owner, lease_expires_at) and keep it alive
-- with heartbeats; a row left 'running' with an expired lease belonged to a worker that died and
-- is claimed again. Timestamps here are RFC 3339 UTC with milliseconds ("...T10:30:00.123Z"),
-- always in that one format so that comparing them as text compares them as times.
-- payload, progress and result hold JSON text.

CREATE TABLE jobs (
  id               TEXT PRIMARY KEY,                -- UUIDv7: sorts by creation
  account_id       TEXT REFERENCES accounts (id) ON DELETE CASCADE,  -- NULL for system jobs
  kind             TEXT NOT NULL,                   -- "ingest", "extract", "webhook", ...
  payload          TEXT NOT NULL DEFAULT '{}',
  status           TEXT NOT NULL DEFAULT 'queued'
                   CHECK (status IN ('queued', 'running', 'succeeded', 'failed', 'cancelled')),
  priority         INTEGER NOT NULL DEFAULT 0,      -- higher runs first
  attempts         INTEGER NOT NULL DEFAULT 0,      -- claims so far, this one included
  max_attempts     INTEGER NOT NULL DEFAULT 3 CHECK (max_attempts >= 1),
  run_after        TEXT NOT NULL,                   -- not claimed before this (retry backoff)
  lease_owner      TEXT,                            -- the worker process holding a running job
  lease_expires_at TEXT,
  cancel_requested INTEGER NOT NULL DEFAULT 0,      -- 1: cancel asked while running; the worker stops
  dedupe_key       TEXT,                            -- at most one queued/running job per (kind, key)
  progress         TEXT,
  result           TEXT,
  error            TEXT,                            -- the last attempt's error message
  created_at       TEXT NOT NULL,
  updated_at       TEXT NOT NULL,
  started_at       TEXT,                            -- first claim
  finished_at      TEXT,                            -- reached succeeded, failed or cancelled
  CHECK ((status = 'running') = (lease_owner IS NOT NULL AND lease_expires_at IS NOT NULL))
) STRICT;

-- Claiming: runnable queued jobs by time, then priority.
CREATE INDEX jobs_claim ON jobs (status, run_after, priority);
-- Reclaiming: running jobs whose lease has expired.
CREATE INDEX jobs_lease ON jobs (status, lease_expires_at);
-- Listing one account's jobs, newest first.
CREATE INDEX jobs_account ON jobs (account_id, id);
CREATE UNIQUE INDEX jobs_dedupe_active ON jobs (kind, dedupe_key)
  WHERE dedupe_key IS NOT NULL AND status IN ('queued', 'running');
