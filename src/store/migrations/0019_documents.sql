-- Document artifacts (the chatbot seed's Document API, issue #20): a document is its current
-- version (title, content, type, version) plus every version it has had, all kept. The current
-- version is also a knowledge file (file_id: chunked and indexed by the ingest job, so search and
-- chat cite it); the previous version's file is removed when a new one is written.
-- Timestamps are RFC 3339 UTC in seconds, as the seed shows them; write_seq orders writes within one second.

CREATE TABLE documents (
  seq         INTEGER PRIMARY KEY,                  -- the full-text index's row id
  id          TEXT NOT NULL UNIQUE,                 -- "doc_" + UUIDv7
  account_id  TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
  title       TEXT NOT NULL,
  content     TEXT NOT NULL,
  type        TEXT NOT NULL CHECK (type IN ('markdown', 'code', 'text', 'html', 'json')),
  version     INTEGER NOT NULL,
  file_id     TEXT REFERENCES files (id) ON DELETE SET NULL,  -- the current version's knowledge file
  write_seq   INTEGER NOT NULL,                     -- rises with every write (counter "document_writes"): list order
  created_at  TEXT NOT NULL,
  updated_at  TEXT NOT NULL
) STRICT;
CREATE INDEX documents_account ON documents (account_id, write_seq);
CREATE INDEX documents_account_type ON documents (account_id, type, write_seq);
CREATE INDEX documents_file ON documents (file_id);
INSERT INTO counters (name, value) VALUES ('document_writes', 0);

CREATE TABLE document_versions (
  document_id TEXT NOT NULL REFERENCES documents (id) ON DELETE CASCADE,
  version     INTEGER NOT NULL,
  title       TEXT NOT NULL,
  content     TEXT NOT NULL,
  type        TEXT NOT NULL,
  created_at  TEXT NOT NULL,
  PRIMARY KEY (document_id, version)
) STRICT;

-- Full-text search over the current title and content (PostgreSQL: tsvector + GIN behind the
-- same store function).
CREATE VIRTUAL TABLE documents_fts USING fts5(
  title, content, content = 'documents', content_rowid = 'seq', tokenize = 'porter unicode61 remove_diacritics 2'
);
CREATE TRIGGER documents_ai AFTER INSERT ON documents BEGIN
  INSERT INTO documents_fts (rowid, title, content) VALUES (new.seq, new.title, new.content);
END;
CREATE TRIGGER documents_ad AFTER DELETE ON documents BEGIN
  INSERT INTO documents_fts (documents_fts, rowid, title, content) VALUES ('delete', old.seq, old.title, old.content);
END;
CREATE TRIGGER documents_au AFTER UPDATE OF title, content ON documents BEGIN
  INSERT INTO documents_fts (documents_fts, rowid, title, content) VALUES ('delete', old.seq, old.title, old.content);
  INSERT INTO documents_fts (rowid, title, content) VALUES (new.seq, new.title, new.content);
END;
