#include "services/auth_cache.h"

#include "store/auth_generation.h"

#include <algorithm>
#include <functional>

namespace docent::services {

AuthCache::AuthCache(store::Database* db, AuthCacheOptions options) : db_(db) {
  const size_t shards = std::max<size_t>(1, options.shards);
  per_shard_ = std::max<size_t>(1, (std::max<size_t>(1, options.capacity) + shards - 1) / shards);
  for (size_t i = 0; i < shards; ++i) {
    auto s = std::make_unique<Shard>();
    core::WriterLock lock(s->mu);
    s->map.reserve(per_shard_ + 1);  // no rehash while full
    shards_.push_back(std::move(s));
  }
}

AuthCache::Shard& AuthCache::shard_for(std::string_view digest) const {
  // The map hashes the low bits; the shard takes the high ones, so one shard's keys still spread.
  return *shards_[(Hash{}(digest) >> 20) % shards_.size()];
}

core::Status AuthCache::refresh() {
  if (db_ == nullptr) return {};
  core::MutexLock lock(fresh_mu_);
  auto counter = db_->change_counter();
  if (counter && last_counter_ && *counter == *last_counter_ && generation_) return {};
  // Something committed since the last look (or the counter could not be read without waiting):
  // read the generation. Remember the counter first: a commit after this read moves it again.
  if (counter) {
    last_counter_ = *counter;
  } else {
    last_counter_.reset();
  }
  int64_t generation = 0;
  auto st = db_->read([&](store::Tx& tx) -> core::Status {
    auto g = store::auth_generation::get(tx);
    if (!g) return g.error();
    generation = *g;
    return {};
  });
  if (!st) {
    last_counter_.reset();
    generation_.reset();
    clear();
    return st;
  }
  if (!generation_ || *generation_ != generation) {
    if (generation_) clear();  // the first look finds an empty cache
    generation_ = generation;
  }
  return {};
}

core::Result<std::optional<Principal>> AuthCache::resolve(
    std::string_view digest, const std::function<core::Result<std::optional<Principal>>()>& load) {
  if (!refresh()) return load();
  if (auto hit = find(digest)) return hit;
  const uint64_t before = epoch();
  auto loaded = load();
  if (loaded && *loaded) insert(digest, **loaded, before);
  return loaded;
}

std::optional<Principal> AuthCache::find_if_fresh(std::string_view digest) {
  if (db_ != nullptr) {
    if (!fresh_mu_.try_lock()) return std::nullopt;
    auto counter = db_->change_counter();  // never waits (a busy probe is an error)
    const bool fresh = counter && last_counter_ && *counter == *last_counter_ && generation_;
    fresh_mu_.unlock();
    if (!fresh) return std::nullopt;
  }
  return lookup(digest, /*count_miss=*/false);  // the caller resolves a miss next, which counts it
}

std::optional<Principal> AuthCache::find(std::string_view digest) const { return lookup(digest, true); }

std::optional<Principal> AuthCache::lookup(std::string_view digest, bool count_miss) const {
  const Shard& s = shard_for(digest);
  core::ReaderLock lock(s.mu);
  auto it = s.map.find(digest);
  if (it == s.map.end()) {
    if (count_miss) misses_.fetch_add(1, std::memory_order_relaxed);
    return std::nullopt;
  }
  if (!it->second.referenced.load(std::memory_order_relaxed)) {
    it->second.referenced.store(true, std::memory_order_relaxed);
  }
  hits_.fetch_add(1, std::memory_order_relaxed);
  return it->second.principal;
}

void AuthCache::insert(std::string_view digest, const Principal& principal, uint64_t epoch_before_read) {
  Shard& s = shard_for(digest);
  core::WriterLock lock(s.mu);
  // Checked under the shard's lock: an invalidation raises the epoch before it takes the shard
  // locks, so it either refuses this insert or finds and erases its entry.
  if (epoch_.load(std::memory_order_acquire) != epoch_before_read) return;
  std::string key(digest);
  auto it = s.map.find(key);
  if (it != s.map.end()) {
    it->second.principal = principal;
    return;
  }
  while (s.map.size() >= per_shard_) evict_one(s);
  s.map.emplace(std::piecewise_construct, std::forward_as_tuple(key), std::forward_as_tuple(principal));
  s.order.push_back(std::move(key));
}

void AuthCache::evict_one(Shard& s) {
  // Second chance: an entry hit since it was last passed over goes to the back once.
  for (size_t turns = 0; !s.order.empty(); ++turns) {
    std::string key = std::move(s.order.front());
    s.order.pop_front();
    auto it = s.map.find(key);
    if (it == s.map.end()) continue;  // erased by an invalidation; its order slot was left
    if (turns < 2 * per_shard_ && it->second.referenced.exchange(false, std::memory_order_relaxed)) {
      s.order.push_back(std::move(key));
      continue;
    }
    s.map.erase(it);
    return;
  }
  // Only reached when order lost track of entries (never expected): start afresh.
  s.map.clear();
}

template <typename Pred>
void AuthCache::erase_if(const Pred& drop) {
  epoch_.fetch_add(1, std::memory_order_acq_rel);  // before the scan: see insert()
  for (auto& s : shards_) {
    core::WriterLock lock(s->mu);
    std::erase_if(s->map, [&](const auto& kv) { return drop(kv.second.principal); });
    if (s->map.empty()) {
      s->order.clear();
    } else if (s->order.size() > 2 * s->map.size() + 16) {
      std::deque<std::string> kept;  // a loop, not erase_if: the analysis sees the lock here, not in a lambda
      for (auto& k : s->order) {
        if (s->map.count(k)) kept.push_back(std::move(k));
      }
      s->order = std::move(kept);
    }
  }
}

void AuthCache::invalidate_key(std::string_view key_id, int64_t generation) {
  erase_if([&](const Principal& p) { return !p.key_id.empty() && p.key_id == key_id; });
  note_generation(generation);
}

void AuthCache::invalidate_account(std::string_view account_id, int64_t generation) {
  erase_if([&](const Principal& p) { return p.account_id == account_id; });
  note_generation(generation);
}

void AuthCache::clear() {
  erase_if([](const Principal&) { return true; });
  clears_.fetch_add(1, std::memory_order_relaxed);
}

void AuthCache::note_generation(int64_t generation) {
  if (generation <= 0 || db_ == nullptr) return;
  core::MutexLock lock(fresh_mu_);
  // Our own bump, right after the last generation we saw: nobody else's change lies between,
  // and our entries are already gone. Anything else is left for refresh() to find.
  if (generation_ && *generation_ == generation - 1) generation_ = generation;
}

size_t AuthCache::size() const {
  size_t n = 0;
  for (const auto& s : shards_) {
    core::ReaderLock lock(s->mu);
    n += s->map.size();
  }
  return n;
}

AuthCache::Stats AuthCache::stats() const {
  return Stats{hits_.load(std::memory_order_relaxed), misses_.load(std::memory_order_relaxed),
               clears_.load(std::memory_order_relaxed)};
}

}  // namespace docent::services
