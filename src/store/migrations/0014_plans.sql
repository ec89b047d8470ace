-- Plans as data (issue #18, "Quotas and plans"). Every plan an account can be on is a row here:
-- the configured ones (built-ins and [plans.NAME] tables, source 'config', rewritten from the
-- configuration at every start and read-only through the API) and those an admin created
-- (source 'admin', edited through /v1/plans). 0 means "no limit" for every count and size.
CREATE TABLE plans (
  name                  TEXT PRIMARY KEY,
  source                TEXT NOT NULL DEFAULT 'admin' CHECK (source IN ('config', 'admin')),
  rank                  INTEGER NOT NULL DEFAULT 0,   -- orders plans: "lower" for upgrade-plan
  self_service          INTEGER NOT NULL DEFAULT 0,   -- may be chosen through PUT /user/upgrade-plan
  file_size             INTEGER NOT NULL DEFAULT 0,   -- bytes
  file_types            TEXT NOT NULL DEFAULT '[]',   -- JSON array of extensions; empty = any
  file_per_day          INTEGER NOT NULL DEFAULT 0,
  file_per_month        INTEGER NOT NULL DEFAULT 0,
  page_per_month        INTEGER NOT NULL DEFAULT 0,
  question_per_day      INTEGER NOT NULL DEFAULT 0,
  question_per_month    INTEGER NOT NULL DEFAULT 0,
  file_capacity         INTEGER NOT NULL DEFAULT 0,
  extraction_per_month  INTEGER NOT NULL DEFAULT 0,
  media_per_day         INTEGER NOT NULL DEFAULT 0,
  media_per_month       INTEGER NOT NULL DEFAULT 0,
  created_at            TEXT NOT NULL,
  updated_at            TEXT NOT NULL
) STRICT;

-- Who chose an account's current plan: 'admin' (an admin assigned it; upgrade-plan never lowers
-- it) or 'self' (upgrade-plan). No row: the plan the account was created with.
CREATE TABLE plan_grants (
  account_id  TEXT PRIMARY KEY REFERENCES accounts (id) ON DELETE CASCADE,
  source      TEXT NOT NULL CHECK (source IN ('admin', 'self')),
  granted_by  TEXT NOT NULL DEFAULT '',           -- the admin's account id, for 'admin'
  granted_at  TEXT NOT NULL
) STRICT;
