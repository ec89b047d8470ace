// What a voice conversation speaks and shows of an answer (services/voice_jobs.h): citation
// markers and Markdown marks are not read aloud; the seed's ai_response is escaped HTML.

#include "services/voice_jobs.h"

#include <gtest/gtest.h>

namespace docent::services {
namespace {

TEST(VoiceJobs, CitationMarkersAndMarkdownAreNotSpoken) {
  EXPECT_EQ(speakable_text("Turn left [1]. Then stop [2, 3]."), "Turn left. Then stop.");
  EXPECT_EQ(speakable_text("## Summary\n\n**Bold** and *soft* `code`"), "Summary Bold and soft code");
  EXPECT_EQ(speakable_text("an array [x] stays, [12] goes"), "an array [x] stays, goes");
  EXPECT_EQ(speakable_text("  \n  "), "");
  EXPECT_EQ(speakable_text("C# is a language"), "C# is a language") << "# only at a line's start is a heading";
}

TEST(VoiceJobs, TheAnswerIsShownAsEscapedParagraphs) {
  EXPECT_EQ(answer_html("First <b>line</b>\nsecond\n\nNext & last"),
            "<p>First &lt;b&gt;line&lt;/b&gt;<br>second</p><p>Next &amp; last</p>");
  EXPECT_EQ(answer_html(""), "");
  EXPECT_EQ(answer_html("\n\n\n\nonly"), "<p>only</p>");
}

}  // namespace
}  // namespace docent::services
