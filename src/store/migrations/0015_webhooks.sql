-- Webhooks (docs/WEBHOOKS.md): endpoints an account registers, the events its changes caused
-- (an outbox written in the same transaction as the change), and one delivery per endpoint and
-- event, claimed by delivery workers with a lease exactly as jobs are (0003_jobs.sql).
-- Timestamps are RFC 3339 UTC with milliseconds, so comparing them as text compares them as times.

CREATE TABLE webhook_endpoints (
  id                   TEXT PRIMARY KEY,              -- UUIDv7
  account_id           TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
  url                  TEXT NOT NULL,
  events               TEXT NOT NULL,                 -- JSON array of event types, or ["*"]
  secret_sealed        TEXT NOT NULL,                 -- the signing secret, sealed under the master key
  description          TEXT NOT NULL DEFAULT '',
  enabled              INTEGER NOT NULL DEFAULT 1,
  disabled_reason      TEXT,
  consecutive_failures INTEGER NOT NULL DEFAULT 0,    -- failed attempts since the last success
  created_at           TEXT NOT NULL,
  updated_at           TEXT NOT NULL
) STRICT;
-- Emitting: "does this account have an enabled endpoint?" is one lookup.
CREATE INDEX webhook_endpoints_account ON webhook_endpoints (account_id, enabled);

CREATE TABLE webhook_events (
  id         TEXT PRIMARY KEY,                        -- "msg_" + UUIDv7: the webhook-id header
  account_id TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
  type       TEXT NOT NULL,
  body       TEXT NOT NULL,                           -- the JSON sent, byte for byte on every attempt
  created_at TEXT NOT NULL
) STRICT;

CREATE TABLE webhook_deliveries (
  id               TEXT PRIMARY KEY,                  -- UUIDv7
  event_id         TEXT NOT NULL REFERENCES webhook_events (id) ON DELETE CASCADE,
  endpoint_id      TEXT NOT NULL REFERENCES webhook_endpoints (id) ON DELETE CASCADE,
  account_id       TEXT NOT NULL,
  status           TEXT NOT NULL DEFAULT 'pending'
                   CHECK (status IN ('pending', 'delivering', 'succeeded', 'failed')),
  attempts         INTEGER NOT NULL DEFAULT 0,        -- attempts started, the running one included
  next_attempt_at  TEXT NOT NULL,
  lease_owner      TEXT,
  lease_expires_at TEXT,
  last_status_code INTEGER,                           -- the receiver's last HTTP status; NULL when none
  last_duration_ms INTEGER,
  last_error       TEXT,
  created_at       TEXT NOT NULL,
  updated_at       TEXT NOT NULL,
  delivered_at     TEXT,
  CHECK ((status = 'delivering') = (lease_owner IS NOT NULL AND lease_expires_at IS NOT NULL))
) STRICT;
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (status, next_attempt_at);
CREATE INDEX webhook_deliveries_lease ON webhook_deliveries (status, lease_expires_at);
CREATE INDEX webhook_deliveries_endpoint ON webhook_deliveries (endpoint_id, id);

-- Every attempt of every delivery, for the delivery log.
CREATE TABLE webhook_attempts (
  id           INTEGER PRIMARY KEY,
  delivery_id  TEXT NOT NULL REFERENCES webhook_deliveries (id) ON DELETE CASCADE,
  attempt      INTEGER NOT NULL,
  started_at   TEXT NOT NULL,
  status_code  INTEGER,
  duration_ms  INTEGER NOT NULL,
  outcome      TEXT NOT NULL CHECK (outcome IN ('succeeded', 'failed')),
  error        TEXT
) STRICT;
CREATE INDEX webhook_attempts_delivery ON webhook_attempts (delivery_id, attempt);
