#pragma once
// The knowledge base: folders (a tree per account), files (bytes in the blob store, type sniffed
// from the bytes, ingested by a job), and hybrid search over their chunks.

#include "services/events.h"
#include "core/config.h"
#include "core/fork_join.h"
#include "services/accounts.h"
#include "services/principal.h"
#include "services/quota.h"
#include "store/blob_store.h"
#include "store/database.h"
#include "store/knowledge.h"

#include <boost/json/object.hpp>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace docent::services {

class JobQueue;
class SearchIndex;

struct Folder {
  std::string id;
  int64_t seq = 0;
  std::string account_id;
  int64_t account_seq = 0;
  std::optional<std::string> parent_id;
  std::string name, description;
  std::string created_at, updated_at;
};

struct File {
  std::string id;
  int64_t seq = 0;
  std::string account_id;
  std::optional<std::string> folder_id;
  std::string name, description;
  std::string mime, source_type;
  int64_t size = 0;
  std::string sha256;
  std::string purpose;
  boost::json::object metadata;
  std::vector<std::string> tags;
  std::string status;  // uploaded, processing, processed, failed
  std::string status_reason;
  int64_t pages = 0, chunk_count = 0;
  std::string job_id;
  std::string created_at, updated_at;
  std::optional<std::string> processed_at;
  // Set by add_file/add_bytes when the account already had these bytes in that folder: the file
  // returned is that one, and nothing was stored, counted or queued.
  bool duplicate = false;
};

struct NewFile {
  std::string name;  // as the client named it; kept as data, never used as a path
  std::string description;
  std::optional<std::string> folder;  // a folder id, or a path of folder names ("a/b")
  boost::json::object metadata;
  std::vector<std::string> tags;
  std::string purpose = "assistants";
  // Source types this upload may be ("pdf", ...), sniffed from the bytes; empty: any that docent
  // reads. InvalidFormat naming them otherwise (chatpdf accepts PDF only).
  std::vector<std::string> accept_types;
  // A knowledge-base entry (the chatbot's POST /api/knowledge): also announced as knowledge.added.
  bool knowledge_entry = false;
};

struct FilePatch {
  std::optional<std::string> name, description;
  std::optional<std::optional<std::string>> folder;  // set: move (nullopt inside = to the root)
  std::optional<boost::json::object> metadata;
  std::optional<std::vector<std::string>> tags;
};

struct SearchQuery {
  std::string text;
  int64_t limit = 10;
  enum class Mode { Hybrid, Semantic, Text } mode = Mode::Hybrid;
  std::vector<std::string> file_ids;
  std::vector<std::string> folder_ids;  // ids or paths
  bool include_subfolders = true;
  std::vector<std::string> tags;          // files having any of these tags
  std::vector<std::string> source_types;  // pdf, docx, html, markdown, csv, text, image
  // Named files still being ingested are waited for this long; then the search fails with
  // NotReady instead of answering from a file that is not indexed yet.
  std::chrono::milliseconds wait_for_files{10000};
  // With no file_ids: wait (up to wait_for_files) for the caller's files in scope that are still
  // being ingested, then search what is indexed. A conversation over all of a caller's files sets
  // it, so a question asked right after an upload finds the upload.
  bool wait_for_pending = false;
};

struct SearchHit {
  int64_t chunk_id = 0;
  std::string text;
  double score = 0;
  std::string file_id, file_name;
  int64_t page = 0;
  std::string section;
  int64_t position = 0;  // the chunk's ordinal within its file
};

class KnowledgeService {
 public:
  // Where webhook events go (services/events.h); none: no events.
  void set_events(EventSink* events) { events_ = events; }
  KnowledgeService(store::Database& db, store::BlobStore& blobs, JobQueue& jobs, SearchIndex& index,
                   QuotaService& quota, const core::Config& config);

  // ---- folders: NotFound for another account's folder, Conflict for a duplicate name ----
  core::Result<Folder> create_folder(const Principal& actor, std::string_view name, std::string_view description,
                                     std::optional<std::string> parent);
  core::Result<Folder> get_folder(const Principal& actor, std::string_view id);
  // By the folder's small number (its "seq", the sherpa face's "id").
  core::Result<Folder> get_folder_by_seq(const Principal& actor, int64_t seq);
  core::Result<std::vector<Folder>> list_folders(const Principal& actor);
  core::Result<Folder> update_folder(const Principal& actor, std::string_view id, std::optional<std::string> name,
                                     std::optional<std::string> description);
  // Deletes the folder, its subfolders and every file in them.
  core::Status delete_folder(const Principal& actor, std::string_view id);
  // A folder id, or a "/"-separated path of folder names from the root.
  core::Result<Folder> resolve_folder(const Principal& actor, std::string_view id_or_path);

