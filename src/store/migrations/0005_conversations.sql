-- Conversations and their messages (issue: conversations). A conversation belongs to one account
-- and may be about files and folders (its context); each face shows it in its own shape.

CREATE TABLE conversations (
  id             TEXT PRIMARY KEY,
  account_id     TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
  title          TEXT NOT NULL DEFAULT '',
  source_id      TEXT NOT NULL UNIQUE,                -- chatpdf's sourceId ("src_..."), opaque elsewhere
  summary        TEXT NOT NULL DEFAULT '',
  last_message   TEXT NOT NULL DEFAULT '',
  total_messages INTEGER NOT NULL DEFAULT 0,
  file_type      TEXT NOT NULL DEFAULT '',            -- the main file's source type, e.g. pdf
  version        INTEGER NOT NULL DEFAULT 0,          -- bumped on every change (chatpdf's __v)
  created_at     TEXT NOT NULL,
  updated_at     TEXT NOT NULL
) STRICT;
CREATE INDEX conversations_by_account ON conversations (account_id, updated_at DESC, id DESC);

-- The files and folders a conversation answers from, in the order they were attached.
CREATE TABLE conversation_context (
  conversation_id TEXT NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
  position        INTEGER NOT NULL,
  file_id         TEXT REFERENCES files (id) ON DELETE CASCADE,
  folder_id       TEXT REFERENCES folders (id) ON DELETE CASCADE,
  CHECK ((file_id IS NULL) <> (folder_id IS NULL)),
  PRIMARY KEY (conversation_id, position)
) STRICT;
CREATE INDEX conversation_context_file ON conversation_context (file_id);
CREATE INDEX conversation_context_folder ON conversation_context (folder_id);

CREATE TABLE messages (
  id              TEXT PRIMARY KEY,
  conversation_id TEXT NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
  seq             INTEGER NOT NULL,                   -- order within the conversation, from 1
  role            TEXT NOT NULL CHECK (role IN ('system', 'user', 'assistant')),
  content         TEXT NOT NULL,
  citations       TEXT NOT NULL DEFAULT '[]',         -- JSON: [{file_id, page, snippet, score}]
  usage           TEXT NOT NULL DEFAULT '{}',         -- JSON: {prompt_tokens, completion_tokens}
  model           TEXT NOT NULL DEFAULT '',
  status          TEXT NOT NULL DEFAULT 'complete' CHECK (status IN ('complete', 'interrupted', 'failed')),
  created_at      TEXT NOT NULL,
  UNIQUE (conversation_id, seq)
) STRICT;
