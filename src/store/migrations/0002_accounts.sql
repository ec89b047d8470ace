-- Accounts, API keys, device bindings and usage counters (issue: storage, accounts and keys).
-- Timestamps are RFC 3339 UTC text; ids are UUIDv7 text. Secrets never appear in plain text:
-- passwords are argon2id hashes, API keys and device ids an HMAC digest (lookup) plus a sealed copy.

CREATE TABLE accounts (
  id            TEXT PRIMARY KEY,
  seq           INTEGER NOT NULL UNIQUE,          -- small number shown as "id" by the sherpa face
  login         TEXT NOT NULL,
  login_key     TEXT NOT NULL,                    -- lower(login), for case-insensitive uniqueness
  password_hash TEXT,                             -- argon2id; NULL for device accounts
  first_name    TEXT NOT NULL DEFAULT '',
  last_name     TEXT NOT NULL DEFAULT '',
  email         TEXT NOT NULL DEFAULT '',
  phone         TEXT NOT NULL DEFAULT '',
  company       TEXT NOT NULL DEFAULT '',
  department    TEXT NOT NULL DEFAULT '',
  role          TEXT NOT NULL DEFAULT 'user' CHECK (role IN ('admin', 'user')),
  plan          TEXT NOT NULL,
  user_type     TEXT NOT NULL DEFAULT 'REGISTERED' CHECK (user_type IN ('REGISTERED', 'ANONYMOUS')),
  version       INTEGER NOT NULL DEFAULT 0,       -- bumped on every update ("__v")
  created_at    TEXT NOT NULL,
  updated_at    TEXT NOT NULL,
  deleted_at    TEXT
) STRICT;
CREATE UNIQUE INDEX accounts_login_live ON accounts (login_key) WHERE deleted_at IS NULL;

CREATE TABLE api_keys (
  id           TEXT PRIMARY KEY,
  account_id   TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
  name         TEXT NOT NULL DEFAULT '',
  prefix       TEXT NOT NULL,                     -- first characters, for people to tell keys apart
  last4        TEXT NOT NULL,
  digest       TEXT NOT NULL UNIQUE,              -- hex HMAC-SHA256 of the key under the lookup key
  sealed       BLOB NOT NULL,                     -- AES-256-CBC + HMAC-SHA256 under the master key
  created_at   TEXT NOT NULL,
  revoked_at   TEXT
) STRICT;
CREATE INDEX api_keys_account ON api_keys (account_id, created_at);

CREATE TABLE devices (
  digest      TEXT PRIMARY KEY,                   -- hex HMAC-SHA256 of the device id
  sealed      BLOB NOT NULL,                      -- the device id, sealed (shown back as deviceId)
  account_id  TEXT NOT NULL UNIQUE REFERENCES accounts (id) ON DELETE CASCADE,
  location    TEXT NOT NULL DEFAULT 'mobile',
  is_sync     INTEGER NOT NULL DEFAULT 0,
  email       TEXT NOT NULL DEFAULT '',
  created_at  TEXT NOT NULL,
  updated_at  TEXT NOT NULL
) STRICT;

-- Usage per account, metric and period ("day:2024-04-04", "month:2024-04"), incremented by the
-- features that consume quota and read by /user/quota.
CREATE TABLE usage_counters (
  account_id  TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
  metric      TEXT NOT NULL,
  period      TEXT NOT NULL,
  value       INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (account_id, metric, period)
) STRICT;
