#pragma once
// The authentication cache: presented credential -> the Principal it resolved to, so that a
// request with a known API key or device id costs a digest and a hash lookup instead of a
// database read transaction (two indexed SELECTs).
//
// Keys are the credential's lookup digest (Secrets::digest, an HMAC under the master key), never
// the plain credential. Only successful resolutions are cached; a refused credential is looked
// up again every time (a key created or a device registered a moment later must work at once).
//
// Entries are invalidated, never left to expire:
//
//   * In this process, exactly: every write that changes what a credential resolves to calls
//     one of the invalidate_* functions below after its transaction commits and before it
//     returns. From then on no request can be answered from the old entry, and a request that
//     read the database before the write and is about to insert its (now stale) result is
//     refused by the epoch check (insert()).
//   * Across processes (the `docent keys`/`docent accounts` CLI beside a served folder, and later
//     replicas on one PostgreSQL database): the same writes raise the database's authentication
//     generation in their own transaction (store/auth_generation.h). Before answering from the
//     cache, refresh() asks the database's change counter (Database::change_counter, SQLite's
//     PRAGMA data_version: no table read) whether anything committed since it last looked, and
//     only then reads the generation; a generation it did not produce itself clears the cache.
//     So a key revoked by another process is refused on this process's next request.
//
// For writers (other services; the merger wires new ones here):
//
//   // inside the write transaction that changes an account's role, plan, tier, or a credential:
//   auto generation = store::auth_generation::bump(tx);   // other processes see it
//   // after the transaction committed, before returning to the caller:
//   cache->invalidate_account(account_id, generation);   // or invalidate_key(key_id, ...)
//
// The generation argument lets this process keep the rest of its cache: the change counter moves
// on the process's own commit, and a generation the cache was told about is not taken as another
// process's change. Pass 0 (or call clear()) when unsure: that only costs misses.
//
// Thread-safe. Lookups take one shard's lock shared (readers never block each other) and the
// freshness check's mutex for the time of one PRAGMA.

#include "core/thread_annotations.h"
#include "services/principal.h"
#include "store/database.h"

#include <atomic>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace docent::services {

struct AuthCacheOptions {
  size_t capacity = 20000;  // entries in all; the least recently hit go first beyond it
  size_t shards = 16;
};

class AuthCache {
 public:
  // `db` is asked for its change counter and generation (refresh()); null: no other process
  // writes (unit tests), refresh() is a no-op.
  explicit AuthCache(store::Database* db, AuthCacheOptions options = {});
  AuthCache(const AuthCache&) = delete;
  AuthCache& operator=(const AuthCache&) = delete;

  // Brings the cache up to date with writes other processes committed: cheap when nothing was
  // committed since the last call. Call before find(). An error leaves the cache cleared.
  core::Status refresh();

  // refresh(), then the principal cached for `digest`, or else `load()`'s answer, cached when it
  // found one. A failed refresh() answers from `load()` alone.
  core::Result<std::optional<Principal>> resolve(std::string_view digest,
                                                 const std::function<core::Result<std::optional<Principal>>()>& load);

  // The principal cached for `digest`, if any (no refresh()).
  std::optional<Principal> find(std::string_view digest) const;

  // For a caller that must not wait (a network thread): the principal cached for `digest` when
  // the cache is known to be up to date — nothing committed since the last refresh(), asked
  // without waiting for another thread's probe — and nullopt otherwise (a miss, a stale cache,
  // or a busy probe). nullopt means "ask resolve() where waiting is allowed", never "refused".
  std::optional<Principal> find_if_fresh(std::string_view digest);

  // The value to hand back to insert(): read it before the database read that resolves a miss.
  uint64_t epoch() const { return epoch_.load(std::memory_order_acquire); }
  // Caches `principal` for `digest` unless an invalidation ran since `epoch_before_read` (the
  // database read may have seen the state before it).
  void insert(std::string_view digest, const Principal& principal, uint64_t epoch_before_read);

  // Drops every entry of the key / account (at once; before the writer returns). `generation`:
  // the value store::auth_generation::bump returned in the write's transaction, 0 if none.
  void invalidate_key(std::string_view key_id, int64_t generation = 0);
  void invalidate_account(std::string_view account_id, int64_t generation = 0);
  void clear();

  size_t size() const;
  size_t capacity() const { return per_shard_ * shards_.size(); }

  struct Stats {
    uint64_t hits = 0, misses = 0, clears = 0;
  };
  Stats stats() const;

 private:
  struct Entry {
    explicit Entry(Principal p) : principal(std::move(p)) {}
    Principal principal;
    mutable std::atomic<bool> referenced{false};  // set by hits; second chance on eviction
  };
  struct Hash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  struct Shard {
    mutable core::SharedMutex mu;
    std::unordered_map<std::string, Entry, Hash, std::equal_to<>> map GUARDED_BY(mu);
    std::deque<std::string> order GUARDED_BY(mu);  // insertion order, for eviction
  };

  Shard& shard_for(std::string_view digest) const;
  std::optional<Principal> lookup(std::string_view digest, bool count_miss) const;
  template <typename Pred>
  void erase_if(const Pred& drop);
  void evict_one(Shard& s) REQUIRES(s.mu);
  void note_generation(int64_t generation);

  store::Database* db_;
  size_t per_shard_;
  std::vector<std::unique_ptr<Shard>> shards_;  // fixed after construction
  std::atomic<uint64_t> epoch_{1};
  mutable std::atomic<uint64_t> hits_{0}, misses_{0}, clears_{0};

  core::Mutex fresh_mu_;  // the change counter and generation last seen
  std::optional<int64_t> last_counter_ GUARDED_BY(fresh_mu_);
  std::optional<int64_t> generation_ GUARDED_BY(fresh_mu_);
};

}  // namespace docent::services
