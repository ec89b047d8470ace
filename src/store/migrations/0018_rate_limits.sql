-- Rate limits (issue 18). An account's tier picks the chatbot face's per-minute limit; an admin
-- sets it, and may override any policy's rate for the account (rate_limits: a JSON object of
-- policy name -> "N/period" or "off"). Both are read with the account, so they ride in the
-- cached Principal and change with it (services/auth_cache.h).
ALTER TABLE accounts ADD COLUMN tier TEXT NOT NULL DEFAULT 'standard'
  CHECK (tier IN ('standard', 'premium', 'enterprise'));
ALTER TABLE accounts ADD COLUMN rate_limits TEXT NOT NULL DEFAULT '{}';

-- The shared counters of limits.store = database (services/rate_limiter.h): one GCRA theoretical
-- arrival time per policy and subject, in Unix microseconds. A row whose time is past holds no
-- information (a fresh counter is the same) and is deleted by the limiter now and then.
CREATE TABLE rate_limits (
  key    TEXT PRIMARY KEY,   -- "<policy>|<subject>", e.g. "nexus_text|key:0193..."
  tat_us INTEGER NOT NULL
) STRICT, WITHOUT ROWID;
