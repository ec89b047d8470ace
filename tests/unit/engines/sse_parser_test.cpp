#include "engines/sse_parser.h"

#include <gtest/gtest.h>

namespace docent::engines {
namespace {

std::vector<SseEvent> feed_all(SseParser& p, const std::vector<std::string>& pieces) {
  std::vector<SseEvent> out;
  for (const auto& piece : pieces) EXPECT_TRUE(p.feed(piece, out).ok());
  return out;
}

TEST(SseParser, EventsSplitAcrossReadsAtEveryByteAreReassembled) {
  const std::string stream = "data: {\"a\":1}\n\ndata: {\"b\":2}\r\n\r\ndata: [DONE]\n\n";
  for (size_t cut = 0; cut <= stream.size(); ++cut) {
    SseParser p;
    auto events = feed_all(p, {stream.substr(0, cut), stream.substr(cut)});
    ASSERT_EQ(events.size(), 3u) << "cut at " << cut;
    EXPECT_EQ(events[0].data, "{\"a\":1}");
    EXPECT_EQ(events[1].data, "{\"b\":2}");
    EXPECT_EQ(events[2].data, "[DONE]");
  }
}

TEST(SseParser, OneByteAtATimeWithCrlfSplitBetweenFeeds) {
  const std::string stream = "event: delta\r\nid: 7\r\ndata: x\r\n\r\n";
  SseParser p;
  std::vector<std::string> bytes;
  for (char c : stream) bytes.emplace_back(1, c);
  auto events = feed_all(p, bytes);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].event, "delta");
  EXPECT_EQ(events[0].id, "7");
  EXPECT_EQ(events[0].data, "x");
}

TEST(SseParser, CommentsAndHeartbeatsAreIgnored) {
  SseParser p;
  auto events = feed_all(p, {": ping\n\n", ":\n", "data: y\n", ": inside\n", "\n"});
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].data, "y");
}

TEST(SseParser, MultipleDataLinesJoinWithNewlineAndOnlyOneSpaceIsStripped) {
  SseParser p;
  auto events = feed_all(p, {"data:a\ndata:  b\ndata\n\n"});
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].data, "a\n b\n");
}

TEST(SseParser, BlankLinesWithoutDataDispatchNothing) {
  SseParser p;
  auto events = feed_all(p, {"\n\n\nevent: x\n\n"});
  EXPECT_TRUE(events.empty());
}

TEST(SseParser, FinishDispatchesAnEventMissingItsBlankLine) {
  SseParser p;
  auto events = feed_all(p, {"data: last"});
  EXPECT_TRUE(events.empty());
  p.finish(events);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].data, "last");
}

TEST(SseParser, MalformedLinesWithoutColonAreFieldsWithEmptyValues) {
  SseParser p;
  auto events = feed_all(p, {"garbage line\nnot sse at all\n\n"});
  EXPECT_TRUE(events.empty());  // unknown fields: no data, nothing dispatched
}

TEST(SseParser, AnOverlongLineIsAnErrorAndTheParserStaysFailed) {
  SseParser p(16);
  std::vector<SseEvent> out;
  auto st = p.feed(std::string(17, 'x'), out);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().code, core::Code::UpstreamError);
  EXPECT_FALSE(p.feed("data: ok\n\n", out).ok());
  EXPECT_TRUE(out.empty());
}

}  // namespace
}  // namespace docent::engines
