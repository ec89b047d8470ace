#include "core/error.h"

#include <gtest/gtest.h>

namespace docent::core {
namespace {

TEST(Error, EveryCodeHasAStatusAndAName) {
  for (int c = 0; c <= static_cast<int>(Code::Timeout); ++c) {
    auto code = static_cast<Code>(c);
    int status = http_status(code);
    EXPECT_GE(status, 400);
    EXPECT_LT(status, 600);
    EXPECT_FALSE(code_name(code).empty());
  }
  EXPECT_EQ(http_status(Code::MissingField), 400);
  EXPECT_EQ(http_status(Code::Unauthenticated), 401);
  EXPECT_EQ(http_status(Code::NotFound), 404);
  EXPECT_EQ(http_status(Code::PayloadTooLarge), 413);
  EXPECT_EQ(http_status(Code::RateLimited), 429);
  EXPECT_EQ(http_status(Code::UpstreamError), 502);
  EXPECT_EQ(http_status(Code::ServiceUnavailable), 503);
  EXPECT_EQ(code_name(Code::ServiceUnavailable), "SERVICE_UNAVAILABLE");
}

TEST(Error, ResultCarriesValueOrError) {
  Result<int> ok = 5;
  EXPECT_TRUE(ok.ok());
  EXPECT_EQ(*ok, 5);
  Result<int> bad = Error(Code::NotFound, "no such file", "file_id");
  EXPECT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().field, "file_id");
  EXPECT_EQ(bad.error().status(), 404);
  Status fine;
  EXPECT_TRUE(fine.ok());
  Status failed = Error(Code::Internal, "x");
  EXPECT_FALSE(failed.ok());
}

}  // namespace
}  // namespace docent::core
