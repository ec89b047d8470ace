#include "core/rate.h"

#include <gtest/gtest.h>

namespace docent::core {
namespace {

using std::chrono::seconds;

TEST(RateTest, ParsesTheSeedsWords) {
  EXPECT_EQ(parse_rate("100/hour"), (Rate{100, seconds(3600)}));
  EXPECT_EQ(parse_rate("10/min"), (Rate{10, seconds(60)}));
  EXPECT_EQ(parse_rate(" 5 / Minute "), (Rate{5, seconds(60)}));
  EXPECT_EQ(parse_rate("2000/1m"), (Rate{2000, seconds(60)}));
  EXPECT_EQ(parse_rate("3/2s"), (Rate{3, seconds(2)}));
  EXPECT_EQ(parse_rate("7/day"), (Rate{7, seconds(86400)}));
  EXPECT_TRUE(parse_rate("off")->unlimited());
  EXPECT_TRUE(parse_rate("0")->unlimited());
}

TEST(RateTest, RefusesWhatIsNotARate) {
  for (const char* bad : {"", "100", "/hour", "0/hour", "-1/min", "10/fortnight", "10/0s", "1.5/min", "10/min/2",
                          "10/400d", "9999999999/s"}) {
    EXPECT_FALSE(parse_rate(bad)) << bad;
  }
}

TEST(RateTest, FormatsCanonicallyAndInWords) {
  EXPECT_EQ(format_rate(*parse_rate("100/3600s")), "100/hour");
  EXPECT_EQ(format_rate(*parse_rate("3/2s")), "3/2s");
  EXPECT_EQ(format_rate(*parse_rate("5/120s")), "5/2m");
  EXPECT_EQ(format_rate(Rate{}), "off");
  EXPECT_EQ(parse_rate(format_rate(*parse_rate("5/120s"))), parse_rate("5/120s"));
  EXPECT_EQ(describe_rate(*parse_rate("100/hour")), "100 requests per hour");
  EXPECT_EQ(describe_rate(*parse_rate("1/2s")), "1 request per 2 seconds");
}

}  // namespace
}  // namespace docent::core
