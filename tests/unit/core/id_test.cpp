#include "core/id.h"

#include <gtest/gtest.h>

#include <regex>
#include <set>

namespace docent::core {
namespace {

TEST(Id, UuidV7HasVersionVariantAndTimestamp) {
  std::string id = uuid_v7(0x0190b6e27c3aULL, 0xb1e, 0x3c2a1d4e5f60ULL);
  EXPECT_EQ(id, "0190b6e2-7c3a-7b1e-8000-3c2a1d4e5f60");
}

TEST(Id, NewIdsAreCanonicalUniqueAndSorted) {
  static const std::regex kShape("[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}");
  std::vector<std::string> ids;
  for (int i = 0; i < 20000; ++i) ids.push_back(new_id());
  for (const auto& id : ids) ASSERT_TRUE(std::regex_match(id, kShape)) << id;
  EXPECT_EQ(std::set<std::string>(ids.begin(), ids.end()).size(), ids.size());
  EXPECT_TRUE(std::is_sorted(ids.begin(), ids.end()));
}

TEST(Id, RandomHexHasTheRightLengthAndVaries) {
  EXPECT_EQ(random_hex(16).size(), 32u);
  EXPECT_NE(random_hex(16), random_hex(16));
}

}  // namespace
}  // namespace docent::core
