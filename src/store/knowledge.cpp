#include "store/knowledge.h"

#include "store/counters.h"

#include <boost/json.hpp>

#include <algorithm>
#include <cctype>
#include <iterator>
#include <set>

namespace docent::store {

namespace {

Value opt(const std::optional<std::string>& s) { return s ? Value(*s) : Value(nullptr); }

std::string placeholders(size_t n) {
  std::string s;
  for (size_t i = 0; i < n; ++i) s += i ? ", ?" : "?";
  return s;
}

constexpr std::string_view kFolderColumns = "id, seq, account_id, parent_id, name, description, created_at, updated_at";

FolderRecord folder_from(const Row& r) {
  return FolderRecord{r.get_text(0), r.get_int(1),  r.get_text(2), r.opt_text(3),
                      r.get_text(4), r.get_text(5), r.get_text(6), r.get_text(7)};
}

constexpr std::string_view kFileColumns =
    "id, seq, account_id, folder_id, name, description, mime, source_type, size, sha256, purpose, metadata, tags, "
    "status, status_reason, pages, chunk_count, job_id, created_at, updated_at, processed_at";

FileRecord file_from(const Row& r) {
  FileRecord f;
  f.id = r.get_text(0);
  f.seq = r.get_int(1);
  f.account_id = r.get_text(2);
  f.folder_id = r.opt_text(3);
  f.name = r.get_text(4);
  f.description = r.get_text(5);
  f.mime = r.get_text(6);
  f.source_type = r.get_text(7);
  f.size = r.get_int(8);
  f.sha256 = r.get_text(9);
  f.purpose = r.get_text(10);
  f.metadata = r.get_text(11);
  f.tags = r.get_text(12);
  f.status = r.get_text(13);
  f.status_reason = r.get_text(14);
  f.pages = r.get_int(15);
  f.chunk_count = r.get_int(16);
  f.job_id = r.opt_text(17).value_or("");
  f.created_at = r.get_text(18);
  f.updated_at = r.get_text(19);
  f.processed_at = r.opt_text(20);
  return f;
}

constexpr std::string_view kChunkColumns = "id, file_id, account_id, ordinal, page, section, text, embedding";

ChunkRecord chunk_from(const Row& r) {
  return ChunkRecord{r.get_int(0), r.get_text(1), r.get_text(2), r.get_int(3),
                     r.get_int(4), r.get_text(5), r.get_text(6), r.opt_text(7).value_or("")};
}

}  // namespace

namespace folders {

core::Status insert(Tx& tx, FolderRecord& f) {
  auto seq = counters::next(tx, "folders");
  if (!seq) return seq.error();
  f.seq = *seq;
  auto st = tx.exec(
      "INSERT INTO folders (id, seq, account_id, parent_id, name, description, created_at, updated_at) "
      "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
      {f.id, f.seq, f.account_id, opt(f.parent_id), f.name, f.description, f.created_at, f.updated_at});
  if (!st && st.error().code == core::Code::Conflict) {
    return core::Error(core::Code::Conflict, "a folder named '" + f.name + "' already exists there", "name");
  }
  return st;
}

core::Result<std::optional<FolderRecord>> by_id(Tx& tx, std::string_view id) {
  auto row = tx.query_one("SELECT " + std::string(kFolderColumns) + " FROM folders WHERE id = ?", {std::string(id)});
  if (!row) return row.error();
  if (!*row) return std::optional<FolderRecord>();
  return std::optional<FolderRecord>(folder_from(**row));
}

core::Result<std::optional<FolderRecord>> by_seq(Tx& tx, int64_t seq) {
  auto row = tx.query_one("SELECT " + std::string(kFolderColumns) + " FROM folders WHERE seq = ?", {seq});
  if (!row) return row.error();
  if (!*row) return std::optional<FolderRecord>();
  return std::optional<FolderRecord>(folder_from(**row));
}

core::Result<std::vector<FolderRecord>> list(Tx& tx, std::string_view account_id) {
  auto rows = account_id.empty() ? tx.query("SELECT " + std::string(kFolderColumns) + " FROM folders ORDER BY seq")
                                 : tx.query("SELECT " + std::string(kFolderColumns) +
                                                " FROM folders WHERE account_id = ? ORDER BY seq",
                                            {std::string(account_id)});
  if (!rows) return rows.error();
  std::vector<FolderRecord> out;
  for (const auto& r : *rows) out.push_back(folder_from(r));
  return out;
}

core::Status update(Tx& tx, const FolderRecord& f) {
  auto st = tx.exec("UPDATE folders SET parent_id = ?, name = ?, description = ?, updated_at = ? WHERE id = ?",
                    {opt(f.parent_id), f.name, f.description, f.updated_at, f.id});
  if (!st && st.error().code == core::Code::Conflict) {
    return core::Error(core::Code::Conflict, "a folder named '" + f.name + "' already exists there", "name");
  }
  if (st && tx.changes() == 0) return core::Error(core::Code::NotFound, "folder not found");
  return st;
}

core::Result<std::vector<std::string>> subtree(Tx& tx, std::string_view id) {
  auto rows = tx.query(
      "WITH RECURSIVE sub(id) AS (SELECT id FROM folders WHERE id = ? "
      "UNION ALL SELECT f.id FROM folders f JOIN sub ON f.parent_id = sub.id) SELECT id FROM sub",
      {std::string(id)});
  if (!rows) return rows.error();
  std::vector<std::string> out;
  for (const auto& r : *rows) out.push_back(r.get_text(0));
  return out;
}

core::Status remove(Tx& tx, std::string_view id) {
  auto st = tx.exec("DELETE FROM folders WHERE id = ?", {std::string(id)});
  if (st && tx.changes() == 0) return core::Error(core::Code::NotFound, "folder not found");
  return st;
}

}  // namespace folders

namespace files {

core::Status insert(Tx& tx, FileRecord& f) {
  auto seq = counters::next(tx, "files");
  if (!seq) return seq.error();
  f.seq = *seq;
  return tx.exec(
      "INSERT INTO files (id, seq, account_id, folder_id, name, description, mime, source_type, size, sha256, purpose, "
      "metadata, tags, status, status_reason, pages, chunk_count, job_id, created_at, updated_at, processed_at) "
      "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
      {f.id,
       f.seq,
       f.account_id,
       opt(f.folder_id),
       f.name,
       f.description,
       f.mime,
       f.source_type,
       f.size,
       f.sha256,
       f.purpose,
       f.metadata,
       f.tags,
       f.status,
       f.status_reason,
       f.pages,
       f.chunk_count,
       f.job_id.empty() ? Value(nullptr) : Value(f.job_id),
       f.created_at,
       f.updated_at,
       opt(f.processed_at)});
}

core::Result<std::optional<FileRecord>> by_id(Tx& tx, std::string_view id) {
  auto row = tx.query_one("SELECT " + std::string(kFileColumns) + " FROM files WHERE id = ?", {std::string(id)});
  if (!row) return row.error();
  if (!*row) return std::optional<FileRecord>();
  return std::optional<FileRecord>(file_from(**row));
}

core::Result<std::optional<FileRecord>> by_seq(Tx& tx, int64_t seq) {
  auto row = tx.query_one("SELECT " + std::string(kFileColumns) + " FROM files WHERE seq = ?", {seq});
  if (!row) return row.error();
  if (!*row) return std::optional<FileRecord>();
  return std::optional<FileRecord>(file_from(**row));
}

core::Result<std::vector<FileRecord>> list(Tx& tx, std::string_view account_id, std::optional<std::string> folder_id,
                                           int64_t after_seq, int64_t limit) {
  std::string sql = "SELECT " + std::string(kFileColumns) + " FROM files WHERE seq > ?";
  std::vector<Value> params{after_seq};
  if (!account_id.empty()) {
    sql += " AND account_id = ?";
    params.emplace_back(std::string(account_id));
  }
  if (folder_id) {
    sql += " AND folder_id = ?";
    params.emplace_back(*folder_id);
  }
  sql += " ORDER BY seq LIMIT ?";
  params.emplace_back(limit);
  auto rows = tx.query(sql, params);
  if (!rows) return rows.error();
  std::vector<FileRecord> out;
  for (const auto& r : *rows) out.push_back(file_from(r));
  return out;
}

core::Result<std::vector<FileRecord>> in_folders(Tx& tx, const std::vector<std::string>& folder_ids) {
  std::vector<FileRecord> out;
  if (folder_ids.empty()) return out;
  std::vector<Value> params(folder_ids.begin(), folder_ids.end());
  auto rows = tx.query("SELECT " + std::string(kFileColumns) + " FROM files WHERE folder_id IN (" +
                           placeholders(folder_ids.size()) + ") ORDER BY seq",
                       params);
  if (!rows) return rows.error();
  for (const auto& r : *rows) out.push_back(file_from(r));
  return out;
}

core::Status update(Tx& tx, const FileRecord& f) {
  auto st = tx.exec(
      "UPDATE files SET folder_id = ?, name = ?, description = ?, metadata = ?, tags = ?, purpose = ?, job_id = ?, "
      "updated_at = ? WHERE id = ?",
      {opt(f.folder_id), f.name, f.description, f.metadata, f.tags, f.purpose,
       f.job_id.empty() ? Value(nullptr) : Value(f.job_id), f.updated_at, f.id});
  if (st && tx.changes() == 0) return core::Error(core::Code::NotFound, "file not found");
  return st;
}

core::Status set_status(Tx& tx, std::string_view id, std::string_view status, std::string_view reason, int64_t pages,
                        int64_t chunk_count) {
  const bool done = status == "processed" || status == "failed";
  return tx.exec(
      "UPDATE files SET status = ?, status_reason = ?, pages = ?, chunk_count = ?, updated_at = "
      "strftime('%Y-%m-%dT%H:%M:%SZ', 'now'), processed_at = CASE WHEN ? THEN strftime('%Y-%m-%dT%H:%M:%SZ', 'now') "
      "ELSE processed_at END WHERE id = ?",
      {std::string(status), std::string(reason), pages, chunk_count, int64_t{done ? 1 : 0}, std::string(id)});
}

core::Status remove(Tx& tx, std::string_view id) {
  auto st = tx.exec("DELETE FROM files WHERE id = ?", {std::string(id)});
  if (st && tx.changes() == 0) return core::Error(core::Code::NotFound, "file not found");
  return st;
}

core::Result<int64_t> count_sha(Tx& tx, std::string_view sha256) {
  auto row = tx.query_one("SELECT COUNT(*) FROM files WHERE sha256 = ?", {std::string(sha256)});
  if (!row) return row.error();
  return (*row)->get_int(0);
}

namespace {

// The FROM and WHERE of files::matching and files::count_matching, and their parameters.
std::pair<std::string, std::vector<Value>> matching_clause(std::string_view account_id, const FileFilter& filter) {
  // Each list is one JSON array parameter read by json_each, so no list runs into SQLite's limit
  // on bound parameters.
  auto json_list = [](const std::vector<std::string>& v) {
    boost::json::array a(v.begin(), v.end());
    return boost::json::serialize(a);
  };
  // Named files or folders are few next to an account's files: "+account_id" keeps the planner
  // on the primary key or the folder index instead of walking the account's files.
  const bool narrow = !filter.ids.empty() || !filter.folder_ids.empty();
  std::string sql = narrow ? " FROM files WHERE +account_id = ?" : " FROM files WHERE account_id = ?";
  std::vector<Value> params{std::string(account_id)};
  if (!filter.ids.empty()) {
    sql += " AND id IN (SELECT value FROM json_each(?))";
    params.emplace_back(json_list(filter.ids));
  }
  if (!filter.folder_ids.empty()) {
    sql += " AND folder_id IN (SELECT value FROM json_each(?))";
    params.emplace_back(json_list(filter.folder_ids));
  }
  if (!filter.source_types.empty()) {
    sql += " AND source_type IN (SELECT value FROM json_each(?))";
    params.emplace_back(json_list(filter.source_types));
  }
  if (!filter.tags.empty()) {
    sql += " AND EXISTS (SELECT 1 FROM json_each(files.tags) t WHERE t.value IN (SELECT value FROM json_each(?)))";
    params.emplace_back(json_list(filter.tags));
  }
  return {std::move(sql), std::move(params)};
}

}  // namespace

core::Result<std::vector<std::string>> matching(Tx& tx, std::string_view account_id, const FileFilter& filter) {
  auto [clause, params] = matching_clause(account_id, filter);
  auto rows = tx.query("SELECT id" + clause, params);
  if (!rows) return rows.error();
  std::vector<std::string> ids;
  ids.reserve(rows->size());
  for (const auto& r : *rows) ids.push_back(r.get_text(0));
  return ids;
}

core::Result<int64_t> count_matching(Tx& tx, std::string_view account_id, const FileFilter& filter) {
  auto [clause, params] = matching_clause(account_id, filter);
  auto row = tx.query_one("SELECT count(*)" + clause, params);
  if (!row) return row.error();
  return (*row)->get_int(0);
}

core::Result<int64_t> count(Tx& tx, std::string_view account_id) {
  auto row = tx.query_one("SELECT count(*) FROM files WHERE account_id = ?", {std::string(account_id)});
  if (!row) return row.error();
  return (*row)->get_int(0);
}

core::Result<std::optional<FileRecord>> duplicate_of(Tx& tx, std::string_view account_id,
                                                     const std::optional<std::string>& folder_id,
                                                     std::string_view sha256) {
  // COALESCE(folder_id, '') as in the files_duplicates index, so the root is a value to compare.
  auto row = tx.query_one("SELECT " + std::string(kFileColumns) +
                              " FROM files WHERE account_id = ? AND COALESCE(folder_id, '') = ? AND sha256 = ? "
                              "AND status <> 'failed' ORDER BY seq LIMIT 1",
                          {std::string(account_id), folder_id.value_or(""), std::string(sha256)});
  if (!row) return row.error();
  if (!*row) return std::optional<FileRecord>();
  return std::optional<FileRecord>(file_from(**row));
}

core::Result<std::vector<std::string>> pending(Tx& tx, std::string_view account_id) {
  // The condition is the partial index files_pending's, word for word, so SQLite reads it alone.
  auto rows =
      tx.query("SELECT id FROM files WHERE account_id = ? AND status IN ('uploaded', 'processing') ORDER BY seq",
               {std::string(account_id)});
  if (!rows) return rows.error();
  std::vector<std::string> ids;
  for (const auto& r : *rows) ids.push_back(r.get_text(0));
  return ids;
}

}  // namespace files

namespace chunks {

core::Status insert(Tx& tx, std::vector<ChunkRecord>& chunks) {
  for (auto& c : chunks) {
    auto row = tx.query_one(
        "INSERT INTO chunks (file_id, account_id, ordinal, page, section, text, embedding) VALUES (?, ?, ?, ?, ?, ?, ?) "
        "RETURNING id",
        {c.file_id, c.account_id, c.ordinal, c.page, c.section, c.text,
         c.embedding.empty() ? Value(nullptr) : Value(Blob{c.embedding})});
    if (!row) return row.error();
    c.id = (*row)->get_int(0);
  }
  return {};
}

core::Status append(Tx& tx, ChunkRecord& chunk) {
  auto row = tx.query_one("UPDATE files SET chunk_count = chunk_count + 1 WHERE id = ? RETURNING chunk_count",
                          {chunk.file_id});
  if (!row) return row.error();
  if (!*row) return core::Error(core::Code::NotFound, "file not found");
  chunk.ordinal = (*row)->get_int(0) - 1;
  std::vector<ChunkRecord> one{chunk};
  if (auto st = insert(tx, one); !st) return st;
  chunk.id = one[0].id;
  return {};
}

core::Status remove_for_file(Tx& tx, std::string_view file_id) {
  return tx.exec("DELETE FROM chunks WHERE file_id = ?", {std::string(file_id)});
}

core::Result<std::vector<ChunkRecord>> by_ids(Tx& tx, const std::vector<int64_t>& ids) {
  std::vector<ChunkRecord> out;
  if (ids.empty()) return out;
  std::vector<Value> params(ids.begin(), ids.end());
  auto rows = tx.query("SELECT " + std::string(kChunkColumns) + " FROM chunks WHERE id IN (" +
                           placeholders(ids.size()) + ")",
                       params);
  if (!rows) return rows.error();
  for (const auto& r : *rows) out.push_back(chunk_from(r));
  return out;
}

core::Result<std::vector<ChunkRecord>> of_file(Tx& tx, std::string_view file_id) {
  auto rows = tx.query("SELECT " + std::string(kChunkColumns) + " FROM chunks WHERE file_id = ? ORDER BY ordinal",
                       {std::string(file_id)});
  if (!rows) return rows.error();
  std::vector<ChunkRecord> out;
  for (const auto& r : *rows) out.push_back(chunk_from(r));
  return out;
}

core::Result<std::vector<ChunkRecord>> page_after(Tx& tx, int64_t after_id, int64_t limit) {
  auto rows = tx.query("SELECT " + std::string(kChunkColumns) + " FROM chunks WHERE id > ? ORDER BY id LIMIT ?",
                       {after_id, limit});
  if (!rows) return rows.error();
  std::vector<ChunkRecord> out;
  for (const auto& r : *rows) out.push_back(chunk_from(r));
  return out;
}

core::Result<int64_t> max_id(Tx& tx) {
  auto row = tx.query_one("SELECT COALESCE(MAX(id), 0) FROM chunks");
  if (!row) return row.error();
  return (*row)->get_int(0);
}

core::Result<int64_t> count(Tx& tx) {
  auto row = tx.query_one("SELECT COUNT(*) FROM chunks");
  if (!row) return row.error();
  return (*row)->get_int(0);
}

namespace {

// English function words: in nearly every chunk of English text, so their BM25 weight is about
// zero, yet each one OR-ed into a query made FTS5 score (and join) nearly every chunk.
bool is_function_word(std::string_view word) {
  static constexpr std::string_view kWords[] = {"a",     "an",    "and",   "are", "as",    "at",   "be",   "but",
                                                "by",    "do",    "does",  "for", "from",  "had",  "has",  "have",
                                                "he",    "her",   "his",   "how", "i",     "if",   "in",   "into",
                                                "is",    "it",    "its",   "of",  "on",    "or",   "our",  "she",
                                                "so",    "than",  "that",  "the", "their", "them", "then", "there",
                                                "these", "they",  "this",  "to",  "was",   "we",   "were", "what",
                                                "when",  "where", "which", "who", "why",   "will", "with", "you",
                                                "your"};
  if (word.size() > 5) return false;
  char lower[6] = {};
  for (size_t i = 0; i < word.size(); ++i)
    lower[i] = static_cast<char>(std::tolower(static_cast<unsigned char>(word[i])));
  const std::string_view w(lower, word.size());
  return std::find(std::begin(kWords), std::end(kWords), w) != std::end(kWords);
}

std::string join_terms(const std::vector<std::string>& terms, std::string_view op) {
  std::string out;
  for (const auto& t : terms) {
    if (!out.empty()) out += op;
    out += t;
  }
  return out;
}

// One FTS5 expression to try; `newest` > 0 scores only that many of its matches, the newest
// (highest rowids), instead of all of them.
struct Match {
  std::string expression;
  int64_t newest = 0;
};

// The FTS5 expressions to try in turn for `terms` within `budget` (see TextSearchBudget).
core::Result<std::vector<Match>> budgeted_matches(Tx& tx, const std::vector<std::string>& terms,
                                                  const TextSearchBudget& budget) {
  struct Counted {
    const std::string* term;
    int64_t chunks;
  };
  std::vector<Counted> counted;
  for (const auto& t : terms) {
    auto row = tx.query_one("SELECT count(*) FROM (SELECT rowid FROM chunks_fts WHERE chunks_fts MATCH ? LIMIT ?)",
                            {t, budget.term_cap});
    if (!row) return row.error();
    const int64_t n = *row ? (*row)->get_int(0) : 0;
    if (n > 0) counted.push_back(Counted{&t, n});  // a term in no chunk matches nothing
  }
  if (counted.empty()) return std::vector<Match>{};
  std::stable_sort(counted.begin(), counted.end(), [](const auto& a, const auto& b) { return a.chunks < b.chunks; });
  std::vector<std::string> kept;
  int64_t postings = 0;
  for (const auto& c : counted) {
    if (c.chunks >= budget.term_cap) break;
    if (!kept.empty() && postings + c.chunks > budget.postings) break;
    kept.push_back(*c.term);
    postings += c.chunks;
  }
  if (!kept.empty()) return std::vector<Match>{{join_terms(kept, " OR ")}};
  if (counted.size() == 1) return std::vector<Match>{{*counted.front().term, budget.postings}};
  std::vector<std::string> common;
  for (const auto& c : counted) common.push_back(*c.term);
  return std::vector<Match>{{join_terms(common, " AND "), budget.postings}, {common.front(), budget.postings}};
}

}  // namespace

std::vector<std::string> fts_terms(std::string_view text) {
  std::vector<std::string> words;
  std::string word;
  auto flush = [&] {
    if (!word.empty()) words.push_back(std::move(word));
    word.clear();
  };
  for (unsigned char c : text) {
    // Letters, digits and any UTF-8 byte belong to words; everything else separates them.
    if (std::isalnum(c) || c >= 0x80)
      word.push_back(static_cast<char>(c));
    else
      flush();
  }
  flush();
  const bool all_function_words = std::all_of(words.begin(), words.end(), is_function_word);
  std::vector<std::string> out;
  std::set<std::string> seen;
  for (const auto& w : words) {
    if (!all_function_words && is_function_word(w)) continue;
    std::string lower = w;
    for (char& ch : lower) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    if (!seen.insert(lower).second) continue;
    out.push_back("\"" + w + "\"");
  }
  return out;
}

std::string fts_query(std::string_view text) { return join_terms(fts_terms(text), " OR "); }

namespace {

// Full-text search within a few files whose chunks fit the postings budget: every term is kept
// (no chunk outside the files is scored, so none needs leaving out) and each file is searched
// within its range of chunk ids, which FTS5 seeks its lists to instead of walking every match
// in the collection. A file's chunks are stored in one transaction, so its range holds little
// else. nullopt when the files do not qualify (too many, too many chunks, or ranges mostly of
// other files' chunks): the caller then searches as usual.
constexpr size_t kScopedFilesAtMost = 16;

core::Result<std::optional<std::vector<TextHit>>> search_text_in_files(Tx& tx, const std::vector<std::string>& terms,
                                                                       std::string_view account_id,
                                                                       const std::vector<std::string>& file_ids,
                                                                       int64_t limit, const TextSearchBudget& budget) {
  using Scoped = std::optional<std::vector<TextHit>>;
  if (file_ids.empty() || file_ids.size() > kScopedFilesAtMost) return Scoped();
  std::vector<Value> params(file_ids.begin(), file_ids.end());
  auto ranges = tx.query("SELECT file_id, min(id), max(id), count(*) FROM chunks WHERE file_id IN (" +
                             placeholders(file_ids.size()) + ") GROUP BY file_id",
                         params);
  if (!ranges) return ranges.error();
  int64_t chunks = 0, spanned = 0;
  for (const auto& r : *ranges) {
    chunks += r.get_int(3);
    spanned += r.get_int(2) - r.get_int(1) + 1;
  }
  if (chunks > budget.postings || spanned > std::max(4 * chunks, budget.postings)) return Scoped();
  std::string sql =
      "SELECT chunks.id, -bm25(chunks_fts) AS score FROM chunks_fts JOIN chunks INDEXED BY chunks_owner "
      "ON chunks.id = chunks_fts.rowid WHERE chunks_fts MATCH ? AND chunks_fts.rowid >= ? AND chunks_fts.rowid <= ? "
      "AND chunks.file_id = ?";
  if (!account_id.empty()) sql += " AND chunks.account_id = ?";
  sql += " ORDER BY score DESC LIMIT ?";
  const std::string expression = join_terms(terms, " OR ");
  std::vector<TextHit> out;
  for (const auto& r : *ranges) {
    std::vector<Value> bound{expression, r.get_int(1), r.get_int(2), r.get_text(0)};
    if (!account_id.empty()) bound.emplace_back(std::string(account_id));
    bound.emplace_back(limit);
    auto rows = tx.query(sql, bound);
    if (!rows) return rows.error();
    for (const auto& row : *rows) out.push_back(TextHit{row.get_int(0), row.get_double(1)});
  }
  // BM25 here uses the whole collection's statistics whatever the rowid range, so the files'
  // scores compare.
  std::sort(out.begin(), out.end(),
            [](const TextHit& a, const TextHit& b) { return a.score != b.score ? a.score > b.score : a.id < b.id; });
  if (static_cast<int64_t>(out.size()) > limit) out.resize(static_cast<size_t>(limit));
  return Scoped(std::move(out));
}

}  // namespace

core::Result<std::vector<TextHit>> search_text(Tx& tx, std::string_view query, std::string_view account_id,
                                               const std::vector<std::string>& file_ids, int64_t limit,
                                               const TextSearchBudget& budget) {
  std::vector<TextHit> out;
  const auto terms = fts_terms(query);
  if (terms.empty()) return out;
  auto scoped = search_text_in_files(tx, terms, account_id, file_ids, limit, budget);
  if (!scoped) return scoped.error();
  if (*scoped) return std::move(**scoped);
  auto matches = budgeted_matches(tx, terms, budget);
  if (!matches) return matches.error();
  const bool filtered = !account_id.empty() || !file_ids.empty();
  std::string scored =
      filtered
          // The planner would read each match's whole row to check its owner; chunks_owner has
          // what the filters need, densely (migration 0008).
          ? "SELECT chunks.id AS id, -bm25(chunks_fts) AS score FROM chunks_fts "
            "JOIN chunks INDEXED BY chunks_owner ON chunks.id = chunks_fts.rowid WHERE chunks_fts MATCH ?"
          : "SELECT chunks_fts.rowid AS id, -bm25(chunks_fts) AS score FROM chunks_fts WHERE chunks_fts MATCH ?";
  std::vector<Value> params{std::string()};  // the match, set per attempt below
  if (!account_id.empty()) {
    scored += " AND chunks.account_id = ?";
    params.emplace_back(std::string(account_id));
  }
  if (!file_ids.empty()) {
    scored += " AND chunks.file_id IN (" + placeholders(file_ids.size()) + ")";
    for (const auto& f : file_ids) params.emplace_back(f);
  }
  // Ordered by score, not bm25() again: it would be computed twice a match. FTS5 walks its
  // lists in rowid order either way, so the newest matches are read first and the walk stops
  // at the LIMIT.
  const std::string all = scored + " ORDER BY score DESC LIMIT ?";
  const std::string newest = "SELECT id, score FROM (" + scored +
                             " ORDER BY chunks_fts.rowid DESC LIMIT ?) ORDER BY score DESC LIMIT ?";
  for (const auto& match : *matches) {
    params[0] = match.expression;
    std::vector<Value> bound = params;
    if (match.newest > 0) bound.emplace_back(match.newest);
    bound.emplace_back(limit);
    auto rows = tx.query(match.newest > 0 ? newest : all, bound);
    if (!rows) return rows.error();
    for (const auto& r : *rows) out.push_back(TextHit{r.get_int(0), r.get_double(1)});
    if (!out.empty()) break;
  }
  return out;
}

}  // namespace chunks
}  // namespace docent::store

