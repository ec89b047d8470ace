#pragma once
// What the vector index reads from and writes to the database: the owners of the chunks it
// indexes, the embeddings of those it must add, and the tombstones deleted chunks leave
// (migration 0011). services/search_index.cpp runs no SQL of its own.

#include "store/database.h"
#include "store/knowledge.h"

#include <cstdint>
#include <string>
#include <vector>

namespace docent::store::chunk_index {

// A chunk with an embedding, without its text or vector.
struct Owner {
  int64_t id = 0;
  std::string account_id, file_id;
};

// Every chunk that has an embedding, in id order.
core::Result<std::vector<Owner>> owners(Tx& tx);
// The chunks among `ids` that still exist, embeddings included (any order; missing ones skipped).
core::Result<std::vector<ChunkRecord>> with_embeddings(Tx& tx, const std::vector<int64_t>& ids);

// The chunk ids deleted since tombstone `after_seq` (exclusive), and the highest tombstone seq
// (`after_seq` when there is none newer).
struct Tombstones {
  std::vector<int64_t> chunk_ids;
  int64_t last_seq = 0;
};
core::Result<Tombstones> tombstones_after(Tx& tx, int64_t after_seq);
// Forgets the tombstones up to and including `seq`.
core::Status prune_tombstones(Tx& tx, int64_t seq);

}  // namespace docent::store::chunk_index
