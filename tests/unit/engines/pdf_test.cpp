#include "engines/ocr.h"
#include "engines/pdf.h"
#include "unit/engines/pdf_fixtures.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <random>
#include <sstream>
#include <string>

namespace docent::engines {
namespace {

namespace fs = std::filesystem;
using fixtures::FixturePage;
using ::testing::HasSubstr;

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

// Collapses all whitespace runs to one space.
std::string squash(const std::string& s) {
  std::istringstream in(s);
  std::string out;
  for (std::string w; in >> w;) out += (out.empty() ? "" : " ") + w;
  return out;
}

const std::vector<FixturePage>& three_pages() {
  static const std::vector<FixturePage> pages = {
      {"Introduction to Widgets",
       {"Widgets are small devices that people use every day without thinking about them at all, "
        "in kitchens, offices and workshops across the whole wide world.",
        "The planted sentence for page one mentions the aardvark.",
        "A closing paragraph that is long enough to wrap onto a second line of body text, so that "
        "line grouping inside one paragraph is exercised by this fixture as well."}},
      {"Assembly Instructions",
       {"Lay out every part on a clean table before you begin, and count them twice.",
        "The planted sentence for page two mentions the bumblebee."}},
      {"Troubleshooting",
       {"If the widget hums, it is working. If it does not hum, read this chapter again.",
        "The planted sentence for page three mentions the chameleon.", "Still stuck? Call the help desk."}},
  };
  return pages;
}

class PdfTest : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = fixtures::make_temp_dir("docent_pdf_test"); }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }

  fs::path text_pdf(const std::string& title = "") {
    fs::path path = dir_ / "three.pdf";
    EXPECT_TRUE(fixtures::write_text_pdf(path, three_pages(), title));
    return path;
  }

  fs::path dir_;
};

TEST_F(PdfTest, TextPdfHasItsPagesHeadingsAndParagraphsInOrder) {
  auto doc = extract_pdf(text_pdf(), ParseLimits{}, nullptr);
  ASSERT_TRUE(doc.ok()) << doc.error().message;
  EXPECT_EQ(doc->mime, "application/pdf");
  ASSERT_EQ(doc->pages.size(), 3u);

  const char* planted[] = {"aardvark", "bumblebee", "chameleon"};
  for (size_t i = 0; i < 3; ++i) {
    const Page& page = doc->pages[i];
    const FixturePage& want = three_pages()[i];
    SCOPED_TRACE("page " + std::to_string(i + 1));
    EXPECT_EQ(page.number, static_cast<int>(i + 1));
    EXPECT_FALSE(page.ocr);
    for (size_t j = 0; j < 3; ++j) {
      EXPECT_EQ(page.text().find(planted[j]) != std::string::npos, i == j) << planted[j];
    }

    // The heading first, then each paragraph as one block, in order.
    ASSERT_EQ(page.blocks.size(), want.paragraphs.size() + 1) << page.text();
    const Block& heading = page.blocks[0];
    EXPECT_TRUE(heading.heading);
    EXPECT_EQ(heading.level, 1);
    EXPECT_EQ(heading.text, want.heading);
    for (size_t j = 0; j < want.paragraphs.size(); ++j) {
      const Block& b = page.blocks[j + 1];
      EXPECT_FALSE(b.heading);
      EXPECT_EQ(b.level, 0);
      EXPECT_EQ(squash(b.text), want.paragraphs[j]);
    }

    // Boxes in points from the top-left: the heading's baseline is at kTopMargin, text starts at
    // the left margin, and every block lies below the one before it.
    ASSERT_TRUE(heading.box.has_value());
    EXPECT_NEAR(heading.box->x0, fixtures::kLeftMargin, 3);
    EXPECT_LT(heading.box->y0, fixtures::kTopMargin);
    EXPECT_GT(heading.box->y1, fixtures::kTopMargin - 2);
    for (size_t j = 1; j < page.blocks.size(); ++j) {
      ASSERT_TRUE(page.blocks[j].box.has_value());
      EXPECT_NEAR(page.blocks[j].box->x0, fixtures::kLeftMargin, 3);
      EXPECT_GE(page.blocks[j].box->y0, page.blocks[j - 1].box->y1);
      EXPECT_LE(page.blocks[j].box->x1, fixtures::kPageWidth - fixtures::kLeftMargin + 3);
    }
  }
  // A paragraph that wraps keeps its lines apart with '\n'.
  EXPECT_NE(doc->pages[0].blocks[3].text.find('\n'), std::string::npos);
  // No Title metadata: the first heading names the document.
  EXPECT_EQ(doc->title, "Introduction to Widgets");
}