  // ---- files ----
  // Takes the file at `content` (an upload spooled to disk; moved into the blob store), sniffs
  // its type, checks the plan's quota and starts ingestion. InvalidFormat for an empty or
  // unsupported file, QuotaExceeded past the plan. The same bytes uploaded again by the account
  // into the same folder give back the file already there, with `duplicate` set. The file row,
  // its usage count and its ingest job are written in one transaction.
  core::Result<File> add_file(const Principal& actor, const std::filesystem::path& content, NewFile info);
  core::Result<File> add_bytes(const Principal& actor, std::string_view bytes, NewFile info);
  core::Result<File> get_file(const Principal& actor, std::string_view id);
  // By the file's small number (its "seq", the sherpa face's "id"); NotFound as get_file.
  core::Result<File> get_file_by_seq(const Principal& actor, int64_t seq);
  core::Result<Page<File>> list_files(const Principal& actor, std::optional<std::string> folder, std::string_view after,
                                      int64_t limit);
  core::Result<File> update_file(const Principal& actor, std::string_view id, const FilePatch& patch);
  core::Status delete_file(const Principal& actor, std::string_view id);
  // Where the file's bytes are, for downloads.
  core::Result<std::filesystem::path> file_content(const Principal& actor, std::string_view id);
  // Adds a chunk of text to a file by hand (sherpa addchunk); indexed at once.
  core::Result<int64_t> add_chunk(const Principal& actor, std::string_view file_id, std::string_view text,
                                  int64_t page);
  // After another service removed files in its own transaction (store::files::remove, e.g. a
  // document's previous version): takes their chunks out of the vector index and deletes blobs
  // (by sha256) no file or extraction uses any more.
  void forget_files(const std::vector<std::string>& file_ids, const std::vector<std::string>& shas);

  // ---- search ----
  // Hybrid or semantic searches are full-text ones while the vector index is not ready.
  core::Result<std::vector<SearchHit>> search(const Principal& actor, const SearchQuery& query);
  // Whether searches use the vector index (false while it opens after a start).
  bool vector_search_ready() const;
  // The files in the query's scope (its file, folder, tag and type filters; all the caller's
  // files without filters) that are still being ingested, so not searchable yet: a search's
  // answer can say what it could not look at. Cheap when nothing is pending (one indexed read).
  core::Result<std::vector<std::string>> pending_files(const Principal& actor, const SearchQuery& query);

  // A file's text for reading it whole (summaries): its chunks in document order, as SearchHits
  // with score 0. When the file holds more than max_chars, chunks are taken evenly across it
  // (from the first towards the last) so the sample covers the whole document. Waits like search()
  // for a file still being ingested; NotFound for another account's file.
  core::Result<std::vector<SearchHit>> file_passages(const Principal& actor, std::string_view file_id, size_t max_chars,
                                                     std::chrono::milliseconds wait = std::chrono::seconds(10));

 private:
  core::Result<File> admit(const Principal& actor, const std::filesystem::path& blob_source, bool move_source,
                           std::string_view bytes, NewFile info);
  // A hybrid search within at most this many files runs its two halves one after the other.
  static constexpr size_t kFewFiles = 16;
  // The files a query's filters allow, or nullopt when it has none (or they allow every file).
  core::Result<std::optional<std::vector<std::string>>> allowed_files(const Principal& actor, const SearchQuery& q);
  core::Status wait_until_ready(const Principal& actor, const SearchQuery& q);
  void wait_for_pending(const Principal& actor, const SearchQuery& q);
  void collect_garbage(const std::vector<std::string>& shas);

  store::Database& db_;
  store::BlobStore& blobs_;
  JobQueue& jobs_;
  SearchIndex& index_;
  QuotaService& quota_;
  const core::Config& config_;
  // Runs hybrid search's full-text half beside its vector half (one helper per core).
  core::ForkJoinPool helpers_{static_cast<int>(std::max(1u, std::thread::hardware_concurrency()))};
  EventSink* events_ = nullptr;
};

// Converts rows to the service's types (shared with the ingestion job).
File to_file(const store::FileRecord& r);

}  // namespace docent::services
