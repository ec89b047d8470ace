// Built-in image analysis (engines/image_analysis.h) on images drawn by the tests: the words,
// colours and sizes are known, so every field can be checked against the truth. The isolated
// form runs the real docent binary (`docent __image`).

#include "engines/image_analysis.h"
#include "engines/isolate.h"
#include "support/image_fixtures.h"
#include "unit/store/temp_dir.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include <fstream>

namespace docent::engines {
namespace {

namespace fs = std::filesystem;
namespace json = boost::json;
namespace img = testing::images;
using core::Code;
using store::testing::TempDir;
using ::testing::Contains;
using ::testing::HasSubstr;
using ::testing::Not;

const img::Rgb kWhite{255, 255, 255}, kBlack{0, 0, 0}, kRed{220, 30, 30}, kBlue{30, 60, 220};

std::vector<std::string> names(const json::value& v) {
  std::vector<std::string> out;
  for (const auto& e : v.as_array()) out.emplace_back(e.as_string());
  return out;
}

class ImageAnalysisTest : public ::testing::Test {
 protected:
  fs::path write(const std::string& name, const std::string& bytes) {
    fs::path p = dir_.path() / name;
    std::ofstream(p, std::ios::binary) << bytes;
    return p;
  }
  fs::path draw(const std::string& name, const img::RgbImage& image, const std::string& format) {
    fs::path p = dir_.path() / name;
    EXPECT_TRUE(img::write_image(p, image, format)) << format;
    return p;
  }
  TempDir dir_;
};

TEST_F(ImageAnalysisTest, SniffsTheFiveFormatsByTheirBytesNotTheirNames) {
  const auto card = img::draw_card(120, 80, "HI", kWhite, kBlack);
  for (const std::string format : {"png", "jpeg", "gif", "bmp", "webp"}) {
    auto bytes = img::encode_image(card, format);
    ASSERT_FALSE(bytes.empty()) << format;
    auto sniffed = sniff_image_format(bytes.substr(0, 32));
    ASSERT_TRUE(sniffed.has_value()) << format;
    EXPECT_EQ(image_format_name(*sniffed), format);
    // A misleading name changes nothing.
    auto checked = check_image(write("photo.txt", bytes), 1'000'000);
    ASSERT_TRUE(checked.ok()) << format << ": " << checked.error().message;
    EXPECT_EQ(checked->width, 120);
    EXPECT_EQ(checked->height, 80);
  }
  EXPECT_FALSE(sniff_image_format("%PDF-1.7\n...").has_value());
  EXPECT_FALSE(sniff_image_format("BM not really a bitmap").has_value());
  auto text = check_image(write("fake.png", "just some text pretending to be a picture"), 1'000'000);
  ASSERT_FALSE(text.ok());
  EXPECT_EQ(text.error().code, Code::InvalidFormat);
}

TEST_F(ImageAnalysisTest, RefusesDecompressionBombsFromTheirHeaders) {
  auto png = check_image(write("bomb.png", img::png_bomb(100000, 100000)), 40'000'000);
  ASSERT_FALSE(png.ok());
  EXPECT_EQ(png.error().code, Code::PayloadTooLarge);
  EXPECT_EQ(png.error().details.at("pixels").as_int64(), 10'000'000'000);
  auto gif = check_image(write("bomb.gif", img::gif_bomb(60000, 60000)), 40'000'000);
  ASSERT_FALSE(gif.ok());
  EXPECT_EQ(gif.error().code, Code::PayloadTooLarge);
  // The same bomb under a roomier limit passes the header check; it is the decoder's to refuse.
  EXPECT_TRUE(check_image(write("small.gif", img::gif_bomb(100, 100)), 40'000'000).ok());
}

TEST_F(ImageAnalysisTest, TruncatedFilesOfEveryFormatFailAsInvalidFormat) {
  const auto card = img::draw_card(200, 120, "CUT", kWhite, kBlack);
  for (const std::string format : {"png", "jpeg", "gif", "bmp", "webp"}) {
    auto bytes = img::encode_image(card, format);
    auto path = write("cut." + format, bytes.substr(0, bytes.size() / 2));
    auto report = analyse_image(path, ImageAnalysisOptions{.ocr = false});
    ASSERT_FALSE(report.ok()) << format << " decoded although cut in half";
    EXPECT_EQ(report.error().code, Code::InvalidFormat) << format << ": " << report.error().message;
  }
}

TEST_F(ImageAnalysisTest, ReadsTheWordsColoursAndSizeOfADrawnCard) {
  auto path = draw("stop.png", img::draw_card(800, 400, "STOP", kRed, kWhite), "png");
  auto report = analyse_image(path, {});
  ASSERT_TRUE(report.ok()) << report.error().message;
  const auto& r = report->as_object();
  EXPECT_EQ(r.at("format").as_string(), "png");
  EXPECT_EQ(r.at("width").as_int64(), 800);
  EXPECT_EQ(r.at("height").as_int64(), 400);
  EXPECT_THAT(std::string(r.at("text_content").as_string()), HasSubstr("STOP"));
  auto colors = names(r.at("dominant_colors"));
  ASSERT_FALSE(colors.empty());
  EXPECT_EQ(colors.front(), "red") << "red covers most of the card";
  EXPECT_THAT(colors, Contains("white"));
  EXPECT_THAT(colors, Not(Contains("blue")));
  EXPECT_THAT(std::string(r.at("enhanced_image_base64").as_string()), ::testing::StartsWith("data:image/jpeg;base64,"));
  // No face in a card: the cascade must not see a person in it.
  EXPECT_TRUE(r.at("faces").as_array().empty());
  EXPECT_TRUE(r.at("objects").as_array().empty());
}

TEST_F(ImageAnalysisTest, EveryFormatDecodesToTheSameFacts) {
  const auto halves = img::draw_halves(300, 200, kBlue, kWhite);
  for (const std::string format : {"png", "jpeg", "gif", "bmp", "webp"}) {
    auto report = analyse_image(draw("halves." + format, halves, format), ImageAnalysisOptions{.ocr = false});
    ASSERT_TRUE(report.ok()) << format << ": " << report.error().message;
    EXPECT_EQ(report->at("format").as_string(), format);
    EXPECT_EQ(report->at("width").as_int64(), 300) << format;
    EXPECT_EQ(report->at("height").as_int64(), 200) << format;
    auto colors = names(report->at("dominant_colors"));
    EXPECT_THAT(colors, Contains("blue")) << format;
    EXPECT_THAT(colors, Contains("white")) << format;
  }
}

TEST_F(ImageAnalysisTest, SuggestionsFollowTheMeasuredSharpnessExposureAndContrast) {
  const auto card = img::draw_card(600, 300, "SHARP TEXT", kWhite, kBlack);
  auto sharp = analyse_image(draw("sharp.png", card, "png"), ImageAnalysisOptions{.ocr = false});
  auto soft = analyse_image(draw("soft.png", img::blurred(card, 6), "png"), ImageAnalysisOptions{.ocr = false});
  ASSERT_TRUE(sharp.ok() && soft.ok());
  const double sharp_v = sharp->at("measures").at("sharpness").to_number<double>();
  const double soft_v = soft->at("measures").at("sharpness").to_number<double>();
  EXPECT_GT(sharp_v, soft_v * 4) << "blurring lowers the variance of the Laplacian";
  auto soft_s = names(soft->at("suggestions"));
  EXPECT_THAT(soft_s, Contains(HasSubstr("blurry")));
  EXPECT_THAT(names(sharp->at("suggestions")), Not(Contains(HasSubstr("blurry"))));

  auto dark = analyse_image(draw("dark.png", img::draw_halves(200, 200, {10, 10, 10}, {30, 30, 30}), "png"),
                            ImageAnalysisOptions{.ocr = false});
  ASSERT_TRUE(dark.ok());
  EXPECT_LT(dark->at("measures").at("mean_luminance").to_number<double>(), 60);
  EXPECT_THAT(names(dark->at("suggestions")), Contains(HasSubstr("underexposed")));
  EXPECT_THAT(names(dark->at("suggestions")), Contains(HasSubstr("Low contrast")));
}

TEST_F(ImageAnalysisTest, RunsIsolatedInTheDocentBinary) {
  auto path = draw("word.jpg", img::draw_card(640, 320, "HELLO", kWhite, kBlack), "jpeg");
  ParseLimits limits;
  limits.timeout = std::chrono::seconds(60);
  limits.max_uncompressed_bytes = 40'000'000ull * 4;
  auto report = analyse_image_isolated(DOCENT_BINARY, path, limits);
  ASSERT_TRUE(report.ok()) << report.error().message;
  EXPECT_THAT(std::string(report->at("text_content").as_string()), HasSubstr("HELLO"));
  EXPECT_EQ(report->at("format").as_string(), "jpeg");

  // A crash in the child is the job's error, never the caller's crash.
  ::setenv(kTestFaultVariable, "crash", 1);
  auto crashed = analyse_image_isolated(DOCENT_BINARY, path, limits);
  ::unsetenv(kTestFaultVariable);
  ASSERT_FALSE(crashed.ok());
  EXPECT_EQ(crashed.error().code, Code::ProcessingError);
  EXPECT_THAT(crashed.error().message, HasSubstr("crashed"));
}

}  // namespace
}  // namespace docent::engines