TEST_F(PdfTest, TitleComesFromMetadataWhenPresent) {
  auto doc = extract_pdf(text_pdf("The Widget Handbook"), ParseLimits{}, nullptr);
  ASSERT_TRUE(doc.ok()) << doc.error().message;
  EXPECT_EQ(doc->title, "The Widget Handbook");
}

TEST_F(PdfTest, HeadingLevelsRankHeadingSizes) {
  // A title page holding only a heading, then a chapter with a subheading: sizes rank the levels
  // across the whole document, and body text is never a heading.
  const std::string body =
      "Body text set in the body size, long enough to wrap over several lines so that it is clearly "
      "the text most of this document is set in, whatever the headings around it look like.";
  std::vector<FixturePage> pages = {{"Only a Heading", {}},
                                    {"Chapter One", {body, "## A Smaller Heading", body, body}}};
  const fs::path path = dir_ / "levels.pdf";
  ASSERT_TRUE(fixtures::write_text_pdf(path, pages));
  auto doc = extract_pdf(path, ParseLimits{}, nullptr);
  ASSERT_TRUE(doc.ok()) << doc.error().message;
  ASSERT_EQ(doc->pages.size(), 2u);
  ASSERT_EQ(doc->pages[0].blocks.size(), 1u);
  EXPECT_TRUE(doc->pages[0].blocks[0].heading);
  EXPECT_EQ(doc->pages[0].blocks[0].level, 1);

  const auto& blocks = doc->pages[1].blocks;
  ASSERT_EQ(blocks.size(), 5u) << doc->pages[1].text();
  EXPECT_EQ(blocks[0].text, "Chapter One");
  EXPECT_EQ(blocks[0].level, 1);
  EXPECT_FALSE(blocks[1].heading);
  EXPECT_EQ(blocks[2].text, "A Smaller Heading");
  EXPECT_TRUE(blocks[2].heading);
  EXPECT_EQ(blocks[2].level, 2);
  EXPECT_FALSE(blocks[3].heading);
  EXPECT_FALSE(blocks[4].heading);
  EXPECT_EQ(doc->title, "Only a Heading");
}

TEST(PdfLayoutTest, TexStyleParagraphsSplitAtIndentation) {
  // pdflatex paragraphs have no vertical gap, only a short last line and an indented first line.
  const fs::path path = fixtures::test_data() / "pdf-sample-files/026-latex-multicolumn/multicolumn.pdf";
  ASSERT_TRUE(fs::exists(path)) << path;
  auto doc = extract_pdf(path, ParseLimits{}, nullptr);
  ASSERT_TRUE(doc.ok()) << doc.error().message;
  std::vector<std::string> starts;
  for (const Block& b : doc->pages[0].blocks) starts.push_back(b.text.substr(0, b.text.find('\n')));
  EXPECT_THAT(starts, ::testing::Contains("Lorem ipsum dolor sit amet, consectetuer adip-"));
  EXPECT_THAT(starts, ::testing::Contains("Nam dui ligula, fringilla a, euismod sodales, sollic-"));
}

TEST_F(PdfTest, MorePagesThanTheLimitIsInvalidFormat) {
  ParseLimits limits;
  limits.max_pages = 2;
  auto doc = extract_pdf(text_pdf(), limits, nullptr);
  ASSERT_FALSE(doc.ok());
  EXPECT_EQ(doc.error().code, core::Code::InvalidFormat);
  EXPECT_THAT(doc.error().message, HasSubstr("pages"));
}

TEST_F(PdfTest, MoreTextThanTheLimitIsInvalidFormat) {
  ParseLimits limits;
  limits.max_text_bytes = 200;
  auto doc = extract_pdf(text_pdf(), limits, nullptr);
  ASSERT_FALSE(doc.ok());
  EXPECT_EQ(doc.error().code, core::Code::InvalidFormat);
  EXPECT_THAT(doc.error().message, HasSubstr("text"));
}

