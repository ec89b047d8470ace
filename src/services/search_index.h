#pragma once
// The in-memory vector index over every chunk's embedding (HNSW), kept in step with the chunks
// table: loaded from <data>/index at start when it matches the database, rebuilt from the stored
// embeddings when it is missing or stale, saved again after changes. Thread-safe.

#include "engines/embedder.h"
#include "engines/vector_index.h"
#include "store/database.h"
#include "store/knowledge.h"

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <unordered_map>
#include <vector>

namespace docent::services {

class SearchIndex {
 public:
  SearchIndex(store::Database& db, engines::Embedder& embedder, std::filesystem::path dir);
  ~SearchIndex();

  // Loads the saved index if it matches the database, else rebuilds it from the embeddings.
  core::Status open();
  // Takes `index` in place of the one open() would load or rebuild, for a caller that built it
  // itself over exactly the chunks' stored embeddings (labels are chunk ids), as bench/search
  // does. The owners of its labels are read from the chunks table, as when a saved index loads.
  // The index counts as changed: save() writes it.
  core::Status adopt(std::unique_ptr<engines::VectorIndex> index);
  // Adds chunks whose `embedding` holds float32 bytes of the embedder's dimension.
  core::Status add(const std::vector<store::ChunkRecord>& chunks);
  void remove_file(const std::string& file_id);
  // The k most similar chunks of `account_id` (restricted to `files` when given).
  std::vector<std::pair<int64_t, float>> search(const std::vector<float>& query, size_t k, const std::string& account_id,
                                                const std::vector<std::string>* files);
  // Whether every chunk in the index is account_id's (a single-user server): its searches need
  // no owner check until the results are read.
  bool owns_every_chunk(const std::string& account_id) const;
  // Saves when anything changed since the last save.
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
  uint32_t intern_locked(const std::string& name);
  uint32_t find_name_locked(const std::string& name) const;  // kUnknownName if never interned
  core::Status rebuild();
  core::Status install_locked(std::unique_ptr<engines::VectorIndex> index);
  void add_locked(int64_t id, const std::string& account_id, const std::string& file_id, const float* v);
  void set_meta_locked(int64_t id, const std::string& account_id, const std::string& file_id);
  void clear_meta_locked();
  bool owns_every_chunk_locked(const std::string& account_id) const;

  store::Database& db_;
  engines::Embedder& embedder_;
  std::filesystem::path dir_;
  mutable std::shared_mutex mu_;
  std::unique_ptr<engines::VectorIndex> index_;                          // GUARDED_BY(mu_)
  std::unordered_map<int64_t, Meta> meta_;                           // GUARDED_BY(mu_)
  // Account and file ids seen since the last clear, numbered in order (a removed file's name
  // stays: a few dozen bytes against its chunks' hundreds).
  std::vector<std::string> names_;                                   // GUARDED_BY(mu_)
  std::unordered_map<std::string, uint32_t> name_numbers_;           // GUARDED_BY(mu_)
  std::unordered_map<uint32_t, std::vector<int64_t>> labels_of_file_;  // GUARDED_BY(mu_)
  std::unordered_map<uint32_t, size_t> chunks_of_account_;            // GUARDED_BY(mu_)
  bool dirty_ = false;                                                    // GUARDED_BY(mu_)
};

}  // namespace docent::services
