-- The audit trail (issue 19): security-relevant events with who, from where, when and how it
-- ended. No foreign keys: a record outlives the account and key it names. `details` is a small
-- JSON object that never holds a password, key, secret or token (services/audit.h).

CREATE TABLE audit_events (
  seq                INTEGER PRIMARY KEY,         -- paging order (newest first) and cursor
  id                 TEXT NOT NULL UNIQUE,        -- shown as the record's id
  created_at         TEXT NOT NULL,
  created_unix       INTEGER NOT NULL,
  actor_account_id   TEXT,                        -- NULL: no account (a failed login, the CLI)
  actor_key_id       TEXT,                        -- the API key's id, never the key
  actor_device       INTEGER NOT NULL DEFAULT 0,  -- 1: authenticated by a device id
  action             TEXT NOT NULL,               -- auth.login, key.create, account.delete, ...
  target_type        TEXT NOT NULL DEFAULT '',
  target_id          TEXT NOT NULL DEFAULT '',
  subject_account_id TEXT,                        -- the account the event concerns (users see theirs)
  outcome            TEXT NOT NULL CHECK (outcome IN ('success', 'failure')),
  reason             TEXT NOT NULL DEFAULT '',
  client_address     TEXT NOT NULL DEFAULT '',
  request_id         TEXT NOT NULL DEFAULT '',
  details            TEXT NOT NULL DEFAULT '{}'
) STRICT;
CREATE INDEX audit_events_time ON audit_events (created_unix);
CREATE INDEX audit_events_actor ON audit_events (actor_account_id, seq);
CREATE INDEX audit_events_subject ON audit_events (subject_account_id, seq);
CREATE INDEX audit_events_action ON audit_events (action, seq);
