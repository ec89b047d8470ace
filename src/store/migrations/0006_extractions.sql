-- Extractions (issue 7): business documents read field by field and written to a workbook. One
-- extraction is one request: a document, or a batch of them that shares one workbook. Bytes live
-- in the blob store (the sources and the workbook), addressed by sha256.

CREATE TABLE extractions (
  id             TEXT PRIMARY KEY,
  seq            INTEGER NOT NULL UNIQUE,             -- order of creation, for paging
  account_id     TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
  kind           TEXT NOT NULL CHECK (kind IN ('invoice', 'po', 'dc', 'ewaybill')),
  status         TEXT NOT NULL CHECK (status IN ('completed', 'failed')),
  file_name      TEXT NOT NULL,                       -- the workbook's download name
  xlsx_sha256    TEXT NOT NULL DEFAULT '',            -- the workbook in the blob store
  xlsx_size      INTEGER NOT NULL DEFAULT 0,
  error          TEXT NOT NULL DEFAULT '',
  created_at     TEXT NOT NULL
) STRICT;
CREATE INDEX extractions_by_account ON extractions (account_id, seq);

-- The documents of an extraction, in the order they were sent.
CREATE TABLE extraction_documents (
  extraction_id  TEXT NOT NULL REFERENCES extractions (id) ON DELETE CASCADE,
  position       INTEGER NOT NULL,                    -- from 0
  file_name      TEXT NOT NULL,                       -- as the client named it (data, never a path)
  file_id        TEXT REFERENCES files (id) ON DELETE SET NULL,  -- when it was an uploaded file
  source_sha256  TEXT NOT NULL,                       -- the PDF's bytes in the blob store
  pages          INTEGER NOT NULL DEFAULT 0,
  result         TEXT NOT NULL,                       -- JSON: engines::to_json(Extraction)
  PRIMARY KEY (extraction_id, position)
) STRICT;
CREATE INDEX extraction_documents_file ON extraction_documents (file_id);