TEST_F(PdfTest, TruncatedPdfIsInvalidFormat) {
  const std::string whole = fixtures::read_bytes(text_pdf());
  ASSERT_GT(whole.size(), 1000u);
  const fs::path half = dir_ / "half.pdf";
  ASSERT_TRUE(fixtures::write_bytes(half, whole.substr(0, whole.size() / 2)));
  auto doc = extract_pdf(half, ParseLimits{}, nullptr);
  ASSERT_FALSE(doc.ok());
  EXPECT_EQ(doc.error().code, core::Code::InvalidFormat);
  EXPECT_THAT(doc.error().message, HasSubstr("not a readable PDF"));
}

TEST_F(PdfTest, RandomBytesAndEmptyFilesAreInvalidFormat) {
  std::mt19937 rng(42);
  std::string noise(64 * 1024, '\0');
  for (char& c : noise) c = static_cast<char>(rng());
  const fs::path random = dir_ / "random.pdf";
  ASSERT_TRUE(fixtures::write_bytes(random, noise));
  auto doc = extract_pdf(random, ParseLimits{}, nullptr);
  ASSERT_FALSE(doc.ok());
  EXPECT_EQ(doc.error().code, core::Code::InvalidFormat);
  EXPECT_THAT(doc.error().message, HasSubstr("not a readable PDF"));

  // A PDF header over garbage.
  const fs::path fake = dir_ / "fake.pdf";
  ASSERT_TRUE(fixtures::write_bytes(fake, "%PDF-1.7\n" + noise));
  EXPECT_EQ(extract_pdf(fake, ParseLimits{}, nullptr).error().code, core::Code::InvalidFormat);

  const fs::path empty = dir_ / "empty.pdf";
  ASSERT_TRUE(fixtures::write_bytes(empty, ""));
  EXPECT_EQ(extract_pdf(empty, ParseLimits{}, nullptr).error().code, core::Code::InvalidFormat);

  EXPECT_EQ(extract_pdf(dir_ / "missing.pdf", ParseLimits{}, nullptr).error().code, core::Code::NotFound);
}

TEST_F(PdfTest, ScannedPageWithoutOcrIsAnEmptyPage) {
  const fs::path path = dir_ / "scan.pdf";
  ASSERT_TRUE(fixtures::write_scanned_pdf(path, "Nothing to see"));
  auto doc = extract_pdf(path, ParseLimits{}, nullptr);
  ASSERT_TRUE(doc.ok()) << doc.error().message;
  ASSERT_EQ(doc->pages.size(), 1u);
  EXPECT_TRUE(doc->pages[0].blocks.empty());
  EXPECT_FALSE(doc->pages[0].ocr);
}

TEST_F(PdfTest, ScannedPageIsRenderedAndOcrd) {
  auto ocr = Ocr::create();
  if (!ocr.ok()) GTEST_SKIP() << ocr.error().message;
  const fs::path path = dir_ / "scan.pdf";
  ASSERT_TRUE(fixtures::write_scanned_pdf(path, "Quarterly lantern report\nZebra harbor 4721\nMarmalade invoice"));
  ParseLimits limits;
  limits.ocr_dpi = 200;  // plenty for 28 pt type, and quicker than 300
  auto doc = extract_pdf(path, limits, ocr->get());
  ASSERT_TRUE(doc.ok()) << doc.error().message;
  ASSERT_EQ(doc->pages.size(), 1u);
  const Page& page = doc->pages[0];
  EXPECT_TRUE(page.ocr);
  const std::string text = lower(page.text());
  EXPECT_THAT(text, HasSubstr("lantern"));
  EXPECT_THAT(text, HasSubstr("zebra"));
  EXPECT_THAT(text, HasSubstr("4721"));
  EXPECT_THAT(text, HasSubstr("marmalade"));
  // Boxes are in points on the 612 pt wide page, not in rendered pixels.
  for (const Block& b : page.blocks) {
    ASSERT_TRUE(b.box.has_value());
    EXPECT_LE(b.box->x1, 612.0);
    EXPECT_GE(b.box->x0, 30.0);
  }
}

struct Sample {
  const char* path;
  size_t pages;
};

