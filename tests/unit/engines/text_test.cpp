#include "engines/text.h"
#include "unit/store/temp_dir.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <string>
#include <vector>

namespace docent::engines {
namespace {

using core::Code;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

constexpr const char* kFffd = "\xEF\xBF\xBD";

std::vector<std::string> texts(const Page& page) {
  std::vector<std::string> out;
  for (const auto& b : page.blocks) out.push_back(b.text);
  return out;
}

std::vector<int> levels(const Page& page) {
  std::vector<int> out;
  for (const auto& b : page.blocks) out.push_back(b.heading ? b.level : 0);
  return out;
}

Document must(core::Result<Document> r) {
  EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message);
  return r.ok() ? std::move(r).value() : Document{};
}

TEST(TextMarkdownTest, AtxAndSetextHeadingsParagraphsAndFences) {
  const char* md =
      "# Project *Docent*\n"
      "\n"
      "Intro line one\n"
      "intro line two\n"
      "\n"
      "Setext One\n"
      "==========\n"
      "Setext Two\n"
      "---\n"
      "\n"
      "```cpp\n"
      "int main() {\n"
      "\n"
      "  # not a heading\n"
      "}\n"
      "```\n"
      "\n"
      "---\n"
      "\n"
      "### Closed heading ###\n"
      "#hashtag is not a heading\n"
      "    # indented code, not a heading\n"
      "###### Six\n"
      "####### seven is text\n";
  Document doc = must(extract_text(md, TextKind::Markdown, ParseLimits{}));
  EXPECT_EQ(doc.mime, "text/markdown");
  EXPECT_EQ(doc.title, "Project *Docent*");
  ASSERT_EQ(doc.pages.size(), 1u);
  EXPECT_THAT(texts(doc.pages[0]), ElementsAre("Project *Docent*", "Intro line one\nintro line two", "Setext One",
                                               "Setext Two", "int main() {\n\n  # not a heading\n}", "Closed heading",
                                               "#hashtag is not a heading\n    # indented code, not a heading", "Six",
                                               "####### seven is text"));
  EXPECT_THAT(levels(doc.pages[0]), ElementsAre(1, 0, 1, 2, 0, 3, 0, 6, 0));
}

TEST(TextMarkdownTest, UnclosedFenceRunsToTheEnd) {
  Document doc = must(extract_text("text\n~~~\ncode\n\n# inside\n", TextKind::Markdown, ParseLimits{}));
  EXPECT_THAT(texts(doc.pages[0]), ElementsAre("text", "code\n\n# inside"));
  EXPECT_THAT(levels(doc.pages[0]), ElementsAre(0, 0));
}

TEST(TextMarkdownTest, FrontMatterGivesTheTitleAndIsNotText) {
  Document doc = must(extract_text("---\ntitle: \"Release notes\"\ndate: 2024-01-01\n---\n# Version 2\n\nBody\n",
                                   TextKind::Markdown, ParseLimits{}));
  EXPECT_EQ(doc.title, "Release notes");
  EXPECT_THAT(texts(doc.pages[0]), ElementsAre("Version 2", "Body"));
}

TEST(TextPlainTest, ParagraphsSplitOnBlankLinesAndLineEndsAreNormalised) {
  Document doc = must(extract_text("First para\r\nstill first\r\n\r\n  \t \r\nSecond\rthird line\n\n\n",
                                   TextKind::Plain, ParseLimits{}));
  EXPECT_EQ(doc.mime, "text/plain");
  EXPECT_EQ(doc.title, "");
  ASSERT_EQ(doc.pages.size(), 1u);
  EXPECT_THAT(texts(doc.pages[0]), ElementsAre("First para\nstill first", "Second\nthird line"));
}

TEST(TextPlainTest, FormFeedsStartPages) {
  Document doc = must(extract_text("page one\n\npara two\fpage two\f\fpage four\f\n", TextKind::Plain, ParseLimits{}));
  ASSERT_EQ(doc.pages.size(), 4u);  // the empty third page stays; the trailing one does not
  EXPECT_THAT(texts(doc.pages[0]), ElementsAre("page one", "para two"));
  EXPECT_THAT(texts(doc.pages[1]), ElementsAre("page two"));
  EXPECT_TRUE(doc.pages[2].blocks.empty());
  EXPECT_THAT(texts(doc.pages[3]), ElementsAre("page four"));
  EXPECT_EQ(doc.pages[3].number, 4);
}

TEST(TextPlainTest, PageLimitIsEnforced) {
  ParseLimits limits;
  limits.max_pages = 2;
  auto doc = extract_text("a\fb\fc", TextKind::Plain, limits);
  ASSERT_FALSE(doc.ok());
  EXPECT_EQ(doc.error().code, Code::InvalidFormat);
  EXPECT_THAT(doc.error().message, HasSubstr("more than 2 pages"));
}

TEST(TextPlainTest, TextLimitIsEnforced) {
  ParseLimits limits;
  limits.max_text_bytes = 10;
  auto doc = extract_text("this is more than ten bytes", TextKind::Plain, limits);
  ASSERT_FALSE(doc.ok());
  EXPECT_EQ(doc.error().code, Code::InvalidFormat);
}

TEST(TextEncodingTest, InvalidUtf8IsRepaired) {
  Document doc = must(extract_text("caf\xC3\xA9 \xFF ok \xE2\x82", TextKind::Plain, ParseLimits{}));
  EXPECT_THAT(texts(doc.pages[0]), ElementsAre(std::string("caf\xC3\xA9 ") + kFffd + " ok " + kFffd));
}

TEST(TextEncodingTest, RepairUtf8ReplacesEachMaximalIllFormedSubpart) {
  const std::string r = kFffd;
  EXPECT_EQ(repair_utf8("plain ascii"), "plain ascii");
  EXPECT_EQ(repair_utf8("\xE2\x82\xAC \xF0\x9F\x98\x80"), "\xE2\x82\xAC \xF0\x9F\x98\x80");  // valid stays
  EXPECT_EQ(repair_utf8("\xC0\xAF"), r + r);                                                 // overlong '/'
  EXPECT_EQ(repair_utf8("\xED\xA0\x80"), r + r + r);                                         // surrogate
  EXPECT_EQ(repair_utf8("\xF4\x90\x80\x80"), r + r + r + r);                                 // beyond U+10FFFF
  EXPECT_EQ(repair_utf8("a\xE2\x82z"), "a" + r + "z");                                       // truncated: one U+FFFD
  EXPECT_EQ(repair_utf8("\x80\x80"), r + r);                                                 // stray continuations
  EXPECT_EQ(repair_utf8("\xF0\x9F\x98"), r);                                                 // truncated at the end
  EXPECT_TRUE(is_valid_utf8("\xE2\x82\xAC"));
  EXPECT_FALSE(is_valid_utf8("\xE2\x82"));
}

TEST(TextEncodingTest, BinaryIsRefused) {
  auto doc = extract_text(std::string("PK\x03\x04\0\0binary", 12), TextKind::Plain, ParseLimits{});
  ASSERT_FALSE(doc.ok());
  EXPECT_EQ(doc.error().code, Code::InvalidFormat);
  EXPECT_THAT(doc.error().message, HasSubstr("binary"));
  EXPECT_TRUE(looks_binary(std::string("a\0b", 3)));
  EXPECT_FALSE(looks_binary("text"));
}

TEST(TextEncodingTest, Utf16WithBomIsDecodedAndUtf8BomDropped) {
  Document le = must(extract_text(std::string("\xFF\xFEH\0i\0 \0\xAC\x20", 10), TextKind::Plain, ParseLimits{}));
  EXPECT_THAT(texts(le.pages[0]), ElementsAre("Hi \xE2\x82\xAC"));
  Document be = must(extract_text(std::string("\xFE\xFF\0H\0i", 6), TextKind::Plain, ParseLimits{}));
  EXPECT_THAT(texts(be.pages[0]), ElementsAre("Hi"));
  Document bom = must(extract_text("\xEF\xBB\xBF# Title", TextKind::Markdown, ParseLimits{}));
  EXPECT_EQ(bom.title, "Title");
}

TEST(TextCsvTest, HeaderNamesEachRowsValues) {
  const char* csv =
      "name,age,comment\r\n"
      "\"Smith, J\",42,\"said \"\"hi\"\"\nthen left\"\r\n"
      "\n"
      "Lee,,quiet\r\n"
      "Extra,1,2,overflow\r\n";
  Document doc = must(extract_text(csv, TextKind::Csv, ParseLimits{}));
  EXPECT_EQ(doc.mime, "text/csv");
  ASSERT_EQ(doc.pages.size(), 1u);
  EXPECT_THAT(texts(doc.pages[0]),
              ElementsAre("name | age | comment", "name: Smith, J; age: 42; comment: said \"hi\"\nthen left",
                          "name: Lee; comment: quiet", "name: Extra; age: 1; comment: 2; column 4: overflow"));
}

TEST(TextCsvTest, SemicolonAndTabDelimitersAreDetected) {
  Document semi = must(extract_text("a;b\n1,5;2\n", TextKind::Csv, ParseLimits{}));
  EXPECT_THAT(texts(semi.pages[0]), ElementsAre("a | b", "a: 1,5; b: 2"));
  Document tab = must(extract_text("a\tb\nx\ty\n", TextKind::Csv, ParseLimits{}));
  EXPECT_THAT(texts(tab.pages[0]), ElementsAre("a | b", "a: x; b: y"));
}

TEST(TextCsvTest, FormFeedsInCsvAreData) {
  Document doc = must(extract_text("a\nx\fy\n", TextKind::Csv, ParseLimits{}));
  EXPECT_EQ(doc.pages.size(), 1u);
}

TEST(TextCsvTest, RowsAreCapped) {
  std::string csv = "n\n";
  for (int i = 0; i <= kMaxCsvRows; ++i) csv += "1\n";
  auto doc = extract_text(csv, TextKind::Csv, ParseLimits{});
  ASSERT_FALSE(doc.ok());
  EXPECT_EQ(doc.error().code, Code::InvalidFormat);
  EXPECT_THAT(doc.error().message, HasSubstr("rows"));
}

TEST(TextFileTest, ReadsFilesAndRefusesOversizedOnes) {
  store::testing::TempDir dir;
  std::ofstream(dir / "notes.md") << "# Notes\n\nbody\n";
  Document doc = must(extract_text_file(dir / "notes.md", TextKind::Markdown, ParseLimits{}));
  EXPECT_EQ(doc.title, "Notes");
  ParseLimits tiny;
  tiny.max_text_bytes = 4;
  auto big = extract_text_file(dir / "notes.md", TextKind::Markdown, tiny);
  ASSERT_FALSE(big.ok());
  EXPECT_EQ(big.error().code, Code::InvalidFormat);
  EXPECT_FALSE(extract_text_file(dir / "missing.txt", TextKind::Plain, ParseLimits{}).ok());
}

}  // namespace
}  // namespace docent::engines
