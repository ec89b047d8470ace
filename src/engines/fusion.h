#pragma once
// Reciprocal rank fusion: merging ranked lists from different retrievers (vector search,
// full-text search) into one ranking without comparing their incomparable scores.

#include <cstddef>
#include <cstdint>
#include <limits>
#include <vector>

namespace docent::engines {

struct Fused {
  uint64_t id = 0;
  double score = 0;        // sum over rankings of 1 / (k + rank)
  std::vector<int> ranks;  // ranks[i]: 1-based rank of id in rankings[i], 0 when absent
};

// Standard RRF (Cormack et al. 2009): each ranking contributes 1 / (k + rank) for every id in
// it, ranks counting from 1; an id repeated within one ranking counts once, at its best rank.
// The result is ordered by score (highest first), ties broken by the best single rank, then by
// the smaller id, and holds at most limit entries. A negative k is treated as 0.
std::vector<Fused> reciprocal_rank_fusion(const std::vector<std::vector<uint64_t>>& rankings, int k = 60,
                                          size_t limit = std::numeric_limits<size_t>::max());

}  // namespace docent::engines
