#include "core/log.h"

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <cstdint>
#include <ctime>
#include <limits>
#include <regex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace docent::core {
namespace {

namespace json = boost::json;
using ::testing::HasSubstr;

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) lines.push_back(line);
  return lines;
}

class LogTest : public ::testing::Test {
 protected:
  void TearDown() override { init_logging("info", "text"); }  // back to stderr before out_ dies

  std::vector<std::string> lines() const { return lines_of(out_.str()); }

  json::object only_json_line() {
    const auto all = lines();
    EXPECT_EQ(all.size(), 1u) << out_.str();
    if (all.empty()) return {};
    boost::system::error_code ec;
    json::value v = json::parse(all[0], ec);
    EXPECT_FALSE(ec) << ec.message() << ": " << all[0];
    return v.is_object() ? v.as_object() : json::object{};
  }

  std::ostringstream out_;
};

TEST_F(LogTest, JsonLineHasTimestampLevelMessageAndFields) {
  init_logging("info", "json", &out_);
  log::info("request", {{"method", "GET"},
                        {"path", std::string("/health")},
                        {"status", 200},
                        {"ms", 1.2},
                        {"cached", false},
                        {"bytes", std::numeric_limits<std::uint64_t>::max()},
                        {"delta", std::int64_t{-7}}});
  const json::object o = only_json_line();
  ASSERT_TRUE(o.contains("ts"));
  EXPECT_TRUE(std::regex_match(std::string(o.at("ts").as_string()),
                               std::regex(R"(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z)")))
      << o.at("ts");
  EXPECT_EQ(o.at("level"), "info");
  EXPECT_EQ(o.at("msg"), "request");
  EXPECT_EQ(o.at("method"), "GET");
  EXPECT_EQ(o.at("path"), "/health");
  EXPECT_EQ(o.at("status").as_int64(), 200);
  EXPECT_DOUBLE_EQ(o.at("ms").as_double(), 1.2);
  EXPECT_EQ(o.at("cached").as_bool(), false);
  EXPECT_EQ(o.at("bytes").as_uint64(), std::numeric_limits<std::uint64_t>::max());
  EXPECT_EQ(o.at("delta").as_int64(), -7);
  // Members in order: ts, level, msg, then the fields as given.
  auto it = o.begin();
  EXPECT_EQ((it++)->key(), "ts");
  EXPECT_EQ((it++)->key(), "level");
  EXPECT_EQ((it++)->key(), "msg");
  EXPECT_EQ((it++)->key(), "method");
}

// The timestamp's date and time of day are cached per thread and second: across many lines and
// a second boundary, each line still carries the clock's current time.
TEST_F(LogTest, TimestampsFollowTheClock) {
  init_logging("info", "json", &out_);
  const auto to_text = [](std::chrono::system_clock::time_point tp) {
    const std::time_t t = std::chrono::system_clock::to_time_t(tp);
    std::tm tm{};
    gmtime_r(&t, &tm);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
    return std::string(buf);
  };
  std::vector<std::pair<std::string, std::string>> bounds;  // clock before and after each line
  const auto start = std::chrono::steady_clock::now();
  while (std::chrono::steady_clock::now() - start < std::chrono::milliseconds(1100)) {
    const auto before = std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now());
    log::info("tick");
    const auto after = std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now());
    bounds.emplace_back(to_text(before), to_text(after));
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  const auto all = lines();
  ASSERT_EQ(all.size(), bounds.size());
  for (size_t i = 0; i < all.size(); ++i) {
    const json::value v = json::parse(all[i]);
    const std::string ts(v.at("ts").as_string());
    const std::string second = ts.substr(0, 19);
    EXPECT_TRUE(second == bounds[i].first || second == bounds[i].second) << ts << " vs " << bounds[i].first;
    EXPECT_EQ(ts.size(), 24u) << ts;
  }
}

TEST_F(LogTest, JsonEscapesEverything) {
  init_logging("debug", "json", &out_);
  log::warn("say \"hi\"\n\tback\\slash \x01", {{"msg", "shadow"},
                                               {"key \"q\"", "bad utf8 \xff\xfe end"},
                                               {"emoji", "caf\xc3\xa9 \xf0\x9f\x98\x80"},
                                               {"nan", std::numeric_limits<double>::quiet_NaN()}});
  const json::object o = only_json_line();
  EXPECT_EQ(o.at("level"), "warn");
  EXPECT_EQ(o.at("msg"), "say \"hi\"\n\tback\\slash \x01");
  EXPECT_EQ(o.at("_msg"), "shadow");
  EXPECT_EQ(o.at("key \"q\""), "bad utf8 \xef\xbf\xbd\xef\xbf\xbd end");
  EXPECT_EQ(o.at("emoji"), "caf\xc3\xa9 \xf0\x9f\x98\x80");
  EXPECT_TRUE(o.at("nan").is_null());
}

