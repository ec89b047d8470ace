#include "services/search_index.h"

#include "core/log.h"
#include "store/chunk_index.h"

#include <fcntl.h>
#include <unistd.h>

#include <boost/json.hpp>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <unordered_set>

namespace docent::services {

namespace {

constexpr const char* kIndexFile = "vectors.hnsw";
constexpr const char* kStampFile = "vectors.json";

// Writes `text` to `path` so that a crash leaves either the old file or the new one: a temporary
// file beside it, fsync, rename, fsync of the folder.
core::Status write_durably(const std::filesystem::path& path, const std::string& text) {
  const std::string tmp = path.string() + ".tmp";
  auto fail = [&](const std::string& what) {
    const int err = errno;
    ::unlink(tmp.c_str());
    return core::Status(core::Error(core::Code::Internal, what + " " + tmp + ": " + std::strerror(err)));
  };
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return fail("cannot create");
  size_t written = 0;
  while (written < text.size()) {
    const ssize_t n = ::write(fd, text.data() + written, text.size() - written);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      ::close(fd);
      return fail("cannot write");
    }
    written += static_cast<size_t>(n);
  }
  if (::fsync(fd) != 0) {
    ::close(fd);
    return fail("cannot fsync");
  }
  ::close(fd);
  if (::rename(tmp.c_str(), path.c_str()) != 0) return fail("cannot rename");
  const int dir = ::open(path.parent_path().c_str(), O_DIRECTORY | O_RDONLY | O_CLOEXEC);
  if (dir >= 0) {
    ::fsync(dir);
    ::close(dir);
  }
  return {};
}

}  // namespace

SearchIndex::SearchIndex(store::Database& db, engines::Embedder& embedder, std::filesystem::path dir)
    : db_(db), embedder_(embedder), dir_(std::move(dir)) {}

SearchIndex::~SearchIndex() { stop(); }

std::string SearchIndex::to_bytes(const std::vector<float>& v) {
  std::string out(v.size() * sizeof(float), '\0');
  std::memcpy(out.data(), v.data(), out.size());
  return out;
}

std::vector<float> SearchIndex::from_bytes(std::string_view bytes) {
  std::vector<float> v(bytes.size() / sizeof(float));
  std::memcpy(v.data(), bytes.data(), v.size() * sizeof(float));
  return v;
}

void SearchIndex::add_locked(int64_t id, const std::string& account_id, const std::string& file_id, const float* v) {
  if (auto st = index_->add(static_cast<uint64_t>(id), v); !st) {
    core::log::warn("vector not indexed", {{"chunk", id}, {"error", st.error().message}});
    return;
  }
  set_meta_locked(id, account_id, file_id);
}

uint32_t SearchIndex::intern_locked(const std::string& name) {
  auto [it, inserted] = name_numbers_.try_emplace(name, static_cast<uint32_t>(names_.size()));
  if (inserted) names_.push_back(name);
  return it->second;
}

uint32_t SearchIndex::find_name_locked(const std::string& name) const {
  auto it = name_numbers_.find(name);
  return it == name_numbers_.end() ? kUnknownName : it->second;
}

void SearchIndex::set_meta_locked(int64_t id, const std::string& account_id, const std::string& file_id) {
  const Meta meta{intern_locked(account_id), intern_locked(file_id)};
  auto [it, inserted] = meta_.try_emplace(id, meta);
  if (!inserted) {
    if (--chunks_of_account_[it->second.account] == 0) chunks_of_account_.erase(it->second.account);
    it->second = meta;
  }
  ++chunks_of_account_[meta.account];
  labels_of_file_[meta.file].push_back(id);
}

void SearchIndex::clear_meta_locked() {
  meta_.clear();
  names_.clear();
  name_numbers_.clear();
  labels_of_file_.clear();
  chunks_of_account_.clear();
}

size_t SearchIndex::ef_for(size_t chunks) {
  // bench/search tunes ef until recall@10 against an exact scan reaches 0.95 on HashedEmbedder
  // vectors (M = 32): 256 at 100k chunks, 2048 at 1M. The power of two at or above n / 500
  // gives both, and the default below 32k chunks, where searching is cheap anyway.
  size_t ef = engines::VectorIndex::kDefaultEf;
  while (ef < chunks / 500 && ef < 4096) ef *= 2;
  return ef;
}

