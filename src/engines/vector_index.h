#pragma once
// Nearest-neighbour search over embedding vectors: VectorIndex, an HNSW graph (hnswlib) for
// collections of any size, and ExactIndex, a brute-force scan that is the yardstick for recall
// and the right choice for small collections.
//
// Both use cosine similarity: vectors are L2-normalized on the way in (a copy; the caller's
// memory is never touched), so a score is the cosine of the angle, 1 for identical direction.
// An all-zero vector is accepted and scores 0 against everything.

#include "core/error.h"

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <shared_mutex>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

// hnswlib defines non-inline functions in its headers, so it may be included by one
// translation unit per program only: vector_index.cpp. Forward declarations suffice here.
namespace hnswlib {
template <typename dist_t>
class HierarchicalNSW;
}  // namespace hnswlib

namespace docent::engines {

// A search hit: the label given to add() and the cosine similarity to the query.
using ScoredLabel = std::pair<uint64_t, float>;
// Keeps only labels for which it returns true. Called from the searching thread, possibly
// many times per search; it must not call back into the index.
using LabelFilter = std::function<bool(uint64_t)>;

// An approximate nearest-neighbour index (HNSW, inner product on normalized vectors). Vectors
// are kept as half floats (2 bytes a dimension): scores are within about 1e-4 of float32's.
// A search walks the graph on a copy of them in 8-bit codes (1 byte a dimension) and scores
// its best candidates on the halves, so the scores it returns are the halves'.
//
// Thread-safety: every method may be called concurrently with every other.
//   - search() runs concurrently with other searches and with add() of new labels, and with
//     save() (hnswlib's per-node locks cover the graph edits a concurrent add makes).
//   - add() of new labels runs concurrently with other adds, except when the index is full and
//     must grow, which waits for all searches and adds to drain.
//   - add() of an existing label (an update) and remove() take the index exclusively: hnswlib
//     0.6.2 updates its delete marks and label table without locks.
//   - save() excludes adds and removes, not searches.
class VectorIndex {
 public:
  static constexpr size_t kDefaultEf = 64;

  // dim > 0; max_elements is the initial capacity (the index grows past it as needed).
  // M is the graph degree, ef_construction the beam width while building; larger is better
  // recall and slower building. HashedEmbedder vectors, whose intrinsic dimension is high,
  // search faster at equal recall with M = 32 (see bench/search).
  VectorIndex(int dim, size_t max_elements, int M = 16, int ef_construction = 200);
  ~VectorIndex();
  VectorIndex(const VectorIndex&) = delete;
  VectorIndex& operator=(const VectorIndex&) = delete;

  // Adds vector (dim floats) under label, or replaces the vector of an existing label (which
  // also undoes its removal). InvalidInput if the vector has a NaN or infinity; Internal if
  // memory runs out.
  core::Status add(uint64_t label, const float* vector);

  // Removes label from search results (its slot is kept, as hnswlib marks deletions).
  // NotFound if the label is absent or already removed.
  core::Status remove(uint64_t label);

  // The k labels most similar to query (dim floats), best first. A label whose add() has not
  // returned yet may or may not be among them.
  //
  // With a filter, only labels it accepts are returned. (hnswlib 0.6.2 predates its
  // BaseFilterFunctor, so the level-0 walk is ours, after hnswlib 0.7's.) The walk passes
  // through rejected nodes without collecting them and keeps widening until it holds
  // max(ef, k) accepted ones. When, at the selectivity the walk observes, finishing it would
  // cost more than an exact scan of the accepted labels (or the walk has covered a quarter of
  // the graph, or the index has under 4096 slots), the exact scan answers instead. Fewer than k
  // results only when fewer than k live labels pass the filter.
  std::vector<ScoredLabel> search(const float* query, size_t k, const LabelFilter& filter = nullptr) const;

  // The k of `labels` most similar to query, best first, scored exactly on the stored halves:
  // every listed label that is in the index and not removed (unknown ones are skipped; list each
  // once). For a filter keeping few labels that the caller can list: a lookup and a distance a
  // label, instead of a walk through the many labels a filter rejects.
  std::vector<ScoredLabel> search_among(const float* query, size_t k, const std::vector<uint64_t>& labels) const;

  // The beam width of searches (at least k is always used). Higher is better recall, slower.
  void set_ef(size_t ef);
  size_t ef() const { return ef_.load(std::memory_order_relaxed); }

  int dim() const { return dim_; }
  // Live (added and not removed) labels.
  size_t size() const;
  // Slots allocated, live or removed.
  size_t capacity() const;
  // Every live label, in slot order (a label whose add() has not returned may be missing).
  std::vector<uint64_t> labels() const;

  // Writes the index to path atomically: a temporary file beside it, fsync, rename.
  // Internal on any I/O failure (the old file, if any, is left untouched).
  core::Status save(const std::string& path) const;