namespace docent::store::vector_stores {

namespace {

VectorStoreRecord store_from(const Row& r) {
  return VectorStoreRecord{r.get_text(0), r.get_text(1), r.get_text(2), r.get_text(3), r.get_text(4), r.get_text(5)};
}

constexpr std::string_view kColumns = "id, account_id, name, metadata, created_at, updated_at";

}  // namespace

core::Status insert(Tx& tx, const VectorStoreRecord& s) {
  return tx.exec(
      "INSERT INTO vector_stores (id, account_id, name, metadata, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)",
      {s.id, s.account_id, s.name, s.metadata, s.created_at, s.updated_at});
}

core::Result<std::optional<VectorStoreRecord>> by_id(Tx& tx, std::string_view id) {
  auto row = tx.query_one("SELECT " + std::string(kColumns) + " FROM vector_stores WHERE id = ?", {std::string(id)});
  if (!row) return row.error();
  if (!*row) return std::optional<VectorStoreRecord>();
  return std::optional<VectorStoreRecord>(store_from(**row));
}

core::Result<std::vector<VectorStoreRecord>> list(Tx& tx, std::string_view account_id) {
  auto rows = tx.query("SELECT " + std::string(kColumns) + " FROM vector_stores WHERE account_id = ? ORDER BY id DESC",
                       {std::string(account_id)});
  if (!rows) return rows.error();
  std::vector<VectorStoreRecord> out;
  for (const auto& r : *rows) out.push_back(store_from(r));
  return out;
}

core::Status update(Tx& tx, const VectorStoreRecord& s) {
  return tx.exec("UPDATE vector_stores SET name = ?, metadata = ?, updated_at = ? WHERE id = ?",
                 {s.name, s.metadata, s.updated_at, s.id});
}

core::Status remove(Tx& tx, std::string_view id) {
  auto st = tx.exec("DELETE FROM vector_stores WHERE id = ?", {std::string(id)});
  if (st && tx.changes() == 0) return core::Error(core::Code::NotFound, "vector store not found");
  return st;
}

core::Status add_file(Tx& tx, std::string_view store_id, std::string_view file_id, std::string_view at) {
  return tx.exec(
      "INSERT INTO vector_store_files (vector_store_id, file_id, created_at) VALUES (?, ?, ?) "
      "ON CONFLICT (vector_store_id, file_id) DO NOTHING",
      {std::string(store_id), std::string(file_id), std::string(at)});
}

core::Status remove_file(Tx& tx, std::string_view store_id, std::string_view file_id) {
  auto st = tx.exec("DELETE FROM vector_store_files WHERE vector_store_id = ? AND file_id = ?",
                    {std::string(store_id), std::string(file_id)});
  if (st && tx.changes() == 0) return core::Error(core::Code::NotFound, "file is not in this vector store");
  return st;
}

core::Result<std::vector<std::pair<std::string, std::string>>> files(Tx& tx, std::string_view store_id) {
  auto rows = tx.query(
      "SELECT file_id, created_at FROM vector_store_files WHERE vector_store_id = ? ORDER BY created_at, file_id",
      {std::string(store_id)});
  if (!rows) return rows.error();
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& r : *rows) out.emplace_back(r.get_text(0), r.get_text(1));
  return out;
}

}  // namespace docent::store::vector_stores