core::Status SearchIndex::open() {
  const auto started = std::chrono::steady_clock::now();
  std::error_code ec;
  std::filesystem::create_directories(dir_, ec);
  phase_ = Phase::Loading;
  auto index = load_checkpoint();
  const bool from_checkpoint = index != nullptr;
  if (!index) index = std::make_unique<engines::VectorIndex>(embedder_.dimensions(), 1024, kGraphDegree);
  size_t removed = 0;
  auto missing = reconcile(std::move(index), from_checkpoint, removed);
  if (!missing) {
    phase_ = Phase::Failed;
    core::MutexLock lock(failure_mu_);
    failure_ = missing.error().message;
    return missing.error();
  }
  replay_total_ = missing->size();
  replay_done_ = 0;
  phase_ = from_checkpoint ? Phase::Replaying : Phase::Rebuilding;
  if (auto st = replay(*missing); !st) return st;
  ready_.store(true, std::memory_order_release);
  phase_ = Phase::Ready;
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  core::log::info(from_checkpoint ? "vector index loaded" : "vector index rebuilt",
                  {{"chunks", static_cast<int64_t>(size())},
                   {"replayed", static_cast<int64_t>(missing->size())},
                   {"removed", static_cast<int64_t>(removed)},
                   {"seconds", secs}});
  return save();
}

std::unique_ptr<engines::VectorIndex> SearchIndex::load_checkpoint() {
  std::ifstream stamp_in(dir_ / kStampFile);
  if (!stamp_in) return nullptr;
  std::stringstream ss;
  ss << stamp_in.rdbuf();
  boost::system::error_code jec;
  auto stamp = boost::json::parse(ss.str(), jec);
  // The stamp names the embedder whose vectors the checkpoint holds; another one's are useless.
  if (jec || !stamp.is_object() || !stamp.as_object().contains("dimensions") || !stamp.as_object().contains("model") ||
      stamp.at("dimensions") != embedder_.dimensions() || stamp.at("model") != boost::json::value(embedder_.model())) {
    core::log::info("no vector index checkpoint for this embedder; rebuilding");
    return nullptr;
  }
  auto loaded = engines::VectorIndex::load((dir_ / kIndexFile).string(), embedder_.dimensions());
  if (!loaded) {
    core::log::warn("vector index checkpoint unusable; rebuilding", {{"error", loaded.error().message}});
    return nullptr;
  }
  return std::move(*loaded);
}

// Reads the owners of every embedded chunk (no embeddings: cheap next to a rebuild) and the
// tombstones, installs `index` and marks as indexed the chunks it holds. A tombstoned label the
// database holds again may carry the deleted chunk's vector, so it is removed and re-added.
core::Result<std::vector<int64_t>> SearchIndex::reconcile(std::unique_ptr<engines::VectorIndex> index,
                                                          bool from_checkpoint, size_t& removed) {
  std::vector<store::chunk_index::Owner> owners;
  store::chunk_index::Tombstones tombstones;
  auto st = db_.read([&](store::Tx& tx) -> core::Status {
    auto o = store::chunk_index::owners(tx);
    if (!o) return o.error();
    owners = std::move(*o);
    auto t = store::chunk_index::tombstones_after(tx, 0);
    if (!t) return t.error();
    tombstones = std::move(*t);
    return {};
  });
  if (!st) return st.error();
  std::vector<int64_t> missing;
  core::WriterLock lock(mu_);
  index_ = std::move(index);
  // Adds and removals made before this point found no index; the database has them.
  clear_meta_locked();
  std::unordered_set<uint64_t> held;
  if (from_checkpoint) {
    auto labels = index_->labels();
    held.insert(labels.begin(), labels.end());
  }
  const std::unordered_set<int64_t> tombstoned(tombstones.chunk_ids.begin(), tombstones.chunk_ids.end());
  for (const auto& o : owners) {
    if (held.erase(static_cast<uint64_t>(o.id)) && !tombstoned.count(o.id)) {
      set_meta_locked(o.id, o.account_id, o.file_id);
      continue;
    }
    missing.push_back(o.id);
  }
  for (uint64_t gone : held) (void)index_->remove(gone);
  for (int64_t id : tombstones.chunk_ids) (void)index_->remove(static_cast<uint64_t>(id));  // re-added if held
  removed = held.size();
  applied_tombstones_ = tombstones.last_seq;
  dirty_ = !from_checkpoint || removed > 0 || !missing.empty();
  return missing;
}

