// Presentations are read back by tests/integration/read_pptx.py, which checks the package the
// way a presentation program must (parts, content types, relationships) before reading slides.

#include "engines/pptx.h"
#include "unit/store/temp_dir.h"

#include <boost/json.hpp>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>

namespace docent::engines {
namespace {

namespace fs = std::filesystem;
namespace json = boost::json;
using store::testing::TempDir;
using ::testing::HasSubstr;

struct Readback {
  int status = -1;
  std::string output;
};

Readback run_reader(const fs::path& file) {
  std::string cmd = "/usr/bin/python3 " + std::string(DOCENT_SOURCE_DIR) + "/tests/integration/read_pptx.py '" +
                    file.string() + "' 2>&1";
  Readback r;
  FILE* p = ::popen(cmd.c_str(), "r");
  if (p == nullptr) return r;
  char buf[4096];
  for (size_t n; (n = std::fread(buf, 1, sizeof buf, p)) > 0;) r.output.append(buf, n);
  r.status = ::pclose(p);
  return r;
}

json::value write_and_read(const Deck& deck) {
  TempDir dir;
  fs::path out = dir / "deck.pptx";
  auto st = write_presentation(out, deck);
  EXPECT_TRUE(st.ok()) << (st.ok() ? "" : st.error().message);
  if (!st.ok()) return json::object{};
  Readback r = run_reader(out);
  EXPECT_EQ(r.status, 0) << r.output;
  return r.status == 0 ? json::parse(r.output) : json::value(json::object{});
}

Deck sample() {
  Deck deck{.title = "Quarterly review", .subtitle = "Built from 2 documents", .author = "docent", .slides = {}};
  deck.slides.push_back({.title = "Revenue",
                         .bullets = {"Up 12% on the year", "Exports doubled"},
                         .notes = "[1] report.pdf, page 4\n[2] exports.pdf, page 1"});
  deck.slides.push_back({.title = "Costs", .bullets = {"Flat"}, .notes = ""});
  return deck;
}

TEST(Pptx, SlidesReadBackInOrderAfterATitleSlide) {
  json::value got = write_and_read(sample());
  ASSERT_TRUE(got.is_object());
  EXPECT_EQ(got.at("title"), "Quarterly review");
  const json::array& slides = got.at("slides").as_array();
  ASSERT_EQ(slides.size(), 3u);
  EXPECT_EQ(slides[0].at("title"), "Quarterly review");
  EXPECT_EQ(slides[0].at("lines"), json::array({"Built from 2 documents"}));
  EXPECT_EQ(slides[1].at("title"), "Revenue");
  EXPECT_EQ(slides[1].at("lines"), json::array({"Up 12% on the year", "Exports doubled"}));
  EXPECT_EQ(slides[1].at("notes"), "[1] report.pdf, page 4\n[2] exports.pdf, page 1");
  EXPECT_EQ(slides[2].at("title"), "Costs");
  EXPECT_EQ(slides[2].at("notes"), "");
}

TEST(Pptx, HostileTextIsEscapedAndStrippedOfWhatXmlCannotHold) {
  Deck deck{.title = "A <b>&\"bold\"</b> deck", .subtitle = "", .author = "", .slides = {}};
  std::string controls = "bell\x07 nul";
  controls += '\0';
  controls += " tab\tend";
  deck.slides.push_back(
      {.title = "]]><p:sld>", .bullets = {controls, "bad \xff\xfe utf8", "\xe2\x82\xac 5"}, .notes = "</p:txBody>"});
  json::value got = write_and_read(deck);
  ASSERT_TRUE(got.is_object());
  EXPECT_EQ(got.at("title"), "A <b>&\"bold\"</b> deck");
  const json::array& slides = got.at("slides").as_array();
  ASSERT_EQ(slides.size(), 2u);
  EXPECT_EQ(slides[1].at("title"), "]]><p:sld>");
  EXPECT_EQ(slides[1].at("lines").as_array()[0], "bell nul tab end");
  EXPECT_EQ(slides[1].at("lines").as_array()[1], "bad \xef\xbf\xbd\xef\xbf\xbd utf8");
  EXPECT_EQ(slides[1].at("lines").as_array()[2], "\xe2\x82\xac 5");
  EXPECT_EQ(slides[1].at("notes"), "</p:txBody>");
}

TEST(Pptx, RefusesWhatItCannotWriteAndLeavesNoFile) {
  TempDir dir;
  fs::path out = dir / "deck.pptx";
  Deck untitled = sample();
  untitled.title.clear();
  EXPECT_EQ(write_presentation(out, untitled).error().code, core::Code::InvalidInput);
  Deck slide_untitled = sample();
  slide_untitled.slides[1].title.clear();
  auto st = write_presentation(out, slide_untitled);
  ASSERT_FALSE(st.ok());
  EXPECT_THAT(st.error().message, HasSubstr("slide 2"));
  Deck huge = sample();
  huge.slides.resize(kMaxDeckSlides + 1, DeckSlide{.title = "x", .bullets = {}, .notes = {}});
  EXPECT_EQ(write_presentation(out, huge).error().code, core::Code::InvalidInput);
  Deck wordy = sample();
  wordy.slides[0].bullets.push_back(std::string(kMaxDeckTextBytes + 1, 'a'));
  EXPECT_EQ(write_presentation(out, wordy).error().code, core::Code::InvalidInput);
  EXPECT_FALSE(fs::exists(out));
  EXPECT_TRUE(fs::is_empty(dir.path()));
}

TEST(Pptx, ADeckWithOnlyATitleIsOneSlide) {
  json::value got = write_and_read(Deck{.title = "Only", .subtitle = "", .author = "", .slides = {}});
  ASSERT_TRUE(got.is_object());
  ASSERT_EQ(got.at("slides").as_array().size(), 1u);
  EXPECT_EQ(got.at("slides").as_array()[0].at("lines"), json::array());
}

}  // namespace
}  // namespace docent::engines
