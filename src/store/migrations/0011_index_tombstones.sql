-- The vector index's record of removed chunks (issue 16 item 4): a chunk id SQLite hands out
-- again after the highest chunks were deleted must not keep the old vector in a checkpointed
-- index. Every deleted chunk leaves a tombstone; an index loaded from a checkpoint re-reads the
-- vectors of tombstoned labels that the database holds again. Checkpoints prune old tombstones.
CREATE TABLE chunk_tombstones (
  seq       INTEGER PRIMARY KEY AUTOINCREMENT,
  chunk_id  INTEGER NOT NULL
) STRICT;
CREATE TRIGGER chunks_tombstone AFTER DELETE ON chunks BEGIN
  INSERT INTO chunk_tombstones (chunk_id) VALUES (old.id);
END;
