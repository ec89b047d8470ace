#include "engines/docx.h"
#include "unit/engines/docx_fixtures.h"
#include "unit/store/temp_dir.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <fstream>
#include <random>
#include <string>
#include <vector>

namespace docent::engines {
namespace {

namespace fs = std::filesystem;
using core::Code;
using fixtures::document_xml;
using fixtures::paragraph_xml;
using store::testing::TempDir;
using ::testing::HasSubstr;

std::vector<std::string> texts(const Page& page) {
  std::vector<std::string> out;
  for (const auto& b : page.blocks) out.push_back(b.text);
  return out;
}

// Text that deflates only a few times, like real XML does.
std::string varied_text(size_t bytes) {
  std::mt19937 rng(42);
  std::string out;
  while (out.size() < bytes) {
    out += "word" + std::to_string(rng() % 100000) + " ";
  }
  return out;
}

// Overwrites the uncompressed size of every zip entry (local and central headers) with `size`.
bool patch_uncompressed_sizes(const fs::path& path, uint32_t size) {
  std::string bytes;
  {
    std::ifstream in(path, std::ios::binary);
    bytes.assign(std::istreambuf_iterator<char>(in), {});
  }
  auto put32 = [&](size_t at) {
    for (int i = 0; i < 4; ++i) bytes[at + i] = static_cast<char>((size >> (8 * i)) & 0xFF);
  };
  int patched = 0;
  for (size_t i = 0; i + 46 < bytes.size(); ++i) {
    if (bytes.compare(i, 4, "PK\x03\x04") == 0) {
      put32(i + 22);
      ++patched;
    } else if (bytes.compare(i, 4, "PK\x01\x02") == 0) {
      put32(i + 24);
      ++patched;
    }
  }
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  return patched >= 2 && static_cast<bool>(out);
}

class DocxTest : public ::testing::Test {
 protected:
  fs::path write(const std::string& body, std::vector<std::pair<std::string, std::string>> extra = {}) {
    std::vector<std::pair<std::string, std::string>> parts{{"word/document.xml", document_xml(body)}};
    for (auto& p : extra) parts.push_back(std::move(p));
    fs::path path = dir_ / ("doc" + std::to_string(++count_) + ".docx");
    EXPECT_TRUE(fixtures::write_docx(path, parts));
    return path;
  }

