#pragma once
// The in-memory vector index over every chunk's embedding (HNSW), kept in step with the chunks
// table. Checkpointed to <data>/index (the HNSW file and a stamp naming the embedder): at start
// the last checkpoint loads and only what changed since is replayed: chunks the database holds
// that the checkpoint lacks are added, labels it holds that the database lost are removed, and
// labels deleted and handed out again (chunk_tombstones, migration 0011) get their new vector.
// Without a usable checkpoint the replay is every chunk (a rebuild). Thread-safe.

#include "core/thread_annotations.h"
#include "engines/embedder.h"
#include "engines/vector_index.h"
#include "store/database.h"
#include "store/knowledge.h"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

namespace docent::services {

struct SearchIndexOptions {
  // A changed index is saved this often by the thread start() begins.
  std::chrono::milliseconds checkpoint_interval = std::chrono::seconds(60);
  // Testing only (index.test_replay_pause_ms): a pause after each replayed chunk, so that a
  // test can watch the server while its index rebuilds.
  std::chrono::milliseconds replay_pause{0};
};

class SearchIndex {
 public:
  SearchIndex(store::Database& db, engines::Embedder& embedder, std::filesystem::path dir);
  // Stops the thread start() began, if any (without saving: the caller saves).
  ~SearchIndex();
  SearchIndex(const SearchIndex&) = delete;
  SearchIndex& operator=(const SearchIndex&) = delete;

  // Loads the last checkpoint and replays the changes since (or rebuilds without one), on the
  // calling thread; ready() afterwards. Searches, adds and removals may run meanwhile: searches
  // find nothing until ready(), adds and removals made meanwhile are kept. Saves when it
  // replayed anything. ServiceUnavailable when stop() interrupted it (what was replayed is kept
  // and a save() then writes it: the next start replays only the rest).
  core::Status open();
  // Begins the index's own thread: open(), then a save every checkpoint_interval while the index
  // changes. Returns at once. Call once; stop() (or the destructor) ends and joins the thread.
  void start(SearchIndexOptions options);
  // Ends the thread start() began: an open() in progress stops after the chunk it is adding, a
  // save in progress finishes. Idempotent. Does not save; call save() after it.
  void stop();
  // Whether the index answers searches (open() or adopt() finished).
  bool ready() const { return ready_.load(std::memory_order_acquire); }
  // For /health: ok when ready, else ServiceUnavailable saying what the index is doing
  // ("rebuilding: 1200 of 28500 chunks ...") or why it could not open.
  core::Status health() const;
  // Takes `index` in place of the one open() would load or rebuild, for a caller that built it
  // itself over exactly the chunks' stored embeddings (labels are chunk ids), as bench/search
  // does. The owners of its labels are read from the chunks table, as when a saved index loads.
  // The index counts as changed: save() writes it.
  core::Status adopt(std::unique_ptr<engines::VectorIndex> index);
  // Adds chunks whose `embedding` holds float32 bytes of the embedder's dimension.
  core::Status add(const std::vector<store::ChunkRecord>& chunks);
  void remove_file(const std::string& file_id);
  // The k most similar chunks of `account_id` (restricted to `files` when given).
  std::vector<std::pair<int64_t, float>> search(const std::vector<float>& query, size_t k,
                                                const std::string& account_id, const std::vector<std::string>* files);
  // Whether every chunk in the index is account_id's (a single-user server): its searches need
  // no owner check until the results are read.
  bool owns_every_chunk(const std::string& account_id) const;
  // Saves a checkpoint when anything changed since the last: the HNSW file, then the stamp, each
  // written to a temporary file, fsynced and renamed. Searches go on meanwhile; adds and
  // removals wait for the HNSW file to be written. Then prunes the tombstones every checkpoint
  // since the previous one has applied.
  core::Status save();
  size_t size() const;
  engines::Embedder& embedder() { return embedder_; }

