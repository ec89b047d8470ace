// Positioned words: poppler's text layer, tesseract's words on scans, the JSON form, and the
// isolated `docent __words` worker (DOCENT_BINARY).

#include "engines/layout.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>

#include "support/business_docs.h"
#include "unit/engines/pdf_fixtures.h"

namespace docent::engines {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

class LayoutTest : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = fixtures::make_temp_dir("layout-test"); }
  void TearDown() override { fs::remove_all(dir_); }
  fs::path dir_;
};

const PositionedWord* find_word(const PageWords& page, const std::string& text) {
  for (const PositionedWord& w : page.words) {
    if (w.text == text) return &w;
  }
  return nullptr;
}

TEST_F(LayoutTest, TextLayerWordsHaveBoxesInPointsFromTheTopLeft) {
  const fs::path pdf = dir_ / "a.pdf";
  ASSERT_TRUE(fixtures::write_text_pdf(pdf, {{.heading = "Heading", .paragraphs = {"alpha beta gamma"}}}));
  auto pages = pdf_words(pdf, ParseLimits{}, nullptr);
  ASSERT_TRUE(pages.ok()) << pages.error().message;
  ASSERT_EQ(pages->size(), 1u);
  const PageWords& p = (*pages)[0];
  EXPECT_NEAR(p.width, fixtures::kPageWidth, 1);
  EXPECT_NEAR(p.height, fixtures::kPageHeight, 1);
  EXPECT_FALSE(p.ocr);
  const PositionedWord* alpha = find_word(p, "alpha");
  const PositionedWord* beta = find_word(p, "beta");
  ASSERT_TRUE(alpha && beta);
  EXPECT_NEAR(alpha->box.x0, fixtures::kLeftMargin, 1.5);
  EXPECT_LT(alpha->box.x1, beta->box.x0);
  EXPECT_NEAR(alpha->box.y0, beta->box.y0, 0.5);
  // Body text sits below the heading's baseline.
  EXPECT_GT(alpha->box.y0, fixtures::kTopMargin);
  EXPECT_DOUBLE_EQ(alpha->confidence, 1.0);
}

TEST_F(LayoutTest, ScannedPageIsReadWordByWordWithOcr) {
  const fs::path pdf = dir_ / "scan.pdf";
  ASSERT_TRUE(fixtures::write_scanned_pdf(pdf, "Invoice Number 4711\nGrand Total 1,234.50"));
  auto ocr = Ocr::create();
  if (!ocr) GTEST_SKIP() << ocr.error().message;
  auto none = pdf_words(pdf, ParseLimits{}, nullptr);
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE((*none)[0].words.empty());
  auto pages = pdf_words(pdf, ParseLimits{}, ocr->get());
  ASSERT_TRUE(pages.ok()) << pages.error().message;
  const PageWords& p = (*pages)[0];
  EXPECT_TRUE(p.ocr);
  const PositionedWord* number = find_word(p, "4711");
  const PositionedWord* total = find_word(p, "1,234.50");
  ASSERT_TRUE(number && total);
  EXPECT_GT(total->box.y0, number->box.y1);  // the second line is below the first
  EXPECT_GT(number->confidence, 0.5);
  EXPECT_LE(number->confidence, 1.0);
  EXPECT_LT(number->box.x1, p.width);  // points, not pixels
}

TEST_F(LayoutTest, JsonRoundTrips) {
  std::vector<PageWords> pages = {{.number = 1,
                                   .width = 595,
                                   .height = 842,
                                   .ocr = true,
                                   .words = {{"GSTIN", {10, 20, 40, 30}, 0.91},
                                             {"27AAPFU0939F1ZV", {45, 20, 120, 30}, 1}}},
                                  {.number = 2, .width = 842, .height = 595}};
  auto back = page_words_from_json(to_json(pages));
  ASSERT_TRUE(back.ok()) << back.error().message;
  ASSERT_EQ(back->size(), 2u);
  EXPECT_TRUE((*back)[0].ocr);
  ASSERT_EQ((*back)[0].words.size(), 2u);
  EXPECT_EQ((*back)[0].words[1].text, "27AAPFU0939F1ZV");
  EXPECT_DOUBLE_EQ((*back)[0].words[0].box.x1, 40);
  EXPECT_DOUBLE_EQ((*back)[0].words[0].confidence, 0.91);
  EXPECT_DOUBLE_EQ((*back)[1].width, 842);
}

TEST_F(LayoutTest, MalformedJsonIsRefused) {
  boost::json::value bad = {{{"number", 1}, {"words", {{"x", 1, 2}}}}};
  auto r = page_words_from_json(bad);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, core::Code::InvalidInput);
  EXPECT_FALSE(page_words_from_json(boost::json::value("nope")).ok());
}

TEST_F(LayoutTest, BrokenAndMissingFilesGiveClearErrors) {
  const fs::path junk = dir_ / "junk.pdf";
  ASSERT_TRUE(fixtures::write_bytes(junk, "%PDF-1.7\nthis is not really a pdf"));
  auto broken = pdf_words(junk, ParseLimits{}, nullptr);
  ASSERT_FALSE(broken.ok());
  EXPECT_EQ(broken.error().code, core::Code::InvalidFormat);
  EXPECT_THAT(broken.error().message, HasSubstr("not a readable PDF"));
  auto missing = pdf_words(dir_ / "nothing.pdf", ParseLimits{}, nullptr);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code, core::Code::NotFound);
}

TEST_F(LayoutTest, EncryptedPdfSaysItIsPasswordProtected) {
  const fs::path path = fixtures::test_data() /
                        "pdf-sample-files/005-libreoffice-writer-password/libreoffice-writer-password.pdf";
  ASSERT_TRUE(fs::exists(path)) << path;
  auto r = pdf_words(path, ParseLimits{}, nullptr);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, core::Code::InvalidFormat);
  EXPECT_THAT(r.error().message, HasSubstr("password"));
}

TEST_F(LayoutTest, IsolatedWorkerReturnsTheSameWordsAsInProcess) {
  const fs::path pdf = dir_ / "invoice.pdf";
  ASSERT_TRUE(business_docs::write_document(pdf, {.kind = "invoice", .seed = 3}));
  auto direct = pdf_words(pdf, ParseLimits{}, nullptr);
  ASSERT_TRUE(direct.ok());
  auto isolated = words_isolated(DOCENT_BINARY, pdf, ParseLimits{}, IsolateOptions{.ocr = false});
  ASSERT_TRUE(isolated.ok()) << isolated.error().message;
  ASSERT_EQ(isolated->size(), direct->size());
  ASSERT_EQ((*isolated)[0].words.size(), (*direct)[0].words.size());
  for (size_t i = 0; i < (*direct)[0].words.size(); ++i) {
    EXPECT_EQ((*isolated)[0].words[i].text, (*direct)[0].words[i].text);
    EXPECT_NEAR((*isolated)[0].words[i].box.x0, (*direct)[0].words[i].box.x0, 1e-6);
  }
}

TEST_F(LayoutTest, IsolatedWorkerReportsTheParsersError) {
  const fs::path junk = dir_ / "junk.pdf";
  ASSERT_TRUE(fixtures::write_bytes(junk, "not a pdf at all"));
  auto r = words_isolated(DOCENT_BINARY, junk, ParseLimits{}, IsolateOptions{.ocr = false});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, core::Code::InvalidFormat);
  EXPECT_THAT(r.error().message, HasSubstr("not a readable PDF"));
}

}  // namespace
}  // namespace docent::engines
