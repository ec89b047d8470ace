-- Sherpa threads (issue 6). A conversation may carry a per-account integer key that the client
-- chooses (the sherpa face's thread_id), and a message may carry face-specific metadata as a JSON
-- object (the sherpa face keeps assistant_id, info and the attached file and folder numbers).

ALTER TABLE conversations ADD COLUMN thread_id INTEGER;
CREATE UNIQUE INDEX conversations_thread ON conversations (account_id, thread_id) WHERE thread_id IS NOT NULL;

ALTER TABLE messages ADD COLUMN metadata TEXT NOT NULL DEFAULT '{}';
