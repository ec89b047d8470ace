#include "engines/image.h"
#include "engines/ocr.h"
#include "unit/engines/pdf_fixtures.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <map>
#include <sstream>
#include <string>

namespace docent::engines {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

// Lower-cased words with the punctuation around them removed.
std::vector<std::string> words_of(const std::string& text) {
  std::vector<std::string> words;
  std::istringstream in(lower(text));
  for (std::string w; in >> w;) {
    std::string clean;
    for (unsigned char c : w) {
      if (std::isalnum(c)) clean += static_cast<char>(c);
    }
    if (!clean.empty()) words.push_back(clean);
  }
  return words;
}

std::string all_text(const std::vector<Block>& blocks) {
  std::string out;
  for (const Block& b : blocks) out += b.text + "\n\n";
  return out;
}

// One engine for the whole suite: loading the model is the slow part.
class OcrEnv {
 public:
  static Ocr* get() {
    static std::unique_ptr<Ocr> ocr = [] {
      auto r = Ocr::create();
      return r ? std::move(r).value() : nullptr;
    }();
    return ocr.get();
  }
};

class OcrTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ocr_ = OcrEnv::get();
    if (ocr_ == nullptr) GTEST_SKIP() << "tesseract's eng language pack is not installed";
    dir_ = fixtures::make_temp_dir("docent_ocr_test");
  }
  void TearDown() override {
    std::error_code ec;
    if (!dir_.empty()) fs::remove_all(dir_, ec);
  }

  Ocr* ocr_ = nullptr;
  fs::path dir_;
};

using ImageTest = OcrTest;

TEST(OcrCreateTest, MissingLanguagePackIsServiceUnavailableNamingIt) {
  auto r = Ocr::create("zzq_no_such_language");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, core::Code::ServiceUnavailable);
  EXPECT_THAT(r.error().message, HasSubstr("zzq_no_such_language"));
}

TEST(OcrCreateTest, MissingTessdataDirIsServiceUnavailable) {
  auto r = Ocr::create("eng", "/nonexistent/tessdata");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, core::Code::ServiceUnavailable);
}

TEST_F(OcrTest, PhototestGetsMostWordsOfTheGroundTruth) {
  const fs::path dir = fixtures::test_data() / "ocr-tesseract" / "testing";
  ASSERT_TRUE(fs::exists(dir / "phototest.tif")) << dir;

  auto blocks = ocr_->recognize_file(dir / "phototest.tif");
  ASSERT_TRUE(blocks.ok()) << blocks.error().message;
  ASSERT_FALSE(blocks->empty());

  std::map<std::string, int> found;
  for (const auto& w : words_of(all_text(*blocks))) ++found[w];
  const auto truth = words_of(fixtures::read_bytes(dir / "phototest.txt"));
  ASSERT_GT(truth.size(), 50u);
  size_t hits = 0;
  for (const auto& w : truth) {
    if (found[w] > 0) --found[w], ++hits;
  }
  EXPECT_GE(static_cast<double>(hits) / truth.size(), 0.8) << all_text(*blocks);

  auto header = read_image_header(dir / "phototest.tif");
  ASSERT_TRUE(header.ok());
  for (const Block& b : *blocks) {
    ASSERT_TRUE(b.box.has_value());
    EXPECT_GE(b.box->x0, 0);
    EXPECT_GE(b.box->y0, 0);
    EXPECT_LE(b.box->x1, header->width);
    EXPECT_LE(b.box->y1, header->height);
    EXPECT_LT(b.box->x0, b.box->x1);
    EXPECT_LT(b.box->y0, b.box->y1);
    EXPECT_FALSE(b.heading);
    EXPECT_EQ(b.text.find("  "), std::string::npos) << "words are separated by single spaces";
  }
}

TEST_F(OcrTest, RawGrayPixelsWithScaleGiveBoxesInPoints) {
  const auto image = fixtures::render_text_gray("Quarterly lantern report\nZebra harbor 4721");
  ASSERT_GT(image.width, 0);
  OcrOptions options{.dpi = 300, .scale = 72.0 / 300};
  auto blocks = ocr_->recognize(image.pixels.data(), image.width, image.height, 1, image.width, options);
  ASSERT_TRUE(blocks.ok()) << blocks.error().message;
  const std::string text = lower(all_text(*blocks));
  EXPECT_THAT(text, HasSubstr("lantern"));
  EXPECT_THAT(text, HasSubstr("zebra"));
  EXPECT_THAT(text, HasSubstr("4721"));
  ASSERT_FALSE(blocks->empty());
  // Both lines are one paragraph or two; either way the lines are split by '\n'.
  EXPECT_NE(all_text(*blocks).find('\n'), std::string::npos);
  for (const Block& b : *blocks) {
    ASSERT_TRUE(b.box.has_value());
    EXPECT_LE(b.box->x1, 432.0 + 1);  // the image is 6 in = 432 pt wide
    EXPECT_GE(b.box->x0, 30.0);       // text starts at a 36 pt margin
  }
}

