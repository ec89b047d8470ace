#include "engines/chunker.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <vector>

namespace docent::engines {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

Block para(std::string text) { return Block{std::move(text), false, 0, std::nullopt}; }
Block heading(std::string text, int level) { return Block{std::move(text), true, level, std::nullopt}; }

Page page(int number, std::vector<Block> blocks) {
  Page p;
  p.number = number;
  p.blocks = std::move(blocks);
  return p;
}

// Sentences "Sentence <tag> <i> says something about topic <i>." joined by spaces.
std::string sentences(const std::string& tag, int count) {
  std::string out;
  for (int i = 0; i < count; ++i) {
    if (!out.empty()) out += ' ';
    out += "Sentence " + tag + std::to_string(i) + " says something plain about topic " + std::to_string(i) + ".";
  }
  return out;
}

bool valid_utf8(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    size_t n = c < 0x80 ? 0 : (c >> 5) == 0x6 ? 1 : (c >> 4) == 0xE ? 2 : (c >> 3) == 0x1E ? 3 : 99;
    if (n == 99 || i + n >= s.size()) return false;
    for (size_t k = 1; k <= n; ++k) {
      if ((static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80) return false;
    }
    i += n + 1;
  }
  return true;
}

bool is_space(char c) { return c == ' ' || c == '\n' || c == '\t' || c == '\r'; }

// The longest suffix of a that is a prefix of b (the overlap carried from a into b).
size_t overlap(const std::string& a, const std::string& b) {
  for (size_t n = std::min(a.size(), b.size()); n > 0; --n) {
    if (a.compare(a.size() - n, n, b, 0, n) == 0) return n;
  }
  return 0;
}

void expect_invariants(const std::vector<Chunk>& chunks, const ChunkOptions& options) {
  for (size_t i = 0; i < chunks.size(); ++i) {
    const auto& c = chunks[i];
    SCOPED_TRACE("chunk " + std::to_string(i));
    EXPECT_EQ(c.position, static_cast<int>(i));
    EXPECT_FALSE(c.text.empty());
    EXPECT_LE(c.text.size(), options.max_chars);
    EXPECT_FALSE(is_space(c.text.front()));
    EXPECT_FALSE(is_space(c.text.back()));
    EXPECT_TRUE(valid_utf8(c.text)) << c.text;
    EXPECT_LE(c.start_block, c.end_block);
  }
}

TEST(ChunkerTest, EmptyDocumentAndBlankBlocksGiveNoChunks) {
  Document doc;
  EXPECT_TRUE(chunk_document(doc).empty());
  doc.pages.push_back(page(1, {para(""), para("  \n\t "), heading("   ", 1)}));
  EXPECT_TRUE(chunk_document(doc).empty());
}

TEST(ChunkerTest, SmallParagraphsAccumulateUpToTarget) {
  Document doc;
  std::vector<Block> blocks;
  for (int i = 0; i < 10; ++i)
    blocks.push_back(para(sentences(std::string("p") + std::to_string(i) + "s", 2)));  // ~110 bytes
  doc.pages.push_back(page(1, blocks));
  const ChunkOptions options{400, 600, 0};
  const auto chunks = chunk_document(doc, options);
  expect_invariants(chunks, options);
  ASSERT_GE(chunks.size(), 3u);
  for (const auto& c : chunks) {
    EXPECT_LE(c.text.size(), options.target_chars);
    EXPECT_THAT(c.text, StartsWith("Sentence"));
  }
  EXPECT_EQ(chunks.front().start_block, 0);
  EXPECT_EQ(chunks.back().end_block, 9);
  // Paragraphs are joined by a blank line and all text is kept, in order.
  std::string all;
  for (const auto& c : chunks) all += c.text + "\n\n";
  for (const auto& b : blocks) EXPECT_THAT(all, HasSubstr(b.text));
  EXPECT_THAT(chunks.front().text, HasSubstr(blocks[0].text + "\n\n" + blocks[1].text));
}

TEST(ChunkerTest, PagesAreNeverMixed) {
  Document doc;
  for (int p = 1; p <= 4; ++p) {
    std::vector<Block> blocks;
    for (int b = 0; b < 5; ++b) blocks.push_back(para(sentences(std::string("pg") + std::to_string(p) + "x", 3)));
    doc.pages.push_back(page(p, blocks));
  }
  const ChunkOptions options{500, 800, 150};
  const auto chunks = chunk_document(doc, options);
  expect_invariants(chunks, options);
  ASSERT_GE(chunks.size(), 8u);
  int last_page = 0;
  for (const auto& c : chunks) {
    const std::string mine = "pg" + std::to_string(c.page) + "x";
    for (int p = 1; p <= 4; ++p) {
      if (p == c.page) continue;
      EXPECT_THAT(c.text, ::testing::Not(HasSubstr("pg" + std::to_string(p) + "x"))) << "chunk on page " << c.page;
    }
    EXPECT_THAT(c.text, HasSubstr(mine));
    EXPECT_GE(c.page, last_page);
    last_page = c.page;
  }
  // Every page has chunks and the first chunk of a page does not carry text over from before.
  for (size_t i = 1; i < chunks.size(); ++i) {
    if (chunks[i].page != chunks[i - 1].page) {
      EXPECT_EQ(chunks[i].start_block, 0);
    }
  }
}

TEST(ChunkerTest, PageNumbersAreTheDocumentsOwn) {
  Document doc;
  doc.pages.push_back(page(7, {para("Seventh page text.")}));
  doc.pages.push_back(page(9, {para("Ninth page text.")}));
  const auto chunks = chunk_document(doc);
  ASSERT_EQ(chunks.size(), 2u);
  EXPECT_EQ(chunks[0].page, 7);
  EXPECT_EQ(chunks[1].page, 9);
}

TEST(ChunkerTest, HeadingsStartChunksAndBecomeNestedSections) {
  Document doc;
  doc.pages.push_back(page(1, {
                                  para("Preface text before any heading."),
                                  heading("Introduction", 1),
                                  para("Intro body."),
                                  heading("Background", 2),
                                  para("Background body."),
                                  heading("Prior work", 3),
                                  para("Prior work body."),
                                  heading("Method", 1),
                                  heading("Setup", 2),
                                  para("Setup body."),
                              }));
  doc.pages.push_back(page(2, {para("Setup continues on page two."), heading("Data", 2), para("Data body.")}));
  const auto chunks = chunk_document(doc);
  expect_invariants(chunks, {});
  ASSERT_EQ(chunks.size(), 7u);
  EXPECT_EQ(chunks[0].section, "");
  EXPECT_EQ(chunks[0].text, "Preface text before any heading.");
  EXPECT_EQ(chunks[1].section, "Introduction");
  EXPECT_EQ(chunks[1].text, "Introduction\n\nIntro body.");
  EXPECT_EQ(chunks[2].section, "Introduction > Background");
  EXPECT_EQ(chunks[3].section, "Introduction > Background > Prior work");
  EXPECT_EQ(chunks[3].start_block, 5);
  EXPECT_EQ(chunks[3].end_block, 6);
  // Consecutive headings share a chunk; a level-1 heading closes the open level-2/3 ones.
  EXPECT_EQ(chunks[4].section, "Method > Setup");
  EXPECT_EQ(chunks[4].text, "Method\n\nSetup\n\nSetup body.");
  // The section carries across the page break, the chunk does not.
  EXPECT_EQ(chunks[5].page, 2);
  EXPECT_EQ(chunks[5].section, "Method > Setup");
  EXPECT_EQ(chunks[5].text, "Setup continues on page two.");
  EXPECT_EQ(chunks[6].section, "Method > Data");
}

TEST(ChunkerTest, MultiLineHeadingIsOneLineInSection) {
  Document doc;
  doc.pages.push_back(page(1, {heading("Annual\n  report", 1), para("Body.")}));
  const auto chunks = chunk_document(doc);
  ASSERT_EQ(chunks.size(), 1u);
  EXPECT_EQ(chunks[0].section, "Annual report");
}

TEST(ChunkerTest, ConsecutiveChunksOverlapAtSentenceOrWordBoundaries) {
  Document doc;
  std::vector<Block> blocks;
  for (int i = 0; i < 12; ++i) blocks.push_back(para(sentences(std::string("b") + std::to_string(i) + "s", 3)));
  doc.pages.push_back(page(1, blocks));
  const ChunkOptions options{400, 700, 100};
  const auto chunks = chunk_document(doc, options);
  expect_invariants(chunks, options);
  ASSERT_GE(chunks.size(), 4u);
  for (size_t i = 1; i < chunks.size(); ++i) {
    SCOPED_TRACE("chunk " + std::to_string(i));
    const auto& prev = chunks[i - 1].text;
    const auto& next = chunks[i].text;
    const size_t n = overlap(prev, next);
    EXPECT_GT(n, 0u);
    EXPECT_LE(n, options.overlap_chars);
    // The overlap begins where a word (here: a sentence) begins in the previous chunk.
    ASSERT_LT(n, prev.size());
    EXPECT_TRUE(is_space(prev[prev.size() - n - 1]));
    EXPECT_THAT(next, StartsWith("Sentence"));
    // The carried text's block is where the chunk starts.
    EXPECT_LE(chunks[i].start_block, chunks[i - 1].end_block);
  }
}

TEST(ChunkerTest, NoOverlapAcrossSectionsOrPages) {
  Document doc;
  doc.pages.push_back(page(1, {para(sentences("a", 10)), heading("Next", 1), para(sentences("b", 2))}));
  doc.pages.push_back(page(2, {para(sentences("c", 2))}));
  const ChunkOptions options{300, 500, 100};
  const auto chunks = chunk_document(doc, options);
  expect_invariants(chunks, options);
  for (size_t i = 1; i < chunks.size(); ++i) {
    if (chunks[i].section != chunks[i - 1].section || chunks[i].page != chunks[i - 1].page) {
      EXPECT_EQ(overlap(chunks[i - 1].text, chunks[i].text), 0u) << chunks[i].text;
    }
  }
  EXPECT_THAT(chunks.back().text, StartsWith("Sentence c0"));
}

TEST(ChunkerTest, LongParagraphIsSplitAtSentences) {
  Document doc;
  const std::string text = sentences("long", 80);  // ~4800 bytes, one paragraph
  doc.pages.push_back(page(1, {para(text)}));
  const ChunkOptions options{1000, 1500, 150};
  const auto chunks = chunk_document(doc, options);
  expect_invariants(chunks, options);
  ASSERT_GE(chunks.size(), 5u);
  for (const auto& c : chunks) {
    EXPECT_EQ(c.start_block, 0);
    EXPECT_EQ(c.end_block, 0);
    EXPECT_EQ(c.text.back(), '.') << c.text;  // every chunk ends at a sentence end
    EXPECT_THAT(c.text, StartsWith("Sentence"));
  }
  // Nothing is lost.
  for (int i = 0; i < 80; ++i) {
    const std::string needle = "Sentence long" + std::to_string(i) + " ";
    bool found = false;
    for (const auto& c : chunks) found = found || c.text.find(needle) != std::string::npos;
    EXPECT_TRUE(found) << needle;
  }
}

TEST(ChunkerTest, SentencelessParagraphSplitsAtWhitespace) {
  std::string text;
  for (int i = 0; i < 600; ++i) text += "word" + std::to_string(i) + " ";
  Document doc;
  doc.pages.push_back(page(1, {para(text)}));
  const ChunkOptions options{500, 800, 60};
  const auto chunks = chunk_document(doc, options);
  expect_invariants(chunks, options);
  ASSERT_GE(chunks.size(), 8u);
  for (const auto& c : chunks) {
    EXPECT_THAT(c.text, StartsWith("word"));
    EXPECT_TRUE(isdigit(static_cast<unsigned char>(c.text.back())));  // whole words only
  }
  EXPECT_THAT(chunks.back().text, HasSubstr("word599"));
}

TEST(ChunkerTest, MultibyteTextIsNeverCutInsideACharacter) {
  const ChunkOptions options{97, 151, 31};  // odd sizes, so cuts land mid-character unless adjusted
  // No spaces at all: every cut is a hard cut.
  const std::vector<std::string> units = {"日本語", "é", "😀", "ü", "€"};
  for (const auto& unit : units) {
    SCOPED_TRACE(unit);
    std::string text;
    while (text.size() < 1200) text += unit;
    Document doc;
    doc.pages.push_back(page(1, {para(text)}));
    const auto chunks = chunk_document(doc, options);
    expect_invariants(chunks, options);
    ASSERT_GE(chunks.size(), 5u);
    size_t total = 0;
    for (const auto& c : chunks) total += c.text.size();
    EXPECT_GE(total, text.size());  // all text kept (plus overlap)
  }
  // Mixed scripts with words and CJK full stops.
  std::string mixed;
  for (int i = 0; i < 40; ++i) mixed += "Ça coûte très cher — 東京は大きい都市です。Größe " + std::to_string(i) + " ";
  Document doc;
  doc.pages.push_back(page(1, {heading("Überschrift ✓", 1), para(mixed)}));
  const auto chunks = chunk_document(doc, options);
  expect_invariants(chunks, options);
  ASSERT_GE(chunks.size(), 10u);
  EXPECT_EQ(chunks[0].section, "Überschrift ✓");
  for (size_t i = 1; i < chunks.size(); ++i) {
    const size_t n = overlap(chunks[i - 1].text, chunks[i].text);
    EXPECT_LE(n, options.overlap_chars);
  }
}

TEST(ChunkerTest, InvalidUtf8DoesNotStall) {
  std::string text(3000, '\x80');  // continuation bytes only
  Document doc;
  doc.pages.push_back(page(1, {para(text)}));
  const auto chunks = chunk_document(doc, {100, 200, 20});
  ASSERT_FALSE(chunks.empty());
  for (const auto& c : chunks) EXPECT_LE(c.text.size(), 200u);
}

TEST(ChunkerTest, ParagraphBetweenTargetAndMaxStaysWhole) {
  Document doc;
  const std::string medium = sentences("m", 25);  // ~1500 bytes: above target 1200, below max 2000
  doc.pages.push_back(page(1, {para("Short opener."), para(medium), para("Short closer.")}));
  const auto chunks = chunk_document(doc);
  expect_invariants(chunks, {});
  bool whole = false;
  for (const auto& c : chunks) whole = whole || c.text.find(medium) != std::string::npos;
  EXPECT_TRUE(whole);
}

TEST(ChunkerTest, PositionsIncreaseAcrossTheDocument) {
  Document doc;
  for (int p = 1; p <= 3; ++p) {
    doc.pages.push_back(page(p, {heading("Part " + std::to_string(p), 1), para(sentences("q", 40))}));
  }
  const auto chunks = chunk_document(doc, {300, 500, 50});
  ASSERT_GE(chunks.size(), 10u);
  for (size_t i = 0; i < chunks.size(); ++i) EXPECT_EQ(chunks[i].position, static_cast<int>(i));
}

TEST(ChunkerTest, ClampsNonsensicalOptions) {
  Document doc;
  doc.pages.push_back(page(1, {para(sentences("z", 30))}));
  const auto chunks = chunk_document(doc, {0, 0, 5000});
  ASSERT_FALSE(chunks.empty());
  for (const auto& c : chunks) EXPECT_FALSE(c.text.empty());
}

}  // namespace
}  // namespace docent::engines