// Adds the chunks `ids` from their stored embeddings, a page at a time, on every core: each
// thread adds a few vectors to the graph holding the lock shared (new labels add concurrently),
// then records their owners holding it exclusively, so adds and removals of the running server
// interleave. A chunk the server deletes between the page's read and its add can stay in the
// graph until the next start; searches never show it (hits are read back from the database).
core::Status SearchIndex::replay(const std::vector<int64_t>& ids) {
  constexpr size_t kPage = 2000, kBatch = 32;
  const size_t dim = static_cast<size_t>(embedder_.dimensions());
  // One thread when pausing (tests), so that progress moves a chunk at a time.
  const unsigned threads = options_.replay_pause.count() > 0 ? 1u
                                                             : std::clamp(std::thread::hardware_concurrency(), 1u, 8u);
  auto pause = [&] {
    if (options_.replay_pause.count() <= 0) return;
    core::MutexLock lock(thread_mu_);
    wake_.wait_for(lock, options_.replay_pause, [&] { return stopping_.load(); });
  };
  for (size_t at = 0; at < ids.size() && !stopping_.load(); at += kPage) {
    const std::vector<int64_t> page_ids(ids.begin() + static_cast<std::ptrdiff_t>(at),
                                        ids.begin() + static_cast<std::ptrdiff_t>(std::min(ids.size(), at + kPage)));
    std::vector<store::ChunkRecord> page;
    auto st = db_.read([&](store::Tx& tx) -> core::Status {
      auto r = store::chunk_index::with_embeddings(tx, page_ids);
      if (!r) return r.error();
      page = std::move(*r);
      return {};
    });
    if (!st) return st;
    std::atomic<size_t> next{0};
    auto work = [&] {
      std::vector<const store::ChunkRecord*> added;
      while (!stopping_.load()) {
        const size_t begin = next.fetch_add(kBatch);
        if (begin >= page.size()) break;
        const size_t end = std::min(page.size(), begin + kBatch);
        added.clear();
        {
          core::ReaderLock lock(mu_);
          for (size_t i = begin; i < end; ++i) {
            const auto& c = page[i];
            // Another embedder's vectors are skipped; a chunk add() indexed meanwhile is done.
            if (c.embedding.size() != dim * sizeof(float) || meta_.count(c.id)) continue;
            const auto v = from_bytes(c.embedding);
            if (auto added_ok = index_->add(static_cast<uint64_t>(c.id), v.data()); !added_ok) {
              core::log::warn("vector not indexed", {{"chunk", c.id}, {"error", added_ok.error().message}});
              continue;
            }
            added.push_back(&c);
          }
        }
        {
          core::WriterLock lock(mu_);
          for (const auto* c : added) {
            if (!meta_.count(c->id)) set_meta_locked(c->id, c->account_id, c->file_id);
          }
          dirty_ = true;
        }
        for (size_t i = begin; i < end && !stopping_.load(); ++i) {
          ++replay_done_;
          pause();
        }
      }
    };
    std::vector<std::thread> helpers;
    for (unsigned t = 1; t < threads; ++t) helpers.emplace_back(work);
    work();
    for (auto& h : helpers) h.join();
  }
  if (stopping_.load()) {
    core::log::info("vector index replay stopped", {{"replayed", static_cast<int64_t>(replay_done_.load())},
                                                    {"of", static_cast<int64_t>(replay_total_.load())}});
    return core::Error(core::Code::ServiceUnavailable, "stopped while the vector index was being replayed");
  }
  return {};
}

void SearchIndex::start(SearchIndexOptions options) {
  options_ = options;
  thread_ = std::thread([this] { run(); });
}

void SearchIndex::run() {
  if (auto st = open(); !st) {
    if (stopping_.load()) return;
    phase_ = Phase::Failed;
    {
      core::MutexLock lock(failure_mu_);
      failure_ = st.error().message;
    }
    core::log::error("vector index not opened; searches are full text only", {{"error", st.error().message}});
    return;
  }
  core::MutexLock lock(thread_mu_);
  while (!wake_.wait_for(lock, options_.checkpoint_interval, [&] { return stopping_.load(); })) {
    lock.unlock();
    if (auto st = save(); !st) core::log::warn("vector index checkpoint failed", {{"error", st.error().message}});
    lock.lock();
  }
}

