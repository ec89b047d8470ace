#include "engines/outline.h"

#include <boost/json.hpp>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace docent::engines {
namespace {

namespace json = boost::json;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

OutlinePassage passage(std::string text, std::string section, int64_t page = 1, std::string file = "notes.md") {
  return {std::move(text), std::move(file), std::move(section), page};
}

TEST(Outline, ASlidePerSectionWithItsWeightiestSentencesInOrder) {
  std::vector<OutlinePassage> passages = {
      passage("The pump station moved to the river bank in May. The the the and and. "
              "Valve seals of the pump station failed twice under high pressure.",
              "Operations"),
      passage("Budget reserves cover three months of payroll. Budget reserves grew.", "Finance", 2),
      passage("Staff turnover fell to four percent after the mentoring scheme started.", "Finance", 3),
  };
  auto deck = outline_from_passages("Annual report", "", passages,
                                    OutlineOptions{.max_slides = 10, .bullets_per_slide = 2, .max_bullet_chars = 200});
  ASSERT_TRUE(deck.ok()) << deck.error().message;
  ASSERT_EQ(deck->slides.size(), 2u);
  EXPECT_EQ(deck->slides[0].title, "Operations");
  // "The the the and and." has no word that says anything, so it is never a bullet.
  EXPECT_THAT(deck->slides[0].bullets,
              ElementsAre("The pump station moved to the river bank in May.",
                          "Valve seals of the pump station failed twice under high pressure."));
  EXPECT_EQ(deck->slides[1].title, "Finance");
  ASSERT_EQ(deck->slides[1].bullets.size(), 2u);
  // Document order is kept among the chosen sentences.
  EXPECT_EQ(deck->slides[1].bullets[0], "Budget reserves cover three months of payroll.");
  EXPECT_EQ(deck->slides[1].bullets[1], "Staff turnover fell to four percent after the mentoring scheme started.");
  EXPECT_EQ(deck->slides[1].notes,
            "Sources:\n[1] notes.md, page 2, \u201c"
            "Finance\u201d\n[2] notes.md, page 3, \u201c"
            "Finance\u201d");
}

TEST(Outline, TextWithoutHeadingsIsCutIntoStretchesWithinTheSlideBudget) {
  std::vector<OutlinePassage> passages;
  for (int p = 1; p <= 12; ++p) {
    passages.push_back(passage("Page " + std::to_string(p) + " reports measurement number " + std::to_string(p * 7) +
                                   " from station " + std::string(1, static_cast<char>('A' + p)) + ".",
                               "", p, "log.pdf"));
  }
  auto deck = outline_from_passages("Log", "", passages,
                                    OutlineOptions{.max_slides = 3, .bullets_per_slide = 2, .max_bullet_chars = 200});
  ASSERT_TRUE(deck.ok()) << deck.error().message;
  ASSERT_EQ(deck->slides.size(), 3u);
  EXPECT_EQ(deck->slides[0].title, "log.pdf, pages 1\u20134");
  EXPECT_EQ(deck->slides[2].title, "log.pdf, pages 9\u201312");
  for (const auto& s : deck->slides) EXPECT_EQ(s.bullets.size(), 2u);
}

TEST(Outline, LongSentencesAreCutAtAWordAndNothingEmptyIsAccepted) {
  std::string sentence = "Calibration";
  for (int i = 0; i < 60; ++i) sentence += " procedure" + std::to_string(i);
  sentence += ".";
  auto deck = outline_from_passages("T", "", {passage(sentence, "S")},
                                    OutlineOptions{.max_slides = 1, .bullets_per_slide = 1, .max_bullet_chars = 80});
  ASSERT_TRUE(deck.ok());
  const std::string& b = deck->slides[0].bullets[0];
  EXPECT_LE(b.size(), 80u + 3);
  EXPECT_THAT(b, ::testing::EndsWith("\xe2\x80\xa6"));
  EXPECT_THAT(b, ::testing::Not(HasSubstr("procedure5 ")));

  EXPECT_EQ(outline_from_passages("T", "", {passage("a b. c", "S"), passage("", "")}, {}).error().code,
            core::Code::InvalidInput);
  EXPECT_EQ(outline_from_passages("T", "", {}, {}).error().code, core::Code::InvalidInput);
}

TEST(Outline, JsonOutlinesAreReadAndTheirErrorsNamed) {
  auto deck = deck_from_json(json::parse(R"({"title": " Plan ", "slides": [
      {"title": "Goals", "bullets": ["a", "  ", "b"], "notes": "n"}, {"title": "Next", "bullets": null}]})"));
  ASSERT_TRUE(deck.ok()) << deck.error().message;
  EXPECT_EQ(deck->title, "Plan");
  EXPECT_THAT(deck->slides[0].bullets, ElementsAre("a", "b"));
  EXPECT_TRUE(deck->slides[1].bullets.empty());
  EXPECT_EQ(deck_to_json(*deck).at("slides").as_array().size(), 2u);
  EXPECT_EQ(deck_from_json(deck_to_json(*deck))->slides[0].notes, "n");

  auto field_of = [](const char* text) {
    auto d = deck_from_json(json::parse(text));
    return d.ok() ? std::string("ok") : d.error().field;
  };
  EXPECT_EQ(field_of(R"([])"), "outline");
  EXPECT_EQ(field_of(R"({"slides": []})"), "outline.title");
  EXPECT_EQ(field_of(R"({"title": 5, "slides": []})"), "outline.title");
  EXPECT_EQ(field_of(R"({"title": "t"})"), "outline.slides");
  EXPECT_EQ(field_of(R"({"title": "t", "slides": [3]})"), "outline.slides[0]");
  EXPECT_EQ(field_of(R"({"title": "t", "slides": [{"title": "a"}, {"bullets": []}]})"), "outline.slides[1].title");
  EXPECT_EQ(field_of(R"({"title": "t", "slides": [{"title": "a", "bullets": "x"}]})"), "outline.slides[0].bullets");
  EXPECT_EQ(field_of(R"({"title": "t", "slides": [{"title": "a", "notes": 1}]})"), "outline.slides[0].notes");
  EXPECT_EQ(field_of(R"({"title": "t", "slides": []})"), "ok");
}

}  // namespace
}  // namespace docent::engines
