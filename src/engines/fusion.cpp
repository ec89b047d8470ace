#include "engines/fusion.h"

#include <algorithm>
#include <unordered_map>

namespace docent::engines {

std::vector<Fused> reciprocal_rank_fusion(const std::vector<std::vector<uint64_t>>& rankings, int k, size_t limit) {
  k = std::max(k, 0);
  std::vector<Fused> fused;
  std::unordered_map<uint64_t, size_t> index;  // id -> position in fused
  for (size_t list = 0; list < rankings.size(); ++list) {
    const auto& ranking = rankings[list];
    for (size_t r = 0; r < ranking.size(); ++r) {
      const uint64_t id = ranking[r];
      auto [it, inserted] = index.try_emplace(id, fused.size());
      if (inserted) fused.push_back({id, 0.0, std::vector<int>(rankings.size(), 0)});
      int& rank = fused[it->second].ranks[list];
      if (rank == 0) rank = static_cast<int>(r + 1);
    }
  }

  // Summing the contributions in rank order makes equal rank multisets give bit-equal scores,
  // so ties are exact and fall through to the tie-breakers.
  std::vector<int> sorted;
  auto best_rank = [](const Fused& f) {
    int best = std::numeric_limits<int>::max();
    for (int r : f.ranks) {
      if (r > 0) best = std::min(best, r);
    }
    return best;
  };
  for (size_t i = 0; i < fused.size(); ++i) {
    auto& f = fused[i];
    sorted.clear();
    for (int r : f.ranks) {
      if (r > 0) sorted.push_back(r);
    }
    std::sort(sorted.begin(), sorted.end());
    double score = 0;
    for (int r : sorted) score += 1.0 / (static_cast<double>(k) + r);
    f.score = score;
  }

  auto before = [&](const Fused& a, const Fused& b) {
    if (a.score != b.score) return a.score > b.score;
    const int ra = best_rank(a), rb = best_rank(b);
    if (ra != rb) return ra < rb;
    return a.id < b.id;
  };
  if (limit < fused.size()) {
    std::partial_sort(fused.begin(), fused.begin() + static_cast<std::ptrdiff_t>(limit), fused.end(), before);
    fused.resize(limit);
  } else {
    std::sort(fused.begin(), fused.end(), before);
  }
  return fused;
}

}  // namespace docent::engines