void SearchIndex::stop() {
  {
    core::MutexLock lock(thread_mu_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

core::Status SearchIndex::health() const {
  const size_t done = replay_done_.load(), total = replay_total_.load();
  const std::string progress = std::to_string(done) + " of " + std::to_string(total) + " chunks";
  switch (phase_.load()) {
    case Phase::Ready: return {};
    case Phase::Closed:
    case Phase::Loading:
      return core::Error(core::Code::ServiceUnavailable,
                         "rebuilding: loading the checkpoint; searches are full text only");
    case Phase::Replaying:
      return core::Error(core::Code::ServiceUnavailable, "rebuilding: replaying changes since the checkpoint, " +
                                                             progress + "; searches are full text only");
    case Phase::Rebuilding:
      return core::Error(core::Code::ServiceUnavailable,
                         "rebuilding: no checkpoint, " + progress + "; searches are full text only");
    case Phase::Failed: {
      core::MutexLock lock(failure_mu_);
      return core::Error(core::Code::ServiceUnavailable, "failed: " + failure_ + "; searches are full text only");
    }
  }
  return {};
}

// Reading the owners needs no embeddings, so it is cheap next to a rebuild.
core::Status SearchIndex::install_locked(std::unique_ptr<engines::VectorIndex> index) {
  index_ = std::move(index);
  clear_meta_locked();
  auto st = db_.read([&](store::Tx& tx) REQUIRES(mu_) -> core::Status {  // runs here, under the lock
    auto owners = store::chunk_index::owners(tx);
    if (!owners) return owners.error();
    for (const auto& o : *owners) set_meta_locked(o.id, o.account_id, o.file_id);
    auto t = store::chunk_index::tombstones_after(tx, 0);
    if (!t) return t.error();
    applied_tombstones_ = t->last_seq;
    return {};
  });
  if (!st) clear_meta_locked();
  return st;
}

core::Status SearchIndex::adopt(std::unique_ptr<engines::VectorIndex> index) {
  core::WriterLock lock(mu_);
  if (!index || index->dim() != embedder_.dimensions()) {
    return core::Error(core::Code::InvalidInput, "the vector index does not match the embedder's dimensions");
  }
  auto st = install_locked(std::move(index));
  dirty_ = true;
  if (st) {
    ready_.store(true, std::memory_order_release);
    phase_ = Phase::Ready;
  }
  return st;
}

core::Status SearchIndex::add(const std::vector<store::ChunkRecord>& chunks) {
  const size_t bytes = static_cast<size_t>(embedder_.dimensions()) * sizeof(float);
  core::WriterLock lock(mu_);
  if (!index_) return {};  // open() has not begun matching the database yet: it will find them there
  for (const auto& c : chunks) {
    if (c.embedding.size() != bytes) continue;
    auto v = from_bytes(c.embedding);
    add_locked(c.id, c.account_id, c.file_id, v.data());
  }
  dirty_ = true;
  return {};
}

void SearchIndex::remove_file(const std::string& file_id) {
  core::WriterLock lock(mu_);
  auto it = labels_of_file_.find(find_name_locked(file_id));
  if (it == labels_of_file_.end()) return;
  for (int64_t id : it->second) {
    auto m = meta_.find(id);
    // A label re-added under another file since belongs to that file now.
    if (m == meta_.end() || m->second.file != it->first) continue;
    (void)index_->remove(static_cast<uint64_t>(id));  // a label already gone is fine
    if (--chunks_of_account_[m->second.account] == 0) chunks_of_account_.erase(m->second.account);
    meta_.erase(m);
  }
  labels_of_file_.erase(it);
  dirty_ = true;
}

std::vector<std::pair<int64_t, float>> SearchIndex::search(const std::vector<float>& query, size_t k,
                                                           const std::string& account_id,
                                                           const std::vector<std::string>* files) {
  core::ReaderLock lock(mu_);
  std::vector<std::pair<int64_t, float>> out;
  if (!ready() || !index_ || meta_.empty() || query.size() != static_cast<size_t>(embedder_.dimensions())) return out;
  if (const size_t ef = ef_for(meta_.size()); index_->ef() != ef) index_->set_ef(ef);
  const uint32_t account = find_name_locked(account_id);
  if (account == kUnknownName) return out;  // no chunk of this account is indexed
  std::unordered_set<uint32_t> allowed;
  if (files) {
    for (const auto& f : *files) {
      if (const uint32_t n = find_name_locked(f); n != kUnknownName) allowed.insert(n);
    }
    if (allowed.empty()) return out;
  }
  auto filter = [&](uint64_t label) REQUIRES_SHARED(mu_) {
    auto it = meta_.find(static_cast<int64_t>(label));
    if (it == meta_.end() || it->second.account != account) return false;
    return !files || allowed.count(it->second.file) > 0;
  };
  if (files) {
    // A filter keeping few chunks (a question about one document): score exactly those, a
    // lookup and a distance each. The walk would pass through the many chunks the filter
    // rejects before it held enough accepted ones (at 1M chunks, ~20 ms for one file's 100).
    size_t listed = 0;
    for (uint32_t f : allowed) {
      if (auto it = labels_of_file_.find(f); it != labels_of_file_.end()) listed += it->second.size();
    }
    if (listed <= std::max(kScoredDirectlyAtMost, meta_.size() / 50)) {
      std::vector<uint64_t> labels;
      labels.reserve(listed);
      for (uint32_t f : allowed) {
        auto it = labels_of_file_.find(f);
        if (it == labels_of_file_.end()) continue;
        for (int64_t id : it->second) {
          // A label re-added under another file since is listed under both: the meta decides.
          auto m = meta_.find(id);
          if (m != meta_.end() && m->second.file == f && m->second.account == account) {
            labels.push_back(static_cast<uint64_t>(id));
          }
        }
      }
      std::sort(labels.begin(), labels.end());
      labels.erase(std::unique(labels.begin(), labels.end()), labels.end());
      for (const auto& [label, score] : index_->search_among(query.data(), k, labels)) {
        out.emplace_back(static_cast<int64_t>(label), score);
      }
      return out;
    }
  }
  // An account that owns every indexed chunk (a single-user server) needs no filter: the walk
  // then skips a lookup per visited node. Its results are still checked.
  const bool owns_all = !files && owns_every_chunk_locked(account_id);
  for (const auto& [label, score] : index_->search(query.data(), k, owns_all ? engines::LabelFilter() : filter)) {
    if (owns_all && !filter(label)) continue;
    out.emplace_back(static_cast<int64_t>(label), score);
  }
  return out;
}

bool SearchIndex::owns_every_chunk_locked(const std::string& account_id) const {
  auto owned = chunks_of_account_.find(find_name_locked(account_id));
  return owned != chunks_of_account_.end() && owned->second == meta_.size();
}

bool SearchIndex::owns_every_chunk(const std::string& account_id) const {
  if (!ready()) return false;  // the chunks indexed so far say nothing of the rest
  core::ReaderLock lock(mu_);
  return owns_every_chunk_locked(account_id);
}

core::Status SearchIndex::save() {
  core::MutexLock saving(save_mu_);
  int64_t applied = 0;
  {
    core::WriterLock lock(mu_);
    if (!dirty_ || !index_) return {};
    dirty_ = false;  // a change from here on is the next checkpoint's
    applied = applied_tombstones_;
  }
  // Tombstones read now whose removals have not reached the index yet are applied at the next
  // start (which re-reads every tombstone not pruned), so pruning only up to `applied` is safe.
  auto fail = [&](core::Status st) {
    core::WriterLock lock(mu_);
    dirty_ = true;
    return st;
  };
  size_t chunks = 0;
  core::Status saved;
  {
    core::ReaderLock lock(mu_);
    chunks = meta_.size();
    saved = index_->save((dir_ / kIndexFile).string());
  }
  if (!saved) return fail(saved);  // fail() takes mu_ exclusively: never while holding it shared
  boost::json::object stamp{{"dimensions", embedder_.dimensions()},
                            {"model", embedder_.model()},
                            {"chunks", static_cast<int64_t>(chunks)}};
  if (auto st = write_durably(dir_ / kStampFile, boost::json::serialize(stamp)); !st) return fail(st);
  auto st = db_.write([&](store::Tx& tx) { return store::chunk_index::prune_tombstones(tx, applied); });
  if (!st) core::log::warn("vector index tombstones not pruned", {{"error", st.error().message}});
  return {};
}

size_t SearchIndex::size() const {
  core::ReaderLock lock(mu_);
  return meta_.size();
}

}  // namespace docent::services
