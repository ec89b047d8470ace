#include "services/search_index.h"

#include "core/log.h"

#include <boost/json.hpp>

#include <algorithm>
#include <cstring>
#include <fstream>
#include <sstream>
#include <unordered_set>

namespace docent::services {

namespace {

constexpr const char* kIndexFile = "vectors.hnsw";
constexpr const char* kStampFile = "vectors.json";

}  // namespace

SearchIndex::SearchIndex(store::Database& db, engines::Embedder& embedder, std::filesystem::path dir)
    : db_(db), embedder_(embedder), dir_(std::move(dir)) {}

SearchIndex::~SearchIndex() = default;

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
  std::error_code ec;
  std::filesystem::create_directories(dir_, ec);
  // The stamp says which database state the saved index reflects.
  int64_t max_id = 0, count = 0;
  auto st = db_.read([&](store::Tx& tx) -> core::Status {
    auto m = store::chunks::max_id(tx);
    if (!m) return m.error();
    auto c = store::chunks::count(tx);
    if (!c) return c.error();
    max_id = *m;
    count = *c;
    return {};
  });
  if (!st) return st;
  std::ifstream stamp_in(dir_ / kStampFile);
  if (stamp_in) {
    std::stringstream ss;
    ss << stamp_in.rdbuf();
    boost::system::error_code jec;
    auto stamp = boost::json::parse(ss.str(), jec);
    if (!jec && stamp.is_object() && stamp.as_object().contains("max_id") &&
        stamp.at("max_id") == max_id && stamp.at("count") == count && stamp.at("dimensions") == embedder_.dimensions() &&
        stamp.at("model") == boost::json::value(embedder_.model())) {
      auto loaded = engines::VectorIndex::load((dir_ / kIndexFile).string(), embedder_.dimensions());
      if (loaded) {
        std::unique_lock lock(mu_);
        if (install_locked(std::move(*loaded))) {
          core::log::info("vector index loaded", {{"chunks", static_cast<int64_t>(meta_.size())}});
          return {};
        }
      } else {
        core::log::warn("saved vector index unusable; rebuilding", {{"error", loaded.error().message}});
      }
    }
  }
  return rebuild();
}

// Reading the owners needs no embeddings, so it is cheap next to a rebuild.
core::Status SearchIndex::install_locked(std::unique_ptr<engines::VectorIndex> index) {
  index_ = std::move(index);
  clear_meta_locked();
  auto st = db_.read([&](store::Tx& tx) -> core::Status {
    auto r = tx.query("SELECT id, account_id, file_id FROM chunks WHERE embedding IS NOT NULL");
    if (!r) return r.error();
    for (const auto& row : *r) set_meta_locked(row.get_int(0), row.get_text(1), row.get_text(2));
    return {};
  });
  if (!st) clear_meta_locked();
  return st;
}

core::Status SearchIndex::adopt(std::unique_ptr<engines::VectorIndex> index) {
  std::unique_lock lock(mu_);
  if (!index || index->dim() != embedder_.dimensions()) {
    return core::Error(core::Code::InvalidInput, "the vector index does not match the embedder's dimensions");
  }
  auto st = install_locked(std::move(index));
  dirty_ = true;
  return st;
}

core::Status SearchIndex::rebuild() {
  auto started = std::chrono::steady_clock::now();
  std::unique_lock lock(mu_);
  index_ = std::make_unique<engines::VectorIndex>(embedder_.dimensions(), 1024, kGraphDegree);
  clear_meta_locked();
  int64_t after = 0;
  const size_t dim = static_cast<size_t>(embedder_.dimensions());
  while (true) {
    std::vector<store::ChunkRecord> page;
    auto st = db_.read([&](store::Tx& tx) -> core::Status {
      auto r = store::chunks::page_after(tx, after, 2000);
      if (!r) return r.error();
      page = std::move(*r);
      return {};
    });
    if (!st) return st;
    if (page.empty()) break;
    for (const auto& c : page) {
      after = c.id;
      if (c.embedding.size() != dim * sizeof(float)) continue;  // another embedder's vectors: skipped
      auto v = from_bytes(c.embedding);
      add_locked(c.id, c.account_id, c.file_id, v.data());
    }
  }
  dirty_ = true;
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  core::log::info("vector index rebuilt", {{"chunks", static_cast<int64_t>(meta_.size())}, {"seconds", secs}});
  lock.unlock();
  return save();
}

core::Status SearchIndex::add(const std::vector<store::ChunkRecord>& chunks) {
  const size_t bytes = static_cast<size_t>(embedder_.dimensions()) * sizeof(float);
  std::unique_lock lock(mu_);
  for (const auto& c : chunks) {
    if (c.embedding.size() != bytes) continue;
    auto v = from_bytes(c.embedding);
    add_locked(c.id, c.account_id, c.file_id, v.data());
  }
  dirty_ = true;
  return {};
}

void SearchIndex::remove_file(const std::string& file_id) {
  std::unique_lock lock(mu_);
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
  std::shared_lock lock(mu_);
  std::vector<std::pair<int64_t, float>> out;
  if (!index_ || meta_.empty() || query.size() != static_cast<size_t>(embedder_.dimensions())) return out;
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
  auto filter = [&](uint64_t label) {
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
  std::shared_lock lock(mu_);
  return owns_every_chunk_locked(account_id);
}

core::Status SearchIndex::save() {
  std::unique_lock lock(mu_);
  if (!dirty_ || !index_) return {};
  int64_t max_id = 0;
  for (const auto& [id, _] : meta_) max_id = std::max(max_id, id);
  int64_t count = 0;
  auto st = db_.read([&](store::Tx& tx) -> core::Status {
    auto m = store::chunks::max_id(tx);
    if (!m) return m.error();
    auto c = store::chunks::count(tx);
    if (!c) return c.error();
    max_id = *m;
    count = *c;
    return {};
  });
  if (!st) return st;
  if (auto saved = index_->save((dir_ / kIndexFile).string()); !saved) return saved;
  boost::json::object stamp{{"max_id", max_id}, {"count", count}, {"dimensions", embedder_.dimensions()},
                            {"model", embedder_.model()}};
  auto tmp = dir_ / (std::string(kStampFile) + ".tmp");
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << boost::json::serialize(stamp);
    if (!out) return core::Error(core::Code::Internal, "cannot write " + tmp.string());
  }
  std::error_code ec;
  std::filesystem::rename(tmp, dir_ / kStampFile, ec);
  if (ec) return core::Error(core::Code::Internal, "cannot save vector index stamp: " + ec.message());
  dirty_ = false;
  return {};
}

size_t SearchIndex::size() const {
  std::shared_lock lock(mu_);
  return meta_.size();
}

}  // namespace docent::services
