#include "store/chunk_index.h"

namespace docent::store::chunk_index {

core::Result<std::vector<Owner>> owners(Tx& tx) {
  auto rows = tx.query("SELECT id, account_id, file_id FROM chunks WHERE embedding IS NOT NULL ORDER BY id");
  if (!rows) return rows.error();
  std::vector<Owner> out;
  out.reserve(rows->size());
  for (const auto& r : *rows) out.push_back(Owner{r.get_int(0), r.get_text(1), r.get_text(2)});
  return out;
}

core::Result<std::vector<ChunkRecord>> with_embeddings(Tx& tx, const std::vector<int64_t>& ids) {
  return chunks::by_ids(tx, ids);
}

core::Result<Tombstones> tombstones_after(Tx& tx, int64_t after_seq) {
  auto rows = tx.query("SELECT seq, chunk_id FROM chunk_tombstones WHERE seq > ? ORDER BY seq", {after_seq});
  if (!rows) return rows.error();
  Tombstones out;
  out.last_seq = after_seq;
  for (const auto& r : *rows) {
    out.last_seq = r.get_int(0);
    out.chunk_ids.push_back(r.get_int(1));
  }
  return out;
}

core::Status prune_tombstones(Tx& tx, int64_t seq) {
  return tx.exec("DELETE FROM chunk_tombstones WHERE seq <= ?", {seq});
}

}  // namespace docent::store::chunk_index
