#include "http/message.h"

#include <gtest/gtest.h>

namespace docent::http {
namespace {

TEST(SseFraming, SingleLineEvent) { EXPECT_EQ(format_sse_event(R"({"word":"hi"})"), "data: {\"word\":\"hi\"}\n\n"); }

TEST(SseFraming, EventAndIdFieldsComeFirst) {
  EXPECT_EQ(format_sse_event("x", "progress", "7"), "event: progress\nid: 7\ndata: x\n\n");
}

TEST(SseFraming, EveryLineBreakStartsANewDataLine) {
  EXPECT_EQ(format_sse_event("a\nb\r\nc\rd"), "data: a\ndata: b\ndata: c\ndata: d\n\n");
}

TEST(SseFraming, TrailingNewlineIsPreserved) { EXPECT_EQ(format_sse_event("a\n"), "data: a\ndata: \n\n"); }

TEST(SseFraming, EmptyDataIsOneEmptyDataLine) { EXPECT_EQ(format_sse_event(""), "data: \n\n"); }

TEST(SseFraming, LineBreaksCannotInjectFieldsThroughEventOrId) {
  std::string out = format_sse_event("x", "evil\ndata: injected", "1\n2");
  EXPECT_EQ(out, "event: evildata: injected\nid: 12\ndata: x\n\n");
}

}  // namespace
}  // namespace docent::http
