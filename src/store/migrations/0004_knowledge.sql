-- Folders, files and their chunks, with the full-text index over chunks (issue: documents and
-- knowledge base). Bytes live in the blob store, addressed by sha256; rows point at them.

CREATE TABLE folders (
  id           TEXT PRIMARY KEY,
  seq          INTEGER NOT NULL UNIQUE,              -- small number shown as "id" by the sherpa face
  account_id   TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
  parent_id    TEXT REFERENCES folders (id) ON DELETE CASCADE,
  name         TEXT NOT NULL,
  description  TEXT NOT NULL DEFAULT '',
  created_at   TEXT NOT NULL,
  updated_at   TEXT NOT NULL
) STRICT;
CREATE UNIQUE INDEX folders_unique_name ON folders (account_id, COALESCE(parent_id, ''), name);
CREATE INDEX folders_parent ON folders (parent_id);

CREATE TABLE files (
  id            TEXT PRIMARY KEY,
  seq           INTEGER NOT NULL UNIQUE,
  account_id    TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
  folder_id     TEXT REFERENCES folders (id) ON DELETE CASCADE,
  name          TEXT NOT NULL,
  description   TEXT NOT NULL DEFAULT '',
  mime          TEXT NOT NULL,                       -- sniffed from the bytes, never the client's
  source_type   TEXT NOT NULL,                       -- pdf, docx, html, markdown, csv, text, image
  size          INTEGER NOT NULL,
  sha256        TEXT NOT NULL,
  purpose       TEXT NOT NULL DEFAULT 'assistants',  -- OpenAI's purpose field
  metadata      TEXT NOT NULL DEFAULT '{}',          -- JSON object
  tags          TEXT NOT NULL DEFAULT '[]',          -- JSON array of strings
  status        TEXT NOT NULL DEFAULT 'uploaded'
                CHECK (status IN ('uploaded', 'processing', 'processed', 'failed')),
  status_reason TEXT NOT NULL DEFAULT '',
  pages         INTEGER NOT NULL DEFAULT 0,
  chunk_count   INTEGER NOT NULL DEFAULT 0,
  job_id        TEXT,
  created_at    TEXT NOT NULL,
  updated_at    TEXT NOT NULL,
  processed_at  TEXT
) STRICT;
CREATE INDEX files_account ON files (account_id, seq);
CREATE INDEX files_folder ON files (folder_id);
CREATE INDEX files_sha ON files (sha256);

CREATE TABLE chunks (
  id          INTEGER PRIMARY KEY,                   -- also the label in the vector index
  file_id     TEXT NOT NULL REFERENCES files (id) ON DELETE CASCADE,
  account_id  TEXT NOT NULL,
  ordinal     INTEGER NOT NULL,                      -- position within the file
  page        INTEGER NOT NULL,
  section     TEXT NOT NULL DEFAULT '',
  text        TEXT NOT NULL,
  embedding   BLOB                                   -- float32 little-endian, L2-normalized
) STRICT;
CREATE INDEX chunks_file ON chunks (file_id, ordinal);

CREATE VIRTUAL TABLE chunks_fts USING fts5(
  text, section, content = 'chunks', content_rowid = 'id', tokenize = 'porter unicode61 remove_diacritics 2'
);
CREATE TRIGGER chunks_ai AFTER INSERT ON chunks BEGIN
  INSERT INTO chunks_fts (rowid, text, section) VALUES (new.id, new.text, new.section);
END;
CREATE TRIGGER chunks_ad AFTER DELETE ON chunks BEGIN
  INSERT INTO chunks_fts (chunks_fts, rowid, text, section) VALUES ('delete', old.id, old.text, old.section);
END;
CREATE TRIGGER chunks_au AFTER UPDATE OF text, section ON chunks BEGIN
  INSERT INTO chunks_fts (chunks_fts, rowid, text, section) VALUES ('delete', old.id, old.text, old.section);
  INSERT INTO chunks_fts (rowid, text, section) VALUES (new.id, new.text, new.section);
END;

-- OpenAI vector stores: named sets of files; a file may belong to several.
CREATE TABLE vector_stores (
  id          TEXT PRIMARY KEY,
  account_id  TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
  name        TEXT NOT NULL DEFAULT '',
  metadata    TEXT NOT NULL DEFAULT '{}',
  created_at  TEXT NOT NULL,
  updated_at  TEXT NOT NULL
) STRICT;
CREATE TABLE vector_store_files (
  vector_store_id TEXT NOT NULL REFERENCES vector_stores (id) ON DELETE CASCADE,
  file_id         TEXT NOT NULL REFERENCES files (id) ON DELETE CASCADE,
  created_at      TEXT NOT NULL,
  PRIMARY KEY (vector_store_id, file_id)
) STRICT;
CREATE INDEX vector_store_files_file ON vector_store_files (file_id);
