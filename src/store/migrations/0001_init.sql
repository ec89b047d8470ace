-- The first schema: a key/value table for facts about this installation (e.g. when it was
-- created). Entity tables follow in 0002 and later.
CREATE TABLE meta (
  key   TEXT PRIMARY KEY,
  value TEXT NOT NULL
) STRICT;