  // The graph degree of indexes built here (bench/search: HashedEmbedder vectors reach a recall
  // at a lower ef with 32 than with hnswlib's usual 16).
  static constexpr int kGraphDegree = 32;
  // The beam width of searches over `chunks` chunks: recall@10 about 0.95 as the index grows.
  static size_t ef_for(size_t chunks);

  static std::string to_bytes(const std::vector<float>& v);
  static std::vector<float> from_bytes(std::string_view bytes);

 private:
  // A chunk's owner and file, as numbers into names_ (8 bytes a chunk instead of two strings:
  // a million chunks' owners take ~40 MB, not ~300).
  struct Meta {
    uint32_t account;
    uint32_t file;
  };
  static constexpr uint32_t kUnknownName = UINT32_MAX;
  // A search restricted to files holding at most this many chunks (or a fiftieth of the index,
  // if more) scores them exactly instead of walking the graph (search()).
  static constexpr size_t kScoredDirectlyAtMost = 4096;
  uint32_t intern_locked(const std::string& name) REQUIRES(mu_);
  uint32_t find_name_locked(const std::string& name) const REQUIRES_SHARED(mu_);  // kUnknownName if never interned
  // Steps of open(): read the checkpoint (null without a usable one), match it against the
  // database (returns the chunks to add), add those.
  std::unique_ptr<engines::VectorIndex> load_checkpoint();
  core::Result<std::vector<int64_t>> reconcile(std::unique_ptr<engines::VectorIndex> index, bool from_checkpoint,
                                               size_t& removed);
  core::Status replay(const std::vector<int64_t>& ids);
  void run();
  core::Status install_locked(std::unique_ptr<engines::VectorIndex> index) REQUIRES(mu_);
  void add_locked(int64_t id, const std::string& account_id, const std::string& file_id, const float* v) REQUIRES(mu_);
  void set_meta_locked(int64_t id, const std::string& account_id, const std::string& file_id) REQUIRES(mu_);
  void clear_meta_locked() REQUIRES(mu_);
  bool owns_every_chunk_locked(const std::string& account_id) const REQUIRES_SHARED(mu_);

  store::Database& db_;
  engines::Embedder& embedder_;
  std::filesystem::path dir_;
  mutable core::SharedMutex mu_;
  std::unique_ptr<engines::VectorIndex> index_ GUARDED_BY(mu_);
  std::unordered_map<int64_t, Meta> meta_ GUARDED_BY(mu_);
  // Account and file ids seen since the last clear, numbered in order (a removed file's name
  // stays: a few dozen bytes against its chunks' hundreds).
  std::vector<std::string> names_ GUARDED_BY(mu_);
  std::unordered_map<std::string, uint32_t> name_numbers_ GUARDED_BY(mu_);
  std::unordered_map<uint32_t, std::vector<int64_t>> labels_of_file_ GUARDED_BY(mu_);
  std::unordered_map<uint32_t, size_t> chunks_of_account_ GUARDED_BY(mu_);
  bool dirty_ GUARDED_BY(mu_) = false;
  // Tombstones up to this seq are applied to the index in memory; a checkpoint written after
  // they were lets save() prune them.
  int64_t applied_tombstones_ GUARDED_BY(mu_) = 0;

  // Progress of open(), for health().
  enum class Phase { Closed, Loading, Replaying, Rebuilding, Ready, Failed };
  std::atomic<bool> ready_{false};
  std::atomic<Phase> phase_{Phase::Closed};
  std::atomic<size_t> replay_done_{0}, replay_total_{0};
  mutable core::Mutex failure_mu_;
  std::string failure_ GUARDED_BY(failure_mu_);

  core::Mutex save_mu_ ACQUIRED_BEFORE(mu_);  // one save at a time

  // The thread start() begins.
  SearchIndexOptions options_;
  core::Mutex thread_mu_;
  core::CondVar wake_;
  std::atomic<bool> stopping_{false};  // written under thread_mu_ (for wake_), read anywhere
  std::thread thread_;
};

}  // namespace docent::services
