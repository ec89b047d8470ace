#pragma once
// The authentication generation: one installation-wide number that every write changing what a
// credential resolves to (a key revoked or rotated, an account deleted, its role or plan
// changed) raises in its own transaction. A process caching resolved credentials
// (services/auth_cache.h) compares it with the number it last saw and drops its cache when the
// two differ, so a change committed by another process (the `docent keys` CLI beside a server,
// another replica) is seen on that process's next request.
//
// Kept as the row 'auth_generation' of the `counters` table (no migration: a missing row reads as
// 0 and the first bump creates it).

#include "store/database.h"

namespace docent::store::auth_generation {

// The current generation (0 before the first bump).
core::Result<int64_t> get(Tx& tx);
// Raises the generation by one inside the caller's write transaction and returns the new value.
// The row stays locked until the transaction ends, so concurrent bumps are serialised.
core::Result<int64_t> bump(Tx& tx);

}  // namespace docent::store::auth_generation