  TempDir dir_;
  int count_ = 0;
  ParseLimits limits_;
};

TEST_F(DocxTest, HeadingsParagraphsTableAndPageBreaks) {
  const std::string body =
      paragraph_xml("Quarterly report", "Heading1") +
      // Runs: formatting splits words across runs; a space-only run joins them; tab; line break.
      R"(<w:p><w:r><w:t xml:space="preserve">Revenue grew </w:t></w:r><w:r><w:rPr><w:b/></w:rPr><w:t>12%</w:t></w:r>)"
      R"(<w:r><w:t xml:space="preserve"> </w:t></w:r><w:r><w:t>this quarter.</w:t><w:tab/><w:t>Tabbed</w:t>)"
      R"(<w:br/><w:t>Next line</w:t></w:r></w:p>)"
      // Deleted text and field codes are not text.
      R"(<w:p><w:r><w:t xml:space="preserve">Kept </w:t></w:r><w:del><w:r><w:delText>deleted</w:delText></w:r></w:del>)"
      R"(<w:r><w:instrText>PAGE \* MERGEFORMAT</w:instrText></w:r><w:ins><w:r><w:t>inserted</w:t></w:r></w:ins></w:p>)"
      R"(<w:tbl><w:tr><w:tc><w:p><w:r><w:t>Region</w:t></w:r></w:p></w:tc><w:tc><w:p><w:r><w:t>Sales</w:t></w:r></w:p></w:tc></w:tr>)"
      R"(<w:tr><w:tc><w:p><w:r><w:t>North</w:t></w:r></w:p><w:p><w:r><w:t>and East</w:t></w:r></w:p></w:tc>)"
      R"(<w:tc><w:p><w:r><w:t>100</w:t></w:r></w:p></w:tc></w:tr>)"
      R"(<w:tr><w:tc><w:p/></w:tc><w:tc><w:p/></w:tc></w:tr></w:tbl>)"
      // A hard page break inside a paragraph: the text after it is on page 2. Word then records a
      // rendered break at the top of page 2, which is the same boundary, not a third page.
      R"(<w:p><w:r><w:t>Before the break</w:t><w:br w:type="page"/></w:r></w:p>)"
      R"(<w:p><w:pPr><w:pStyle w:val="Heading2"/></w:pPr><w:r><w:lastRenderedPageBreak/><w:t>Second page</w:t></w:r></w:p>)" +
      paragraph_xml("More on page two") +
      // Text flowing onto page 3, as Word laid it out.
      R"(<w:p><w:r><w:t xml:space="preserve">Long paragraph ends </w:t><w:lastRenderedPageBreak/><w:t>on page three</w:t></w:r></w:p>)"
      R"(<w:sectPr/>)";
  auto doc = extract_docx(write(body), limits_);
  ASSERT_TRUE(doc.ok()) << doc.error().message;

  EXPECT_EQ(doc->mime, "application/vnd.openxmlformats-officedocument.wordprocessingml.document");
  EXPECT_EQ(doc->title, "Quarterly report");  // no core.xml: the first heading
  ASSERT_EQ(doc->pages.size(), 3u);
  for (size_t i = 0; i < doc->pages.size(); ++i) EXPECT_EQ(doc->pages[i].number, static_cast<int>(i) + 1);

  const Page& one = doc->pages[0];
  EXPECT_THAT(texts(one),
              ::testing::ElementsAre("Quarterly report", "Revenue grew 12% this quarter.\tTabbed\nNext line",
                                     "Kept inserted", "Region | Sales", "North and East | 100", "Before the break"));
  EXPECT_TRUE(one.blocks[0].heading);
  EXPECT_EQ(one.blocks[0].level, 1);
  EXPECT_FALSE(one.blocks[1].heading);
  EXPECT_EQ(one.blocks[1].level, 0);
  EXPECT_FALSE(one.blocks[3].heading);

  const Page& two = doc->pages[1];
  EXPECT_THAT(texts(two), ::testing::ElementsAre("Second page", "More on page two", "Long paragraph ends"));
  EXPECT_TRUE(two.blocks[0].heading);
  EXPECT_EQ(two.blocks[0].level, 2);

  EXPECT_THAT(texts(doc->pages[2]), ::testing::ElementsAre("on page three"));
}

TEST_F(DocxTest, TitleComesFromCoreProperties) {
  auto doc = extract_docx(write(paragraph_xml("Body text", "Heading1"),
                                {{"docProps/core.xml", fixtures::core_xml("The Real Title")}}),
                          limits_);
  ASSERT_TRUE(doc.ok()) << doc.error().message;
  EXPECT_EQ(doc->title, "The Real Title");
}

TEST_F(DocxTest, LocalizedStyleIdsResolveThroughStylesXml) {
  const std::string styles =
      R"(<?xml version="1.0" encoding="UTF-8"?><w:styles xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">)"
      R"(<w:style w:type="paragraph" w:styleId="Standard"><w:name w:val="Normal"/></w:style>)"
      R"(<w:style w:type="paragraph" w:styleId="berschrift1"><w:name w:val="heading 1"/><w:basedOn w:val="Standard"/></w:style>)"
      R"(<w:style w:type="paragraph" w:styleId="berschrift2"><w:name w:val="heading 2"/></w:style>)"
      R"(<w:style w:type="paragraph" w:styleId="Kapitel"><w:name w:val="Kapitel"/><w:basedOn w:val="berschrift2"/></w:style>)"
      R"(<w:style w:type="paragraph" w:styleId="Gliederung"><w:name w:val="Gliederung"/><w:pPr><w:outlineLvl w:val="2"/></w:pPr></w:style>)"
      R"(<w:style w:type="paragraph" w:styleId="Titel"><w:name w:val="Title"/></w:style>)"
      R"(</w:styles>)";
  const std::string body = paragraph_xml("Titel des Berichts", "Titel") + paragraph_xml("Einleitung", "berschrift1") +
                           paragraph_xml("Text", "Standard") + paragraph_xml("Abschnitt", "Kapitel") +
                           paragraph_xml("Gliederungspunkt", "Gliederung") + paragraph_xml("Ohne Stil", "Unbekannt");
  auto doc = extract_docx(write(body, {{"word/styles.xml", styles}}), limits_);
  ASSERT_TRUE(doc.ok()) << doc.error().message;
  ASSERT_EQ(doc->pages.size(), 1u);
  const auto& b = doc->pages[0].blocks;
  ASSERT_EQ(b.size(), 6u);
  EXPECT_EQ(b[0].level, 1);  // Title
  EXPECT_TRUE(b[0].heading);
  EXPECT_EQ(b[1].level, 1);  // "heading 1"
  EXPECT_EQ(b[2].level, 0);
  EXPECT_FALSE(b[2].heading);
  EXPECT_EQ(b[3].level, 2);  // based on "heading 2"
  EXPECT_EQ(b[4].level, 3);  // outline level 2 (0-based)
  EXPECT_EQ(b[5].level, 0);
  EXPECT_EQ(doc->title, "Titel des Berichts");
}

TEST_F(DocxTest, AnyNamespacePrefixWorks) {
  const std::string xml =
      R"(<?xml version="1.0"?><x:document xmlns:x="http://schemas.openxmlformats.org/wordprocessingml/2006/main">)"
      R"(<x:body><x:p><x:pPr><x:pStyle x:val="Heading3"/></x:pPr><x:r><x:t>Prefixed</x:t></x:r></x:p>)"
      R"(<w:p xmlns:w="urn:not-word"><w:r><w:t>not word</w:t></w:r></w:p></x:body></x:document>)";
  fs::path path = dir_ / "prefix.docx";
  ASSERT_TRUE(fixtures::write_docx(path, {{"word/document.xml", xml}}));
  auto doc = extract_docx(path, limits_);
  ASSERT_TRUE(doc.ok()) << doc.error().message;
  EXPECT_THAT(texts(doc->pages[0]), ::testing::ElementsAre("Prefixed"));
  EXPECT_EQ(doc->pages[0].blocks[0].level, 3);
}

TEST_F(DocxTest, EntitiesAreDecodedAndDtdEntitiesAreNotExpanded) {
  const std::string xml =
      R"(<?xml version="1.0"?><!DOCTYPE w:document [<!ENTITY lol "lollollollollollollol">]>)"
      R"(<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>)"
      R"(<w:p><w:r><w:t>Fish &amp; chips &lt;3 &#x20AC;5 &lol;</w:t></w:r></w:p></w:body></w:document>)";
  fs::path path = dir_ / "entities.docx";
  ASSERT_TRUE(fixtures::write_docx(path, {{"word/document.xml", xml}}));
  auto doc = extract_docx(path, limits_);
  ASSERT_TRUE(doc.ok()) << doc.error().message;
  ASSERT_EQ(doc->pages[0].blocks.size(), 1u);
  EXPECT_THAT(doc->pages[0].blocks[0].text, HasSubstr("Fish & chips <3 \xE2\x82\xAC"
                                                      "5"));
  EXPECT_THAT(doc->pages[0].blocks[0].text, ::testing::Not(HasSubstr("lollol")));
}

TEST_F(DocxTest, NotAZipIsNotADocx) {
  fs::path path = dir_ / "fake.docx";
  std::ofstream(path) << "this is plain text pretending to be a DOCX";
  auto doc = extract_docx(path, limits_);
  ASSERT_FALSE(doc.ok());
  EXPECT_EQ(doc.error().code, Code::InvalidFormat);
  EXPECT_EQ(doc.error().message, "not a DOCX file");
}

TEST_F(DocxTest, ZipWithoutDocumentXmlIsNotADocx) {
  fs::path path = dir_ / "other.docx";
  fixtures::ZipWriter zip(path);
  ASSERT_TRUE(zip.add("readme.txt", "hello"));
  ASSERT_TRUE(zip.close());
  auto doc = extract_docx(path, limits_);
  ASSERT_FALSE(doc.ok());
  EXPECT_EQ(doc.error().code, Code::InvalidFormat);
  EXPECT_EQ(doc.error().message, "not a DOCX file");
}

TEST_F(DocxTest, MalformedXmlIsInvalidFormat) {
  fs::path path = dir_ / "broken.docx";
  ASSERT_TRUE(fixtures::write_docx(path, {{"word/document.xml", "<w:document><w:body><w:p>"}}));
  auto doc = extract_docx(path, limits_);
  ASSERT_FALSE(doc.ok());
  EXPECT_EQ(doc.error().code, Code::InvalidFormat);
  EXPECT_THAT(doc.error().message, HasSubstr("not well-formed"));
}

TEST_F(DocxTest, ZipBombIsRefusedBeforeInflating) {
  // 200 MB of zeros deflates to ~200 KB: under the 256 MiB cap, but a 1000:1 ratio.
  fs::path path = dir_ / "bomb.docx";
  fixtures::ZipWriter zip(path);
  ASSERT_TRUE(zip.add("[Content_Types].xml", fixtures::kContentTypesXml));
  ASSERT_TRUE(zip.add_zeros("word/document.xml", 200'000'000));
  ASSERT_TRUE(zip.close());
  ASSERT_LT(fs::file_size(path), 1'000'000u);

  const auto start = std::chrono::steady_clock::now();
  auto doc = extract_docx(path, limits_);
  const auto elapsed = std::chrono::steady_clock::now() - start;
  ASSERT_FALSE(doc.ok());
  EXPECT_EQ(doc.error().code, Code::InvalidFormat);
  EXPECT_THAT(doc.error().message, HasSubstr("zip bomb"));
  EXPECT_LT(elapsed, std::chrono::seconds(1));  // refused from the headers, nothing inflated
}

TEST_F(DocxTest, DeclaredSizeOverTheCapIsRefused) {
  limits_.max_uncompressed_bytes = 256 << 10;
  fs::path path = write(paragraph_xml(varied_text(512 << 10)));
  auto doc = extract_docx(path, limits_);
  ASSERT_FALSE(doc.ok());
  EXPECT_EQ(doc.error().code, Code::InvalidFormat);
  EXPECT_EQ(doc.error().message, "the DOCX expands beyond 262144 bytes");
}

TEST_F(DocxTest, LyingSizeHeadersAreCaughtWhileInflating) {
  // The headers claim 1000 bytes; the member really inflates to 512 KiB. Only counting the bytes
  // as they come out catches it.
  limits_.max_uncompressed_bytes = 256 << 10;
  fs::path path = write(paragraph_xml(varied_text(512 << 10)));
  ASSERT_TRUE(patch_uncompressed_sizes(path, 1000));
  auto doc = extract_docx(path, limits_);
  ASSERT_FALSE(doc.ok());
  EXPECT_EQ(doc.error().code, Code::InvalidFormat);
  EXPECT_EQ(doc.error().message, "the DOCX expands beyond 262144 bytes");
}

TEST_F(DocxTest, PageLimitIsEnforced) {
  limits_.max_pages = 2;
  const std::string brk = R"(<w:p><w:r><w:t>x</w:t><w:br w:type="page"/></w:r></w:p>)";
  auto doc = extract_docx(write(brk + brk + brk + paragraph_xml("last")), limits_);
  ASSERT_FALSE(doc.ok());
  EXPECT_EQ(doc.error().code, Code::InvalidFormat);
  EXPECT_THAT(doc.error().message, HasSubstr("more than 2 pages"));
}

TEST_F(DocxTest, TextLimitIsEnforced) {
  limits_.max_text_bytes = 1000;
  auto doc = extract_docx(write(paragraph_xml(std::string(600, 'a')) + paragraph_xml(std::string(600, 'b'))), limits_);
  ASSERT_FALSE(doc.ok());
  EXPECT_EQ(doc.error().code, Code::InvalidFormat);
  EXPECT_THAT(doc.error().message, HasSubstr("exceeds 1000 bytes"));
}

TEST_F(DocxTest, DeepNestingIsRefusedNotRecursedInto) {
  std::string body;
  for (int i = 0; i < 5000; ++i) body += "<w:tbl><w:tr><w:tc>";
  body += paragraph_xml("deep");
  for (int i = 0; i < 5000; ++i) body += "</w:tc></w:tr></w:tbl>";
  auto doc = extract_docx(write(body), limits_);
  ASSERT_FALSE(doc.ok());
  EXPECT_EQ(doc.error().code, Code::InvalidFormat);
  EXPECT_THAT(doc.error().message, HasSubstr("nests deeper"));
}

TEST_F(DocxTest, MissingFileIsAnErrorNotACrash) {
  auto doc = extract_docx(dir_ / "nope.docx", limits_);
  ASSERT_FALSE(doc.ok());
}

}  // namespace
}  // namespace docent::engines