TEST_F(OcrTest, BlankImageGivesNoBlocks) {
  std::vector<uint8_t> white(400 * 300, 255);
  auto blocks = ocr_->recognize(white.data(), 400, 300, 1, 400);
  ASSERT_TRUE(blocks.ok()) << blocks.error().message;
  EXPECT_TRUE(blocks->empty());
}

TEST_F(OcrTest, ImpossibleGeometryIsInvalidInput) {
  std::vector<uint8_t> px(100, 255);
  EXPECT_EQ(ocr_->recognize(nullptr, 10, 10, 1, 10).error().code, core::Code::InvalidInput);
  EXPECT_EQ(ocr_->recognize(px.data(), 0, 10, 1, 10).error().code, core::Code::InvalidInput);
  EXPECT_EQ(ocr_->recognize(px.data(), 10, 10, 2, 20).error().code, core::Code::InvalidInput);
  EXPECT_EQ(ocr_->recognize(px.data(), 10, 10, 3, 10).error().code, core::Code::InvalidInput);
  EXPECT_EQ(ocr_->recognize(px.data(), 20000, 20000, 1, 20000).error().code, core::Code::InvalidInput);
}

TEST_F(ImageTest, PngWithTextIsOnePageOfOcrText) {
  const fs::path png = dir_ / "note.png";
  ASSERT_TRUE(fixtures::write_png(png, "Invoice number 4721\nZebra harbor lantern"));
  auto doc = extract_image(png, *ocr_, ParseLimits{});
  ASSERT_TRUE(doc.ok()) << doc.error().message;
  EXPECT_EQ(doc->mime, "image/png");
  ASSERT_EQ(doc->pages.size(), 1u);
  EXPECT_EQ(doc->pages[0].number, 1);
  EXPECT_TRUE(doc->pages[0].ocr);
  const std::string text = lower(doc->pages[0].text());
  EXPECT_THAT(text, HasSubstr("invoice"));
  EXPECT_THAT(text, HasSubstr("zebra"));
  EXPECT_THAT(text, HasSubstr("lantern"));
}

TEST_F(ImageTest, ImageTooLargeByHeaderIsRefusedBeforeDecoding) {
  const fs::path png = dir_ / "bomb.png";
  ASSERT_TRUE(fixtures::write_png_header_only(png, 30000, 30000));
  auto header = read_image_header(png);
  ASSERT_TRUE(header.ok()) << header.error().message;
  EXPECT_EQ(header->width, 30000);
  EXPECT_EQ(header->pixels, 900'000'000);

  auto doc = extract_image(png, *ocr_, ParseLimits{});
  ASSERT_FALSE(doc.ok());
  EXPECT_EQ(doc.error().code, core::Code::InvalidFormat);
  EXPECT_THAT(doc.error().message, HasSubstr("too large"));
}

TEST_F(ImageTest, GifFramesAreSizedFromTheirDescriptorsNotDecoded) {
  // Leptonica's pixReadHeader decodes a whole GIF; this one claims a 60000 x 60000 frame.
  std::string gif = "GIF89a";
  gif += std::string("\x10\x00\x10\x00\x00\x00\x00", 7);               // 16 x 16 screen, no palette
  gif += std::string("\x2c\x00\x00\x00\x00\x60\xea\x60\xea\x00", 10);  // frame 60000 x 60000
  gif += std::string("\x02\x02\x44\x01\x00\x3b", 6);                   // LZW data, trailer
  const fs::path path = dir_ / "bomb.gif";
  ASSERT_TRUE(fixtures::write_bytes(path, gif));
  auto header = read_image_header(path);
  ASSERT_TRUE(header.ok()) << header.error().message;
  EXPECT_EQ(header->mime, "image/gif");
  EXPECT_EQ(header->pixels, 3'600'000'000);

  auto doc = extract_image(path, *ocr_, ParseLimits{});
  ASSERT_FALSE(doc.ok());
  EXPECT_EQ(doc.error().code, core::Code::InvalidFormat);
}

TEST_F(ImageTest, FilesThatAreNotImagesAreInvalidFormat) {
  const fs::path text = dir_ / "notes.txt";
  ASSERT_TRUE(fixtures::write_bytes(text, "just some words, not an image at all\n"));
  auto doc = extract_image(text, *ocr_, ParseLimits{});
  ASSERT_FALSE(doc.ok());
  EXPECT_EQ(doc.error().code, core::Code::InvalidFormat);

  // A PNG signature followed by garbage.
  const fs::path broken = dir_ / "broken.png";
  ASSERT_TRUE(fixtures::write_bytes(broken, std::string("\x89PNG\r\n\x1a\n", 8) + std::string(64, '\x17')));
  doc = extract_image(broken, *ocr_, ParseLimits{});
  ASSERT_FALSE(doc.ok());
  EXPECT_EQ(doc.error().code, core::Code::InvalidFormat);

  EXPECT_EQ(extract_image(dir_ / "missing.png", *ocr_, ParseLimits{}).error().code, core::Code::NotFound);
}

}  // namespace
}  // namespace docent::engines
