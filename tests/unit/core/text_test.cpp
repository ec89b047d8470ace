#include "core/text.h"

#include <gtest/gtest.h>

namespace docent::core {
namespace {

TEST(Text, LengthCountsCodePointsNotBytes) {
  EXPECT_EQ(utf8_length(""), 0u);
  EXPECT_EQ(utf8_length("abc"), 3u);
  EXPECT_EQ(utf8_length("Tài liệu"), 8u);
  EXPECT_EQ(utf8_length("\xF0\x9F\x98\x80!"), 2u);  // an emoji (4 bytes) and '!'
}

TEST(Text, PrefixNeverCutsACodePoint) {
  EXPECT_EQ(utf8_prefix("abcdef", 3), "abc");
  EXPECT_EQ(utf8_prefix("abc", 10), "abc");
  EXPECT_EQ(utf8_prefix("liệu", 3), "liệ");
  EXPECT_EQ(utf8_prefix("\xF0\x9F\x98\x80!", 1), "\xF0\x9F\x98\x80");
  EXPECT_EQ(utf8_prefix("abc", 0), "");
}

}  // namespace
}  // namespace docent::core
