#pragma once
// Folder, file and chunk rows, and the full-text search over chunks.

#include "store/database.h"

#include <optional>
#include <string>
#include <vector>

namespace docent::store {

struct FolderRecord {
  std::string id;
  int64_t seq = 0;
  std::string account_id;
  std::optional<std::string> parent_id;
  std::string name;
  std::string description;
  std::string created_at, updated_at;
};

struct FileRecord {
  std::string id;
  int64_t seq = 0;
  std::string account_id;
  std::optional<std::string> folder_id;
  std::string name;
  std::string description;
  std::string mime;
  std::string source_type;
  int64_t size = 0;
  std::string sha256;
  std::string purpose = "assistants";
  std::string metadata = "{}";  // JSON object text
  std::string tags = "[]";      // JSON array text
  std::string status = "uploaded";
  std::string status_reason;
  int64_t pages = 0;
  int64_t chunk_count = 0;
  std::string job_id;
  std::string created_at, updated_at;
  std::optional<std::string> processed_at;
};

struct ChunkRecord {
  int64_t id = 0;
  std::string file_id;
  std::string account_id;
  int64_t ordinal = 0;
  int64_t page = 0;
  std::string section;
  std::string text;
  std::string embedding;  // raw float32 bytes
};

namespace folders {

// Conflict when the parent already has a folder of that name.
core::Status insert(Tx& tx, FolderRecord& folder);
core::Result<std::optional<FolderRecord>> by_id(Tx& tx, std::string_view id);
// By the small number the sherpa face shows as the folder's "id".
core::Result<std::optional<FolderRecord>> by_seq(Tx& tx, int64_t seq);
// An account's folders (all of them when account_id is empty), oldest first.
core::Result<std::vector<FolderRecord>> list(Tx& tx, std::string_view account_id);
core::Status update(Tx& tx, const FolderRecord& folder);
// The folder and every folder below it.
core::Result<std::vector<std::string>> subtree(Tx& tx, std::string_view id);
// Deletes the folder, its subfolders and their files (and chunks) by cascade.
core::Status remove(Tx& tx, std::string_view id);

}  // namespace folders

namespace files {

core::Status insert(Tx& tx, FileRecord& file);
core::Result<std::optional<FileRecord>> by_id(Tx& tx, std::string_view id);
// By the small number the sherpa face shows as the file's "id".
core::Result<std::optional<FileRecord>> by_seq(Tx& tx, int64_t seq);
// Files of an account (all when empty), optionally in one folder, by seq after `after_seq`.
core::Result<std::vector<FileRecord>> list(Tx& tx, std::string_view account_id, std::optional<std::string> folder_id,
                                           int64_t after_seq, int64_t limit);
core::Result<std::vector<FileRecord>> in_folders(Tx& tx, const std::vector<std::string>& folder_ids);
core::Status update(Tx& tx, const FileRecord& file);
core::Status set_status(Tx& tx, std::string_view id, std::string_view status, std::string_view reason, int64_t pages,
                        int64_t chunk_count);
core::Status remove(Tx& tx, std::string_view id);
// How many files still point at a blob (to know when it can be deleted).
core::Result<int64_t> count_sha(Tx& tx, std::string_view sha256);
// Which of an account's files a search may look at: each list that is not empty must be met
// (the file is one of `ids`, in one of `folder_ids`, of one of `source_types`, has one of `tags`).
struct FileFilter {
  std::vector<std::string> ids, folder_ids, source_types, tags;
};
// Ids of the account's files passing `filter`, in no particular order. Reads them through an
// index the filter allows (primary key, folder, or files_filter for types and tags), never the
// rows: a filtered search over many thousands of files costs one index read.
core::Result<std::vector<std::string>> matching(Tx& tx, std::string_view account_id, const FileFilter& filter);
// How many of the account's files pass `filter` (without reading their ids).
core::Result<int64_t> count_matching(Tx& tx, std::string_view account_id, const FileFilter& filter);
// How many files the account has.
core::Result<int64_t> count(Tx& tx, std::string_view account_id);
// The account's file in `folder_id` (nullopt: the root) holding exactly the bytes `sha256`, if any
// (the oldest, should several be there from before uploads were deduplicated). A file whose
// ingestion failed is no match: uploading it again is how a client retries.
core::Result<std::optional<FileRecord>> duplicate_of(Tx& tx, std::string_view account_id,
                                                     const std::optional<std::string>& folder_id,
                                                     std::string_view sha256);
// Ids of the account's files still being ingested (status uploaded or processing), oldest first.
core::Result<std::vector<std::string>> pending(Tx& tx, std::string_view account_id);

}  // namespace files

namespace chunks {

// Inserts the chunks (ids assigned and written back).
core::Status insert(Tx& tx, std::vector<ChunkRecord>& chunks);
// Adds one chunk after the file's others and counts it in the file's chunk_count: its ordinal is
// the count before (a counter on the file's row, so two appends never share one). NotFound for
// no such file. The id is written back.
core::Status append(Tx& tx, ChunkRecord& chunk);
core::Status remove_for_file(Tx& tx, std::string_view file_id);
core::Result<std::vector<ChunkRecord>> by_ids(Tx& tx, const std::vector<int64_t>& ids);
core::Result<std::vector<ChunkRecord>> of_file(Tx& tx, std::string_view file_id);
// Chunks with id > after_id, in id order, embeddings included (index rebuilds).
core::Result<std::vector<ChunkRecord>> page_after(Tx& tx, int64_t after_id, int64_t limit);
core::Result<int64_t> max_id(Tx& tx);
core::Result<int64_t> count(Tx& tx);

struct TextHit {
  int64_t id = 0;
  double score = 0;  // higher is better (negated bm25)
};
// What one full-text query may cost. FTS5 scores (BM25) and owner-checks every chunk matching
// any term of an OR query, so a question with a word found in 100,000 chunks costs 100,000
// scored rows. The terms are counted first (each up to `term_cap` chunks, by stepping through
// its list without scoring) and kept rarest first while the chunks they match add up to at most
// `postings` (the rarest is always kept). Terms matching `term_cap` chunks or more are left out
// while rarer ones remain: their BM25 weight is low, and in hybrid search the vector half still
// reads them. When every term is that common, a chunk must hold them all (AND); if none does,
// one of them alone (counts stop at the cap, so which is the rarest is not known). Either way,
// and for a single common term, only the newest `postings` matches (highest chunk ids) are
// scored: a one-word question whose word is in half a million chunks costs 2,000 scored rows,
// not half a million, and ranks the most recently added of them.
// (bench/search at 1M chunks: each kept posting costs a BM25 score and an owner check, ~2 µs.)
struct TextSearchBudget {
  int64_t term_cap = 1000;
  int64_t postings = 2000;
};

// Full-text search (FTS5, BM25) of chunks visible to `account_id` (all when empty), limited to
// `file_ids` when not empty. `query` is plain text; it is turned into a safe FTS5 expression.
core::Result<std::vector<TextHit>> search_text(Tx& tx, std::string_view query, std::string_view account_id,
                                               const std::vector<std::string>& file_ids, int64_t limit,
                                               const TextSearchBudget& budget = {});

// The words of plain user text, each quoted for FTS5 so no user input is FTS syntax, without
// repeats (case-insensitively). English function words ("the", "of", "what"...) are left out
// unless the text has nothing else: they are in nearly every chunk, so they barely move BM25's
// ranking, but each one made the query score every chunk holding it (at 1M chunks, seconds).
std::vector<std::string> fts_terms(std::string_view text);
// fts_terms OR-ed: the FTS5 expression for every word of the text.
std::string fts_query(std::string_view text);

}  // namespace chunks
}  // namespace docent::store

namespace docent::store {

struct VectorStoreRecord {
  std::string id;
  std::string account_id;
  std::string name;
  std::string metadata = "{}";
  std::string created_at, updated_at;
};

namespace vector_stores {

core::Status insert(Tx& tx, const VectorStoreRecord& store);
core::Result<std::optional<VectorStoreRecord>> by_id(Tx& tx, std::string_view id);
// An account's stores, newest first.
core::Result<std::vector<VectorStoreRecord>> list(Tx& tx, std::string_view account_id);
core::Status update(Tx& tx, const VectorStoreRecord& store);
core::Status remove(Tx& tx, std::string_view id);
// Adding a file twice is a no-op.
core::Status add_file(Tx& tx, std::string_view store_id, std::string_view file_id, std::string_view at);
core::Status remove_file(Tx& tx, std::string_view store_id, std::string_view file_id);
// (file id, added at) pairs of one store, oldest first.
core::Result<std::vector<std::pair<std::string, std::string>>> files(Tx& tx, std::string_view store_id);

}  // namespace vector_stores
}  // namespace docent::store
