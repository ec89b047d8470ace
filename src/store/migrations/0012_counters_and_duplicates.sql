-- Ids without MAX(seq)+1 (issue 16). Reading the largest number and adding one is safe only while
-- one writer holds the whole database; with PostgreSQL two transactions read the same maximum.
-- Numbers now come from a row that the allocating transaction updates and reads back in one
-- statement (UPDATE ... RETURNING, which SQLite and PostgreSQL both have): the row stays locked
-- until that transaction ends, so no two transactions get the same number.

-- Installation-wide numbers: the small ids the sherpa face shows, and paging order.
CREATE TABLE counters (
  name  TEXT PRIMARY KEY,                           -- the table whose seq it numbers
  value INTEGER NOT NULL                            -- the last number handed out
) STRICT;
INSERT INTO counters (name, value) SELECT 'accounts', COALESCE(MAX(seq), 0) FROM accounts;
INSERT INTO counters (name, value) SELECT 'folders', COALESCE(MAX(seq), 0) FROM folders;
INSERT INTO counters (name, value) SELECT 'files', COALESCE(MAX(seq), 0) FROM files;
INSERT INTO counters (name, value) SELECT 'extractions', COALESCE(MAX(seq), 0) FROM extractions;

-- Numbers within one parent live on the parent's row: a conversation's message seq and context
-- positions, an account's sherpa thread ids.
ALTER TABLE conversations ADD COLUMN last_seq INTEGER NOT NULL DEFAULT 0;
ALTER TABLE conversations ADD COLUMN context_size INTEGER NOT NULL DEFAULT 0;
UPDATE conversations SET
  last_seq = COALESCE((SELECT MAX(seq) FROM messages m WHERE m.conversation_id = conversations.id), 0),
  context_size = COALESCE((SELECT MAX(position) + 1 FROM conversation_context c
                           WHERE c.conversation_id = conversations.id), 0);
ALTER TABLE accounts ADD COLUMN last_thread_id INTEGER NOT NULL DEFAULT 0;
UPDATE accounts SET
  last_thread_id = COALESCE((SELECT MAX(thread_id) FROM conversations c WHERE c.account_id = accounts.id), 0);

-- Duplicate uploads: the same bytes from one account into one folder (the root is '') are one
-- file; an upload looks its bytes up here first. Not UNIQUE: databases from before may hold copies.
CREATE INDEX files_duplicates ON files (account_id, COALESCE(folder_id, ''), sha256);