  // Reads an index written by save(). NotFound if path does not exist; InvalidFormat if the
  // file is truncated, corrupt, or holds vectors of another dimension; Internal on I/O errors
  // or exhausted memory. Never crashes on a bad file: the structure is checked before and
  // after hnswlib reads it.
  static core::Result<std::unique_ptr<VectorIndex>> load(const std::string& path, int dim);

 private:
  struct Loaded {};
  class Space;  // the distance hnswlib uses: 1 - dot, vectorized for the CPU at hand
  VectorIndex(Loaded, int dim, std::unique_ptr<Space> space, std::unique_ptr<hnswlib::HierarchicalNSW<float>> hnsw);

  using Hnsw = hnswlib::HierarchicalNSW<float>;
  struct Candidate;

  core::Status add_exclusive(uint64_t label, const void* vector);  // vector in the stored form
  void grow_slots(size_t capacity);
  void publish(uint32_t id, uint64_t label);
  std::vector<ScoredLabel> exact_scan(const float* query, size_t k, const LabelFilter& filter) const;

  const int dim_;
  std::unique_ptr<Space> space_;  // immutable after construction
  std::atomic<size_t> ef_{kDefaultEf};

  // Lock order: writers_ before mu_.
  // writers_: shared by add() and remove(), exclusive by save(), so a save sees no edits while
  // searches go on.
  mutable std::shared_mutex writers_;
  // mu_: exclusive to resize hnsw_ (and the slot arrays), to update or remove a label; shared
  // by search, save and the add of a new label. Within shared holders, hnswlib's own mutexes
  // (cur_element_count_guard_, link_list_locks_, global) order the graph edits.
  mutable std::shared_mutex mu_;
  std::unique_ptr<Hnsw> hnsw_;  // GUARDED_BY(mu_) as described

  // A compact copy of each hnswlib slot's label and state, for the exact scan and the filter
  // (hnswlib keeps them inside ~2 kB records, a cache miss each). state_[i] is kEmpty until
  // slot i is fully written (release, after label_[i]), then kLive or kRemoved; so a scan never
  // reads a slot a concurrent add has claimed but not yet filled. Reallocated under mu_
  // exclusive; elements are written by the one add that owns the slot (mu_ shared) or under
  // mu_ exclusive (update, remove).
  static constexpr uint8_t kEmpty = 0, kLive = 1, kRemoved = 2;
  std::unique_ptr<std::atomic<uint8_t>[]> state_;  // GUARDED_BY(mu_)
  std::unique_ptr<uint64_t[]> label_;              // GUARDED_BY(mu_)
  size_t slots_capacity_ = 0;                      // GUARDED_BY(mu_)

  // The walk's copy of each slot's vector: dim 8-bit codes (code_stride_ bytes a slot, whole
  // cache lines) and a scale, so that scale * code ~ the stored half. A walk reads half the
  // bytes the halves would cost it; its best candidates are then scored on the halves. Derived from the stored halves (never saved; rebuilt on load). code_scale_[i]
  // is 0 until slot i's codes are written (release, before its state_), and a walk scores such
  // a slot on its half. Same guards as label_.
  struct FreeBlock {
    void operator()(void* p) const;
  };
  void write_codes(uint32_t id);
  size_t code_stride_ = 0;
  std::unique_ptr<int8_t[], FreeBlock> codes_;        // GUARDED_BY(mu_)
  std::unique_ptr<std::atomic<float>[]> code_scale_;  // GUARDED_BY(mu_)
};

// Brute-force cosine search over every vector: exact, O(n * dim) per query. The baseline that
// VectorIndex's recall is measured against, and a fine index below a few thousand vectors.
// Thread-safe: searches share a lock; add() and remove() take it exclusively.
class ExactIndex {
 public:
  explicit ExactIndex(int dim);

  // Adds or replaces label's vector. InvalidInput if it has a NaN or infinity.
  core::Status add(uint64_t label, const float* vector);
  // NotFound if the label is absent.
  core::Status remove(uint64_t label);
  // The k best, best first; ties go to the smaller label. Same contract as VectorIndex::search.
  std::vector<ScoredLabel> search(const float* query, size_t k, const LabelFilter& filter = nullptr) const;

  void reserve(size_t n);
  int dim() const { return dim_; }
  size_t size() const;

 private:
  const int dim_;
  mutable std::shared_mutex mu_;
  std::vector<float> vectors_;                  // GUARDED_BY(mu_): slot i at [i * dim_, (i+1) * dim_)
  std::vector<uint64_t> labels_;                // GUARDED_BY(mu_): label of slot i
  std::unordered_map<uint64_t, size_t> slots_;  // GUARDED_BY(mu_): label -> slot
};

}  // namespace docent::engines