TEST_F(LogTest, TextLineIsHumanReadable) {
  init_logging("info", "text", &out_);
  log::info("request", {{"method", "GET"}, {"path", "/health"}, {"status", 200}, {"ms", 1.2}});
  log::error("failed", {{"why", "disk full"}, {"quote", "a\"b"}, {"empty", ""}, {"ok", true}});
  log::info("two\nlines");
  const auto all = lines();
  ASSERT_EQ(all.size(), 3u) << out_.str();
  EXPECT_TRUE(std::regex_match(all[0], std::regex(R"(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z INFO  .*)")))
      << all[0];
  EXPECT_THAT(all[0], ::testing::EndsWith("INFO  request method=GET path=/health status=200 ms=1.2"));
  EXPECT_THAT(all[1], ::testing::EndsWith("ERROR failed why=\"disk full\" quote=\"a\\\"b\" empty=\"\" ok=true"));
  EXPECT_THAT(all[2], ::testing::EndsWith("INFO  two\\nlines"));
}

TEST_F(LogTest, DisabledLevelsWriteNothing) {
  init_logging("warn", "json", &out_);
  EXPECT_FALSE(log::enabled(log::Level::Info));
  EXPECT_TRUE(log::enabled(log::Level::Warn));
  log::trace("t");
  log::debug("d");
  log::info("i");
  log::warn("w");
  log::error("e");
  const auto all = lines();
  ASSERT_EQ(all.size(), 2u) << out_.str();
  EXPECT_THAT(all[0], HasSubstr("\"msg\":\"w\""));
  EXPECT_THAT(all[1], HasSubstr("\"level\":\"error\""));

  out_.str("");
  init_logging("off", "json", &out_);
  log::error("e");
  spdlog::error("plain");
  EXPECT_EQ(out_.str(), "");

  init_logging("TRACE", "text", &out_);
  log::trace("t");
  EXPECT_THAT(out_.str(), HasSubstr("TRACE t"));
}

TEST_F(LogTest, PlainSpdlogCallsShareTheFormat) {
  init_logging("info", "json", &out_);
  spdlog::info("plain {} \"x\"", 42);
  spdlog::debug("hidden");
  const json::object o = only_json_line();
  EXPECT_EQ(o.at("level"), "info");
  EXPECT_EQ(o.at("msg"), "plain 42 \"x\"");
}

TEST_F(LogTest, UnknownLevelOrFormatFallsBackWithAWarning) {
  init_logging("loud", "yaml", &out_);
  EXPECT_TRUE(log::enabled(log::Level::Info));
  EXPECT_FALSE(log::enabled(log::Level::Debug));
  const auto all = lines();
  ASSERT_EQ(all.size(), 2u) << out_.str();
  EXPECT_THAT(all[0], HasSubstr("unknown log level, using info level=loud"));
  EXPECT_THAT(all[1], HasSubstr("unknown log format, using text format=yaml"));
}

TEST_F(LogTest, ConcurrentLinesNeverInterleave) {
  init_logging("info", "json", &out_);
  constexpr int kThreads = 4;
  constexpr int kLines = 250;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([t] {
      for (int i = 0; i < kLines; ++i) {
        log::info("tick", {{"thread", t}, {"i", i}, {"pad", "some text to make the line longer"}});
      }
    });
  }
  for (auto& th : threads) th.join();
  const auto all = lines();
  ASSERT_EQ(all.size(), static_cast<size_t>(kThreads * kLines));
  std::vector<int> per_thread(kThreads, 0);
  for (const auto& line : all) {
    boost::system::error_code ec;
    json::value v = json::parse(line, ec);
    ASSERT_FALSE(ec) << line;
    per_thread.at(static_cast<size_t>(v.at("thread").as_int64()))++;
  }
  for (int n : per_thread) EXPECT_EQ(n, kLines);
}

}  // namespace
}  // namespace docent::core
