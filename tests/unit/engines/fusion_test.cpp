#include "engines/fusion.h"

#include <gtest/gtest.h>

#include <vector>

namespace docent::engines {
namespace {

TEST(FusionTest, KnownExample) {
  // Vector search and full-text search agree on 1 and 3, in different orders.
  const std::vector<std::vector<uint64_t>> rankings = {{1, 2, 3}, {3, 1, 4}};
  const auto fused = reciprocal_rank_fusion(rankings, 60, 10);
  ASSERT_EQ(fused.size(), 4u);
  EXPECT_EQ(fused[0].id, 1u);
  EXPECT_DOUBLE_EQ(fused[0].score, 1.0 / 61 + 1.0 / 62);
  EXPECT_EQ(fused[0].ranks, (std::vector<int>{1, 2}));
  EXPECT_EQ(fused[1].id, 3u);
  EXPECT_DOUBLE_EQ(fused[1].score, 1.0 / 63 + 1.0 / 61);
  EXPECT_EQ(fused[1].ranks, (std::vector<int>{3, 1}));
  EXPECT_EQ(fused[2].id, 2u);
  EXPECT_DOUBLE_EQ(fused[2].score, 1.0 / 62);
  EXPECT_EQ(fused[2].ranks, (std::vector<int>{2, 0}));
  EXPECT_EQ(fused[3].id, 4u);
  EXPECT_DOUBLE_EQ(fused[3].score, 1.0 / 63);
  EXPECT_EQ(fused[3].ranks, (std::vector<int>{0, 3}));
}

TEST(FusionTest, LimitKeepsTheBest) {
  const auto fused = reciprocal_rank_fusion({{1, 2, 3}, {3, 1, 4}}, 60, 2);
  ASSERT_EQ(fused.size(), 2u);
  EXPECT_EQ(fused[0].id, 1u);
  EXPECT_EQ(fused[1].id, 3u);
  EXPECT_TRUE(reciprocal_rank_fusion({{1, 2}}, 60, 0).empty());
}

TEST(FusionTest, TiesBreakByBestRankThenId) {
  // 9 and 5 have the same ranks in mirrored lists: equal scores, equal best rank -> smaller id.
  auto fused = reciprocal_rank_fusion({{9, 5}, {5, 9}});
  ASSERT_EQ(fused.size(), 2u);
  EXPECT_EQ(fused[0].score, fused[1].score);
  EXPECT_EQ(fused[0].id, 5u);
  EXPECT_EQ(fused[1].id, 9u);
  // Three lists, same multiset of ranks in different orders: scores are bit-equal.
  fused = reciprocal_rank_fusion({{7, 8, 6}, {8, 6, 7}, {6, 7, 8}});
  ASSERT_EQ(fused.size(), 3u);
  EXPECT_EQ(fused[0].score, fused[2].score);
  EXPECT_EQ(fused[0].id, 6u);
  EXPECT_EQ(fused[1].id, 7u);
  EXPECT_EQ(fused[2].id, 8u);
  // With k = 0, 1/3 + 1/6 == 1/4 + 1/4 == 0.5: equal scores, and the better single rank (3) wins.
  fused = reciprocal_rank_fusion({{0, 0, 20, 10}, {0, 0, 0, 10, 0, 20}}, 0);
  ASSERT_GE(fused.size(), 3u);
  const auto& a = fused[1];
  const auto& b = fused[2];
  ASSERT_EQ(a.score, b.score);
  EXPECT_EQ(a.id, 20u);
  EXPECT_EQ(b.id, 10u);
}

TEST(FusionTest, RepeatsCountOnceAndEmptyInputsAreFine) {
  auto fused = reciprocal_rank_fusion({{4, 4, 4}});
  ASSERT_EQ(fused.size(), 1u);
  EXPECT_DOUBLE_EQ(fused[0].score, 1.0 / 61);
  EXPECT_EQ(fused[0].ranks, (std::vector<int>{1}));
  EXPECT_TRUE(reciprocal_rank_fusion({}).empty());
  EXPECT_TRUE(reciprocal_rank_fusion({{}, {}}).empty());
  fused = reciprocal_rank_fusion({{}, {2}}, -5);  // negative k acts as 0
  ASSERT_EQ(fused.size(), 1u);
  EXPECT_DOUBLE_EQ(fused[0].score, 1.0);
  EXPECT_EQ(fused[0].ranks, (std::vector<int>{0, 1}));
}

}  // namespace
}  // namespace docent::engines
