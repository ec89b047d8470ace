-- The Sherpa AI Server log (issue 19): lines that robots write about a process version and a job,
-- kept per account. `id` is the small number the seed shows; `guid` the id clients use.
-- `created_unix` (Unix seconds) is what filters by time, purges and the retention sweep compare.

CREATE TABLE robot_logs (
  id                   INTEGER PRIMARY KEY,
  guid                 TEXT NOT NULL UNIQUE,
  account_id           TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
  robot_guid           TEXT NOT NULL,
  process_version_guid TEXT NOT NULL,
  job_guid             TEXT NOT NULL,
  level                INTEGER NOT NULL CHECK (level BETWEEN 0 AND 5),
  message              TEXT NOT NULL,
  created_at           TEXT NOT NULL,
  created_unix         INTEGER NOT NULL,
  updated_at           TEXT NOT NULL
) STRICT;
-- Newest first per account (list), and the filters beside it.
CREATE INDEX robot_logs_account ON robot_logs (account_id, id);
CREATE INDEX robot_logs_account_time ON robot_logs (account_id, created_unix);
CREATE INDEX robot_logs_robot ON robot_logs (account_id, robot_guid, id);
CREATE INDEX robot_logs_process ON robot_logs (account_id, process_version_guid, id);
CREATE INDEX robot_logs_job ON robot_logs (account_id, job_guid, id);
-- The retention sweep across all accounts.
CREATE INDEX robot_logs_time ON robot_logs (created_unix);