// Page counts as pdfinfo reports them (they agree with the set's files.json). The samples are in
// tests/data/pdf-sample-files; the set's three largest (009, 017, 018: 7 MB together) are not carried.
constexpr Sample kSamples[] = {
    {"001-trivial/minimal-document.pdf", 1},
    {"002-trivial-libre-office-writer/002-trivial-libre-office-writer.pdf", 1},
    {"003-pdflatex-image/pdflatex-image.pdf", 1},
    {"004-pdflatex-4-pages/pdflatex-4-pages.pdf", 4},
    {"006-pdflatex-outline/pdflatex-outline.pdf", 4},
    {"007-imagemagick-images/imagemagick-ASCII85Decode.pdf", 1},
    {"007-imagemagick-images/imagemagick-CCITTFaxDecode.pdf", 1},
    {"007-imagemagick-images/imagemagick-images.pdf", 6},
    {"007-imagemagick-images/imagemagick-lzw.pdf", 1},
    {"008-reportlab-inline-image/inline-image.pdf", 1},
    {"010-pdflatex-forms/pdflatex-forms.pdf", 1},
    {"011-google-doc-document/google-doc-document.pdf", 1},
    {"012-libreoffice-form/libreoffice-form.pdf", 1},
    {"013-reportlab-overlay/reportlab-overlay.pdf", 1},
    {"014-outlines/mistitled_outlines_example.pdf", 4},
    {"015-arabic/habibi-oneline-cmap.pdf", 1},
    {"015-arabic/habibi-rotated.pdf", 4},
    {"015-arabic/habibi.pdf", 1},
    {"016-libre-office-link/libre-office-link.pdf", 1},
    {"019-grayscale-image/grayscale-image.pdf", 1},
    {"020-xmp/output_with_metadata_pymupdf.pdf", 1},
    {"021-pdfa/crazyones-pdfa.pdf", 1},
    {"022-pdfkit/pdfkit.pdf", 1},
    {"023-cmyk-image/cmyk-image.pdf", 1},
    {"024-annotations/annotated_pdf.pdf", 1},
    {"025-attachment/with-attachment.pdf", 1},
    {"026-latex-multicolumn/multicolumn.pdf", 3},
};

fs::path samples_dir() { return fixtures::test_data() / "pdf-sample-files"; }

TEST(PdfSampleFilesTest, ExtractWithTheirPageCounts) {
  const fs::path dir = samples_dir();
  for (const Sample& s : kSamples) {
    SCOPED_TRACE(s.path);
    ASSERT_TRUE(fs::exists(dir / s.path)) << "tests/data/pdf-sample-files carries every sample listed here";
    auto doc = extract_pdf(dir / s.path, ParseLimits{}, nullptr);
    ASSERT_TRUE(doc.ok()) << doc.error().message;
    EXPECT_EQ(doc->pages.size(), s.pages);
    for (size_t i = 0; i < doc->pages.size(); ++i) EXPECT_EQ(doc->pages[i].number, static_cast<int>(i + 1));
  }
}

TEST(PdfSampleFilesTest, KnownTextLandsOnItsPage) {
  const fs::path dir = samples_dir();
  auto minimal = extract_pdf(dir / "001-trivial/minimal-document.pdf", ParseLimits{}, nullptr);
  ASSERT_TRUE(minimal.ok()) << minimal.error().message;
  EXPECT_THAT(squash(minimal->pages[0].text()), HasSubstr("Lorem ipsum dolor sit amet"));

  auto columns = extract_pdf(dir / "026-latex-multicolumn/multicolumn.pdf", ParseLimits{}, nullptr);
  ASSERT_TRUE(columns.ok()) << columns.error().message;
  ASSERT_FALSE(columns->pages[0].blocks.empty());
  const Block& first = columns->pages[0].blocks[0];
  EXPECT_EQ(squash(first.text), "Two-Column Document with Lorem Ipsum");
  EXPECT_TRUE(first.heading);
  EXPECT_EQ(first.level, 1);
}

TEST(PdfSampleFilesTest, EncryptedSampleIsPasswordProtected) {
  const fs::path path = samples_dir() / "005-libreoffice-writer-password/libreoffice-writer-password.pdf";
  ASSERT_TRUE(fs::exists(path)) << path;
  auto doc = extract_pdf(path, ParseLimits{}, nullptr);
  ASSERT_FALSE(doc.ok());
  EXPECT_EQ(doc.error().code, core::Code::InvalidFormat);
  EXPECT_THAT(doc.error().message, HasSubstr("password"));
}

}  // namespace
}  // namespace docent::engines
