-- The files still being ingested, per account: searches ask for them on every query (to say
-- which files in scope are not searchable yet), and only a handful are pending at a time.
CREATE INDEX files_pending ON files (account_id, seq) WHERE status IN ('uploaded', 'processing');
